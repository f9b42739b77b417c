extension Validator {
    /// `services`: at least one, names distinct from each other and from the servers; each
    /// service's database, Redis, dependencies, reads and commands; then dependency cycles.
    func validateServices(servers: [Server]) -> [Service] {
        let serverNames = servers.map(\.name)
        if spec.services == nil || specServices.isEmpty {
            d.error("services", "missing: declare at least one service")
        }
        checkCollisions(serviceNames, parent: "services", what: "service")
        for name in serviceNames where serverNames.contains(name) {
            d.error(jsonPath("services", name), "service \"\(name)\" has the name of a server; compose needs distinct names, rename one")
        }
        let redisIndexes = assignRedisIndexes()
        var services: [Service] = []
        for (name, s) in specServices {
            let path = jsonPath("services", name)
            checkName(name, path, what: "service")
            if let port = s.port { _ = requirePort(port, path + ".port") }
            let database = s.database.map { serviceDatabase($0, of: name, path: path, servers: servers) }
            let redisServer = s.redis.flatMap { self.redisServer($0, path: path, servers: servers) }
            let dependsOn = serviceDependencies(s, of: name, path: path)
            let reads = serviceReads(s, of: name, path: path)
            checkCommandsAndPaths(s, path: path)
            let env = validateExtraEnv(s.env, path + ".env")
            services.append(Service(
                name: name, port: s.port, path: s.path, image: s.image, database: database,
                redisIndex: redisIndexes[name], redisServer: redisServer, dependsOn: dependsOn.sorted(), reads: reads,
                migrate: s.migrate, command: s.command, health: s.health, seed: s.seed ?? [],
                tables: serviceTables(s, of: name, path: path), env: env,
                redisPrefix: s.redis?.prefix.flatMap { redisPrefix($0, path: path + ".redis.prefix") }))
        }
        checkTableOwners()
        checkCycles(services)
        checkRoleAndSchemaCollisions()
        checkRedisPrefixes(services, servers: servers)
        return services
    }

    /// `database`: the server it names, its name, extensions, pool and URL scheme.
    private func serviceDatabase(_ db: DatabaseSpec, of name: String, path: String, servers: [Server]) -> DatabaseNeed {
        if let server = db.server {
            if let found = servers.first(where: { $0.name == server }) {
                if !found.engine.holdsDatabases {
                    d.error(path + ".database.server", "server \"\(server)\" is a \(found.engine.rawValue) server; a database needs a postgres, mysql or mongodb server")
                }
            } else if !declaredServers.contains(server) {
                d.error(path + ".database.server", "unknown server \"\(server)\"\(didYouMean(server, among: servers.map(\.name)))")
            }
        }
        if let dbName = db.name, !Validator.isPlainIdentifier(dbName) {
            d.error(path + ".database.name", "database name \"\(dbName)\" is invalid: use lowercase letters, digits and '_', starting with a letter, at most 63 characters")
        } else if let dbName = db.name, Validator.systemDatabases.contains(dbName) {
            d.error(path + ".database.name", "\"\(dbName)\" is a system database of PostgreSQL, MySQL or MongoDB; name the service's own database, or remove \"name\" to use \"\(sqlName(name))_db\"")
        }
        for (i, ext) in (db.extensions ?? []).enumerated() where !Validator.isPlainIdentifier(ext, allowDash: true) {
            d.error(path + ".database.extensions[\(i)]", "extension name \"\(ext)\" is invalid: use lowercase letters, digits, '_' and '-'")
        }
        if Set(db.extensions ?? []).count != (db.extensions ?? []).count {
            d.error(path + ".database.extensions", "lists an extension twice")
        }
        var pool = Pool.standard
        if let p = db.pool {
            for (key, value, minimum) in [("size", p.size, 1), ("maxOverflow", p.maxOverflow, 0), ("timeout", p.timeout, 1), ("recycle", p.recycle, 1)] {
                if let value, value < minimum || value > 100_000 {
                    d.error(path + ".database.pool.\(key)", "\(value) is out of range (\(minimum)-100000)")
                }
            }
            pool = Pool(size: p.size ?? pool.size, maxOverflow: p.maxOverflow ?? pool.maxOverflow, timeout: p.timeout ?? pool.timeout,
                        prePing: p.prePing, recycle: p.recycle)
        }
        if let scheme = db.urlScheme, !isURLScheme(scheme) {
            d.error(path + ".database.urlScheme", "\"\(scheme)\" is not a URL scheme (letters, digits, '+', '.', '-', starting with a letter)")
        }
        var need = DatabaseNeed(server: db.server, name: db.name, extensions: (db.extensions ?? []).sorted(), pool: pool, urlScheme: db.urlScheme)
        validateDatabaseNames(db, into: &need, path: path + ".database")
        return need
    }

    private func serviceDependencies(_ s: ServiceSpec, of name: String, path: String) -> [String] {
        var dependsOn: [String] = []
        for (i, dep) in (s.dependsOn ?? []).enumerated() {
            let p = "\(path).dependsOn[\(i)]"
            if dep == name {
                d.error(p, "a service cannot depend on itself")
            } else if !knownServices.contains(dep) {
                d.error(p, "unknown service \"\(dep)\"\(didYouMean(dep, among: serviceNames))")
            } else if dependsOn.contains(dep) {
                d.error(p, "\"\(dep)\" is listed twice")
            } else {
                dependsOn.append(dep)
            }
        }
        return dependsOn
    }

    private func serviceReads(_ s: ServiceSpec, of name: String, path: String) -> [(service: String, tables: [String])] {
        var reads: [(service: String, tables: [String])] = []
        for (target, tables) in (s.reads ?? [:]).sorted(by: { $0.key < $1.key }) {
            let p = jsonPath(path + ".reads", target)
            if target == name {
                d.error(p, "a service reads its own tables already; remove this entry")
                continue
            }
            guard let targetSpec = spec.services?[target] else {
                d.error(p, "unknown service \"\(target)\"\(didYouMean(target, among: serviceNames))")
                continue
            }
            if targetSpec.database == nil && !malformed.contains(jsonPath("services", target)) {
                d.error(p, "service \"\(target)\" owns no database (add \"database\": {} to it)")
            }
            if tables.isEmpty {
                d.error(p, "lists no tables; name the tables to read, e.g. [\"users\"]")
            }
            for (i, table) in tables.enumerated() where !Validator.isPlainIdentifier(table) {
                d.error("\(p)[\(i)]", "table name \"\(table)\" is invalid: use lowercase letters, digits and '_', starting with a letter")
            }
            if Set(tables).count != tables.count { d.error(p, "lists a table twice") }
            reads.append((target, tables.sorted()))
        }
        return reads
    }

    /// `health`, `migrate`, `command`, `path`, `seed` and `image`.
    private func checkCommandsAndPaths(_ s: ServiceSpec, path: String) {
        if let health = s.health, !(health.hasPrefix("/") && health.allSatisfy({ !$0.isWhitespace && $0 != "\"" && $0 != "'" && $0 != "\\" })) {
            d.error(path + ".health", "health \"\(health)\" must be a URL path starting with '/', without spaces or quotes")
        }
        if s.health != nil && s.port == nil {
            d.error(path + ".health", "a health path needs the service's \"port\"")
        }
        for (key, value) in [("migrate", s.migrate), ("command", s.command)] {
            if let value, value.trimmingCharacters(in: .whitespaces).isEmpty || value.contains("\n") || value.contains("\0") {
                d.error("\(path).\(key)", "must be a non-empty command on one line")
            }
        }
        if let p = s.path, !isRelativePath(p) {
            d.error(path + ".path", "\"\(p)\" must be a relative path inside the project (no '..', no leading '/')")
        }
        for (i, seed) in (s.seed ?? []).enumerated() where !isRelativePath(seed) {
            d.error("\(path).seed[\(i)]", "\"\(seed)\" must be a relative path inside the project (no '..', no leading '/')")
        }
        if let image = s.image, !isImageReference(image) {
            d.error(path + ".image", "image \"\(image)\" is not a valid image reference")
        }
        if s.migrate != nil && s.image == nil && s.path == nil {
            d.error(path + ".migrate", "a migration needs the service's \"path\" (or \"image\") to run in")
        }
    }

    /// Dependency cycles, reported once per cycle with the path around it.
    private func checkCycles(_ services: [Service]) {
        let deps = Dictionary(uniqueKeysWithValues: services.map { ($0.name, $0.dependsOn) })
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ name: String) {
            state[name] = 1
            stack.append(name)
            for dep in deps[name] ?? [] {
                if state[dep] == 1 {
                    let cycle = stack[stack.firstIndex(of: dep)!...] + [dep]
                    d.error(jsonPath("services", name) + ".dependsOn", "dependency cycle: \(cycle.joined(separator: " → "))")
                } else if state[dep] == nil {
                    visit(dep)
                }
            }
            stack.removeLast()
            state[name] = 2
        }
        for s in services where state[s.name] == nil { visit(s.name) }
    }
}
