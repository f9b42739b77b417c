import Foundation
import Testing
import TestSupport

/// `ovudev render --target kubernetes` and `ovudev up --engine docker` through the binary.
@Suite(.ownThread) struct KubernetesCLI {
    static let example = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ovu.topology.json")

    static func exampleText() throws -> String { String(decoding: try Data(contentsOf: example), as: UTF8.self) }

    static func exited(_ run: Run, _ status: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.exitedNormally && run.status == status, "exit \(run.status), expected \(status)\nstdout:\n\(run.stdout)\nstderr:\n\(run.stderr)", sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump"), "\(run.stderr)", sourceLocation: sourceLocation)
    }

    /// The default folder is render/<scenario>-k8s next to the topology, and the command says
    /// how to deploy it.
    @Test func renderWritesAKustomizeFolder() throws {
        let box = try Sandbox()
        let file = try box.write(try Self.exampleText(), name: "ovu.topology.json")
        let run = try box.run(["render", "--topology", file.path, "--target", "kubernetes", "--scenario", "stage"])
        Self.exited(run, 0)
        let folder = box.project.appendingPathComponent("render/stage-k8s")
        #expect(run.stdout.contains("into render/stage-k8s/"), "\(run.stdout)")
        #expect(run.stdout.contains("kubectl apply -k render/stage-k8s"), "\(run.stdout)")
        for path in ["kustomization.yaml", "namespace.yaml", "secrets.yaml", "provision/postgres.yaml", "network-policies.yaml"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path), "no \(path) in \(box.contents(folder))")
        }
        // Generated secrets are kept in the store, like the compose render's.
        #expect(FileManager.default.fileExists(atPath: box.project.appendingPathComponent(".ovu/secrets.json").path))
        #expect(!FileManager.default.fileExists(atPath: box.project.appendingPathComponent("render/stage").path), "the compose bundle was written too")
    }

    /// A name the topology allows but Kubernetes does not: exit 2, the place named, nothing written.
    @Test func aNameThatIsNotAKubernetesNameExits2AndWritesNothing() throws {
        let box = try Sandbox()
        let file = try box.write(Fixture.topology(services: Fixture.services(
            ("auth", #"{ "port": 8001, "database": {}, "redis": {}, "image": "shop/auth:1", "command": "serve" }"#),
            ("cart_v2", #"{ "port": 8002, "database": {}, "image": "shop/cart:1", "command": "serve" }"#))), name: "ovu.topology.json")
        let valid = try box.run(["validate", "--topology", file.path])
        Self.exited(valid, 0)
        let run = try box.run(["render", "--topology", file.path, "--target", "kubernetes", "--out", box.out.path])
        Self.exited(run, 2)
        #expect(run.stderr.contains("services.cart_v2") && run.stderr.contains("\"cart_v2\" is not a Kubernetes name"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: box.out.path))
        #expect(box.contents(box.project) == ["ovu.topology.json"], "written: \(box.contents(box.project))")
    }

    @Test func anUnknownTargetExits2() throws {
        let box = try Sandbox()
        let file = try box.write(try Self.exampleText(), name: "ovu.topology.json")
        let run = try box.run(["render", "--topology", file.path, "--target", "helm", "--out", box.out.path])
        Self.exited(run, 2)
        #expect(run.stderr.contains("--target"), "\(run.stderr)")
        #expect(box.contents(box.root) == ["io", "project"])
    }

    /// Without a docker engine (DOCKER_HOST names a socket nobody listens on; on a machine without
    /// the docker command the outcome is the same): exit 1, a message that points to the native
    /// engine, and nothing started or written.
    @Test func upWithDockerWithoutAnEngineSaysSoAndExits1() throws {
        let box = try Sandbox()
        let file = try box.write(try Self.exampleText(), name: "ovu.topology.json")
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_HOST"] = "unix://" + box.root.appendingPathComponent("no-engine.sock").path
        environment.removeValue(forKey: "DOCKER_CONTEXT")
        let run = try box.run(["up", "--topology", file.path, "--engine", "docker", "--scenario", "stage"], environment: environment)
        Self.exited(run, 1)
        #expect(run.stderr.contains("docker"), "\(run.stderr)")
        #expect(run.stderr.contains("no docker engine answers") || run.stderr.contains("the docker command is not installed"), "\(run.stderr)")
        #expect(run.stderr.contains("ovudev up --engine native --scenario stage"), "\(run.stderr)")
        #expect(box.contents(box.project) == ["ovu.topology.json"], "written: \(box.contents(box.project))")
    }
}
