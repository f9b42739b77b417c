import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// `scenarios.<s>.services`: what a scenario leaves out is in none of its outputs.
@Suite(.ownThread) struct ScenarioServicesTests {
    static let fixture = "scenario-services"

    /// Every file of the compose bundle and the Kubernetes folder, and every graph format.
    static func everyOutput(_ scenario: String) throws -> [(name: String, text: String)] {
        let c = FixtureScenario(fixture: fixture, scenario: scenario)
        let (plan, bundle) = try FixtureTopologyTests.bundle(c)
        let graph = TopologyGraph(plan: plan)
        return bundle.map { ($0.path, $0.contents) } + (try FixtureTopologyTests.kubernetes(c)).map { ("k8s/" + $0.path, $0.contents) }
            + [("graph.txt", GraphText.render(graph)), ("graph.mmd", GraphMermaid.render(graph)), ("graph.dot", GraphDot.render(graph)),
               ("graph.svg", GraphSVG.render(graph))]
    }

    /// Scenario `web` runs auth and web: billing (on MySQL) and orders are absent from every file,
    /// and so is the MySQL server only billing used.
    @Test func leftOutServicesAreInNoOutput() throws {
        let plan = try FixtureTopologyTests.plan(FixtureScenario(fixture: Self.fixture, scenario: "web"))
        #expect(plan.instances.map(\.name).sorted() == ["auth", "web"])
        #expect(plan.servers.map(\.name) == ["postgres", "redis"])
        let outputs = try Self.everyOutput("web")
        #expect(outputs.count > 10)
        for (name, text) in outputs {
            for absent in ["billing", "orders", "mysql", "BILLING", "ORDERS", "MYSQL"] {
                #expect(!text.contains(absent), "\(name) mentions \(absent)")
            }
        }
        // What runs is there (the check above would pass on empty files too).
        let all = outputs.map(\.text).joined()
        for present in ["auth_db", "AUTH_URL", "ghcr.io/team/web:1"] { #expect(all.contains(present), "no \(present) anywhere") }
    }

    /// The same topology with every service: the scenario list is what removed them.
    @Test func withoutTheKeyEveryServiceRuns() throws {
        var topology = try FixtureTopologyTests.topology(Self.fixture)
        let i = try #require(topology.scenarios.firstIndex { $0.name == "web" })
        topology.scenarios[i].services = nil
        let plan = try resolve(topology, scenario: "web")
        #expect(plan.instances.map(\.name).sorted() == ["auth", "billing", "orders", "web"])
        #expect(plan.servers.map(\.name) == ["mysql", "postgres", "redis"])
    }

    /// `shared: ["auth"]` with three tenants: one auth (no TENANT, its own port), the others per
    /// tenant, each reading auth_db as its own role and reaching the one auth.
    @Test func sharedServiceRunsOnceAndTenantsReachIt() throws {
        let plan = try FixtureTopologyTests.plan(FixtureScenario(fixture: Self.fixture, scenario: "saas"))
        #expect(plan.instances.map(\.name).sorted() == ["auth", "orders-acme", "orders-globex", "orders-initech", "web-acme", "web-globex", "web-initech"])
        let auth = try #require(plan.instance("auth"))
        #expect(auth.tenant == nil && auth.port == 8001 && auth.database?.database == "auth_db" && auth.database?.role == "auth_user")
        #expect(!auth.environment.contains { $0.key == "TENANT" })
        for tenant in ["acme", "globex", "initech"] {
            let orders = try #require(plan.instance("orders-\(tenant)"))
            #expect(orders.dependsOn == ["auth"])
            #expect(orders.database?.database == "\(tenant)_orders_db")
            #expect(orders.reads.map { "\($0.instance) \($0.database) \($0.tables) \($0.role)" } == ["auth auth_db [\"users\"] \(tenant)_orders_user"])
            let env = Dictionary(uniqueKeysWithValues: orders.environment.map { ($0.key, $0.network) })
            #expect(env["AUTH_URL"] == .text("http://auth:8001"))
        }
        let postgres = try #require(plan.server("postgres"))
        #expect(postgres.databases.map(\.name) == ["acme_orders_db", "auth_db", "globex_orders_db", "initech_orders_db"])
        #expect(postgres.databases.first { $0.name == "auth_db" }?.tableReads.map(\.role) == ["acme_orders_user", "globex_orders_user", "initech_orders_user"])
        let text = GraphText.render(TopologyGraph(plan: plan))
        #expect(text.contains("auth :8001 shared by all tenants") && text.contains("orders :8003 × 3 tenants"), "\(text)")
    }
}
