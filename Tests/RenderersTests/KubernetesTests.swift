import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// The Kubernetes folder of every scenario: golden files, the real validators
/// (kubernetes-validate --strict, kubectl kustomize), and walks over the parsed manifests —
/// selectors, references, environments, secrets. Running the provision and grants Jobs on a real
/// PostgreSQL is in KubernetesProvisionTests.
@Suite(.ownThread) struct KubernetesTests {
    static var recording: Bool { ProcessInfo.processInfo.environment["OVUDEV_RECORD"] == "1" }
    /// Recent releases that kubernetes-validate ships schemas for (1.37: its newest, as of 1.37.0).
    static let kubernetesVersions = ["1.30.0", "1.33.0", "1.37.0"]

    // MARK: - Golden files

    @Test func everyScenarioHasKubernetesGoldens() throws {
        let onDisk = ((try? FileManager.default.contentsOfDirectory(atPath: Bundles.goldenRoot)) ?? [])
            .filter { $0.hasPrefix("k8s-") && !$0.hasSuffix(".files") }.sorted()
        if Self.recording { return }
        #expect(onDisk == (try Bundles.scenarioNames()).map { "k8s-\($0)" }, "record with OVUDEV_RECORD=1")
    }

    @Test(arguments: try Bundles.scenarioNames())
    func folderMatchesGolden(scenario: String) throws {
        let files = try K8s.render(scenario).files
        try GoldenFolder.compare(files, folder: "k8s-\(scenario)")
    }

    /// Same plan and secrets → same bytes, in memory and written twice (golden files catch what
    /// would differ between processes).
    @Test(arguments: try Bundles.scenarioNames())
    func renderingTwiceIsByteIdentical(scenario: String) throws {
        #expect(try K8s.render(scenario).files == (try K8s.render(scenario).files))
        let a = try K8s.write(scenario), b = try K8s.write(scenario)
        defer { a.remove(); b.remove() }
        for file in a.files {
            #expect(try Data(contentsOf: URL(fileURLWithPath: a.path(file.path))) == (try Data(contentsOf: URL(fileURLWithPath: b.path(file.path)))), "\(file.path)")
        }
    }

    // MARK: - Real validators

