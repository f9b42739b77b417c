import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// One scenario of a topology made for a feature, under Tests/Fixtures/<fixture>/ovu.topology.json.
struct FixtureScenario: Sendable, CustomTestStringConvertible {
    var fixture: String
    var scenario: String
    var testDescription: String { "\(fixture)/\(scenario)" }
}

/// The fixture topologies for `scenarios.<s>.services`, `scenarios.<s>.shared` and
/// `servers.<s>.host`: every scenario's compose bundle and Kubernetes folder compared byte for byte
/// with Golden/extra/<fixture>/<scenario>/ and Golden/extra/<fixture>/k8s-<scenario>/ (re-record
/// with `OVUDEV_RECORD=1`), the compose file checked by the Compose schema and `docker-compose
/// config`, the manifests by `kubernetes-validate --strict`, the topology by its own JSON schema.
@Suite(.ownThread) struct FixtureTopologyTests {
    static let fixtures = ["scenario-services", "existing-server"]

    static func topologyPath(_ fixture: String) -> String { "\(Bundles.repoRoot)/Tests/Fixtures/\(fixture)/ovu.topology.json" }
    static func topology(_ fixture: String) throws -> Topology { try TopologyLoader.load(path: topologyPath(fixture)) }

    static var cases: [FixtureScenario] {
        fixtures.flatMap { fixture in
            ((try? topology(fixture))?.scenarios.map(\.name) ?? ["<invalid topology>"]).map { FixtureScenario(fixture: fixture, scenario: $0) }
        }
    }

    static func plan(_ c: FixtureScenario) throws -> Plan { try resolve(try topology(c.fixture), scenario: c.scenario) }

    static func bundle(_ c: FixtureScenario, options: RenderOptions? = nil) throws -> (plan: Plan, files: [RenderedFile]) {
        let plan = try plan(c)
        let files = try BundleRenderer(plan: plan, secrets: Bundles.secrets(for: plan), templates: try .builtin(),
                                       options: options ?? Bundles.goldenOptions(c.scenario)).render()
        return (plan, files)
    }

    static func kubernetes(_ c: FixtureScenario) throws -> [RenderedFile] {
        let plan = try plan(c)
        return try KubernetesRenderer(plan: plan, secrets: Bundles.secrets(for: plan), templates: try .builtin(), topologyFile: "ovu.topology.json").render()
    }

    // MARK: - Golden files

    @Test(arguments: cases)
    func bundleMatchesGolden(_ c: FixtureScenario) throws {
        try compare(try Self.bundle(c).files, folder: "extra/\(c.fixture)/\(c.scenario)")
    }

    @Test(arguments: cases)
    func kubernetesMatchesGolden(_ c: FixtureScenario) throws {
        try compare(try Self.kubernetes(c), folder: "extra/\(c.fixture)/k8s-\(c.scenario)")
    }

    func compare(_ files: [RenderedFile], folder: String) throws { try GoldenFolder.compare(files, folder: folder) }

    // MARK: - Real validators

    @Test(arguments: fixtures)
    func topologyPassesItsSchema(_ fixture: String) throws {
        try Tools.require("check-jsonschema")
        let r = try Tools.run(["check-jsonschema", "--schemafile", "\(Bundles.repoRoot)/Templates/topology.schema.json", Self.topologyPath(fixture)])
        #expect(r.status == 0, "\(r.output)")
    }

    @Test(arguments: cases)
    func composePassesSchemaAndDockerCompose(_ c: FixtureScenario) throws {
        try Tools.require("check-jsonschema")
        try Tools.require("docker-compose")
        let root = try Bundles.temporaryDirectory("fixture-\(c.scenario)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bundle = "\(root)/render/\(c.scenario)"
        let (plan, files) = try Self.bundle(c, options: RenderOptions(topologyFile: "ovu.topology.json", bundleDirectory: bundle,
                                                                      projectFromBundle: "../..", backupsDirectory: "\(root)/backups"))
        try BundleWriter.write(files, to: bundle)
        let schema = try Tools.run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"], in: bundle)
        #expect(schema.status == 0, "\(schema.output)")
        if plan.secrets == .external {
            let env = plan.secretRefs.map { "\($0.variable)=x\(Bundles.fixedPassword($0.variable))" }.joined(separator: "\n") + "\n"
            try env.write(toFile: "\(bundle)/.env", atomically: true, encoding: .utf8)
        }
        let config = try Tools.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"], in: bundle)
        #expect(config.status == 0, "docker-compose config -q rejects \(c):\n\(config.output)")
        #expect(!config.stderr.contains("WARNING"), "\(config.stderr)")
    }

    @Test(arguments: cases)
    func manifestsPassKubernetesValidate(_ c: FixtureScenario) throws {
        try Tools.require("kubernetes-validate")
        let root = try Bundles.temporaryDirectory("fixture-k8s-\(c.scenario)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files = try Self.kubernetes(c)
        try BundleWriter.write(files, to: "\(root)/k8s")
        let yaml = files.map(\.path).filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }
        let r = try Tools.run(["kubernetes-validate", "--strict", "-k", KubernetesTests.kubernetesVersions.last!] + yaml, in: "\(root)/k8s")
        #expect(r.status == 0, "\(r.output)")
        let problems = r.output.split(separator: "\n").filter { $0.hasPrefix("ERROR") || $0.hasPrefix("WARN") || $0.contains("Couldn't find schema") }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}
