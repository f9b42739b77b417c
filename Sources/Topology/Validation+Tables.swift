/// `tables` of a service, `separate` and `isolation: none` of a scenario.
extension Validator {
    /// A service's `tables`: plain identifiers, each once; sorted.
    func serviceTables(_ s: ServiceSpec, of name: String, path: String) -> [String] {
        guard let tables = s.tables else { return [] }
        let p = path + ".tables"
        if s.database == nil && !malformed.contains(path) {
            d.error(p, "service \"\(name)\" owns no database, so it owns no tables (add \"database\": {} to it)")
        }
        for (i, table) in tables.enumerated() where !Validator.isPlainIdentifier(table) {
            d.error("\(p)[\(i)]", "table name \"\(table)\" is invalid: use lowercase letters, digits and '_', starting with a letter")
        }
        if Set(tables).count != tables.count {
            let dup = Dictionary(grouping: tables, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            d.error(p, "lists \(quoted(dup)) more than once")
        }
        return Array(Set(tables)).sorted()
    }

    /// A table declared by two services; a `reads` of a table its owner does not declare.
    func checkTableOwners() {
        var owner: [String: String] = [:]
        for (name, s) in specServices {
            for (i, table) in (s.tables ?? []).enumerated() {
                if let other = owner[table], other != name {
                    d.error("services.\(name).tables[\(i)]", "table \"\(table)\" is also declared by service \"\(other)\"; a table has one owner")
                } else {
                    owner[table] = name
                }
            }
        }
        for (name, s) in specServices {
            for (target, tables) in (s.reads ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let declared = spec.services?[target]?.tables, !declared.isEmpty else { continue }
                for (i, table) in tables.enumerated() where !declared.contains(table) {
                    d.error("services.\(name).reads.\(target)[\(i)]", "service \"\(target)\" declares no table \"\(table)\"\(didYouMean(table, among: declared)) (its tables: \(declared.sorted().joined(separator: ", ")))")
                }
            }
        }
    }

    /// `separate`: services that own a database, for the single-db layout; sorted.
    func scenarioSeparate(_ s: ScenarioSpec, layout: Layout, path: String) -> [String] {
        guard let separate = s.separate else { return [] }
        let p = path + ".separate"
        if layout != .singleDB { d.error(p, "applies only to the single-db layout, not \(layout.rawValue)") }
        for (i, svc) in separate.enumerated() {
            guard let service = spec.services?[svc] else {
                d.error("\(p)[\(i)]", "unknown service \"\(svc)\"\(didYouMean(svc, among: serviceNames))")
                continue
            }
            if service.database == nil && !malformed.contains(jsonPath("services", svc)) {
                d.error("\(p)[\(i)]", "service \"\(svc)\" owns no database to separate")
            }
        }
        if Set(separate).count != separate.count { d.error(p, "lists a service twice") }
        return Array(Set(separate)).sorted()
    }

    /// `isolation: none` puts every service's tables in one schema: each PostgreSQL service that
    /// stays in the shared database must say which tables are its own.
    func checkDeclaredTables(scenario name: String, engines: [String: Engine], separate: [String], servers: [Server]) {
        for (service, s) in specServices where s.database != nil && !separate.contains(service) && (s.tables ?? []).isEmpty {
            let engine = engines[service] ?? s.database?.server.flatMap { server in servers.first { $0.name == server }?.engine } ?? .postgres
            guard engine == .postgres, !malformed.contains(jsonPath("services", service)) else { continue }
            d.error(jsonPath("services", service) + ".tables", "missing: scenario \"\(name)\" has \"isolation\": \"none\" (one schema for every service), so service \"\(service)\" must list the tables it owns, e.g. \"tables\": [\"users\"]",
                    at: d.keyPositions[jsonPath("services", service)])
        }
    }
}
