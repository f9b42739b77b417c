import Foundation
import Topology

/// A topology file and the folder around it (`templates/`, `.ovu/`): what the CLI works on.
public struct Project: Sendable {
    /// Absolute path of the topology file.
    public let topologyPath: String
    public let directory: String
    public let topology: Topology

    /// Loads `path`, or `ovu.topology.json` in the current folder.
    public static func load(topologyPath path: String?) throws -> Project {
        let cwd = FileManager.default.currentDirectoryPath
        let given = path ?? TopologyLoader.defaultFileName
        let absolute = given.hasPrefix("/") ? given : (cwd as NSString).appendingPathComponent(given)
        let standardized = URL(fileURLWithPath: absolute).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: standardized) else {
            let hint = path == nil ? " (run in the folder that holds it, or pass --topology PATH)" : ""
            throw TopologyError(file: given, issues: [TopologyIssue(path: "", message: "no such file\(hint)")])
        }
        let topology = try TopologyLoader.load(path: standardized)
        return Project(topologyPath: standardized, directory: (standardized as NSString).deletingLastPathComponent, topology: topology)
    }

    public var topologyFileName: String { (topologyPath as NSString).lastPathComponent }

    public func plan(scenario: String?) throws -> Plan {
        do {
            return try resolve(topology, scenario: scenario)
        } catch let error as ResolveError {
            throw TopologyError(file: topologyFileName, issues: error.issues)
        }
    }

    public var secretStore: SecretStore { SecretStore(topologyDirectory: directory) }

    public func templates() throws -> TemplateSet {
        try TemplateSet(overrideDirectory: (directory as NSString).appendingPathComponent("templates"))
    }

    public func defaultOutput(scenario: String, target: RenderTarget = .compose) -> String {
        (directory as NSString).appendingPathComponent(target == .compose ? "render/\(scenario)" : "render/\(scenario)-k8s")
    }

    public struct Rendered {
        public var plan: Plan
        public var files: [RenderedFile]
        public var directory: String
        public var newSecrets: Int
    }

    /// Resolves, renders in memory, stores new generated secrets, then writes the bundle
    /// all-or-nothing. Nothing is written when anything fails before.
    public func render(scenario: String?, output: String?, target: RenderTarget = .compose, write: Bool = true) throws -> Rendered {
        let plan = try plan(scenario: scenario)
        let cwd = FileManager.default.currentDirectoryPath
        let out = URL(fileURLWithPath: output.map { $0.hasPrefix("/") ? $0 : (cwd as NSString).appendingPathComponent($0) } ?? defaultOutput(scenario: plan.scenario, target: target)).standardizedFileURL.path
        var secrets = Secrets.external
        var toSave: SecretStore.Document?
        if plan.secrets == .generated {
            let (values, updated) = try secretStore.values(for: plan)
            secrets = Secrets(values: values)
            toSave = updated
        }
        let options = RenderOptions(
            topologyFile: topologyFileName, bundleDirectory: out, projectFromBundle: relativePath(from: out, to: directory),
            backupsDirectory: (directory as NSString).appendingPathComponent(topology.backups.dir))
        let files: [RenderedFile]
        switch target {
        case .compose:
            files = try BundleRenderer(plan: plan, secrets: secrets, templates: try templates(), options: options).render()
        case .kubernetes:
            files = try KubernetesRenderer(plan: plan, secrets: secrets, templates: try templates(), topologyFile: topologyFileName).render()
        }
        if write {
            if let toSave { try secretStore.save(toSave) }
            try BundleWriter.write(files, to: out)
        }
        return Rendered(plan: plan, files: files, directory: out, newSecrets: toSave == nil ? 0 : plan.secretRefs.count)
    }
}

/// What `ovudev render` writes: the compose bundle, or Kubernetes manifests.
public enum RenderTarget: String, Sendable, CaseIterable {
    case compose, kubernetes
}

/// `a/b/c` relative to `a/x` is `../b/c`; both absolute and standardized.
public func relativePath(from base: String, to target: String) -> String {
    let b = base.split(separator: "/"), t = target.split(separator: "/")
    var common = 0
    while common < b.count, common < t.count, b[common] == t[common] { common += 1 }
    let parts = Array(repeating: "..", count: b.count - common) + t[common...].map(String.init)
    return parts.isEmpty ? "." : parts.joined(separator: "/")
}
