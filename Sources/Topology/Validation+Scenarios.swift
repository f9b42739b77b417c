extension Validator {
    /// `tenants`: valid, distinct names, also as SQL names and joined with each service's name.
    func validateTenants() -> [String] {
        let tenants = spec.tenants ?? []
        for (i, tenant) in tenants.enumerated() { checkName(tenant, "tenants[\(i)]", what: "tenant", isKey: false) }
        if Set(tenants).count != tenants.count {
            let dup = Dictionary(grouping: tenants, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
            d.error("tenants", "lists \(quoted(dup)) more than once")
        }
        let tenantIds = checkTenantSQLNames(tenants)
        checkPerTenantNames(tenants, tenantIds)
        return tenants
    }

    /// Tenants that become the same SQL name; returns the first index of each SQL name.
    private func checkTenantSQLNames(_ tenants: [String]) -> [String: Int] {
        var tenantIds: [String: Int] = [:]
        for (i, tenant) in tenants.enumerated() {
            if let j = tenantIds[sqlName(tenant)], tenants[j] != tenant {
                d.error("tenants[\(i)]", "tenant \"\(tenant)\" and \"\(tenants[j])\" both become the SQL name \"\(sqlName(tenant))\"; rename one")
            }
            tenantIds[sqlName(tenant)] = i
        }
        return tenantIds
    }

    private func checkPerTenantNames(_ tenants: [String], _ tenantIds: [String: Int]) {
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
    }

    /// `backups`: the cron schedule, how many days to keep, the folder.
    func validateBackups() -> Backups {
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
            if let upload = b.upload { backups.upload = backupUpload(upload, path: "backups.upload") }
        }
        return backups
    }

    /// `scenarios`: at least one, each valid; `defaultScenario` names one of them.
    func validateScenarios(servers: [Server], tenants: [String]) -> [Scenario] {
        var scenarios: [Scenario] = []
        let specScenarios = (spec.scenarios ?? [:]).sorted(by: { $0.key < $1.key })
        if specScenarios.isEmpty {
            d.error("scenarios", "missing: declare at least one scenario, e.g. \"dev\": { \"layout\": \"single-db\" }")
        }
        for (name, s) in specScenarios {
            if let scenario = validateScenario(name, s, servers: servers, tenants: tenants) { scenarios.append(scenario) }
        }
        let scenarioNames = specScenarios.map(\.key)
        if let def = spec.defaultScenario, !scenarioNames.contains(def) {
            d.error("defaultScenario", "unknown scenario \"\(def)\"\(didYouMean(def, among: scenarioNames)) (scenarios: \(scenarioNames.joined(separator: ", ")))")
        }
        return scenarios
    }

    private func validateScenario(_ name: String, _ s: ScenarioSpec, servers: [Server], tenants: [String]) -> Scenario? {
        let path = jsonPath("scenarios", name)
        checkName(name, path, what: "scenario")
        guard let layout: Layout = requiredChoice(s.layout, path, key: "layout") else { return nil }
        let (isolation, mode, secrets) = scenarioOptions(s, layout: layout, path: path)
        let engines = scenarioEngines(s, path: path)
        if layout == .mixed && !engines.values.contains(where: { $0 != .postgres }) {
            d.error(path + ".engines", "the mixed layout moves at least one service to mysql or mongodb, e.g. \"engines\": { \"\(serviceNames.first ?? "svc")\": \"mysql\" }", at: d.positions[path + ".engines"] ?? d.positions[path])
        }
        if layout == .perTenant && tenants.isEmpty && !malformed.contains("tenants") {
            d.error(path + ".layout", "per-tenant needs tenants: add \"tenants\": [\"acme\", …] at the top level")
        }
        if layout == .singleDB && isolation == .schema { checkSystemSchemas(scenario: name, engines: engines, servers: servers) }
        let stride = s.portStride ?? 100
        if s.portStride != nil {
            if layout != .perTenant { d.error(path + ".portStride", "applies only to the per-tenant layout") }
            if stride < 1 || stride > 10_000 { d.error(path + ".portStride", "\(stride) is out of range (1-10000)") }
        }
        let separate = scenarioSeparate(s, layout: layout, path: path)
        if layout == .singleDB && isolation == .shared { checkDeclaredTables(scenario: name, engines: engines, separate: separate, servers: servers) }
        let (services, shared) = scenarioServices(s, scenario: name, layout: layout, path: path)
        var scenario = Scenario(name: name, layout: layout, isolation: isolation, servers: mode, secrets: secrets,
                                engines: engines, analytics: s.analytics ?? false, portStride: stride, separate: separate,
                                services: services, shared: shared)
        validateScenarioNames(s, into: &scenario, path: path)
        validateServerNames(s, into: &scenario, path: path)
        validateScenarioRedis(s, into: &scenario, servers: servers, path: path)
        if let access = s.analyticsAccess { (scenario.analyticsRole, scenario.analyticsServices) = analyticsAccess(access, path: path + ".analytics") }
        return scenario
    }

    /// `isolation`, `servers` and `secrets`: known values, for the layouts they apply to.
    private func scenarioOptions(_ s: ScenarioSpec, layout: Layout, path: String) -> (Isolation, ServerMode, SecretsMode) {
        var isolation = Isolation.schema
        if let value = s.isolation {
            if let i = Isolation(rawValue: value) { isolation = i } else {
                d.error(path + ".isolation", "unknown isolation \"\(value)\"\(didYouMean(value, among: Isolation.allCases.map(\.rawValue))) (allowed: schema, prefix, none)")
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
        return (isolation, mode, secrets)
    }

    /// `engines`: services that own a database, moved to a database engine.
    private func scenarioEngines(_ s: ScenarioSpec, path: String) -> [String: Engine] {
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
        return engines
    }

    /// Schema isolation gives each service the schema of its name: it must not be one PostgreSQL has.
    private func checkSystemSchemas(scenario name: String, engines: [String: Engine], servers: [Server]) {
        for (service, serviceSpec) in specServices where serviceSpec.database != nil && serviceSpec.database?.schema == nil && Validator.systemSchemas.contains(sqlName(service)) {
            let engine = engines[service] ?? serviceSpec.database?.server.flatMap { server in servers.first { $0.name == server }?.engine } ?? .postgres
            guard engine == .postgres else { continue }
            d.error(jsonPath("services", service), "in scenario \"\(name)\": the service would get the schema \"\(sqlName(service))\", which every PostgreSQL database already has; rename the service, or use \"isolation\": \"prefix\"",
                    at: d.keyPositions[jsonPath("services", service)])
        }
    }
}
