/// Mutable per-server state while resolving.
final class ServerBuilder {
    var server: PlannedServer
    var roles: [String: PlannedRole] = [:]
    var databases: [String: PlannedDatabase] = [:]
    var clients = Set<String>()
    init(_ server: PlannedServer) { self.server = server }

    func addRole(_ name: String, instance: String?, readOnly: Bool = false) {
        if roles[name] == nil {
            roles[name] = PlannedRole(name: name, secret: readOnly ? SecretRef(variable: "\(envName(name))_ROLE_PASSWORD") : roleSecret(name),
                                      instance: instance, readOnly: readOnly)
        }
    }

    /// The planned server: roles, databases and clients sorted.
    func frozen() -> PlannedServer {
        var s = server
        s.roles = roles.values.sorted { $0.name < $1.name }
        s.databases = databases.values.map { db in
            var db = db
            db.instances.sort()
            db.connect = Array(Set(db.connect)).sorted()
            db.extensions.sort()
            db.schemas.sort { $0.name < $1.name }
            db.publicCreate.sort()
            db.searchPaths.sort { $0.role < $1.role }
            db.schemaReaders.sort { ($0.schema, $0.role) < ($1.schema, $1.role) }
            db.tableReads.sort { ($0.schema, $0.table, $0.role) < ($1.schema, $1.table, $1.role) }
            db.tableOwners = db.tableOwners?.sorted { ($0.schema, $0.table) < ($1.schema, $1.table) }
            return db
        }.sorted { $0.name < $1.name }
        s.clients = clients.sorted()
        return s
    }
}

/// The servers a scenario uses, created on first use.
final class ServerBuilders {
    private(set) var byName: [String: ServerBuilder] = [:]

    subscript(name: String) -> ServerBuilder? { byName[name] }

    func builder(_ server: Server) -> ServerBuilder {
        if let b = byName[server.name] { return b }
        // An existing server's admin login comes from its admin URL, not from ovudev's secrets.
        let superuser: String? = server.engine == .redis || server.host != nil ? nil : (server.engine == .postgres ? "postgres" : "root")
        let b = ServerBuilder(PlannedServer(
            name: server.name, engine: server.engine, version: server.version, image: server.image, port: server.port,
            containerPort: server.host == nil ? server.engine.containerPort : server.port, superuser: superuser,
            superuserSecret: superuser == nil ? nil : SecretRef(variable: "\(envName(server.name))_SUPERUSER_PASSWORD"),
            redisDatabases: nil, roles: [], databases: [], clients: [],
            host: server.host, adminURLVariable: server.host == nil ? nil : adminURLVariable(server.name),
            params: server.params.isEmpty ? nil : server.params, maxConnections: server.maxConnections))
        byName[server.name] = b
        return b
    }

    /// Every server, sorted by name.
    func frozen() -> [PlannedServer] {
        byName.values.sorted(by: { $0.server.name < $1.server.name }).map { $0.frozen() }
    }
}

/// The secret of a role: `auth_user` → `AUTH_DB_PASSWORD`.
func roleSecret(_ role: String) -> SecretRef {
    SecretRef(variable: envName(role.hasSuffix("_user") ? String(role.dropLast(5)) : role) + "_DB_PASSWORD")
}

extension PlannedDatabase {
    static func empty(_ name: String, owner: String?, tenant: String?) -> PlannedDatabase {
        PlannedDatabase(name: name, owner: owner, instances: [], tenant: tenant, connect: [], extensions: [], schemas: [],
                        publicCreate: [], searchPaths: [], schemaReaders: [], tableReads: [])
    }
}

extension Resolver {
    // MARK: - Grants that need every instance

    /// `reads`: the reader's role on the target's server, CONNECT, schema USAGE, table SELECT.
    func grantReads(_ instances: inout [ServiceInstance], _ accessByInstance: [String: DatabaseAccess], _ builders: ServerBuilders) {
        for i in instances.indices {
            let service = topology.service(instances[i].service)!
            for (target, tables) in service.reads {
                let targetInstance = instanceName(target, tenant: instances[i].tenant)
                guard let targetAccess = accessByInstance[targetInstance] else { continue }
                guard targetAccess.engine == .postgres || targetAccess.engine == .mysql else {
                    fail("services.\(service.name).reads.\(target)", "service \"\(target)\" runs on \(targetAccess.engine.rawValue) here; table reads are granted on PostgreSQL and MySQL only")
                    continue
                }
                let mysql = targetAccess.engine == .mysql
                let b = builders[targetAccess.server]!
                let role = roleName(of: service, tenant: instances[i].tenant)
                b.addRole(role, instance: instances[i].name)
                b.clients.insert(instances[i].name)
                var database = b.databases[targetAccess.database]!
                // MySQL: no database-wide grant (it would be SELECT on every table), table grants only.
                if !mysql && !database.connect.contains(role) { database.connect.append(role) }
                let schema = targetAccess.schema ?? (mysql ? targetAccess.database : "public")
                let realTables = tables.map { (targetAccess.tablePrefix ?? "") + $0 }
                for table in realTables { database.tableReads.append(TableRead(role: role, schema: schema, table: table)) }
                b.databases[targetAccess.database] = database
                instances[i].reads.append(ReadAccess(service: target, instance: targetInstance, server: targetAccess.server,
                                                     database: targetAccess.database, schema: schema, tables: realTables,
                                                     role: role, secret: roleSecret(role)))
            }
        }
    }

    /// Redis servers: enough logical databases for every slot.
    func sizeRedisServers(_ instances: [ServiceInstance], _ builders: ServerBuilders) {
        for instance in instances {
            guard let slot = instance.redis, let b = builders[slot.server] else { continue }
            b.server.redisDatabases = max(b.server.redisDatabases ?? 16, slot.index + 1)
        }
    }
}
