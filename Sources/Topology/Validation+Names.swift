/// Names a topology chooses instead of the derived ones: a single-db scenario's database.
extension Validator {
    /// `scenarios.<s>.database`: a plain identifier, not a system database, single-db only.
    func validateScenarioNames(_ s: ScenarioSpec, into scenario: inout Scenario, path: String) {
        guard let database = s.database else { return }
        let p = path + ".database"
        if scenario.layout != .singleDB {
            d.error(p, "applies only to the single-db layout, not \(scenario.layout.rawValue); name a service's own database with \"services.<svc>.database.name\"")
        } else if !Validator.isPlainIdentifier(database) {
            d.error(p, "database name \"\(database)\" is invalid: use lowercase letters, digits and '_', starting with a letter, at most 63 characters")
        } else if Validator.systemDatabases.contains(database) {
            d.error(p, "\"\(database)\" is a system database of PostgreSQL, MySQL or MongoDB; name the scenario's own database")
        }
        scenario.database = database
    }

    /// `scenarios.<s>.serverNames`: dedicated servers only; known services that own a database;
    /// valid names, distinct, not a declared server's or a service's.
    func validateServerNames(_ s: ScenarioSpec, into scenario: inout Scenario, path: String) {
        guard let names = s.serverNames else { return }
        let p = path + ".serverNames"
        if scenario.servers != .dedicated {
            d.error(p, "applies only with \"servers\": \"dedicated\" (each service on a server of its own)")
        }
        var seen: [String: String] = [:]
        for (service, server) in names.sorted(by: { $0.key < $1.key }) {
            let at = jsonPath(p, service)
            guard let serviceSpec = spec.services?[service] else {
                d.error(at, "unknown service \"\(service)\"\(didYouMean(service, among: serviceNames))", at: d.keyPositions[at])
                continue
            }
            if serviceSpec.database == nil && !malformed.contains(jsonPath("services", service)) {
                d.error(at, "service \"\(service)\" owns no database, so it gets no server")
                continue
            }
            checkName(server, at, what: "server", isKey: false)
            if let other = seen[server] {
                d.error(at, "\"\(server)\" is also the server name of service \"\(other)\"; each dedicated server needs its own name")
            } else if declaredServers.contains(server) {
                d.error(at, "\"\(server)\" is already a server in \"servers\"; a dedicated server needs a new name")
            } else if knownServices.contains(server) {
                d.error(at, "\"\(server)\" is a service's name; compose needs distinct names")
            }
            seen[server] = seen[server] ?? service
        }
        scenario.serverNames = names
    }

    /// A service's `database.name` is not used by a single-db scenario that keeps the service on
    /// PostgreSQL: all such services share the scenario's database.
    func ignoredDatabaseNameWarnings(_ services: [Service], _ scenarios: [Scenario]) -> [TopologyWarning] {
        var warnings: [TopologyWarning] = []
        for scenario in scenarios where scenario.layout == .singleDB {
            for service in services {
                guard let db = service.database, db.name != nil else { continue }
                let engine = scenario.engines[service.name] ?? db.server.flatMap { spec.servers?[$0]?.engine }.flatMap(Engine.init(rawValue:)) ?? .postgres
                guard engine == .postgres else { continue }
                let shared = scenario.database ?? "\(sqlName(spec.project ?? ""))_db"
                warnings.append(.databaseNameIgnored(service: service.name, scenario: scenario.name, database: shared))
            }
        }
        return warnings
    }
}

/// Role names PostgreSQL or MySQL reserve, or ovudev uses itself.
let reservedRoleNames: Set<String> = ["postgres", "root", "public", "none", "analytics", "mysql", "current_user", "session_user",
                                      "current_role", "mariadb.sys", "pg_database_owner"]

extension Validator {
    /// `database.role` and `database.schema`: plain identifiers, not reserved, not a system schema.
    func validateDatabaseNames(_ db: DatabaseSpec, into need: inout DatabaseNeed, path: String) {
        if let role = db.role {
            if !Validator.isPlainIdentifier(role) {
                d.error(path + ".role", "role name \"\(role)\" is invalid: use lowercase letters, digits and '_', starting with a letter, at most 63 characters")
            } else if role.hasPrefix("pg_") || reservedRoleNames.contains(role) {
                d.error(path + ".role", "\"\(role)\" is a name PostgreSQL, MySQL or ovudev reserves; choose another role name")
            }
            need.role = role
        }
        if let schema = db.schema {
            if !Validator.isPlainIdentifier(schema) {
                d.error(path + ".schema", "schema name \"\(schema)\" is invalid: use lowercase letters, digits and '_', starting with a letter, at most 63 characters")
            } else if schema.hasPrefix("pg_") || Validator.systemSchemas.contains(schema) {
                d.error(path + ".schema", "\"\(schema)\" is a schema every PostgreSQL database already has; choose the service's own schema")
            }
            need.schema = schema
        }
        need.params = validateParams(db.params, path + ".params")
        for (key, scheme) in (db.urlSchemes ?? [:]).sorted(by: { $0.key < $1.key }) {
            let at = jsonPath(path + ".urlScheme", key)
            guard let engine = Engine(rawValue: key), engine.holdsDatabases else {
                d.error(at, "unknown database engine \"\(key)\"\(didYouMean(key, among: ["postgres", "mysql", "mongodb"])) (allowed: postgres, mysql, mongodb)", at: d.keyPositions[at])
                continue
            }
            if !isURLScheme(scheme) {
                d.error(at, "\"\(scheme)\" is not a URL scheme (letters, digits, '+', '.', '-', starting with a letter)")
            }
            need.urlSchemes[engine] = scheme
        }
    }

    /// The role of a service as resolved without tenant: its `database.role`, else `<svc>_user`.
    func effectiveRole(_ name: String, _ s: ServiceSpec) -> String { s.database?.role ?? "\(sqlName(name))_user" }

    /// Two services with one role, one password variable or one schema.
    func checkRoleAndSchemaCollisions() {
        var roles: [String: String] = [:], secrets: [String: String] = [:], schemas: [String: String] = [:]
        for (name, s) in specServices where s.database != nil || !(s.reads ?? [:]).isEmpty {
            let role = effectiveRole(name, s)
            let at = s.database?.role != nil ? jsonPath("services", name) + ".database.role" : jsonPath("services", name)
            if let other = roles[role] {
                d.error(at, "the role \"\(role)\" is also service \"\(other)\"'s; give each service its own role")
            } else if let other = secrets[roleSecret(role).variable] {
                d.error(at, "the role \"\(role)\" would keep its password in \(roleSecret(role).variable), as service \"\(other)\"'s role does; choose another role name")
            }
            roles[role] = roles[role] ?? name
            secrets[roleSecret(role).variable] = secrets[roleSecret(role).variable] ?? name
            guard s.database != nil else { continue }
            let schema = s.database?.schema ?? sqlName(name)
            if let other = schemas[schema] {
                d.error(jsonPath("services", name) + (s.database?.schema != nil ? ".database.schema" : ""),
                        "the schema \"\(schema)\" is also service \"\(other)\"'s; give each service its own schema")
            }
            schemas[schema] = schemas[schema] ?? name
        }
    }
}

extension Resolver {
    /// A service's role on a server: `database.role` or `<svc>_user`, prefixed by the tenant.
    func roleName(of service: Service, tenant: String?) -> String {
        let base = service.database?.role ?? "\(sqlName(service.name))_user"
        return tenant.map { "\(sqlName($0))_\(base)" } ?? base
    }
}
