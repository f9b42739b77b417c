extension Resolver {
    /// Each instance with its environment.
    func withEnvironment(_ instances: [ServiceInstance], servers: [PlannedServer]) -> [ServiceInstance] {
        let serverByName = Dictionary(uniqueKeysWithValues: servers.map { ($0.name, $0) })
        let instanceByName = Dictionary(uniqueKeysWithValues: instances.map { ($0.name, $0) })
        var instances = instances
        for i in instances.indices {
            let computed = environment(for: instances[i], servers: serverByName, instances: instanceByName)
            instances[i].environment = computed + extraEnvironment(for: instances[i], computed: computed)
        }
        return instances
    }

    private func url(_ scheme: String, role: String, secret: SecretRef, host: String, port: Int, database: String, engine: Engine,
                     params: [String: String] = [:]) -> EnvValue {
        var query = engine == .mongodb ? ["authSource": database] : [:]
        query.merge(params) { $1 }
        let tail = "@\(host):\(port)/\(database)" + urlQuery(query)
        return EnvValue([.text("\(scheme)://\(role):"), .secret(secret, inURL: true), .text(tail)])
    }

    /// The server's parameters, then the service's over them.
    private func params(_ server: PlannedServer, _ service: String) -> [String: String] {
        (server.params ?? [:]).merging(topology.service(service)?.database?.params ?? [:]) { $1 }
    }

    private func environment(for instance: ServiceInstance, servers: [String: PlannedServer], instances: [String: ServiceInstance]) -> [EnvVar] {
        var env: [EnvVar] = []
        func add(_ key: String, _ host: EnvValue, _ network: EnvValue? = nil) { env.append(EnvVar(key: key, host: host, network: network ?? host)) }
        func add(_ key: String, _ value: String) { add(key, .text(value)) }

        add("OVU_PROJECT", topology.project)
        add("OVU_SCENARIO", scenario.name)
        add("OVU_SERVICE", instance.service)
        if let tenant = instance.tenant { add("TENANT", tenant) }
        if let port = instance.port { add("PORT", String(port)) }
        if let db = instance.database, let server = servers[db.server] {
            add("DATABASE_URL",
                url(db.urlScheme, role: db.role, secret: db.secret, host: server.hostAddress, port: server.port, database: db.database, engine: db.engine,
                    params: params(server, instance.service)),
                url(db.urlScheme, role: db.role, secret: db.secret, host: server.networkHost, port: server.containerPort, database: db.database, engine: db.engine,
                    params: params(server, instance.service)))
            add("DB_HOST", .text(server.hostAddress), .text(server.networkHost))
            add("DB_PORT", .text(String(server.port)), .text(String(server.containerPort)))
            add("DB_NAME", db.database)
            add("DB_USER", db.role)
            add("DB_PASSWORD", EnvValue([.secret(db.secret, inURL: false)]))
            if let schema = db.schema { add("DB_SCHEMA", schema) }
            if let prefix = db.tablePrefix { add("TABLE_PREFIX", prefix) }
            add("DB_POOL_SIZE", String(db.pool.size))
            add("DB_MAX_OVERFLOW", String(db.pool.maxOverflow))
            add("DB_POOL_TIMEOUT", String(db.pool.timeout))
            if let prePing = db.pool.prePing { add("DB_POOL_PRE_PING", prePing ? "true" : "false") }
            if let recycle = db.pool.recycle { add("DB_POOL_RECYCLE", String(recycle)) }
        }
        if let slot = instance.redis, let server = servers[slot.server] {
            let query = urlQuery(server.params ?? [:])
            if let user = slot.user, let secret = slot.secret {
                func redisURL(_ host: String, _ port: Int) -> EnvValue {
                    EnvValue([.text("redis://\(user):"), .secret(secret, inURL: true), .text("@\(host):\(port)/\(slot.index)\(query)")])
                }
                add("REDIS_URL", redisURL("127.0.0.1", server.port), redisURL(server.name, server.containerPort))
            } else {
                add("REDIS_URL", .text("redis://127.0.0.1:\(server.port)/\(slot.index)\(query)"), .text("redis://\(server.name):\(server.containerPort)/\(slot.index)\(query)"))
            }
            if let prefix = slot.keyPrefix { add("REDIS_KEY_PREFIX", prefix) }
        }
        for dep in instance.dependsOn {
            guard let target = instances[dep] else { continue }
            let key = "\(envName(target.service))_URL"
            if let port = target.port {
                add(key, .text("http://127.0.0.1:\(port)"), .text("http://\(target.name):\(port)"))
            }
        }
        for read in instance.reads {
            guard let server = servers[read.server] else { continue }
            // The reader's code uses the URL: its own driver's scheme for the target's engine.
            let scheme = urlScheme(topology.service(instance.service)?.database, for: server.engine)
            add("\(envName(read.service))_READ_DATABASE_URL",
                url(scheme, role: read.role, secret: read.secret, host: server.hostAddress, port: server.port, database: read.database, engine: server.engine,
                    params: params(server, instance.service)),
                url(scheme, role: read.role, secret: read.secret, host: server.networkHost, port: server.containerPort, database: read.database, engine: server.engine,
                    params: params(server, instance.service)))
            // The schema that holds the owner's tables in this layout (`ulm` in single-db, `public` in its own database).
            add("\(envName(read.service))_READ_SCHEMA", read.schema)
        }
        return env
    }

    /// Dependencies first; among the ready ones, by name (Kahn's algorithm; cycles were rejected).
    func startOrder(_ instances: [ServiceInstance]) -> [ServiceInstance] {
        // Kahn's algorithm, the ready instance with the smallest name first; those whose
        // dependencies never start (a cycle, a name not here) last, in name order.
        let sorted = instances.sorted { $0.name < $1.name }
        var waiting = [Int](repeating: 0, count: sorted.count)
        var dependents: [String: [Int]] = [:]
        for (i, instance) in sorted.enumerated() {
            for dependency in Set(instance.dependsOn) {
                waiting[i] += 1
                dependents[dependency, default: []].append(i)
            }
        }
        var ready = MinHeap((0..<sorted.count).filter { waiting[$0] == 0 })
        var started = [Bool](repeating: false, count: sorted.count)
        var ordered: [ServiceInstance] = []
        ordered.reserveCapacity(sorted.count)
        while let i = ready.pop() {
            started[i] = true
            ordered.append(sorted[i])
            for d in dependents[sorted[i].name] ?? [] {
                waiting[d] -= 1
                if waiting[d] == 0 { ready.push(d) }
            }
        }
        if ordered.count < sorted.count { ordered += sorted.indices.filter { !started[$0] }.map { sorted[$0] } }
        return ordered
    }
}

/// The smallest first: indexes into an array sorted by name, so the smallest name first.
struct MinHeap {
    private var items: [Int] = []

    init(_ values: [Int]) { for v in values { push(v) } }

    mutating func push(_ value: Int) {
        items.append(value)
        var i = items.count - 1
        while i > 0, items[(i - 1) / 2] > items[i] {
            items.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, items[l] < items[m] { m = l }
            if r < items.count, items[r] < items[m] { m = r }
            if m == i { return first }
            items.swapAt(i, m)
            i = m
        }
    }
}
