import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// Topologies under Tests/Fixtures/<name>/ (each a feature the example does not use): every
/// scenario's whole bundle compared with Golden/extra/<name>/<scenario>/ and its listing
/// `<scenario>.files`. Recorded with `OVUDEV_RECORD=1`, like GoldenTests.
@Suite(.ownThread) struct ExtraGoldenTests {
    static var fixturesRoot: String { "\(Bundles.repoRoot)/Tests/Fixtures" }

    /// The fixtures whose goldens this suite keeps; the others have suites of their own
    /// (move: GoldenTests+Move, names: NamesGoldenTests, existing-server and scenario-services:
    /// FixtureTopologyTests), which also check them with the Compose and Kubernetes validators.
    static let fixtures = ["analytics-scoped", "backups-upload", "mysql-reads", "redis-acl"]

    static func cases() -> [String] {
        fixtures.filter { FileManager.default.fileExists(atPath: "\(fixturesRoot)/\($0)/ovu.topology.json") }.flatMap { name in
            ((try? TopologyLoader.load(path: "\(fixturesRoot)/\(name)/ovu.topology.json"))?.scenarios.map { "\(name)/\($0.name)" }) ?? ["\(name)/?"]
        }
    }

    @Test(arguments: cases())
    func bundleMatchesGolden(_ fixtureScenario: String) throws {
        let parts = fixtureScenario.split(separator: "/").map(String.init)
        let topology = try TopologyLoader.load(path: "\(Self.fixturesRoot)/\(parts[0])/ovu.topology.json")
        let plan = try resolve(topology, scenario: parts[1])
        let files = try BundleRenderer(plan: plan, secrets: Bundles.secrets(for: plan), templates: try .builtin(),
                                       options: Bundles.goldenOptions(parts[1])).render()
        try GoldenFolder.compare(files, folder: "extra/\(fixtureScenario)")
        if plan.secrets == .external {
            // No password of the plan in any file.
            let values = Bundles.fixedSecretValues(plan).values
            for file in files { #expect(!values.contains { file.contents.contains($0) }, "\(file.path) holds a secret") }
        }
    }

    /// The real validators: the topology against the JSON schema, the compose file with
    /// `docker-compose config`, the Kubernetes manifests with `kubernetes-validate --strict`.
    @Test(arguments: cases())
    func validatorsAcceptIt(_ fixtureScenario: String) throws {
        let parts = fixtureScenario.split(separator: "/").map(String.init)
        let path = "\(Self.fixturesRoot)/\(parts[0])/ovu.topology.json"
        let schema = try Tools.run(["check-jsonschema", "--schemafile", "\(Bundles.repoRoot)/Templates/topology.schema.json", path])
        #expect(schema.status == 0, "\(schema.output)")
        let topology = try TopologyLoader.load(path: path)
        let plan = try resolve(topology, scenario: parts[1])
        let files = try BundleRenderer(plan: plan, secrets: Bundles.secrets(for: plan), templates: try .builtin(),
                                       options: Bundles.goldenOptions(parts[1])).render()
        let dir = try Bundles.temporaryDirectory("extra-\(parts[0])-\(parts[1])")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try BundleWriter.write(files, to: "\(dir)/bundle")
        var environment = Tools.baseEnvironment()
        environment.merge(Bundles.fixedSecretValues(plan)) { $1 }
        let compose = try Tools.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"], in: "\(dir)/bundle", environment: environment)
        #expect(compose.status == 0, "\(compose.output)")
        let k8s = try K8s.render(parts[1], topology: topology)
        try BundleWriter.write(k8s.files, to: "\(dir)/k8s")
        let manifests = k8s.files.map(\.path).filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }
        let strict = try Tools.run(["kubernetes-validate", "--strict", "-k", "1.33.0"] + manifests, in: "\(dir)/k8s")
        #expect(strict.status == 0, "\(strict.output)")
    }
}
