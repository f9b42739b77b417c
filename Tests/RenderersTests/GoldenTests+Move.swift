import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// The move fixture (Tests/Fixtures/move: `isolation: none`, `separate`, declared `tables`):
/// its compose bundle and Kubernetes folder per scenario against Golden/extra/move/<scenario>/.
@Suite(.ownThread) struct MoveFixtureGoldenTests {
    static var topologyPath: String { "\(Bundles.repoRoot)/Tests/Fixtures/move/ovu.topology.json" }
    static let scenarios = ["dedicated", "monolith", "prefix", "schemas", "separated", "split"]

    @Test(arguments: scenarios)
    func bundleMatchesGolden(scenario: String) throws {
        let topology = try TopologyLoader.load(path: Self.topologyPath)
        let plan = try resolve(topology, scenario: scenario)
        let compose = try BundleRenderer(plan: plan, secrets: Bundles.secrets(for: plan), templates: try .builtin(),
                                         options: Bundles.goldenOptions(scenario)).render()
        let k8s = try KubernetesRenderer(plan: plan, secrets: Bundles.secrets(for: plan), templates: try .builtin(),
                                         topologyFile: "ovu.topology.json").render()
        try GoldenFolder.compare(compose, folder: "extra/move/\(scenario)/compose")
        try GoldenFolder.compare(k8s, folder: "extra/move/\(scenario)/k8s")
    }

    /// What each layout decides for the fixture: one schema and per-table owners under
    /// `isolation: none`, a database of its own for a `separate` service.
    @Test func layoutsPlaceTheTables() throws {
        let topology = try TopologyLoader.load(path: Self.topologyPath)
        let monolith = try resolve(topology, scenario: "monolith")
        let db = try #require(monolith.servers.first?.databases.first)
        #expect(monolith.servers[0].databases.map(\.name) == ["suite_db"])
        #expect(db.publicCreate == ["auth_user", "forms_user", "web_user"])
        #expect(db.tableOwners?.count == 17)
        #expect(db.tableOwners?.first { $0.table == "users" }?.owner == "auth_user")
        #expect(monolith.instance("web")?.database?.schema == nil && monolith.instance("web")?.database?.tablePrefix == nil)
        #expect(monolith.instance("web")?.database?.tables == ["drawing_projects", "export_jobs", "tool_configs", "tool_registry", "tools"])
        #expect(Set(db.tableReads.map { "\($0.role) \($0.schema).\($0.table)" }) == ["web_user public.users", "web_user public.tenants", "forms_user public.users", "forms_user public.tenants"])
        let split = try resolve(topology, scenario: "split")
        #expect(split.servers[0].databases.map(\.name) == ["forms_db", "suite_db"])
        #expect(split.instance("forms")?.database?.database == "forms_db")
        #expect(split.instance("forms")?.database?.schema == nil)
        #expect(split.servers[0].databases.first { $0.name == "forms_db" }?.owner == "forms_user")
        #expect(split.instance("web")?.database?.schema == "web")
    }
}