    /// kubernetes-validate --strict (offline schemas): every document of every manifest passes —
    /// an unknown kind only warns there, so a warning fails here, and the count of passed
    /// documents must be the count of documents.
    @Test(arguments: try Bundles.scenarioNames())
    func everyManifestPassesKubernetesValidate(scenario: String) throws {
        try Tools.require("kubernetes-validate")
        let w = try K8s.write(scenario)
        defer { w.remove() }
        let files = w.files.map(\.path).filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }
        #expect(files.contains(w.plan.secrets == .external ? "secrets.example.yaml" : "secrets.yaml"))
        for version in Self.kubernetesVersions {
            let r = try Tools.run(["kubernetes-validate", "--strict", "-k", version] + files, in: w.root)
            #expect(r.status == 0, "kubernetes-validate \(version) rejects \(scenario):\n\(r.output)")
            let lines = r.output.split(separator: "\n").map(String.init)
            let problems = lines.filter { $0.hasPrefix("ERROR") || $0.hasPrefix("WARN") || $0.contains("Couldn't find schema") }
            #expect(problems.isEmpty, "kubernetes-validate \(version) on \(scenario):\n\(problems.joined(separator: "\n"))")
            let passed = lines.filter { $0.hasPrefix("INFO") && $0.contains(" passed ") }.count
            #expect(passed == w.manifests.count, "\(passed) of \(w.manifests.count) documents passed kubernetes-validate \(version):\n\(r.output)")
        }
    }

    /// The real tool rejects what it should (so the test above proves something).
    @Test func kubernetesValidateRejectsAnUnknownField() throws {
        try Tools.require("kubernetes-validate")
        let w = try K8s.write("dev")
        defer { w.remove() }
        let text = try String(contentsOfFile: w.path("services/aam.yaml"), encoding: .utf8)
        try text.replacingOccurrences(of: "  replicas: 1\n", with: "  replicas: 1\n  replica: 1\n")
            .write(toFile: w.path("broken.yaml"), atomically: true, encoding: .utf8)
        let r = try Tools.run(["kubernetes-validate", "--strict", "-k", Self.kubernetesVersions.last!, "broken.yaml"], in: w.root)
        #expect(r.status != 0 && r.output.contains("'replica' was unexpected"), "\(r.output)")
    }

    /// kustomization.yaml lists every manifest (not secrets.example.yaml, which is a template of
    /// what to create), and `kubectl kustomize` builds the folder offline with every document.
    @Test(arguments: try Bundles.scenarioNames())
    func kustomizeBuildsTheFolder(scenario: String) throws {
        try Tools.require("kubectl")
        let w = try K8s.write(scenario)
        defer { w.remove() }
        let kustomization = try #require(try K8s.load(w.root, files: ["kustomization.yaml"]).first)
        let resources = kustomization.doc["resources"] as? [String] ?? []
        let manifests = w.files.map(\.path).filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" && $0 != "secrets.example.yaml" }
        #expect(resources == manifests.sorted())
        let r = try Tools.run(["kubectl", "kustomize", w.root])
        #expect(r.status == 0, "kubectl kustomize \(scenario):\n\(r.output)")
        let built = try Tools.run(["python3", "-c", "import sys, yaml; print(sum(1 for d in yaml.safe_load_all(sys.stdin) if d))"], stdin: r.stdout)
        let listed = w.manifests.filter { $0.file != "secrets.example.yaml" }.count
        #expect(built.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(listed), "kustomize built \(built.stdout) documents, the files hold \(listed)")
    }

    // MARK: - Selectors

    @Test(arguments: try Bundles.scenarioNames())
    func selectorsMatchTemplateLabels(scenario: String) throws {
        let w = try K8s.write(scenario)
        defer { w.remove() }
        let workloads = w.manifests.filter { $0.podTemplate != nil }
        for m in workloads where m.kind == "Deployment" || m.kind == "StatefulSet" {
            let selector = try #require(m.spec["selector"] as? [String: Any], "\(m.id) has no selector")
            #expect(matches(selector, m.podLabels), "\(m.id): selector \(selector) does not match its template labels \(m.podLabels)")
            // No other workload's pods fall under it.
            for other in workloads where other.name != m.name || other.kind != m.kind {
                #expect(!matches(selector, other.podLabels), "\(m.id)'s selector also matches the pods of \(other.id)")
            }
        }
        for service in w.all("Service") {
            let selector = try #require(service.spec["selector"] as? [String: String], "\(service.id) has no selector")
            let selected = workloads.filter { matches(["matchLabels": selector], $0.podLabels) }
            #expect(selected.count == 1 && ["Deployment", "StatefulSet"].contains(selected.first?.kind ?? ""),
                    "\(service.id) must select the pods of exactly one Deployment or StatefulSet, selects \(selected.map(\.id))")
            // Named target ports exist on the selected pods.
            for port in service.spec["ports"] as? [[String: Any]] ?? [] {
                if let target = port["targetPort"] as? String, let pod = selected.first {
                    let names = pod.containers.flatMap { ($0.raw["ports"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
                    #expect(names.contains(target), "\(service.id): target port \(target) is not a port of \(pod.id)")
                }
            }
        }
        for set in w.all("StatefulSet") {
            let serviceName = set.spec["serviceName"] as? String ?? ""
            let service = try #require(w.find("Service", serviceName), "\(set.id) names Service \(serviceName), which is not rendered")
            #expect(service.spec["clusterIP"] as? String == "None", "\(service.id) must be headless")
            #expect(matches(["matchLabels": service.spec["selector"] as? [String: String] ?? [:]], set.podLabels))
            let claims = (set.spec["volumeClaimTemplates"] as? [[String: Any]] ?? []).compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
            #expect(claims == ["data"], "\(set.id): one volume claim template")
            for container in set.containers {
                #expect(container.raw["readinessProbe"] != nil && container.raw["livenessProbe"] != nil, "\(set.id)/\(container.name) needs probes")
                #expect((container.raw["resources"] as? [String: Any])?["requests"] != nil, "\(set.id)/\(container.name) needs resource requests")
            }
        }
        // Every NetworkPolicy selects pods (the empty selector: all of them), and so do the
        // pod selectors it allows traffic from and to.
        for policy in w.all("NetworkPolicy") {
            let selector = policy.spec["podSelector"] as? [String: Any] ?? [:]
            if !selector.isEmpty {
                #expect(workloads.contains { matches(selector, $0.podLabels) }, "\(policy.id) selects no pod")
            }
            let rules = (policy.spec["ingress"] as? [[String: Any]] ?? []).flatMap { $0["from"] as? [[String: Any]] ?? [] }
                + (policy.spec["egress"] as? [[String: Any]] ?? []).flatMap { $0["to"] as? [[String: Any]] ?? [] }
            for peer in rules where peer["namespaceSelector"] == nil {
                let peerSelector = try #require(peer["podSelector"] as? [String: Any], "\(policy.id): a peer without podSelector")
                #expect(workloads.contains { matches(peerSelector, $0.podLabels) }, "\(policy.id): peer \(peerSelector) selects no pod")
            }
        }
    }

    // MARK: - References

    /// Every Secret, ConfigMap, PVC, volume and Service a manifest refers to is rendered (for
    /// external secrets: in secrets.example.yaml), and every `$(VAR)` refers to a variable.
    @Test(arguments: try Bundles.scenarioNames())
    func everyReferenceIsRendered(scenario: String) throws {
        let w = try K8s.write(scenario)
        defer { w.remove() }
        let namespace = try #require(w.all("Namespace").first).name
        for m in w.manifests where m.kind != "Namespace" {
            #expect(m.namespace == namespace, "\(m.id) is not in namespace \(namespace)")
        }
        let configMaps = Dictionary(uniqueKeysWithValues: w.all("ConfigMap").map { ($0.name, $0.stringData) })
        let secrets = Dictionary(uniqueKeysWithValues: w.all("Secret").map { ($0.name, $0.stringData) })
        let claims = Set(w.all("PersistentVolumeClaim").map(\.name))
        var services: [String: Set<Int>] = [:]
        for s in w.all("Service") {
            services[s.name] = Set((s.spec["ports"] as? [[String: Any]] ?? []).compactMap { $0["port"] as? Int })
        }
        var secretsUsed = Set<String>()

        func checkHost(_ host: String, port: Int?, _ what: String) {
            guard let ports = services[host] else { Issue.record("\(what): no Service \(host) is rendered"); return }
            if let port { #expect(ports.contains(port), "\(what): Service \(host) has no port \(port)") }
        }
        /// `scheme://user:pass@host:port/…` → host and port.
        func checkURLs(in value: String, _ what: String) {
            guard let r = value.range(of: "://") else { return }
            var rest = value[r.upperBound...]
            if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            let parts = authority.split(separator: ":")
            checkHost(String(parts[0]), port: parts.count > 1 ? Int(parts[1]) : nil, what)
        }

        for m in w.manifests where m.podTemplate != nil {
            let volumes = m.podSpec["volumes"] as? [[String: Any]] ?? []
            var volumeNames = Set(volumes.compactMap { $0["name"] as? String })
            for template in m.spec["volumeClaimTemplates"] as? [[String: Any]] ?? [] {
                if let name = (template["metadata"] as? [String: Any])?["name"] as? String { volumeNames.insert(name) }
            }
            for volume in volumes {
                if let map = (volume["configMap"] as? [String: Any])?["name"] as? String {
                    #expect(configMaps[map] != nil, "\(m.id): volume from ConfigMap \(map), which is not rendered")
                }
                if let claim = (volume["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String {
                    #expect(claims.contains(claim), "\(m.id): PVC \(claim) is not rendered")
                }
                #expect(volume["secret"] == nil && volume["hostPath"] == nil, "\(m.id): unexpected volume \(volume)")
            }
            for container in m.containers {
                let what = "\(m.id)/\(container.name)"
                for mount in container.volumeMounts {
                    #expect(volumeNames.contains(mount["name"] as? String ?? ""), "\(what) mounts an undefined volume \(mount)")
                }
                var defined = Set<String>()
                for source in container.envFrom {
                    let map = (source["configMapRef"] as? [String: Any])?["name"] as? String ?? ""
                    let data = try #require(configMaps[map], "\(what): envFrom ConfigMap \(map) is not rendered")
                    defined.formUnion(data.keys)
                    for (key, value) in data {
                        if key.hasSuffix("_HOST") { checkHost(value, port: nil, "\(what) \(key)") }
                        checkURLs(in: value, "\(what) \(key)")
                    }
                }
                for entry in container.env {
                    let name = entry["name"] as? String ?? ""
                    if let value = entry["value"] as? String {
                        for ref in Kubelet.references(value) {
                            #expect(defined.contains(ref), "\(what): \(name) refers to $(\(ref)), not defined before it")
                        }
                        let plain = Kubelet.expand(value, [:])
                        if name.hasSuffix("_HOST") || name == "PGHOST" { checkHost(plain, port: nil, "\(what) \(name)") }
                        checkURLs(in: plain, "\(what) \(name)")
                    } else if let ref = (entry["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any] {
                        let secret = ref["name"] as? String ?? "", key = ref["key"] as? String ?? ""
                        secretsUsed.insert(secret)
                        #expect(secrets[secret]?[key] != nil, "\(what): \(name) from Secret \(secret) key \(key), which is not rendered")
                    } else {
                        Issue.record("\(what): \(name) has neither a value nor a Secret")
                    }
                    defined.insert(name)
                }
                for argument in container.command {
                    for ref in Kubelet.references(argument) {
                        #expect(defined.contains(ref), "\(what): the command refers to $(\(ref)), which the container does not define")
                    }
                }
                // Hosts and ports the container connects to.
                let env = try Kubelet.environment(container, configMaps: configMaps, secrets: secrets.mapValues { $0.mapValues { _ in "x" } })
                if let host = env["PGHOST"] { checkHost(host, port: env["PGPORT"].flatMap { Int($0) }, "\(what) PGHOST") }
                if let host = env["MYSQL_HOST"] { checkHost(host, port: env["MYSQL_TCP_PORT"].flatMap { Int($0) }, "\(what) MYSQL_HOST") }
                if let host = env["OVU_HOST"] { checkHost(host, port: env["OVU_PORT"].flatMap { Int($0) }, "\(what) OVU_HOST") }
            }
        }
        // Every Secret of the Plan is rendered and used; nothing else is rendered.
        let expected = Set(w.plan.secretRefs.map { $0.variable.lowercased().replacingOccurrences(of: "_", with: "-") })
        #expect(Set(secrets.keys) == expected)
        #expect(secretsUsed == expected, "rendered but unused Secrets: \(expected.subtracting(secretsUsed).sorted())")
    }

    // MARK: - Environment

    /// Each Deployment (and migration) gets the Plan's environment — the variables of
    /// env/<svc>.env with in-cluster hosts — once Kubernetes has filled in the Secrets and
    /// expanded `$(VAR)`; nothing else but the `OVU_SECRET_*` helpers.
    @Test(arguments: try Bundles.scenarioNames())
    func applicationEnvironmentIsThePlans(scenario: String) throws {
        let w = try K8s.write(scenario)
        defer { w.remove() }
        let values = Bundles.fixedSecretValues(w.plan)
        let configMaps = Dictionary(uniqueKeysWithValues: w.all("ConfigMap").map { ($0.name, $0.stringData) })
        var secrets = Dictionary(uniqueKeysWithValues: w.all("Secret").map { ($0.name, $0.stringData) })
        if w.plan.secrets == .external {
            secrets = Dictionary(uniqueKeysWithValues: w.plan.secretRefs.map { ($0.variable.lowercased().replacingOccurrences(of: "_", with: "-"), ["password": values[$0.variable]!]) })
        } else {
            for ref in w.plan.secretRefs {
                #expect(secrets[ref.variable.lowercased().replacingOccurrences(of: "_", with: "-")]?["password"] == values[ref.variable], "the Secret for \(ref.variable) holds its generated value")
            }
        }
        var checked = 0
        for instance in w.plan.instances where instance.image != nil || instance.path != nil {
            let expected = Dictionary(uniqueKeysWithValues: instance.environment.map { ($0.key, Bundles.expectedHostValue($0.network, secrets: values)!) })
            var containers: [(String, PodContainer)] = []
            if instance.command != nil, let d = w.find("Deployment", instance.name) {
                containers.append((d.id, try #require(d.containers.first { !$0.isInit })))
            }
            if instance.migrate != nil {
                let job = try #require(w.all("Job").first { $0.labels["ovudev.io/instance"] == instance.name }, "no migration Job for \(instance.name)")
                containers.append((job.id, try #require(job.containers.first { $0.name == "migrate" })))
            }
            #expect(!containers.isEmpty, "\(instance.name) runs nowhere")
            for (id, container) in containers {
                let env = try Kubelet.environment(container, configMaps: configMaps, secrets: secrets)
                let own = env.filter { !$0.key.hasPrefix("OVU_SECRET_") }
                #expect(own == expected, "\(id): the environment differs from the Plan's:\n\(own.sorted { $0.key < $1.key })\nexpected\n\(expected.sorted { $0.key < $1.key })")
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    // MARK: - Secrets

    /// With `secrets: external` (prod, and every other scenario switched to it), through the CLI's
    /// path with a secret store full of passwords: no stored password reaches the folder, no
    /// `…PASSWORD=` has a value, every Secret is only referenced, and the store is untouched.
    @Test(arguments: try Bundles.scenarioNames())
    func externalRenderHoldsNoPassword(scenario: String) throws {
        let root = try Bundles.temporaryDirectory("k8s-external")
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The example topology with this scenario's secrets external.
        var text = try String(contentsOfFile: Bundles.topologyPath, encoding: .utf8)
        if try Bundles.plan(scenario).secrets != .external {
            let pattern = "\"\(scenario)\":"
            let range = try #require(text.range(of: pattern), "scenario \(scenario) not found in the topology text")
            let brace = try #require(text[range.upperBound...].firstIndex(of: "{"))
            text.insert(contentsOf: " \"secrets\": \"external\",", at: text.index(after: brace))
        }
        try text.write(toFile: "\(root)/ovu.topology.json", atomically: true, encoding: .utf8)
        let project = try Project.load(topologyPath: "\(root)/ovu.topology.json")
        let plan = try project.plan(scenario: scenario)
        #expect(plan.secrets == .external)
        var stored: [String: String] = [:]
        for ref in plan.secretRefs { stored[ref.variable] = "Leak" + Bundles.fixedPassword(ref.variable) }
        try project.secretStore.save(.init(unassigned: stored))
        let before = try Data(contentsOf: URL(fileURLWithPath: project.secretStore.path))

        let rendered = try project.render(scenario: scenario, output: nil, target: .kubernetes)
        #expect(rendered.directory == "\(root)/render/\(scenario)-k8s")
        #expect(try Data(contentsOf: URL(fileURLWithPath: project.secretStore.path)) == before)
        #expect(!rendered.files.contains { $0.path == "secrets.yaml" })
        var checked = 0
        let walker = try #require(FileManager.default.enumerator(atPath: rendered.directory))
        while let relative = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            let path = "\(rendered.directory)/\(relative)"
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let content = try String(contentsOfFile: path, encoding: .utf8)
            checked += 1
            for (variable, value) in stored where content.contains(value) {
                Issue.record("\(relative) holds the stored password of \(variable)")
            }
            for (n, line) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("#") { continue }
                if let r = trimmed.range(of: #"[A-Z0-9_]*PASSWORD="#, options: .regularExpression) {
                    let rest = trimmed[r.upperBound...]
                    #expect(rest.isEmpty || rest.hasPrefix("$(") || rest.hasPrefix("\"$"), "\(relative):\(n + 1) gives a password a value: \(trimmed)")
                }
            }
        }
        #expect(checked == rendered.files.count + 1)
        let w = try K8s.load(rendered.directory, files: ["secrets.example.yaml"])
        #expect(w.count == plan.secretRefs.count && w.allSatisfy { $0.kind == "Secret" && $0.stringData == ["password": ""] })
    }

    /// Generated secrets are dev-only values in secrets.yaml (mode 0600), and only there.
    @Test(arguments: try Bundles.scenarioNames().filter { try Bundles.plan($0).secrets == .generated })
    func generatedPasswordsAreOnlyInSecretsYaml(scenario: String) throws {
        let (plan, files) = try K8s.render(scenario)
        let values = Bundles.fixedSecretValues(plan)
        for file in files {
            let holds = values.values.filter { file.contents.contains($0) }
            if file.path == "secrets.yaml" {
                #expect(holds.count == values.count && file.mode == 0o600)
            } else {
                #expect(holds.isEmpty, "\(file.path) holds a password")
                #expect(file.mode == 0o644)
            }
        }
    }

    // MARK: - Names, tenants, convergence

    @Test func namesThatAreNotKubernetesNamesAreRefused() throws {
        var topology = try Bundles.topology()
        let i = try #require(topology.services.firstIndex { $0.name == "aam" })
        topology.services[i].name = "a_am"
        for j in topology.services.indices {
            topology.services[j].dependsOn = topology.services[j].dependsOn.map { $0 == "aam" ? "a_am" : $0 }
        }
        do {
            _ = try K8s.render("dev", topology: topology)
            Issue.record("a service name with `_` was rendered")
        } catch let error as RenderError {
            #expect(error.message.contains("\"a_am\"") && error.message.contains("not a Kubernetes name"), "\(error.message)")
        }
    }

    /// Per tenant: one namespace; every object of a tenant's instance carries its tenant label,
    /// and an instance's pods may reach only its own tenant's instances.
    @Test func perTenantObjectsAreLabelledAndKeptApart() throws {
        let w = try K8s.write("saas")
        defer { w.remove() }
        #expect(w.all("Namespace").map(\.name) == ["ovu-saas"])
        for instance in w.plan.instances {
            let tenant = try #require(instance.tenant)
            let own = w.manifests.filter { $0.labels["ovudev.io/instance"] == instance.name }
            #expect(own.count >= 3, "\(instance.name): ConfigMap, Deployment, Service, migration Job")
            for m in own { #expect(m.labels["ovudev.io/tenant"] == tenant && m.podTemplate.map { _ in m.podLabels["ovudev.io/tenant"] == tenant } != false, "\(m.id)") }
            let policy = try #require(w.find("NetworkPolicy", "instance-\(instance.name)"))
            let peers = (policy.spec["egress"] as? [[String: Any]] ?? []).flatMap { $0["to"] as? [[String: Any]] ?? [] }
            for peer in peers {
                let selector = peer["podSelector"] as? [String: Any] ?? [:]
                for other in w.manifests where other.podTemplate != nil && matches(selector, other.podLabels) {
                    if let t = other.podLabels["ovudev.io/tenant"] { #expect(t == tenant, "\(policy.id) lets \(instance.name) reach \(other.id)") }
                }
            }
        }
    }

    /// A Job's name follows what it runs: the same Plan keeps it (so `kubectl apply -k` leaves a
    /// finished Job alone), a changed init script gives a new one (which runs).
    @Test func jobNamesFollowTheirContent() throws {
        let jobs = { (files: [RenderedFile]) in
            files.flatMap { $0.contents.split(separator: "\n") }.filter { $0.hasPrefix("  name: ") && $0.contains("-provision-") }.map(String.init)
        }
        let before = jobs(try K8s.render("stage").files)
        #expect(before.count == 1)
        #expect(jobs(try K8s.render("stage").files) == before)
        var topology = try Bundles.topology()
        let i = try #require(topology.services.firstIndex { $0.name == "aam" })
        topology.services[i].database?.extensions.append("citext")
        let after = jobs(try K8s.render("stage", topology: topology).files)
        #expect(after.count == 1 && after != before, "\(before) → \(after)")
    }
}

/// A label selector (`matchLabels`, `matchExpressions` with In, NotIn, Exists, DoesNotExist)
/// against pod labels. An empty selector matches everything.
func matches(_ selector: [String: Any], _ labels: [String: String]) -> Bool {
    for (key, value) in selector["matchLabels"] as? [String: String] ?? [:] where labels[key] != value { return false }
    for expression in selector["matchExpressions"] as? [[String: Any]] ?? [] {
        let key = expression["key"] as? String ?? "", values = expression["values"] as? [String] ?? []
        switch expression["operator"] as? String {
        case "In": if !values.contains(labels[key] ?? "\u{0}") { return false }
        case "NotIn": if let v = labels[key], values.contains(v) { return false }
        case "Exists": if labels[key] == nil { return false }
        case "DoesNotExist": if labels[key] != nil { return false }
        default: return false
        }
    }
    return true
}
