/// Walks a `TopologySpec`, collects every problem with its JSON path, and builds the `Topology`.
struct Validator {
    let spec: TopologySpec
    let d: Diagnostics
    /// Paths whose value could not be read (wrong type, unknown key), already reported.
    let malformed: Set<String>

    init(spec: TopologySpec, diagnostics: Diagnostics, malformed: Set<String> = []) {
        self.spec = spec
        self.d = diagnostics
        self.malformed = malformed
    }

    static let maxNameLength = 40

    /// Databases that exist on a fresh server: `database.name` must not take one over.
    static let systemDatabases: Set<String> = ["postgres", "template0", "template1", "mysql", "information_schema",
                                               "performance_schema", "sys", "admin", "local", "config"]
    /// Schemas every PostgreSQL database has (names starting with `pg_` are rejected as role names).
    static let systemSchemas: Set<String> = ["public", "information_schema"]

    /// `^[a-z][a-z0-9_-]*$`, at most 40 characters.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), name.utf8.count <= maxNameLength else { return false }
        return name.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isLowerAlnum(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
    }

    /// A table, database or extension name that can go into SQL without quoting.
    static func isPlainIdentifier(_ name: String, allowDash: Bool = false) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || first == UInt8(ascii: "_"),
              name.utf8.count <= 63 else { return false }
        return name.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || (allowDash && $0 == UInt8(ascii: "-")) }
    }

    private func checkName(_ name: String, _ path: String, what: String, isKey: Bool = true) {
        guard !Validator.isValidName(name) else { return }
        // A name that is a key (services, servers, scenarios) is pointed at where the key is written.
        let at = (isKey ? d.keyPositions[path] : nil) ?? d.positions[path]
        if name.utf8.count > Validator.maxNameLength {
            d.error(path, "\(what) name \"\(name)\" is longer than \(Validator.maxNameLength) characters", at: at)
        } else {
            d.error(path, "\(what) name \"\(name)\" is invalid: use lowercase letters, digits, '_' and '-', starting with a letter (^[a-z][a-z0-9_-]*$)", at: at)
        }
    }

    /// Two names that become the same SQL identifier after `-` → `_`.
    private func checkCollisions(_ names: [String], parent: String, what: String) {
        var seen: [String: String] = [:]
        for name in names.sorted() {
            let id = sqlName(name)
            if let other = seen[id] {
                d.error(jsonPath(parent, name), "\(what) \"\(name)\" and \"\(other)\" both become the SQL name \"\(id)\"; rename one",
                        at: d.keyPositions[jsonPath(parent, name)])
            } else {
                seen[id] = name
            }
        }
    }

    private func requirePort(_ port: Int, _ path: String) -> Bool {
        guard (1...65535).contains(port) else {
            d.error(path, "port \(port) is out of range (1-65535)")
            return false
        }
        return true
    }

    func validate() -> Topology? {
        // Project.
        let project = spec.project ?? ""
        if spec.project == nil {
            d.error("project", "missing: name the project, e.g. \"project\": \"shop\"")
        } else {
            checkName(project, "project", what: "project", isKey: false)
        }

        // Servers.
        var servers: [Server] = []
        for (name, s) in (spec.servers ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = jsonPath("servers", name)
            checkName(name, path, what: "server")
            guard let engineName = s.engine else {
                d.error(path + ".engine", "missing: one of \(quoted(Engine.allCases.map(\.rawValue)))", at: d.positions[path])
                continue
            }
            guard let engine = Engine(rawValue: engineName) else {
                d.error(path + ".engine", "unknown engine \"\(engineName)\"\(didYouMean(engineName, among: Engine.allCases.map(\.rawValue))) (allowed: \(Engine.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            let version = s.version ?? engine.defaultVersion
            if !isImageToken(version) {
                d.error(path + ".version", "version \"\(version)\" is invalid: use letters, digits, '.', '_' and '-'")
            }
            let port = s.port ?? engine.containerPort
            if s.port != nil { _ = requirePort(port, path + ".port") }
            let image = s.image ?? "\(engine.defaultImage):\(version)"
            if s.image != nil && !isImageReference(image) {
                d.error(path + ".image", "image \"\(image)\" is not a valid image reference")
            }
            servers.append(Server(name: name, engine: engine, version: version, port: port, image: image))
        }
        checkCollisions(servers.map(\.name), parent: "servers", what: "server")
        if spec.servers == nil || servers.isEmpty && (spec.servers ?? [:]).isEmpty {
            d.error("servers", "missing: declare at least one server, e.g. \"postgres\": { \"engine\": \"postgres\", \"port\": 5432 }")
        }
        let serverNames = servers.map(\.name)
        // Declared servers, valid or not: a reference to a broken server is not "unknown".
        let declaredServers = Set((spec.servers ?? [:]).keys)

        // Services.
        let specServices = (spec.services ?? [:]).sorted(by: { $0.key < $1.key })
        let serviceNames = specServices.map(\.key)
        if spec.services == nil || specServices.isEmpty {
            d.error("services", "missing: declare at least one service")
        }
        checkCollisions(serviceNames, parent: "services", what: "service")
        for name in serviceNames where serverNames.contains(name) {
            d.error(jsonPath("services", name), "service \"\(name)\" has the name of a server; compose needs distinct names, rename one")
        }

        // Redis indexes: explicit ones first, then the next free index in name order.
        var usedIndexes: [Int: String] = [:]
        for (name, s) in specServices {
            guard let index = s.redis?.index else { continue }
            let path = jsonPath("services", name) + ".redis.index"
            if index < 0 {
                d.error(path, "index \(index) is negative; Redis databases are numbered from 0")
            } else if let other = usedIndexes[index] {
                d.error(path, "\(index) is already used by \(jsonPath("services", other)); remove \"index\" to take the next free one")
            } else {
                usedIndexes[index] = name
            }
        }
        var nextIndex = 0
        var services: [Service] = []
        for (name, s) in specServices {
            let path = jsonPath("services", name)
            checkName(name, path, what: "service")
            if let port = s.port { _ = requirePort(port, path + ".port") }

            var database: DatabaseNeed?
            if let db = s.database {
                if let server = db.server {
                    if let found = servers.first(where: { $0.name == server }) {
                        if !found.engine.holdsDatabases {
                            d.error(path + ".database.server", "server \"\(server)\" is a \(found.engine.rawValue) server; a database needs a postgres, mysql or mongodb server")
                        }
                    } else if !declaredServers.contains(server) {
                        d.error(path + ".database.server", "unknown server \"\(server)\"\(didYouMean(server, among: serverNames))")
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
                    for (key, value, minimum) in [("size", p.size, 1), ("maxOverflow", p.maxOverflow, 0), ("timeout", p.timeout, 1)] {
                        if let value, value < minimum || value > 100_000 {
                            d.error(path + ".database.pool.\(key)", "\(value) is out of range (\(minimum)-100000)")
                        }
                    }
                    pool = Pool(size: p.size ?? pool.size, maxOverflow: p.maxOverflow ?? pool.maxOverflow, timeout: p.timeout ?? pool.timeout)
                }
                if let scheme = db.urlScheme, !isURLScheme(scheme) {
                    d.error(path + ".database.urlScheme", "\"\(scheme)\" is not a URL scheme (letters, digits, '+', '.', '-', starting with a letter)")
                }
                database = DatabaseNeed(server: db.server, name: db.name, extensions: (db.extensions ?? []).sorted(), pool: pool, urlScheme: db.urlScheme)
            }

            var redisIndex: Int?
            var redisServer: String?
            if let r = s.redis {
                if let index = r.index {
                    redisIndex = index
                } else {
                    while usedIndexes[nextIndex] != nil { nextIndex += 1 }
                    redisIndex = nextIndex
                    usedIndexes[nextIndex] = name
                }
                let redisServers = servers.filter { $0.engine == .redis }
                if let server = r.server {
                    if let found = servers.first(where: { $0.name == server }) {
                        if found.engine != .redis {
                            d.error(path + ".redis.server", "server \"\(server)\" is a \(found.engine.rawValue) server, not redis")
                        }
                        redisServer = server
                    } else if !declaredServers.contains(server) {
                        d.error(path + ".redis.server", "unknown server \"\(server)\"\(didYouMean(server, among: redisServers.map(\.name)))")
                    }
                } else if redisServers.count == 1 {
                    redisServer = redisServers[0].name
                } else if redisServers.isEmpty {
                    d.error(path + ".redis", "uses Redis but no server has \"engine\": \"redis\"; add one to \"servers\"")
                } else {
                    d.error(path + ".redis", "there are several Redis servers (\(redisServers.map(\.name).joined(separator: ", "))); name one with \"server\"")
                }
            }

            var dependsOn: [String] = []
            for (i, dep) in (s.dependsOn ?? []).enumerated() {
                let p = "\(path).dependsOn[\(i)]"
                if dep == name {
                    d.error(p, "a service cannot depend on itself")
                } else if !serviceNames.contains(dep) {
                    d.error(p, "unknown service \"\(dep)\"\(didYouMean(dep, among: serviceNames))")
                } else if dependsOn.contains(dep) {
                    d.error(p, "\"\(dep)\" is listed twice")
                } else {
                    dependsOn.append(dep)
                }
            }

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

            services.append(Service(
                name: name, port: s.port, path: s.path, image: s.image, database: database,
                redisIndex: redisIndex, redisServer: redisServer, dependsOn: dependsOn.sorted(), reads: reads,
                migrate: s.migrate, command: s.command, health: s.health, seed: s.seed ?? []))
        }
        checkCycles(services)

        // Tenants.
        let tenants = spec.tenants ?? []
        for (i, tenant) in tenants.enumerated() { checkName(tenant, "tenants[\(i)]", what: "tenant", isKey: false) }
        if Set(tenants).count != tenants.count {
            let dup = Dictionary(grouping: tenants, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            d.error("tenants", "lists \(quoted(dup)) more than once")
        }
        var tenantIds: [String: Int] = [:]
        for (i, tenant) in tenants.enumerated() {
            if let j = tenantIds[sqlName(tenant)], tenants[j] != tenant {
                d.error("tenants[\(i)]", "tenant \"\(tenant)\" and \"\(tenants[j])\" both become the SQL name \"\(sqlName(tenant))\"; rename one")
            }
            tenantIds[sqlName(tenant)] = i
        }
        // Per-tenant names join tenant and service with `_`: tenant "a_b" × service "c" and
        // tenant "a" × service "b_c" would share roles and databases ("a_b_c_user", "a_b_c_db").
        if (spec.scenarios ?? [:]).values.contains(where: { $0.layout == Layout.perTenant.rawValue }) {
            var pairs: [String: (tenant: String, service: String)] = [:]
            var reported = Set<String>()
            for (i, tenant) in tenants.enumerated() where tenantIds[sqlName(tenant)] == i {
                for service in serviceNames {
                    let id = "\(sqlName(tenant))_\(sqlName(service))"
                    if let other = pairs[id] {
                        if reported.insert(id).inserted {
                            d.error("tenants[\(i)]", "tenant \"\(tenant)\" with service \"\(service)\" and tenant \"\(other.tenant)\" with service \"\(other.service)\" both give the per-tenant names \"\(id)_user\" and \"\(id)_db\"; rename a tenant or a service")
                        }
                    } else {
                        pairs[id] = (tenant, service)
                    }
                }
            }
        }

        // Backups.
        var backups = Backups.standard
        if let b = spec.backups {
            if let schedule = b.schedule {
                if let problem = cronScheduleProblem(schedule) {
                    d.error("backups.schedule", "\"\(schedule)\" is not a cron schedule: \(problem)")
                }
                backups.schedule = schedule
            }
            if let keep = b.keepDays {
                if keep < 1 || keep > 3650 { d.error("backups.keepDays", "\(keep) is out of range (1-3650)") }
                backups.keepDays = keep
            }
            if let dir = b.dir {
                if !isRelativePath(dir) || dir.contains(where: { $0 == " " || $0 == "%" || $0 == "'" || $0 == "\"" || $0 == "$" || $0 == "\\" }) {
                    d.error("backups.dir", "\"\(dir)\" must be a relative path without spaces, quotes, '$' or '%'")
                }
                backups.dir = dir
            }
        }

        // Scenarios.
        var scenarios: [Scenario] = []
        let specScenarios = (spec.scenarios ?? [:]).sorted(by: { $0.key < $1.key })
        if specScenarios.isEmpty {
            d.error("scenarios", "missing: declare at least one scenario, e.g. \"dev\": { \"layout\": \"single-db\" }")
        }
        for (name, s) in specScenarios {
            let path = jsonPath("scenarios", name)
            checkName(name, path, what: "scenario")
            guard let layoutName = s.layout else {
                d.error(path + ".layout", "missing: one of \(quoted(Layout.allCases.map(\.rawValue)))", at: d.positions[path])
                continue
            }
            guard let layout = Layout(rawValue: layoutName) else {
                d.error(path + ".layout", "unknown layout \"\(layoutName)\"\(didYouMean(layoutName, among: Layout.allCases.map(\.rawValue))) (allowed: \(Layout.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            var isolation = Isolation.schema
            if let value = s.isolation {
                if let i = Isolation(rawValue: value) { isolation = i } else {
                    d.error(path + ".isolation", "unknown isolation \"\(value)\"\(didYouMean(value, among: Isolation.allCases.map(\.rawValue))) (allowed: schema, prefix)")
                }
                if layout != .singleDB { d.error(path + ".isolation", "applies only to the single-db layout, not \(layout.rawValue)") }
            }
            var mode = ServerMode.shared
            if let value = s.servers {
                if let m = ServerMode(rawValue: value) { mode = m } else {
                    d.error(path + ".servers", "unknown value \"\(value)\"\(didYouMean(value, among: ServerMode.allCases.map(\.rawValue))) (allowed: shared, dedicated)")
                }
                if layout != .dbPerService && layout != .mixed {
                    d.error(path + ".servers", "applies only to the db-per-service and mixed layouts, not \(layout.rawValue)")
                }
            }
            var secrets = SecretsMode.generated
            if let value = s.secrets {
                if let m = SecretsMode(rawValue: value) { secrets = m } else {
                    d.error(path + ".secrets", "unknown value \"\(value)\"\(didYouMean(value, among: SecretsMode.allCases.map(\.rawValue))) (allowed: generated, external)")
                }
            }
            var engines: [String: Engine] = [:]
            for (svc, engineName) in (s.engines ?? [:]).sorted(by: { $0.key < $1.key }) {
                let p = jsonPath(path + ".engines", svc)
                guard let service = spec.services?[svc] else {
                    d.error(p, "unknown service \"\(svc)\"\(didYouMean(svc, among: serviceNames))")
                    continue
                }
                guard let engine = Engine(rawValue: engineName), engine.holdsDatabases else {
                    d.error(p, "unknown database engine \"\(engineName)\"\(didYouMean(engineName, among: ["postgres", "mysql", "mongodb"])) (allowed: postgres, mysql, mongodb)")
                    continue
                }
                if service.database == nil && !malformed.contains(jsonPath("services", svc)) {
                    d.error(p, "service \"\(svc)\" owns no database to move to \(engine.rawValue)")
                }
                engines[svc] = engine
            }
            if layout == .mixed && !engines.values.contains(where: { $0 != .postgres }) {
                d.error(path + ".engines", "the mixed layout moves at least one service to mysql or mongodb, e.g. \"engines\": { \"\(serviceNames.first ?? "svc")\": \"mysql\" }", at: d.positions[path + ".engines"] ?? d.positions[path])
            }
            if layout == .perTenant && tenants.isEmpty && !malformed.contains("tenants") {
                d.error(path + ".layout", "per-tenant needs tenants: add \"tenants\": [\"acme\", …] at the top level")
            }
            // Schema isolation gives each service the schema of its name: it must not be one PostgreSQL has.
            if layout == .singleDB && isolation == .schema {
                for (service, serviceSpec) in specServices where serviceSpec.database != nil && Validator.systemSchemas.contains(sqlName(service)) {
                    let engine = engines[service] ?? serviceSpec.database?.server.flatMap { server in servers.first { $0.name == server }?.engine } ?? .postgres
                    guard engine == .postgres else { continue }
                    d.error(jsonPath("services", service), "in scenario \"\(name)\": the service would get the schema \"\(sqlName(service))\", which every PostgreSQL database already has; rename the service, or use \"isolation\": \"prefix\"",
                            at: d.keyPositions[jsonPath("services", service)])
                }
            }
            let stride = s.portStride ?? 100
            if s.portStride != nil {
                if layout != .perTenant { d.error(path + ".portStride", "applies only to the per-tenant layout") }
                if stride < 1 || stride > 10_000 { d.error(path + ".portStride", "\(stride) is out of range (1-10000)") }
            }
            scenarios.append(Scenario(name: name, layout: layout, isolation: isolation, servers: mode, secrets: secrets,
                                      engines: engines, analytics: s.analytics ?? false, portStride: stride))
        }
        let scenarioNames = specScenarios.map(\.key)
        if let def = spec.defaultScenario, !scenarioNames.contains(def) {
            d.error("defaultScenario", "unknown scenario \"\(def)\"\(didYouMean(def, among: scenarioNames)) (scenarios: \(scenarioNames.joined(separator: ", ")))")
        }

        guard d.isEmpty else { return nil }
        let topology = Topology(project: project, servers: servers, services: services, tenants: tenants, backups: backups,
                                scenarios: scenarios, defaultScenario: spec.defaultScenario)
        // Resolve every scenario now, so that `validate` reports what `render` would.
        // Each scenario with its own collector: a failure in one must not hide the problems of the next.
        for scenario in scenarios {
            let scoped = d.scoped()
            _ = Resolver(topology: topology, scenario: scenario, diagnostics: scoped).resolve()
            d.append(scoped.issues)
        }
        return d.isEmpty ? topology : nil
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

/// `-` becomes `_` in SQL identifiers.
public func sqlName(_ name: String) -> String {
    name.replacingOccurrences(of: "-", with: "_")
}

/// `-` becomes `_`, letters upper-case: the form used in environment variable names.
public func envName(_ name: String) -> String {
    sqlName(name).uppercased()
}

func isImageToken(_ s: String) -> Bool {
    !s.isEmpty && s.count <= 128 && s.utf8.allSatisfy { Validator.isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
}

func isImageReference(_ s: String) -> Bool {
    // [registry/]name[:tag][@digest], in a conservative character set.
    guard let first = s.unicodeScalars.first, first.properties.isASCIIHexDigit || ("a"..."z").contains(first), s.count <= 255 else { return false }
    return s.utf8.allSatisfy { Validator.isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || "._-/:@".utf8.contains($0) }
}

func isURLScheme(_ s: String) -> Bool {
    guard let first = s.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), s.count <= 40 else { return false }
    return s.utf8.allSatisfy { Validator.isLowerAlnum($0) || "+.-".utf8.contains($0) }
}

/// A relative path that stays inside the project and is safe in compose, shell and cron lines.
func isRelativePath(_ s: String) -> Bool {
    guard !s.isEmpty, !s.hasPrefix("/"), s.count <= 255 else { return false }
    let parts = s.split(separator: "/", omittingEmptySubsequences: false)
    guard !parts.contains(where: { $0 == ".." || $0.isEmpty && parts.count > 1 && $0 != parts.last }) else { return false }
    return s.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && !"\"'`$\\%;&|<>*?".unicodeScalars.contains($0) }
}

/// A five-field cron schedule (or an @-macro) that Vixie cron accepts; nil when valid.
func cronScheduleProblem(_ schedule: String) -> String? {
    let macros = ["@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]
    if schedule.hasPrefix("@") {
        return macros.contains(schedule) ? nil : "unknown macro (allowed: \(macros.joined(separator: ", ")))"
    }
    let fields = schedule.split(separator: " ", omittingEmptySubsequences: true)
    guard fields.count == 5 else { return "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)" }
    let ranges = [(0, 59, "minute"), (0, 23, "hour"), (1, 31, "day of month"), (1, 12, "month"), (0, 7, "day of week")]
    let names: [[String]] = [[], [], [], ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]]
    for (i, field) in fields.enumerated() {
        let (lo, hi, what) = ranges[i]
        func value(_ t: Substring) -> Int? {
            if let v = Int(t) { return v }
            if let n = names[i].firstIndex(of: t.lowercased()) { return i == 3 ? n + 1 : n }
            return nil
        }
        for item in field.split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard stepParts.count <= 2 else { return "bad \(what) field \"\(field)\"" }
            if stepParts.count == 2 {
                guard let step = Int(stepParts[1]), step >= 1, step <= hi else { return "bad step in \(what) field \"\(field)\"" }
            }
            let range = stepParts[0]
            if range == "*" { continue }
            let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2, let a = value(bounds[0]), a >= lo, a <= hi else { return "\(what) \"\(range)\" is out of range \(lo)-\(hi)" }
            if bounds.count == 2 {
                guard let b = value(bounds[1]), b >= lo, b <= hi, b >= a else { return "\(what) range \"\(range)\" is invalid" }
            }
        }
    }
    return nil
}
