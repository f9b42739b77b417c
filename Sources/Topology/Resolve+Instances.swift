extension Resolver {
    /// The service instances of the scenario with their data: roles and databases on the servers
    /// that hold them, the Redis slot, the port. Returns the database access of each instance too.
    func makeInstances(_ placements: [String: Placement], _ builders: ServerBuilders) -> (instances: [ServiceInstance], access: [String: DatabaseAccess]) {
        var instances: [ServiceInstance] = []
        var accessByInstance: [String: DatabaseAccess] = [:]
        let tenants = self.tenants
        let redisTenantCount = max(tenants.count, 1)
        for (tenantIndex, tenant) in tenants.enumerated() {
            for service in services {
                // A shared service runs once, as the first tenant's instance without a tenant.
                if scenario.isShared(service.name) && tenantIndex > 0 { continue }
                let tenant = scenario.isShared(service.name) ? nil : tenant
                let instanceName = self.instanceName(service.name, tenant: tenant)
                var access: DatabaseAccess?
                if let db = service.database, let p = placements[service.name] {
                    access = provisionDatabase(db, of: service, on: p, instance: instanceName, tenant: tenant, builders)
                    accessByInstance[instanceName] = access
                }
                var redis: RedisSlot?
                let redisOverride = scenario.redis[service.name]
                if let index = redisOverride?.index ?? service.redisIndex, let serverName = redisOverride?.server ?? service.redisServer, let server = topology.server(serverName) {
                    let slot = index * redisTenantCount + tenantIndex
                    redis = RedisSlot(server: serverName, index: slot)
                    builders.builder(server).clients.insert(instanceName)
                }
                let port = service.port.map { $0 + tenantIndex * scenario.portStride }
                instances.append(ServiceInstance(
                    name: instanceName, service: service.name, tenant: tenant, port: port, path: service.path, image: service.image,
                    command: service.command, migrate: service.migrate, health: service.health, seed: service.seed,
                    database: access, redis: redis,
                    dependsOn: service.dependsOn.map { self.instanceName($0, tenant: tenant) }.sorted(),
                    reads: [], envFile: tenant.map { "env/\(service.name).\($0).env" } ?? "env/\(service.name).env", environment: []))
            }
        }
        return (instances, accessByInstance)
    }

    /// The instance's role and database (or schema, or table prefix) per the layout, on its server.
    private func provisionDatabase(_ db: DatabaseNeed, of service: Service, on p: Placement, instance instanceName: String,
                                   tenant: String?, _ builders: ServerBuilders) -> DatabaseAccess {
        let idBase = tenant.map { "\(sqlName($0))_\(sqlName(service.name))" } ?? sqlName(service.name)
        let b = builders.builder(p.server)
        let role = roleName(of: service, tenant: tenant)
        b.addRole(role, instance: instanceName)
        b.clients.insert(instanceName)
        var dbName: String
        var schema: String?
        var prefix: String?
        let shared = sharesTheDatabase(service, p)
        switch scenario.layout {
        case .singleDB where shared:
            dbName = scenario.database ?? "\(sqlName(topology.project))_db"
            switch scenario.isolation {
            case .schema: schema = db.schema ?? sqlName(service.name)
            case .prefix: prefix = "\(sqlName(service.name))_"
            case .shared: break
            }
        case .perTenant:
            dbName = "\(idBase)_db"
        default:
            dbName = db.name ?? "\(idBase)_db"
        }
        var database = b.databases[dbName] ?? .empty(dbName, owner: nil, tenant: tenant)
        if shared {
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
        if prefix != nil || (shared && scenario.isolation == .shared) { database.publicCreate.append(role) }
        let tables = service.tables.map { (prefix ?? "") + $0 }
        if !tables.isEmpty {
            database.tableOwners = (database.tableOwners ?? []) + tables.map { TableOwner(schema: schema ?? "public", table: $0, owner: role) }
        }
        b.databases[dbName] = database
        if p.engine != .postgres && !db.extensions.isEmpty {
            fail("services.\(service.name).database.extensions", "extensions are PostgreSQL's; service \"\(service.name)\" runs on \(p.engine.rawValue) here")
        }
        let scheme = urlScheme(db, for: p.engine)
        return DatabaseAccess(server: p.server.name, engine: p.engine, database: dbName, schema: schema, tablePrefix: prefix,
                              role: role, secret: roleSecret(role), urlScheme: scheme, pool: db.pool, extensions: db.extensions,
                              tables: tables.isEmpty ? nil : tables)
    }

    /// single-db on PostgreSQL puts the service in the project's database, unless `separate`
    /// names it.
    func sharesTheDatabase(_ service: Service, _ p: Placement) -> Bool {
        scenario.layout == .singleDB && p.engine == .postgres && !scenario.separate.contains(service.name)
    }
}
