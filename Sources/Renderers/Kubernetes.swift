import Statements
import Topology
import Workspace

/// Plan → a kustomize-ready folder of Kubernetes manifests (`kubectl apply -k DIR`).
///
/// One namespace per project and scenario (`<project>-<scenario>`). Per-tenant scenarios stay in
/// that one namespace: their tenants share the Plan's data servers (one PostgreSQL, one Redis),
/// which a namespace per tenant could only reach across namespaces, with every Secret copied;
/// instead each tenant's objects carry `ovudev.io/tenant`, and the NetworkPolicies let an
/// instance reach only its own data servers and the instances it depends on (its own tenant's).
///
/// Ordering without a controller: every Job's name ends in a hash of its spec and of the SQL it
/// runs, and finished Jobs are deleted after `jobTTLSeconds`, so `kubectl apply -k` runs a Job
/// again whenever the Plan changes it, and on any later deploy. Waits read the state they need
/// from the databases themselves (see `Waits`), so no pod needs the Kubernetes API.
public struct KubernetesRenderer {
    public let plan: Plan
    public let secrets: Secrets
    public let templates: TemplateSet
    /// The topology file's name, for headers.
    public let topologyFile: String

    public init(plan: Plan, secrets: Secrets, templates: TemplateSet, topologyFile: String) {
        self.plan = plan
        self.secrets = secrets
        self.templates = templates
        self.topologyFile = topologyFile
    }

    /// Finished provision, migration and grants Jobs are deleted after this long, so a later
    /// `kubectl apply -k` creates (and runs) them again.
    public static let jobTTLSeconds = 600

    var external: Bool { secrets.isExternal }
    var namespace: String { "\(plan.project)-\(plan.scenario)" }

    var header: String {
        "Rendered by ovudev from \(topologyFile) (project \(plan.project), scenario \(plan.scenario), layout \(plan.layout.rawValue)). Do not edit: change the topology and run `ovudev render --target kubernetes`."
    }

    /// Every file of the folder, sorted by path.
    public func render() throws -> [RenderedFile] {
        try checkNames()
        var files: [RenderedFile] = []
        func add(_ path: String, _ documents: [YAMLNode], comment: [String] = [], mode: UInt16 = 0o644) {
            files.append(RenderedFile(path: path, contents: yamlFile(documents, comment: comment), mode: mode))
        }

        add("namespace.yaml", [namespaceManifest()])
        if external {
            add("secrets.example.yaml", secretManifests(), comment: externalSecretsComment())
        } else {
            add("secrets.yaml", secretManifests(), comment: [
                "Generated passwords (secrets: generated), for a development cluster: they are written here in plain",
                "text, like the compose bundle's. Scenarios for shared clusters use \"secrets\": \"external\".",
            ], mode: 0o600)
        }
        // An existing server (`servers.<s>.host`) runs elsewhere: no StatefulSet, Jobs or backups for it.
        for server in plan.servers where server.host == nil {
            add("servers/\(server.name).yaml", serverManifests(server))
            if let provision = try provisionManifests(server) {
                add("provision/\(server.name).yaml", provision, comment: provisionComment(server))
            }
            if let grants = grantsManifests(server) {
                add("grants/\(server.name).yaml", grants, comment: [
                    "Table grants for `reads` (and the analytics role), after the migrations created the tables: the Job",
                    "waits until every granted table exists, then applies grants.sql (re-runnable).",
                ])
            }
            if let backups = backupManifests(server) {
                add("backups/\(server.name).yaml", backups)
            }
        }
        for instance in deployable {
            let env = try environment(instance)
            let migration = migrationManifest(instance, env)
            if let migration { add("migrations/\(instance.name).yaml", [migration.job]) }
            add("services/\(instance.name).yaml", serviceManifests(instance, env, migrationJob: migration?.name))
        }
        add("network-policies.yaml", networkPolicies())
        files.sort { $0.path < $1.path }

        let listed = files.map(\.path).filter { $0 != "secrets.example.yaml" }
        files.append(RenderedFile(path: "kustomization.yaml", contents: kustomization(listed), mode: 0o644))
        return files.sorted { $0.path < $1.path }
    }

