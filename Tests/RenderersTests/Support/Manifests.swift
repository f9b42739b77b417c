import Foundation
import Testing
import Topology
@testable import Renderers

/// The Kubernetes folders of the example topology, and their manifests read back by a real YAML
/// parser (PyYAML), for the tests that walk them.
enum K8s {
    static var goldenRoot: String { Bundles.goldenRoot }

    static func render(_ scenario: String, secrets: Secrets? = nil, topology: Topology? = nil) throws -> (plan: Plan, files: [RenderedFile]) {
        let plan = try resolve(try topology ?? Bundles.topology(), scenario: scenario)
        let files = try KubernetesRenderer(plan: plan, secrets: secrets ?? Bundles.secrets(for: plan), templates: try .builtin(),
                                           topologyFile: "ovu.topology.json").render()
        return (plan, files)
    }

    struct Written {
        /// The throwaway folder; the manifests are in `root`.
        var base: String
        var root: String
        var plan: Plan
        var files: [RenderedFile]
        var manifests: [Manifest]
        func path(_ relative: String) -> String { "\(root)/\(relative)" }
        func remove() { try? FileManager.default.removeItem(atPath: base) }

        func all(_ kind: String) -> [Manifest] { manifests.filter { $0.kind == kind } }
        func find(_ kind: String, _ name: String) -> Manifest? { manifests.first { $0.kind == kind && $0.name == name } }
    }

