public struct ResolveError: Error, Sendable, CustomStringConvertible {
    public var issues: [TopologyIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

extension Topology {
    /// The scenario to use: the named one, or the implicit default; an error lists the choices.
    public func scenarioNamed(_ name: String?) throws -> Scenario {
        let names = scenarios.map(\.name).joined(separator: ", ")
        guard let chosen = name ?? implicitScenario else {
            throw ResolveError(issues: [TopologyIssue(path: "defaultScenario", message: "no scenario named and no default: pass --scenario with one of \(names), or set \"defaultScenario\"")])
        }
        guard let scenario = scenario(chosen) else {
            throw ResolveError(issues: [TopologyIssue(path: "scenarios", message: "unknown scenario \"\(chosen)\"\(didYouMean(chosen, among: scenarios.map(\.name))) (scenarios: \(names))")])
        }
        return scenario
    }
}

/// `resolve(topology, scenario) → Plan`: pure and deterministic.
public func resolve(_ topology: Topology, scenario name: String? = nil) throws -> Plan {
    let scenario = try topology.scenarioNamed(name)
    let d = Diagnostics()
    guard let plan = Resolver(topology: topology, scenario: scenario, diagnostics: d).resolve(), d.isEmpty else {
        throw ResolveError(issues: d.issues)
    }
    return plan
}

struct Resolver {
    let topology: Topology
    let scenario: Scenario
    let d: Diagnostics

    init(topology: Topology, scenario: Scenario, diagnostics: Diagnostics) {
        self.topology = topology
        self.scenario = scenario
        self.d = diagnostics
    }

    private var scenarioPath: String { "scenarios.\(scenario.name)" }

    private func fail(_ path: String, _ message: String) {
        d.error(path, "in scenario \"\(scenario.name)\": \(message)")
    }

    /// A service's data placement under this scenario.
    struct Placement {
        var engine: Engine
        var server: Server
    }

    private func placement(of service: Service) -> Placement? {
        guard let db = service.database else { return nil }
        let named = db.server.flatMap { topology.server($0) }
        let engine = scenario.engines[service.name] ?? named?.engine ?? .postgres
        if let named, named.engine == engine { return Placement(engine: engine, server: named) }
        let candidates = topology.servers.filter { $0.engine == engine }
        let movedPath = scenario.engines[service.name] != nil ? "\(scenarioPath).engines.\(service.name)" : "services.\(service.name).database"
        if candidates.count == 1 { return Placement(engine: engine, server: candidates[0]) }
        if candidates.isEmpty {
            fail(movedPath, "service \"\(service.name)\" needs a \(engine.rawValue) server, but no server has \"engine\": \"\(engine.rawValue)\"; add one to \"servers\"")
        } else {
            fail(movedPath, "there are several \(engine.rawValue) servers (\(candidates.map(\.name).joined(separator: ", "))); name one with \"database\": { \"server\": … }")
        }
        return nil
    }

    /// Mutable per-server state while resolving.
    final class ServerBuilder {
        var server: PlannedServer
        var roles: [String: PlannedRole] = [:]
        var databases: [String: PlannedDatabase] = [:]
        var clients = Set<String>()
        init(_ server: PlannedServer) { self.server = server }
    }

    func resolve() -> Plan? {
        let tenants: [String?] = scenario.layout == .perTenant ? topology.tenants.map { Optional($0) } : [nil]
        let project = sqlName(topology.project)

        // Which server holds each service's data (dedicated servers are derived per service).
        var placements: [String: Placement] = [:]
        for service in topology.services {
            guard var p = placement(of: service) else { continue }
            if scenario.servers == .dedicated {
                let siblings = topology.services.filter { other in
                    other.database != nil && placement(of: other).map { $0.server.name == p.server.name } == true
                }
                let offset = siblings.firstIndex { $0.name == service.name } ?? 0
                p.server = Server(name: "\(p.server.name)-\(service.name)", engine: p.engine, version: p.server.version,
                                  port: p.server.port + offset, image: p.server.image)
            }
            placements[service.name] = p
        }
        guard d.isEmpty else { return nil }

        var builders: [String: ServerBuilder] = [:]
        func builder(_ server: Server) -> ServerBuilder {
            if let b = builders[server.name] { return b }
            let superuser: String? = server.engine == .redis ? nil : (server.engine == .postgres ? "postgres" : "root")
            let b = ServerBuilder(PlannedServer(
                name: server.name, engine: server.engine, version: server.version, image: server.image, port: server.port,
                containerPort: server.engine.containerPort, superuser: superuser,
                superuserSecret: superuser == nil ? nil : SecretRef(variable: "\(envName(server.name))_SUPERUSER_PASSWORD"),
                redisDatabases: nil, roles: [], databases: [], clients: []))
            builders[server.name] = b
            return b
        }
        if scenario.servers == .dedicated {
            for name in Set(placements.values.map(\.server.name)) where topology.server(name) != nil {
                fail(scenarioPath + ".servers", "the dedicated server for a service would be named \"\(name)\", which is already a server's name")
            }
        }

        func roleSecret(_ role: String) -> SecretRef {
            SecretRef(variable: envName(role.hasSuffix("_user") ? String(role.dropLast(5)) : role) + "_DB_PASSWORD")
        }
        func addRole(_ b: ServerBuilder, _ name: String, instance: String?, readOnly: Bool = false) {
            if b.roles[name] == nil {
                b.roles[name] = PlannedRole(name: name, secret: readOnly ? SecretRef(variable: "ANALYTICS_ROLE_PASSWORD") : roleSecret(name),
                                            instance: instance, readOnly: readOnly)
            }
        }
        func emptyDatabase(_ name: String, owner: String?, tenant: String?) -> PlannedDatabase {
            PlannedDatabase(name: name, owner: owner, instances: [], tenant: tenant, connect: [], extensions: [], schemas: [],
                            publicCreate: [], searchPaths: [], schemaReaders: [], tableReads: [])
        }

        // Instances and their data.
        var instances: [ServiceInstance] = []
        var accessByInstance: [String: DatabaseAccess] = [:]
        let redisTenantCount = max(tenants.count, 1)
        for (tenantIndex, tenant) in tenants.enumerated() {
            for service in topology.services {
                let instanceName = tenant.map { "\(service.name)-\($0)" } ?? service.name
                let idBase = tenant.map { "\(sqlName($0))_\(sqlName(service.name))" } ?? sqlName(service.name)
                var access: DatabaseAccess?
                if let db = service.database, let p = placements[service.name] {
                    let b = builder(p.server)
                    let role = "\(idBase)_user"
                    addRole(b, role, instance: instanceName)
                    b.clients.insert(instanceName)
                    var dbName: String
                    var schema: String?
                    var prefix: String?
                    switch scenario.layout {
                    case .singleDB where p.engine == .postgres:
                        dbName = "\(project)_db"
                        if scenario.isolation == .schema { schema = sqlName(service.name) } else { prefix = "\(sqlName(service.name))_" }
                    case .perTenant:
                        dbName = "\(idBase)_db"
                    default:
                        dbName = db.name ?? "\(idBase)_db"
                    }
                    var database = b.databases[dbName] ?? emptyDatabase(dbName, owner: nil, tenant: tenant)
                    if scenario.layout == .singleDB && p.engine == .postgres {
                        database.owner = nil
                    } else {
                        if let owner = database.owner, owner != role {
                            fail("services.\(service.name).database.name", "database \"\(dbName)\" is also owned by \(owner); give each service its own database")
                        }
                        database.owner = role
                    }
                    database.instances.append(instanceName)
                    database.connect.append(role)
                    for ext in db.extensions where !database.extensions.contains(ext) { database.extensions.append(ext) }
                    if let schema {
                        database.schemas.append(PlannedSchema(name: schema, owner: role))
                        database.searchPaths.append(RoleSearchPath(role: role, schemas: [schema, "public"]))
                    }
                    if prefix != nil { database.publicCreate.append(role) }
                    b.databases[dbName] = database
                    let scheme = urlScheme(db.urlScheme, for: p.engine)
                    access = DatabaseAccess(server: p.server.name, engine: p.engine, database: dbName, schema: schema, tablePrefix: prefix,
                                            role: role, secret: roleSecret(role), urlScheme: scheme, pool: db.pool, extensions: db.extensions)
                    accessByInstance[instanceName] = access
                    if p.engine != .postgres && !db.extensions.isEmpty {
                        fail("services.\(service.name).database.extensions", "extensions are PostgreSQL's; service \"\(service.name)\" runs on \(p.engine.rawValue) here")
                    }
                }
                var redis: RedisSlot?
                if let index = service.redisIndex, let serverName = service.redisServer, let server = topology.server(serverName) {
                    let slot = index * redisTenantCount + tenantIndex
                    redis = RedisSlot(server: serverName, index: slot)
                    builder(server).clients.insert(instanceName)
                }
                let port = service.port.map { $0 + tenantIndex * scenario.portStride }
                instances.append(ServiceInstance(
                    name: instanceName, service: service.name, tenant: tenant, port: port, path: service.path, image: service.image,
                    command: service.command, migrate: service.migrate, health: service.health, seed: service.seed,
                    database: access, redis: redis,
                    dependsOn: service.dependsOn.map { dep in tenant.map { "\(dep)-\($0)" } ?? dep }.sorted(),
                    reads: [], envFile: tenant.map { "env/\(service.name).\($0).env" } ?? "env/\(service.name).env", environment: []))
            }
        }

        // `reads`: the reader's role on the target's server, CONNECT, schema USAGE, table SELECT.
        for i in instances.indices {
            let service = topology.service(instances[i].service)!
            for (target, tables) in service.reads {
                let targetInstance = instances[i].tenant.map { "\(target)-\($0)" } ?? target
                guard let targetAccess = accessByInstance[targetInstance] else { continue }
                guard targetAccess.engine == .postgres else {
                    fail("services.\(service.name).reads.\(target)", "service \"\(target)\" runs on \(targetAccess.engine.rawValue) here; table reads are granted on PostgreSQL only")
                    continue
                }
                let b = builders[targetAccess.server]!
                let role = instances[i].tenant.map { "\(sqlName($0))_\(sqlName(service.name))_user" } ?? "\(sqlName(service.name))_user"
                addRole(b, role, instance: instances[i].name)
                b.clients.insert(instances[i].name)
                var database = b.databases[targetAccess.database]!
                if !database.connect.contains(role) { database.connect.append(role) }
                let schema = targetAccess.schema ?? "public"
                let realTables = tables.map { (targetAccess.tablePrefix ?? "") + $0 }
                for table in realTables { database.tableReads.append(TableRead(role: role, schema: schema, table: table)) }
                b.databases[targetAccess.database] = database
                instances[i].reads.append(ReadAccess(service: target, instance: targetInstance, server: targetAccess.server,
                                                     database: targetAccess.database, schema: schema, tables: realTables,
                                                     role: role, secret: roleSecret(role)))
            }
        }

        // The analytics role: SELECT on every service's tables, nothing else.
        if scenario.analytics {
            for b in builders.values where b.server.engine != .redis {
                addRole(b, "analytics", instance: nil, readOnly: true)
                for (name, var database) in b.databases {
                    database.connect.append("analytics")
                    if b.server.engine == .postgres {
                        if database.schemas.isEmpty {
                            let owners = database.publicCreate.isEmpty ? [database.owner].compactMap { $0 } : database.publicCreate
                            database.schemaReaders.append(SchemaReader(role: "analytics", schema: "public", owners: owners.sorted()))
                        } else {
                            for schema in database.schemas {
                                database.schemaReaders.append(SchemaReader(role: "analytics", schema: schema.name, owners: [schema.owner]))
                            }
                        }
                    }
                    b.databases[name] = database
                }
            }
        }

        // Redis servers: enough logical databases for every slot.
        for instance in instances {
            guard let slot = instance.redis, let b = builders[slot.server] else { continue }
            b.server.redisDatabases = max(b.server.redisDatabases ?? 16, slot.index + 1)
        }

        // Freeze servers, sorted.
        var servers: [PlannedServer] = []
        for b in builders.values.sorted(by: { $0.server.name < $1.server.name }) {
            var s = b.server
            s.roles = b.roles.values.sorted { $0.name < $1.name }
            s.databases = b.databases.values.map { db in
                var db = db
                db.instances.sort()
                db.connect = Array(Set(db.connect)).sorted()
                db.extensions.sort()
                db.schemas.sort { $0.name < $1.name }
                db.publicCreate.sort()
                db.searchPaths.sort { $0.role < $1.role }
                db.schemaReaders.sort { ($0.schema, $0.role) < ($1.schema, $1.role) }
                db.tableReads.sort { ($0.schema, $0.table, $0.role) < ($1.schema, $1.table, $1.role) }
                return db
            }.sorted { $0.name < $1.name }
            s.clients = b.clients.sorted()
            servers.append(s)
        }

        checkIdentifiers(servers)
        checkPorts(servers, instances)
        checkComposeNames(servers, instances)

        // Environment per instance, then start order.
        let serverByName = Dictionary(uniqueKeysWithValues: servers.map { ($0.name, $0) })
        let instanceByName = Dictionary(uniqueKeysWithValues: instances.map { ($0.name, $0) })
        for i in instances.indices {
            instances[i].environment = environment(for: instances[i], servers: serverByName, instances: instanceByName)
        }
        instances = startOrder(instances)

        let plan = Plan(project: topology.project, scenario: scenario.name, layout: scenario.layout,
                        isolation: scenario.layout == .singleDB ? scenario.isolation : nil, secrets: scenario.secrets,
                        analytics: scenario.analytics, servers: servers, instances: instances,
                        backups: backupPlan(servers))
        return d.isEmpty ? plan : nil
    }

    /// A service's `urlScheme` applies while its data is on the engine the scheme names
    /// (`postgresql+asyncpg` on PostgreSQL); a scenario that moves it to another engine gets
    /// that engine's plain scheme.
    private func urlScheme(_ requested: String?, for engine: Engine) -> String {
        let plain = engine == .postgres ? "postgresql" : engine.rawValue
        guard let requested else { return plain }
        let family = requested.split(separator: "+").first.map(String.init) ?? requested
        let matches: Bool
        switch engine {
        case .postgres: matches = family == "postgresql" || family == "postgres"
        case .mysql: matches = family == "mysql" || family == "mariadb"
        case .mongodb: matches = family == "mongodb"
        case .redis: matches = false
        }
        return matches ? requested : plain
    }

    // MARK: - Checks that need the whole plan

    private func pathFor(instance: String) -> String {
        let service = topology.services.first { instance == $0.name || instance.hasPrefix($0.name + "-") && topology.tenants.contains(String(instance.dropFirst($0.name.count + 1))) }
        return service.map { "services.\($0.name)" } ?? scenarioPath
    }

    /// PostgreSQL truncates identifiers at 63 bytes and MySQL user names at 32: reject, never truncate.
    private func checkIdentifiers(_ servers: [PlannedServer]) {
        var reported = Set<String>()
        for s in servers {
            let limit = s.engine == .mysql ? 32 : 63
            let names = s.roles.map { ($0.name, $0.instance) } + s.databases.map { ($0.name, $0.instances.first) }
            for (name, instance) in names where name.utf8.count > (s.engine == .mysql ? min(limit, 64) : limit) && reported.insert(name).inserted {
                fail(instance.map(pathFor(instance:)) ?? scenarioPath, "the generated name \"\(name)\" is longer than \(limit) bytes, the \(s.engine.rawValue) limit; use shorter service or tenant names")
            }
            if s.engine == .postgres {
                for r in s.roles where r.name.hasPrefix("pg_") && reported.insert(r.name).inserted {
                    fail(r.instance.map(pathFor(instance:)) ?? scenarioPath, "the role name \"\(r.name)\" starts with \"pg_\", which PostgreSQL reserves; rename the service or tenant")
                }
            }
        }
        // Different tenant × service pairs that give the same identifiers.
        for s in servers {
            var seen: [String: String] = [:]
            for r in s.roles where !r.readOnly {
                guard let inst = r.instance else { continue }
                if let other = seen[r.name], other != inst {
                    fail(pathFor(instance: inst), "instances \"\(other)\" and \"\(inst)\" both get the role \"\(r.name)\"; rename a service or tenant")
                }
                seen[r.name] = inst
            }
        }
    }

    private func checkPorts(_ servers: [PlannedServer], _ instances: [ServiceInstance]) {
        var used: [Int: String] = [:]
        func claim(_ port: Int, _ what: String, _ path: String) {
            if !(1...65535).contains(port) {
                fail(path, "\(what) would listen on port \(port), outside 1-65535")
            } else if let other = used[port] {
                fail(path, "port \(port) of \(what) is also used by \(other)")
            } else {
                used[port] = what
            }
        }
        for s in servers {
            let path = topology.server(s.name) != nil ? "servers.\(s.name).port" : "\(scenarioPath).servers"
            claim(s.port, "server \"\(s.name)\"", path)
        }
        for i in instances {
            guard let port = i.port else { continue }
            claim(port, "service \"\(i.name)\"", i.tenant == nil ? "services.\(i.service).port" : "\(scenarioPath).portStride")
        }
    }

    private func checkComposeNames(_ servers: [PlannedServer], _ instances: [ServiceInstance]) {
        var used: [String: String] = [:]
        func claim(_ name: String, _ what: String, _ path: String) {
            if let other = used[name] { fail(path, "the compose service \"\(name)\" (\(what)) collides with \(other); rename one") }
            used[name] = what
        }
        for s in servers {
            claim(s.name, "server", "servers.\(s.name)")
            if s.engine == .postgres { claim("\(s.name)-provision", "provisioning of server \(s.name)", "servers.\(s.name)") }
            if s.databases.contains(where: { !$0.tableReads.isEmpty }) { claim("\(s.name)-grants", "grants of server \(s.name)", "servers.\(s.name)") }
        }
        for i in instances {
            claim(i.name, "service", "services.\(i.service)")
            if i.migrate != nil { claim("\(i.name)-migrate", "migration of \(i.name)", "services.\(i.service).migrate") }
        }
    }

    // MARK: - Environment

    private func url(_ scheme: String, role: String, secret: SecretRef, host: String, port: Int, database: String, engine: Engine) -> EnvValue {
        var tail = "@\(host):\(port)/\(database)"
        if engine == .mongodb { tail += "?authSource=\(database)" }
        return EnvValue([.text("\(scheme)://\(role):"), .secret(secret, inURL: true), .text(tail)])
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
                url(db.urlScheme, role: db.role, secret: db.secret, host: "127.0.0.1", port: server.port, database: db.database, engine: db.engine),
                url(db.urlScheme, role: db.role, secret: db.secret, host: server.name, port: server.containerPort, database: db.database, engine: db.engine))
            add("DB_HOST", .text("127.0.0.1"), .text(server.name))
            add("DB_PORT", .text(String(server.port)), .text(String(server.containerPort)))
            add("DB_NAME", db.database)
            add("DB_USER", db.role)
            add("DB_PASSWORD", EnvValue([.secret(db.secret, inURL: false)]))
            if let schema = db.schema { add("DB_SCHEMA", schema) }
            if let prefix = db.tablePrefix { add("TABLE_PREFIX", prefix) }
            add("DB_POOL_SIZE", String(db.pool.size))
            add("DB_MAX_OVERFLOW", String(db.pool.maxOverflow))
            add("DB_POOL_TIMEOUT", String(db.pool.timeout))
        }
        if let slot = instance.redis, let server = servers[slot.server] {
            add("REDIS_URL", .text("redis://127.0.0.1:\(server.port)/\(slot.index)"), .text("redis://\(server.name):\(server.containerPort)/\(slot.index)"))
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
            // The reader's code uses the URL: its own driver's scheme, when that is a PostgreSQL one.
            let scheme = urlScheme(topology.service(instance.service)?.database?.urlScheme, for: .postgres)
            add("\(envName(read.service))_READ_DATABASE_URL",
                url(scheme, role: read.role, secret: read.secret, host: "127.0.0.1", port: server.port, database: read.database, engine: .postgres),
                url(scheme, role: read.role, secret: read.secret, host: server.name, port: server.containerPort, database: read.database, engine: .postgres))
        }
        return env
    }