    /// Instances that run in the cluster: an image, or a path to build one from (as in compose).
    var deployable: [ServiceInstance] {
        plan.instances.filter { $0.image != nil || $0.path != nil }
    }

    func image(_ instance: ServiceInstance) -> String {
        instance.image ?? "\(sqlName(plan.project))-\(instance.service):\(plan.scenario)"
    }

    // MARK: - Files

    func yamlFile(_ documents: [YAMLNode], comment: [String]) -> String {
        var out = "# \(header)\n"
        for line in comment { out += line.isEmpty ? "#\n" : "# \(line)\n" }
        for (i, doc) in documents.enumerated() {
            if i > 0 { out += "---\n" }
            out += doc.document
        }
        return out
    }

    func kustomization(_ paths: [String]) -> String {
        var out = "# \(header)\n"
        out += "# Apply with: kubectl apply -k <this folder>\n"
        if external {
            out += "# secrets.example.yaml is not listed: it shows the Secrets to create before applying (secrets: external).\n"
        }
        out += YAMLNode.map([
            "apiVersion": .string("kustomize.config.k8s.io/v1beta1"),
            "kind": .string("Kustomization"),
            "resources": .list(paths.map { .string($0) }),
        ]).document
        return out
    }

    // MARK: - Names and labels

    /// The Secret that holds one password (key `password`): `AAM_DB_PASSWORD` → `aam-db-password`.
    func secretName(_ ref: SecretRef) -> String {
        ref.variable.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    static let secretKey = "password"

    var commonLabels: [(String, String)] {
        [("app.kubernetes.io/part-of", plan.project), ("app.kubernetes.io/managed-by", "ovudev"), ("ovudev.io/scenario", plan.scenario)]
    }

    func serverSelector(_ server: PlannedServer) -> [(String, String)] {
        [("app.kubernetes.io/component", "database"), ("ovudev.io/server", server.name)]
    }

    func serverLabels(_ server: PlannedServer) -> [(String, String)] {
        serverSelector(server) + [("app.kubernetes.io/name", server.engine.rawValue)] + commonLabels
    }

    /// The pods of an instance's Deployment (not its migration Job).
    func instanceSelector(_ instance: ServiceInstance) -> [(String, String)] {
        [("app.kubernetes.io/component", "service"), ("ovudev.io/instance", instance.name)]
    }

    func instanceLabels(_ instance: ServiceInstance, component: String = "service") -> [(String, String)] {
        var labels = [("app.kubernetes.io/component", component), ("ovudev.io/instance", instance.name),
                      ("app.kubernetes.io/name", instance.service)]
        if let tenant = instance.tenant { labels.append(("ovudev.io/tenant", tenant)) }
        return labels + commonLabels
    }

    /// Pods of the provision, grants and backup Jobs of a server.
    func serverJobLabels(_ server: PlannedServer, component: String) -> [(String, String)] {
        [("app.kubernetes.io/component", component), ("ovudev.io/server", server.name)] + commonLabels
    }

    func metadata(_ name: String, labels: [(String, String)], annotations: [(String, String)] = [], namespaced: Bool = true) -> YAMLNode {
        .map([
            "name": .string(name),
            "namespace": namespaced ? .string(namespace) : nil,
            "labels": .strings(labels),
            "annotations": annotations.isEmpty ? nil : .strings(annotations),
        ])
    }

    /// A Job name: the base and a hash of everything the Job runs, so that a changed Job gets a
    /// new name (a Job's pod template cannot be changed in place) and an unchanged one keeps it.
    func jobName(_ base: String, hashing parts: [String]) -> String {
        "\(base)-\(stableHash(parts.joined(separator: "\u{0}")))"
    }

    // MARK: - Namespace

    func namespaceManifest() -> YAMLNode {
        .map([
            "apiVersion": .string("v1"),
            "kind": .string("Namespace"),
            "metadata": metadata(namespace, labels: commonLabels + [("pod-security.kubernetes.io/enforce", "baseline")], namespaced: false),
        ])
    }

    // MARK: - Secrets

    func secretManifests() -> [YAMLNode] {
        plan.secretRefs.map { ref in
            .map([
                "apiVersion": .string("v1"),
                "kind": .string("Secret"),
                "metadata": metadata(secretName(ref), labels: commonLabels, annotations: [("ovudev.io/variable", ref.variable)]),
                "type": .string("Opaque"),
                "stringData": .strings([(Self.secretKey, secrets.value(ref) ?? "")]),
            ])
        }
    }

    func externalSecretsComment() -> [String] {
        var lines = [
            "secrets: external — no password is written in this folder. Create these Secrets in namespace \(namespace)",
            "before `kubectl apply -k`, either by filling in a copy of this file (kubectl apply -f), or with:",
            "",
            "  kubectl create namespace \(namespace)",
        ]
        for ref in plan.secretRefs {
            lines.append("  kubectl -n \(namespace) create secret generic \(secretName(ref)) --from-literal=\(Self.secretKey)=\"$\(ref.variable)\"")
        }
        lines += [
            "",
            "Passwords that appear inside a URL (DATABASE_URL, *_READ_DATABASE_URL) are inserted as they are: use",
            "characters that need no percent-encoding (A-Z a-z 0-9 - . _ ~).",
        ]
        return lines
    }

    // MARK: - Name checks

    /// Kubernetes names are DNS labels; names the topology allows (`_`, a trailing `-`, long
    /// tenant × service names) may not be. Every problem is reported at once.
    func checkNames() throws {
        var problems: [String] = []
        func check(_ name: String, _ what: String, limit: Int = 63) {
            let bytes = Array(name.utf8)
            let valid = !bytes.isEmpty && bytes.count <= limit
                && (bytes[0] >= 0x61 && bytes[0] <= 0x7A)
                && bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
                && bytes.last != 0x2D
            if !valid {
                problems.append("\(what) \"\(name)\" is not a Kubernetes name (lowercase letters, digits and inner `-`, starting with a letter, at most \(limit) characters)")
            }
        }
        check(namespace, "project, scenarios.\(plan.scenario): the namespace (project-scenario)")
        for server in plan.servers {
            // A StatefulSet's pods carry a revision label of its name plus 11 characters.
            check(server.name, "servers: server", limit: 52)
            check("\(server.name)-provision-0123456789", "servers: the provision Job of server \(server.name)")
        }
        for instance in deployable {
            let path = "services.\(instance.service)\(instance.tenant.map { " (tenants: \($0))" } ?? "")"
            check(instance.name, "\(path): service instance")
            if instance.migrate != nil { check("\(instance.name)-migrate-0123456789", "\(path): the migration Job of \(instance.name)") }
        }
        for ref in plan.secretRefs { check(secretName(ref), "the Secret for \(ref.variable)") }
        // Objects of one kind must not share a name.
        var services: [String: String] = [:]
        for server in plan.servers { services[server.name] = "server \(server.name)" }
        for instance in deployable where instance.port != nil && instance.command != nil {
            if let other = services[instance.name] { problems.append("the Service \"\(instance.name)\" of instance \(instance.name) collides with \(other)") }
            services[instance.name] = "instance \(instance.name)"
        }
        var configMaps: [String: String] = [:]
        for server in plan.servers {
            configMaps["\(server.name)-provision"] = "server \(server.name)"
            configMaps["\(server.name)-grants"] = "server \(server.name)"
        }
        for instance in deployable {
            if let other = configMaps["\(instance.name)-env"] { problems.append("the ConfigMap \"\(instance.name)-env\" collides with \(other)") }
            configMaps["\(instance.name)-env"] = "instance \(instance.name)"
        }
        if !problems.isEmpty {
            throw RenderError(message: "cannot render Kubernetes manifests for scenario \(plan.scenario):\n  " + problems.joined(separator: "\n  "))
        }
    }
}

/// FNV-1a (64 bits) as 10 lowercase hex digits: a stable name suffix (Swift's Hasher is seeded
/// per process; this is not a security hash).
func stableHash(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01B3
    }
    let hex = String(hash, radix: 16)
    return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(10))
}
