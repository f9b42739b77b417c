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

    var scenarioPath: String { "scenarios.\(scenario.name)" }

    func fail(_ path: String, _ message: String) {
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

    /// The instances of the scenario: one per service, or one per tenant × service (per-tenant).
    var tenants: [String?] { scenario.layout == .perTenant ? topology.tenants.map { Optional($0) } : [nil] }

    func resolve() -> Plan? {
        let placements = placements()
        guard d.isEmpty else { return nil }

        let builders = ServerBuilders()
        checkDedicatedServerNames(placements)
        let made = makeInstances(placements, builders)
        var instances = made.instances
        checkRedisSlots(instances)
        grantReads(&instances, made.access, builders)
        if scenario.analytics { grantAnalytics(instances, builders) }
        sizeRedisServers(instances, builders)
        applyConnectionBudget(builders)
        redisACLUsers(&instances, builders)
        let servers = builders.frozen()

        checkIdentifiers(servers)
        checkPorts(servers, instances)
        checkComposeNames(servers, instances)

        instances = startOrder(withEnvironment(instances, servers: servers))
        let plan = Plan(project: topology.project, scenario: scenario.name, layout: scenario.layout,
                        isolation: scenario.layout == .singleDB ? scenario.isolation : nil, secrets: scenario.secrets,
                        analytics: scenario.analytics, servers: servers, instances: instances,
                        backups: backupPlan(servers))
        return d.isEmpty ? plan : nil
    }

    /// Which server holds each service's data (dedicated servers are derived per service).
    private func placements() -> [String: Placement] {
        var placements: [String: Placement] = [:]
        for service in services {
            guard var p = placement(of: service) else { continue }
            if scenario.servers == .dedicated, let host = p.server.host {
                let message = "in scenario \"\(scenario.name)\": server \"\(p.server.name)\" is an existing server (host \(host)); ovudev cannot make dedicated servers from it: use \"servers\": \"shared\""
                if !d.issues.contains(where: { $0.message == message }) { d.error(scenarioPath + ".servers", message) }
            } else if scenario.servers == .dedicated {
                let siblings = services.filter { other in
                    other.database != nil && placement(of: other).map { $0.server.name == p.server.name } == true
                }
                let offset = siblings.firstIndex { $0.name == service.name } ?? 0
                p.server = Server(name: scenario.serverNames[service.name] ?? "\(p.server.name)-\(service.name)", engine: p.engine, version: p.server.version,
                                  port: p.server.port + offset, image: p.server.image, params: p.server.params,
                                  maxConnections: p.server.maxConnections)
            }
            placements[service.name] = p
        }
        return placements
    }

    private func checkDedicatedServerNames(_ placements: [String: Placement]) {
        guard scenario.servers == .dedicated else { return }
        for name in Set(placements.values.map(\.server.name)) where topology.server(name) != nil {
            fail(scenarioPath + ".servers", "the dedicated server for a service would be named \"\(name)\", which is already a server's name")
        }
        let byServer = Dictionary(grouping: placements, by: { $0.value.server.name })
        for (name, services) in byServer.sorted(by: { $0.key < $1.key }) where services.count > 1 {
            let names = services.map(\.key).sorted()
            fail(scenarioPath + ".serverNames", "services \(quoted(names)) would all get the dedicated server \"\(name)\"; name each with \"serverNames\"")
        }
    }

    /// A service's `urlScheme` applies while its data is on the engine the scheme names
    /// (`postgresql+asyncpg` on PostgreSQL); a scenario that moves it to another engine gets
    /// that engine's plain scheme.
    func urlScheme(_ db: DatabaseNeed?, for engine: Engine) -> String {
        let plain = engine == .postgres ? "postgresql" : engine.rawValue
        if let db, !db.urlSchemes.isEmpty { return db.urlSchemes[engine] ?? plain }
        guard let requested = db?.urlScheme else { return plain }
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
}