    /// Renders, writes the folder with BundleWriter (as `ovudev render` does) and parses it.
    static func write(_ scenario: String, secrets: Secrets? = nil, topology: Topology? = nil) throws -> Written {
        let (plan, files) = try render(scenario, secrets: secrets, topology: topology)
        let base = try Bundles.temporaryDirectory("k8s-\(scenario)")
        let root = "\(base)/\(scenario)-k8s"
        try BundleWriter.write(files, to: root)
        let manifests = try load(root, files: files.map(\.path).filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" })
        return Written(base: base, root: root, plan: plan, files: files, manifests: manifests)
    }

    /// Every document of the files, parsed by PyYAML (`safe_load_all`), as JSON objects.
    static func load(_ directory: String, files: [String]) throws -> [Manifest] {
        try Tools.requirePythonModules()
        let script = #"""
import json, sys, yaml
out = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            out.append({"file": path, "doc": doc})
json.dump(out, sys.stdout)
"""#
        let r = try Tools.run(["python3", "-c", script] + files, in: directory)
        try #require(r.status == 0, "PyYAML cannot read the manifests:\n\(r.output)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        return list.map { Manifest(file: $0["file"] as? String ?? "?", doc: $0["doc"] as? [String: Any] ?? [:]) }
    }
}

/// One parsed Kubernetes object.
struct Manifest: @unchecked Sendable {
    var file: String
    var doc: [String: Any]

    var kind: String { doc["kind"] as? String ?? "" }
    var metadata: [String: Any] { doc["metadata"] as? [String: Any] ?? [:] }
    var name: String { metadata["name"] as? String ?? "" }
    var namespace: String? { metadata["namespace"] as? String }
    var labels: [String: String] { metadata["labels"] as? [String: String] ?? [:] }
    var spec: [String: Any] { doc["spec"] as? [String: Any] ?? [:] }
    var id: String { "\(kind)/\(name) (\(file))" }

    /// The pod template of a workload (Deployment, StatefulSet, Job, CronJob).
    var podTemplate: [String: Any]? {
        switch kind {
        case "Deployment", "StatefulSet", "Job": return spec["template"] as? [String: Any]
        case "CronJob": return ((spec["jobTemplate"] as? [String: Any])?["spec"] as? [String: Any])?["template"] as? [String: Any]
        default: return nil
        }
    }

    var podLabels: [String: String] { (podTemplate?["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:] }
    var podSpec: [String: Any] { podTemplate?["spec"] as? [String: Any] ?? [:] }

    /// Init containers first, in order, then containers.
    var containers: [PodContainer] {
        let spec = podSpec
        let initial = (spec["initContainers"] as? [[String: Any]] ?? []).map { PodContainer(raw: $0, isInit: true) }
        return initial + (spec["containers"] as? [[String: Any]] ?? []).map { PodContainer(raw: $0, isInit: false) }
    }

    /// ConfigMap or Secret data (stringData for Secrets).
    var stringData: [String: String] {
        (doc["data"] as? [String: String]) ?? (doc["stringData"] as? [String: String]) ?? [:]
    }
}

struct PodContainer: @unchecked Sendable {
    var raw: [String: Any]
    var isInit: Bool
    var name: String { raw["name"] as? String ?? "" }
    var image: String { raw["image"] as? String ?? "" }
    var command: [String] { raw["command"] as? [String] ?? [] }
    var env: [[String: Any]] { raw["env"] as? [[String: Any]] ?? [] }
    var envFrom: [[String: Any]] { raw["envFrom"] as? [[String: Any]] ?? [] }
    var volumeMounts: [[String: Any]] { raw["volumeMounts"] as? [[String: Any]] ?? [] }
}

/// What a kubelet does with a container's environment and command, for running the rendered
/// commands outside a cluster: `envFrom` ConfigMaps, then `env` in order, each value expanded
/// with Kubernetes' `$(VAR)` rules against the variables defined before it.
enum Kubelet {
    struct Unresolved: Error, CustomStringConvertible { var description: String }

    /// Kubernetes' expansion (k8s.io/kubernetes third_party/forked/golang/expansion): `$$` is a
    /// `$`, `$(NAME)` is NAME's value when defined and stays as written otherwise.
    static func expand(_ input: String, _ env: [String: String]) -> String {
        var out = ""
        let chars = Array(input)
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 1 < chars.count {
                if chars[i + 1] == "$" { out.append("$"); i += 2; continue }
                if chars[i + 1] == "(", let close = chars[(i + 2)...].firstIndex(of: ")") {
                    let name = String(chars[(i + 2)..<close])
                    if let value = env[name] { out += value } else { out += "$(\(name))" }
                    i = close + 1
                    continue
                }
            }
            out.append(chars[i])
            i += 1
        }
        return out
    }

    /// `$(NAME)` references left in a text after expansion (none may be).
    static func references(_ input: String) -> [String] {
        var names: [String] = []
        let chars = Array(input)
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 1 < chars.count {
                if chars[i + 1] == "$" { i += 2; continue }
                if chars[i + 1] == "(", let close = chars[(i + 2)...].firstIndex(of: ")") {
                    names.append(String(chars[(i + 2)..<close]))
                    i = close + 1
                    continue
                }
            }
            i += 1
        }
        return names
    }

    /// The environment a container starts with. `secrets`: Secret name → key → value.
    static func environment(_ container: PodContainer, configMaps: [String: [String: String]], secrets: [String: [String: String]]) throws -> [String: String] {
        var env: [String: String] = [:]
        for source in container.envFrom {
            if let name = (source["configMapRef"] as? [String: Any])?["name"] as? String {
                guard let data = configMaps[name] else { throw Unresolved(description: "\(container.name): no ConfigMap \(name)") }
                for (k, v) in data { env[k] = v }
            }
        }
        for entry in container.env {
            let name = entry["name"] as? String ?? ""
            if let value = entry["value"] as? String {
                env[name] = expand(value, env)
            } else if let ref = (entry["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any] {
                let secret = ref["name"] as? String ?? "", key = ref["key"] as? String ?? ""
                guard let value = secrets[secret]?[key] else { throw Unresolved(description: "\(container.name): \(name) needs Secret \(secret) key \(key)") }
                env[name] = value
            } else if let ref = (entry["valueFrom"] as? [String: Any])?["configMapKeyRef"] as? [String: Any] {
                let map = ref["name"] as? String ?? "", key = ref["key"] as? String ?? ""
                guard let value = configMaps[map]?[key] else { throw Unresolved(description: "\(container.name): \(name) needs ConfigMap \(map) key \(key)") }
                env[name] = value
            }
        }
        return env
    }
}