    /// Dependencies first; among the ready ones, by name (Kahn's algorithm; cycles were rejected).
    private func startOrder(_ instances: [ServiceInstance]) -> [ServiceInstance] {
        var remaining = instances.sorted { $0.name < $1.name }
        var done = Set<String>()
        var ordered: [ServiceInstance] = []
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { $0.dependsOn.allSatisfy(done.contains) }) else {
                ordered += remaining
                break
            }
            let instance = remaining.remove(at: next)
            done.insert(instance.name)
            ordered.append(instance)
        }
        return ordered
    }

    // MARK: - Backups

    private func backupPlan(_ servers: [PlannedServer]) -> BackupPlan {
        var targets: [BackupTarget] = []
        for s in servers {
            switch s.engine {
            case .postgres:
                for db in s.databases {
                    if db.schemas.isEmpty {
                        targets.append(BackupTarget(kind: .pgDump, server: s.name, name: db.name, database: db.name, schema: nil, fileExtension: "dump"))
                    } else {
                        for schema in db.schemas {
                            targets.append(BackupTarget(kind: .pgDump, server: s.name, name: "\(db.name).\(schema.name)", database: db.name, schema: schema.name, fileExtension: "dump"))
                        }
                    }
                }
            case .redis:
                targets.append(BackupTarget(kind: .redisRDB, server: s.name, name: s.name, database: nil, schema: nil, fileExtension: "rdb"))
            case .mysql:
                for db in s.databases {
                    targets.append(BackupTarget(kind: .mysqldump, server: s.name, name: db.name, database: db.name, schema: nil, fileExtension: "sql.gz"))
                }
            case .mongodb:
                for db in s.databases {
                    targets.append(BackupTarget(kind: .mongodump, server: s.name, name: db.name, database: db.name, schema: nil, fileExtension: "archive.gz"))
                }
            }
        }
        return BackupPlan(schedule: topology.backups.schedule, keepDays: topology.backups.keepDays, dir: topology.backups.dir, targets: targets)
    }
}
