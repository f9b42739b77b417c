import Foundation
import Statements
import Topology
import Workspace
import Workspace

/// Rendering a project: its templates and `ovudev render`.
extension Project {
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
