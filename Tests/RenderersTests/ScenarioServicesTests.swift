import Foundation
import Testing
import Topology
@testable import Renderers

/// `scenarios.<s>.services`: what a scenario leaves out is in none of its outputs.
@Suite struct ScenarioServicesTests {
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
}
