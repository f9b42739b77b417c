import Foundation
import Testing
import TestSupport
@testable import Topology

private func parse(_ text: String) throws -> Topology {
    try TopologyLoader.parse(Array(text.utf8), file: "t.json")
}

/// The error `text` is rejected with; records a test failure (and returns nil) when it is accepted.
private func rejection(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TopologyError? {
    #expect(throws: TopologyError.self, sourceLocation: sourceLocation) { try parse(text) }
}

private func listing(_ error: TopologyError) -> String {
    error.issues.map { "  [\($0.path)] \($0.position.map { "\($0)" } ?? "-") \($0.message)" }.joined(separator: "\n")
}

@Suite(.ownThread) struct MalformedTopologies {
    @Test func theTableIsLargeAndNamesAreUnique() {
        #expect(MalformedCase.all.count >= 40)
        #expect(Set(MalformedCase.all.map(\.name)).count == MalformedCase.all.count)
    }

    @Test func theFixtureItselfIsValid() throws {
        let topology = try parse(Fixture.topology())
        #expect(topology.services.map(\.name) == ["auth", "cart"])
        #expect(topology.tenants == ["acme", "globex"])
    }

    @Test(arguments: MalformedCase.all)
    func isRejectedWithItsPath(_ c: MalformedCase) throws {
        let error = try #require(rejection(c.json))
        #expect(!error.issues.isEmpty)
        let matches = error.issues.filter { $0.path == c.path && $0.message.contains(c.fragment) }
        #expect(!matches.isEmpty, "no issue at \"\(c.path)\" containing \"\(c.fragment)\"; got:\n\(listing(error))")
        if let line = c.line, let column = c.column {
            #expect(matches.contains { $0.position == SourcePosition(line: line, column: column) },
                    "expected \(line):\(column); got:\n\(listing(error))")
        }
        // Every issue can be found: a line and column (of the value, or of the closest enclosing
        // value when the key is missing), and a path unless the document itself is broken.
        for issue in error.issues {
            #expect(issue.position != nil, "issue without position: \(issue)")
            #expect(issue.message.count > 10)
        }
        // The printed error names the file and the path of every issue.
        let text = error.description
        #expect(text.contains("t.json:"))
        if !c.path.isEmpty { #expect(text.contains(c.path)) }
    }

    @Test func syntaxErrorsPointIntoTheFile() throws {
        for c in MalformedCase.syntax {
            let error = try #require(rejection(c.json))
            #expect(error.issues.count == 1)
            let issue = try #require(error.issues.first)
            #expect(issue.message.hasPrefix("invalid JSON: "))
            #expect(error.description.hasPrefix("t.json:\(c.line!):\(c.column!): "), "\(error)")
        }
    }
}

@Suite(.ownThread) struct CollectedErrors {
    @Test func fiveIndependentProblemsAreAllReported() throws {
        let text = Fixture.topology(
            project: #""Shop""#,
            services: Fixture.services(
                ("auth", #"{ "port": 8001, "redis": { "index": 2 } }"#),
                ("cart", #"{ "port": 8002, "redis": { "index": 2 }, "dependsOn": ["payment"] }"#)),
            backups: #"{ "schedule": "0 25 * * *", "keepDays": 0 }"#)
        let error = try #require(rejection(text))
        let expected: [(String, String)] = [
            ("project", "is invalid"),
            ("services.cart.redis.index", "2 is already used by services.auth"),
            ("services.cart.dependsOn[0]", #"unknown service "payment""#),
            ("backups.schedule", #"hour "25" is out of range"#),
            ("backups.keepDays", "0 is out of range"),
        ]
        for (path, fragment) in expected {
            #expect(error.issues.contains { $0.path == path && $0.message.contains(fragment) }, "\(path): \(fragment)\n\(listing(error))")
        }
        #expect(error.issues.count == 5, "\(listing(error))")
        #expect(error.description.hasPrefix("5 topology errors in t.json:"))
        // In file order, one line each, each with file:line:column.
        let positions = error.issues.compactMap(\.position).map { [$0.line, $0.column] }
        #expect(positions.count == 5 && positions == positions.sorted { $0.lexicographicallyPrecedes($1) }, "\(listing(error))")
        #expect(error.description.split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("  t.json:") })
    }

    @Test func fiveProblemsOfTheFileShapeAreAllReported() throws {
        let text = Fixture.topology(
            project: "7",
            servers: #"{ "postgres": { "engine": "postgres", "prot": 5432 }, "redis": { "engine": "redis" } }"#,
            services: Fixture.services(("auth", #"{ "port": "8001", "database": { "pool": { "sise": 3 } } }"#)),
            tenants: #"["acme", false]"#)
        let error = try #require(rejection(text))
        let paths = Set(error.issues.map(\.path))
        #expect(paths == ["project", "servers.postgres.prot", "services.auth.port", "services.auth.database.pool.sise", "tenants[1]"],
                "\(listing(error))")
    }

    @Test func shapeAndMeaningProblemsAreReportedTogether() throws {
        let text = Fixture.topology(
            services: Fixture.services(
                ("auth", #"{ "port": 8001, "redis": { "index": 2 }, "colour": "red" }"#),
                ("cart", #"{ "port": 8001, "redis": { "index": 2 } }"#)),
            backups: #"{ "schedule": "every day" }"#,
            scenarios: #"{ "dev": { "layout": "single-db", "analytics": "yes" } }"#)
        let error = try #require(rejection(text))
        let paths = error.issues.map(\.path)
        #expect(Set(paths) == ["services.auth.colour", "scenarios.dev.analytics", "services.cart.redis.index", "backups.schedule"],
                "\(listing(error))")
        #expect(paths.count == 4, "\(listing(error))")
        // The port collision is found by resolving the scenario, which runs although the file has shape problems.
        let resolved = Fixture.topology(services: Fixture.services(("auth", #"{ "port": 8001, "colour": "red" }"#), ("cart", #"{ "port": 8001 }"#)))
        let second = try #require(rejection(resolved))
        #expect(Set(second.issues.map(\.path)) == ["services.auth.colour", "services.cart.port"], "\(listing(second))")
    }

    /// A value of the wrong type is reported once, not again as whatever follows from its absence.
    @Test(arguments: [MalformedCase](arrayLiteral:
        .init(name: "a service of the wrong type is still a service",
              json: Fixture.topology(services: Fixture.services(("auth", "[]"), ("cart", #"{ "dependsOn": ["auth"], "database": {}, "reads": { "auth": ["users"] } }"#)),
                                     scenarios: #"{ "dev": { "layout": "single-db", "engines": { "auth": "postgres" } } }"#),
              path: "services.auth", fragment: "expected an object"),
        .init(name: "a mistyped port does not make health lack a port",
              json: Fixture.topology(services: Fixture.services(("auth", #"{ "port": "8001", "health": "/health" }"#))),
              path: "services.auth.port", fragment: "expected an integer"),
        .init(name: "a misspelt port does not make health lack a port",
              json: Fixture.topology(services: Fixture.services(("auth", #"{ "prot": 8001, "health": "/health" }"#))),
              path: "services.auth.prot", fragment: "unknown key"),
        .init(name: "tenants of the wrong type are not missing tenants",
              json: Fixture.topology(tenants: #""acme""#, scenarios: #"{ "saas": { "layout": "per-tenant" } }"#),
              path: "tenants", fragment: "expected an array"),
        .init(name: "a database of the wrong type still owns a database",
              json: Fixture.topology(services: Fixture.services(("auth", #"{ "database": true }"#), ("cart", #"{ "database": {}, "reads": { "auth": ["users"] } }"#))),
              path: "services.auth.database", fragment: "expected an object"),
        .init(name: "a server of the wrong type is not an unknown server",
              json: Fixture.topology(servers: #"{ "postgres": "postgres:15" }"#, services: Fixture.services(("auth", #"{ "database": { "server": "postgres" } }"#))),
              path: "servers.postgres", fragment: "expected an object"),
        .init(name: "a server with a mistyped engine is not an unknown server",
              json: Fixture.topology(servers: #"{ "postgres": { "engine": 15 } }"#, services: Fixture.services(("auth", #"{ "database": { "server": "postgres" } }"#))),
              path: "servers.postgres.engine", fragment: "expected a string"),
        .init(name: "a dropped tenant does not shift the paths of the others",
              json: Fixture.topology(tenants: #"[1, "acme", "acme"]"#),
              path: "tenants[0]", fragment: "expected a string")
    ))
    func noFollowUpIssues(_ c: MalformedCase) throws {
        let error = try #require(rejection(c.json))
        #expect(error.issues.map(\.path) == [c.path], "\(listing(error))")
        #expect(error.issues.first?.message.contains(c.fragment) == true, "\(listing(error))")
    }

    @Test func problemsInSeveralScenariosAreAllReported() throws {
        let text = Fixture.topology(
            scenarios: #"{ "hybrid": { "layout": "mixed", "engines": { "cart": "mysql" } }, "saas": { "layout": "per-tenant", "portStride": 1 } }"#)
        let error = try #require(rejection(text))
        #expect(error.issues.contains { $0.path == "scenarios.hybrid.engines.cart" }, "\(listing(error))")
        #expect(error.issues.contains { $0.path == "scenarios.saas.portStride" }, "\(listing(error))")
    }
}

// MARK: - Valid topologies

private let exampleURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("ovu.topology.json")

@Suite(.ownThread) struct ExampleTopology {
    let topology: Topology

    init() throws { topology = try TopologyLoader.load(path: exampleURL.path) }

    @Test func loads() {
        #expect(topology.project == "ovu")
        #expect(topology.services.map(\.name) == ["aam", "sam", "smm", "ulm"])
        #expect(Set(topology.scenarios.map(\.name)) == ["dev", "lean", "stage", "prod", "saas", "hybrid"])
        #expect(topology.implicitScenario == "dev")
    }

    @Test(arguments: ["dev", "lean", "stage", "prod", "saas", "hybrid"])
    func scenarioResolves(_ name: String) throws {
        let plan = try resolve(topology, scenario: name)
        #expect(plan.scenario == name)
        #expect(!plan.servers.isEmpty)
        let perInstance = plan.layout == .perTenant ? topology.tenants.count : 1
        #expect(plan.instances.count == topology.services.count * perInstance)

        // Host ports: no two servers or instances share one.
        let ports = plan.servers.map(\.port) + plan.instances.compactMap(\.port)
        #expect(Set(ports).count == ports.count, "\(ports.sorted())")
        #expect(ports.allSatisfy { (1...65535).contains($0) })

        // Redis slots: unique per server, and every server has enough logical databases.
        let slots = plan.instances.compactMap(\.redis)
        for (server, group) in Dictionary(grouping: slots, by: \.server) {
            let indexes = group.map(\.index)
            #expect(Set(indexes).count == indexes.count, "\(server): \(indexes)")
            let databases = try #require(plan.server(server)?.redisDatabases)
            #expect(indexes.allSatisfy { $0 >= 0 && $0 < databases })
        }
        #expect(slots.count == topology.services.filter { $0.redisIndex != nil }.count * perInstance)

        // Identifiers fit PostgreSQL and do not use the reserved prefix.
        for server in plan.servers {
            for name in server.roles.map(\.name) + server.databases.map(\.name) {
                #expect(name.utf8.count <= 63 && !name.hasPrefix("pg_"), "\(name)")
            }
        }
        // Deterministic.
        #expect(try resolve(topology, scenario: name) == plan)
    }

    @Test func perTenantHasOneInstancePerTenantAndService() throws {
        let plan = try resolve(topology, scenario: "saas")
        let expected = Set(topology.tenants.flatMap { t in topology.services.map { "\($0.name)-\(t)" } })
        #expect(Set(plan.instances.map(\.name)) == expected)
        #expect(plan.instances.count == topology.tenants.count * topology.services.count)
        for instance in plan.instances {
            let tenant = try #require(instance.tenant)
            #expect(instance.database?.database == "\(tenant)_\(instance.service)_db")
            #expect(instance.database?.role == "\(tenant)_\(instance.service)_user")
        }
    }
}

@Suite(.ownThread) struct ResolutionRules {
    @Test func redisWithoutIndexTakesTheNextFreeOne() throws {
        let text = Fixture.topology(services: Fixture.services(
            ("a", #"{ "redis": { "index": 0 } }"#),
            ("b", #"{ "redis": {} }"#),
            ("c", #"{ "redis": { "index": 1 } }"#),
            ("d", #"{ "redis": {} }"#),
            ("e", #"{ "redis": { "index": 3 } }"#),
            ("f", #"{ "redis": {} }"#),
            ("g", #"{ "port": 9000 }"#)))
        let topology = try parse(text)
        let indexes = Dictionary(uniqueKeysWithValues: topology.services.map { ($0.name, $0.redisIndex) })
        #expect(indexes == ["a": 0, "b": 2, "c": 1, "d": 4, "e": 3, "f": 5, "g": nil])
        #expect(topology.services.allSatisfy { $0.redisIndex == nil || $0.redisServer == "redis" })
    }

    @Test func perTenantRedisSlotsAreUniqueAndPortsFollowTheStride() throws {
        let text = Fixture.topology(tenants: #"["t1", "t2", "t3"]"#, scenarios: #"{ "saas": { "layout": "per-tenant", "portStride": 10 } }"#)
        let plan = try resolve(try parse(text))
        #expect(plan.instances.count == 6)
        let slots = plan.instances.compactMap(\.redis).map(\.index)
        #expect(slots.count == 6 && Set(slots).count == 6)
        #expect(plan.instance("auth-t1")?.port == 8001)
        #expect(plan.instance("auth-t2")?.port == 8011)
        #expect(plan.instance("cart-t3")?.port == 8022)
        #expect(plan.instance("cart-t2")?.dependsOn == ["auth-t2"])
    }

    /// Instances start after what they depend on; among those ready, by name. (`up` starts them
    /// in this order.)
    @Test func instancesAreInStartOrder() throws {
        let text = Fixture.topology(services: Fixture.services(
            ("a", #"{ "port": 8001, "dependsOn": ["c"] }"#), ("b", #"{ "port": 8002 }"#),
            ("c", #"{ "port": 8003 }"#), ("d", #"{ "port": 8004, "dependsOn": ["a", "b"] }"#),
            ("e", #"{ "port": 8005, "dependsOn": ["d"] }"#), ("f", #"{ "port": 8006 }"#)))
        #expect(try resolve(try parse(text)).instances.map(\.name) == ["b", "c", "a", "d", "e", "f"])
    }

    /// The positional-index warning stays one readable line for many services.
    @Test func positionalIndexWarningOfManyServicesIsOneLine() {
        let names = (0..<12).map { "s\($0)" }
        let message = TopologyWarning.positionalRedisIndexes(server: "redis", services: names, indexes: Array(0..<12)).message
        #expect(message.hasPrefix(#"services "s0", "s1", "s2", "s3", "s4" and 7 more take their Redis database"#), "\(message)")
        #expect(message.hasSuffix(#""index": 3 in s3, "index": 4 in s4, …"#), "\(message)")
    }

    /// Lookups by name answer right in a sorted array (binary search) and in an unsorted one.
    @Test func findByName() {
        #expect(Topology.find("m", in: ["a", "k", "m", "z"], { $0 }) == "m")
        #expect(Topology.find("b", in: ["c", "a", "b"], { $0 }) == "b")
        #expect(Topology.find("q", in: ["a", "k", "m", "z"], { $0 }) == nil)
    }

    private func scenarios(_ json: String, defaultScenario: String? = nil) throws -> Topology {
        try parse(Fixture.topology(scenarios: json, extra: defaultScenario.map { [#""defaultScenario": "\#($0)""#] } ?? []))
    }

    @Test func defaultScenarioWins() throws {
        let t = try scenarios(#"{ "dev": { "layout": "single-db" }, "prod": { "layout": "db-per-service" } }"#, defaultScenario: "prod")
        #expect(try resolve(t).scenario == "prod")
        #expect(try resolve(t, scenario: "dev").scenario == "dev")
    }

    @Test func theOnlyScenarioIsTheDefault() throws {
        let t = try scenarios(#"{ "prod": { "layout": "db-per-service" } }"#)
        #expect(try resolve(t).scenario == "prod")
    }

    @Test func devIsTheDefaultAmongSeveral() throws {
        let t = try scenarios(#"{ "prod": { "layout": "db-per-service" }, "dev": { "layout": "single-db" }, "alpha": { "layout": "single-db" } }"#)
        #expect(try resolve(t).scenario == "dev")
    }

    @Test func noDefaultIsAnErrorListingTheScenarios() throws {
        let t = try scenarios(#"{ "prod": { "layout": "db-per-service" }, "stage": { "layout": "single-db" } }"#)
        let error = try #require(#expect(throws: ResolveError.self) { try resolve(t) })
        let message = error.issues.map(\.message).joined()
        #expect(message.contains("prod, stage"), "\(error)")
        #expect(message.contains("--scenario"))
    }

    @Test func anUnknownScenarioIsAnErrorListingTheScenarios() throws {
        let t = try scenarios(#"{ "prod": { "layout": "db-per-service" }, "stage": { "layout": "single-db" } }"#)
        let error = try #require(#expect(throws: ResolveError.self) { try resolve(t, scenario: "prdo") })
        let message = error.issues.map(\.message).joined()
        #expect(message.contains(#"did you mean "prod""#) && message.contains("prod, stage"), "\(error)")
    }

    @Test func aServiceNamedPublicIsFineWithoutSchemaIsolation() throws {
        let text = Fixture.topology(
            services: Fixture.services(("public", #"{ "database": {} }"#)),
            scenarios: #"{ "lean": { "layout": "single-db", "isolation": "prefix" }, "prod": { "layout": "db-per-service" } }"#)
        let topology = try parse(text)
        #expect(try resolve(topology, scenario: "prod").instances.first?.database?.database == "public_db")
        #expect(try resolve(topology, scenario: "lean").instances.first?.database?.tablePrefix == "public_")
    }

    @Test func namesAtTheLimitsAreAccepted() throws {
        // 40 characters is allowed; a service of 40 and a tenant of 10 stay within 63 bytes per-tenant.
        let service = Fixture.forty
        let text = Fixture.topology(
            project: "\"\(Fixture.forty)\"",
            services: Fixture.services((service, #"{ "database": {} }"#), ("a-b", #"{ "database": {} }"#)),
            tenants: #"["tenant-one"]"#,
            scenarios: #"{ "saas": { "layout": "per-tenant" }, "dev": { "layout": "single-db" } }"#)
        let topology = try parse(text)
        let plan = try resolve(topology, scenario: "saas")
        #expect(plan.instances.contains { $0.database?.role == "tenant_one_\(service)_user" })
        #expect(plan.instances.contains { $0.database?.role == "tenant_one_a_b_user" })
    }
}

/// `"redis": {}` takes the next free index in name order: with two such services on one server,
/// adding a third moves one of them to another database, so validation warns (and still passes).
@Suite(.ownThread) struct PositionalRedisWarnings {
    @Test func twoPositionalServicesOnOneServerGiveOneWarningNamingBoth() throws {
        let topology = try parse(Fixture.topology(services: Fixture.services(
            ("auth", #"{ "redis": { "index": 0 } }"#),
            ("billing", #"{ "redis": {} }"#),
            ("orders", #"{ "redis": {} }"#))))
        #expect(topology.warnings == [.positionalRedisIndexes(server: "redis", services: ["billing", "orders"], indexes: [1, 2])])
        let warning = try #require(topology.warnings.first)
        #expect(warning.path == "services.billing.redis")
        #expect(warning.message.contains(#""index": 1 in billing, "index": 2 in orders"#), "\(warning.message)")
    }

    @Test func onePositionalServiceAmongPinnedOnesGivesNone() throws {
        let topology = try parse(Fixture.topology(services: Fixture.services(
            ("auth", #"{ "redis": { "index": 0 } }"#),
            ("billing", #"{ "redis": {} }"#),
            ("orders", #"{ "redis": { "index": 5 } }"#))))
        #expect(topology.warnings == [])
    }

    @Test func positionalServicesOnDifferentServersGiveNone() throws {
        let servers = #"{ "postgres": { "engine": "postgres", "port": 5432 }, "cache": { "engine": "redis", "port": 6379 }, "queue": { "engine": "redis", "port": 6380 } }"#
        let topology = try parse(Fixture.topology(servers: servers, services: Fixture.services(
            ("billing", #"{ "redis": { "server": "cache" } }"#),
            ("orders", #"{ "redis": { "server": "queue" } }"#))))
        #expect(topology.warnings == [])
    }
}
