import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// The provisioning every target runs on every deploy, executed for real on PostgreSQL 15:
/// the Kubernetes provision Job (its command, environment and ConfigMap, as a kubelet would run
/// them) twice with ON_ERROR_STOP and no change the second time, followed by the full isolation
/// checks of PostgresInitTests; then the compose `provision` service on the same server, which
/// must change nothing either (both targets converge to the same catalog); the grants Job; the
/// backup CronJob (dumps pg_restore reads, retention); and the waits that order migrations and
/// Deployments, run against the real state.
@Suite(.ownThread(early: true)) struct KubernetesProvisionTests {
    /// `scenario/server` for every PostgreSQL server of every scenario.
    static func cases() throws -> [String] {
        try Bundles.scenarioNames().flatMap { scenario in
            try Bundles.plan(scenario).servers.filter { $0.engine == .postgres }.map { "\(scenario)/\($0.name)" }
        }
    }

    @Test(arguments: try cases())
    func provisioningConvergesInEveryTarget(pair: String) throws {
        let scenario = String(pair.split(separator: "/")[0]), serverName = String(pair.split(separator: "/")[1])
        let bundle = try InitBundle(scenario: scenario)
        let server = try #require(bundle.plan.server(serverName))
        let secrets = bundle.plan.secrets == .external ? Secrets.external : Secrets(values: bundle.passwords)
        let w = try K8s.write(scenario, secrets: secrets)
        defer { w.remove() }

        let cluster = try PostgresServer.start()
        defer { cluster.stop() }
        let runner = PodRunner(w: w, cluster: cluster, passwords: bundle.passwords, superuserSecret: server.superuserSecret!)
        let target = ServerUnderTest(bundle: bundle, server: server, cluster: cluster)

        // The provision Job: twice, nothing changed the second time, every role isolated.
        let provision = try #require(w.all("Job").first { $0.labels["app.kubernetes.io/component"] == "provision" && $0.labels["ovudev.io/server"] == serverName })
        #expect(provision.name.hasPrefix("\(serverName)-provision-"))
        // No password in the ConfigMap: the SQL takes them from psql variables.
        let config = try #require(w.find("ConfigMap", "\(serverName)-provision"))
        for value in bundle.passwords.values { #expect(!(config.stringData["init-db.sql"] ?? "").contains(value)) }
        // grants.sql is the compose bundle's post-migrate file (which `verify` runs), byte for byte.
        if let grants = w.find("ConfigMap", "\(serverName)-grants") {
            #expect(grants.stringData["grants.sql"].map { Self.body($0) } == bundle.files["init/\(serverName)/post-migrate/grants.sql"].map { Self.body($0) })
        }
        try target.verify(scenario: scenario) { try runner.run(provision) }

        // A migration's wait for provisioning holds only once everything of its role's space is
        // there: undo any one step, it says no; provision again, it says yes.
        for instance in bundle.plan.instances where instance.database?.server == serverName && instance.migrate != nil {
            let access = try #require(instance.database)
            let db = try #require(server.databases.first { $0.name == access.database })
            let job = try #require(w.all("Job").first { $0.labels["app.kubernetes.io/component"] == "migration" && $0.labels["ovudev.io/instance"] == instance.name })
            let wait = try #require(job.containers.first { $0.name == "wait-for-database" })
            let role = Escape.sqlIdentifier(access.role)
            var undo: [String] = []
            if let schema = access.schema { undo.append("ALTER SCHEMA \(Escape.sqlIdentifier(schema)) OWNER TO \(Escape.sqlIdentifier(server.superuser ?? "postgres"))") }
            if access.tablePrefix != nil { undo.append("REVOKE CREATE ON SCHEMA public FROM \(role)") }
            if db.owner == access.role { undo.append("ALTER SCHEMA public OWNER TO pg_database_owner") }
            if db.searchPaths.contains(where: { $0.role == access.role }) { undo.append("ALTER ROLE \(role) IN DATABASE \(Escape.sqlIdentifier(db.name)) RESET search_path") }
            for ext in db.extensions { undo.append("DROP EXTENSION \(Escape.sqlIdentifier(ext))") }
            #expect(!undo.isEmpty)
            #expect(try runner.check(wait) == "1", "\(instance.name): the provisioned wait says no after provisioning")
            for statement in undo {
                _ = try cluster.query(statement, database: db.name)
                #expect(try runner.check(wait) == "0", "\(instance.name): the provisioned wait says yes after `\(statement)`")
                let again = try runner.run(provision)
                try #require(again.succeeded, "provision after `\(statement)`: \(again)")
                #expect(try runner.check(wait) == "1", "\(instance.name): the provisioned wait says no after provisioning again (`\(statement)`)")
            }
        }

        // The compose provision service on the same server converges to the same catalog.
        let before = try target.catalogSnapshot()
        for round in 1...2 {
            let outcome = try runner.runComposeService("\(serverName)-provision", bundle: bundle)
            try #require(outcome.succeeded, "compose provision (run \(round)) failed: \(outcome)")
            target.expectUnchanged(before, try target.catalogSnapshot(), "the compose provision service (run \(round)) changed what the provision Job made on \(serverName)")
        }

        // The grants Job: it finds the tables (checkReads created them) and changes nothing now.
        if let grants = w.all("Job").first(where: { $0.labels["app.kubernetes.io/component"] == "grants" && $0.labels["ovudev.io/server"] == serverName }) {
            for round in 1...2 {
                let outcome = try runner.run(grants)
                try #require(outcome.succeeded, "grants Job (run \(round)): \(outcome)")
            }
            target.expectUnchanged(before, try target.catalogSnapshot(), "the grants Job changed the catalog on \(serverName)")
        }

        // The backup CronJob: a dump per target into the claim, restorable; the retention line
        // deletes dumps older than keepDays and keeps younger ones.
        let targets = bundle.plan.backups.targets.filter { $0.server == serverName }
        if !targets.isEmpty {
            let cron = try #require(w.all("CronJob").first { $0.labels["ovudev.io/server"] == serverName }, "no backup CronJob for \(serverName)")
            let volumes = cron.podSpec["volumes"] as? [[String: Any]] ?? []
            let claims = volumes.compactMap { ($0["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String }
            let claim = try #require(claims.first, "\(cron.id) mounts no claim")
            let dir = runner.claimDirectory(claim)
            let keepDays = bundle.plan.backups.keepDays
            for t in targets {
                try FileManager.default.createDirectory(atPath: "\(dir)/\(t.name)", withIntermediateDirectories: true)
                for (stamp, age) in [("20000101T000000Z", keepDays + 1), ("20000102T000000Z", keepDays - 2)] {
                    let path = "\(dir)/\(t.name)/\(t.name)-\(stamp).\(t.fileExtension)"
                    try Data("old".utf8).write(to: URL(fileURLWithPath: path))
                    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -Double(age) * 86_400 - 3_600)], ofItemAtPath: path)
                }
            }
            let container = try #require(cron.containers.first)
            let outcome = try runner.runContainer(container, of: cron)
            try #require(outcome.succeeded, "backup CronJob of \(serverName): \(outcome)")
            for t in targets {
                let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/\(t.name)").sorted()
                #expect(!files.contains("\(t.name)-20000101T000000Z.\(t.fileExtension)"), "\(t.name): a dump older than \(keepDays) days was kept: \(files)")
                #expect(files.contains("\(t.name)-20000102T000000Z.\(t.fileExtension)"), "\(t.name): a younger dump was deleted: \(files)")
                let fresh = files.filter { !$0.contains("-2000010") }
                #expect(fresh.count == 1, "\(t.name): one new dump, found \(files)")
                for file in fresh {
                    let listed = try PostgresServer.spawn(["\(PostgresServer.binDirectory)/pg_restore", "-l", "\(dir)/\(t.name)/\(file)"], outputIn: cluster.root)
                    #expect(listed.succeeded && listed.stdout.contains("TABLE DATA"), "\(t.name): pg_restore cannot read \(file) or it holds no table: \(listed)")
                }
            }
        }

        // Waits: a migration starts once its role is provisioned; a Deployment waits until its
        // migration Job recorded its name, and until it may read what it `reads`.
        for instance in bundle.plan.instances where instance.database?.server == serverName {
            if instance.migrate != nil {
                let job = try #require(w.all("Job").first { $0.labels["app.kubernetes.io/component"] == "migration" && $0.labels["ovudev.io/instance"] == instance.name })
                let deployment = try #require(w.find("Deployment", instance.name))
                let waitForMigration = try #require(deployment.containers.first { $0.name == "wait-for-migration" })
                // Not migrated yet: the wait's own check says no.
                let pending = try runner.check(waitForMigration)
                #expect(pending != "1", "\(instance.name): the migration wait would pass before the migration ran (check printed \(pending))")
                let outcome = try runner.run(job, skipping: ["migrate"])
                try #require(outcome.succeeded, "migration Job of \(instance.name) (wait, record): \(outcome)")
                let again = try runner.run(job, skipping: ["migrate"])
                #expect(again.succeeded, "recording the migration twice: \(again)")
                let waited = try runner.runContainer(waitForMigration, of: deployment)
                #expect(waited.succeeded, "\(instance.name)'s wait for its migration does not end once it ran: \(waited)")
            }
        }
        for instance in bundle.plan.instances {
            guard let deployment = w.find("Deployment", instance.name) else { continue }
            for read in instance.reads where read.server == serverName {
                let wait = try #require(deployment.containers.first { $0.name == "wait-for-reads-\(read.instance)" })
                let waited = try runner.runContainer(wait, of: deployment)
                #expect(waited.succeeded, "\(instance.name)'s wait for SELECT on \(read.tables) does not end once granted: \(waited)")
            }
        }
    }

    /// A SQL file without its comment lines (the headers name their renderer).
    static func body(_ sql: String) -> String {
        sql.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("-- Rendered by ovudev") }.joined(separator: "\n")
    }
}

/// Runs a rendered pod's containers as a kubelet would — environment from its ConfigMaps and
/// Secrets, `$(VAR)` expanded, ConfigMap volumes mounted — against a test cluster: the Service
/// host is pointed at 127.0.0.1 and the cluster's port, the superuser's password at the cluster's.
struct PodRunner {
    let w: K8s.Written
    let cluster: PostgresServer
    let passwords: [String: String]
    let superuserSecret: SecretRef

    var configMaps: [String: [String: String]] { Dictionary(uniqueKeysWithValues: w.all("ConfigMap").map { ($0.name, $0.stringData) }) }

    var secrets: [String: [String: String]] {
        var map: [String: [String: String]] = [:]
        for ref in w.plan.secretRefs {
            let name = ref.variable.lowercased().replacingOccurrences(of: "_", with: "-")
            map[name] = ["password": ref == superuserSecret ? cluster.superuserPassword : passwords[ref.variable] ?? ""]
        }
        return map
    }

    func environment(_ container: PodContainer) throws -> [String: String] {
        var env = try Kubelet.environment(container, configMaps: configMaps, secrets: secrets)
        if env["PGHOST"] != nil { env["PGHOST"] = "127.0.0.1"; env["PGPORT"] = String(cluster.port) }
        env["PATH"] = "\(PostgresServer.binDirectory):/usr/bin:/bin"
        env["LC_ALL"] = "C"
        env["PGSSLMODE"] = "disable"
        return env
    }

    /// Every container of a Job's pod in order (except `skipping`); the first failure, or the last outcome.
    func run(_ job: Manifest, skipping: Set<String> = []) throws -> PostgresServer.Outcome {
        var last: PostgresServer.Outcome?
        for container in job.containers where !skipping.contains(container.name) {
            let outcome = try runContainer(container, of: job)
            if !outcome.succeeded { return outcome }
            last = outcome
        }
        return try #require(last)
    }

    /// Where a PersistentVolumeClaim's files live for the test (the same folder on every run).
    func claimDirectory(_ claim: String) -> String { "\(cluster.root)/claim-\(claim)" }

    /// One container, under `timeout` so that a wait that never ends fails instead of hanging.
    func runContainer(_ container: PodContainer, of pod: Manifest) throws -> PostgresServer.Outcome {
        let env = try environment(container)
        let scratch = cluster.root + "/pod-\(UUID().uuidString)"
        var mounts: [(String, String)] = [], claims: [(String, String)] = []
        let volumes = pod.podSpec["volumes"] as? [[String: Any]] ?? []
        for mount in container.volumeMounts {
            let name = mount["name"] as? String ?? "", path = mount["mountPath"] as? String ?? ""
            guard let volume = volumes.first(where: { $0["name"] as? String == name }) else { continue }
            if let claim = (volume["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String {
                // A claim's path may stand anywhere in a script: every `<path>/` is pointed there.
                let dir = claimDirectory(claim)
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                claims.append((path, dir))
                continue
            }
            guard let map = (volume["configMap"] as? [String: Any])?["name"] as? String else { continue }
            let dir = "\(scratch)/\(name)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for (file, text) in configMaps[map] ?? [:] { try text.write(toFile: "\(dir)/\(file)", atomically: true, encoding: .utf8) }
            mounts.append((path, dir))
        }
        var argv = container.command.map { argument -> String in
            var a = Kubelet.expand(argument, env)
            for (path, dir) in mounts where a.hasPrefix(path + "/") { a = dir + a.dropFirst(path.count) }
            for (path, dir) in claims { a = a.replacingOccurrences(of: path + "/", with: dir + "/") }
            return a
        }
        // `$(NAME)` as written (before expansion) with no such variable; a `$$(` is an escaped
        // shell substitution that Kubernetes passes on as `$(`, not a reference.
        let unresolved = container.command.flatMap { Kubelet.references($0).filter { env[$0] == nil } }
        try #require(unresolved.isEmpty, "\(container.name): unresolved \(unresolved)")
        argv[0] = ["sh": "/bin/sh", "true": "/bin/true"][argv[0]] ?? "\(PostgresServer.binDirectory)/\(argv[0])"
        return try PostgresServer.spawn(["/usr/bin/timeout", "30"] + argv, environment: env, outputIn: cluster.root)
    }

    /// What a wait container's check query prints right now (its `OVU_CHECK`, with its login).
    func check(_ container: PodContainer) throws -> String {
        let env = try environment(container)
        let sql = try #require(env["OVU_CHECK"])
        let outcome = try PostgresServer.spawn(["\(PostgresServer.binDirectory)/psql", "-XAtq", "-c", sql], environment: env, outputIn: cluster.root)
        return outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A one-shot service of the compose bundle: its command, environment (interpolated as compose
    /// does, with the passwords set for external secrets) and bind mounts of the bundle's files.
    func runComposeService(_ name: String, bundle: InitBundle) throws -> PostgresServer.Outcome {
        let compose = try #require(bundle.files["docker-compose.yml"])
        let parsed = try Tools.run(["python3", "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin)['services'][sys.argv[1]], sys.stdout)", name], stdin: compose)
        try #require(parsed.status == 0, "no compose service \(name): \(parsed.output)")
        let service = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: Any])
        var env: [String: String] = [:]
        for (key, value) in service["environment"] as? [String: String] ?? [:] { env[key] = try interpolate(value) }
        env["PGHOST"] = "127.0.0.1"
        env["PGPORT"] = String(cluster.port)
        if env["PGUSER"] == cluster.superuser { env["PGPASSWORD"] = cluster.superuserPassword }
        env["PATH"] = "\(PostgresServer.binDirectory):/usr/bin:/bin"
        env["PGSSLMODE"] = "disable"
        var argv = try #require(service["command"] as? [String])
        for volume in service["volumes"] as? [String] ?? [] {
            let parts = volume.split(separator: ":").map(String.init)
            guard parts.count >= 2, parts[0].hasPrefix("./") else { continue }
            let dir = "\(cluster.root)/compose-\(UUID().uuidString)"
            // A bind mount of one file (`./init/pg/init-db.sql:/ovu/init-db.sql:ro`).
            if let text = bundle.files[String(parts[0].dropFirst(2))] {
                let target = dir + parts[1]
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: target, atomically: true, encoding: .utf8)
                argv = argv.map { $0 == parts[1] ? target : $0 }
                continue
            }
            let prefix = String(parts[0].dropFirst(2)) + "/"
            for (path, text) in bundle.files where path.hasPrefix(prefix) {
                let target = dir + "/" + path.dropFirst(prefix.count)
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: target, atomically: true, encoding: .utf8)
            }
            argv = argv.map { $0.hasPrefix(parts[1] + "/") ? dir + $0.dropFirst(parts[1].count) : $0 }
        }
        argv[0] = argv[0] == "sh" ? "/bin/sh" : "\(PostgresServer.binDirectory)/\(argv[0])"
        return try PostgresServer.spawn(["/usr/bin/timeout", "60"] + argv, environment: env, outputIn: cluster.root)
    }

    /// Compose interpolation of the values ovudev writes: `$$` and `${VAR:?message}`.
    func interpolate(_ value: String) throws -> String {
        var out = "", rest = Substring(value)
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$") { out += "$"; rest = after.dropFirst(); continue }
            guard after.hasPrefix("{"), let close = after.firstIndex(of: "}") else { out += "$"; rest = after; continue }
            let name = String(after.dropFirst().prefix { $0 != ":" && $0 != "}" })
            out += try #require(name == superuserSecret.variable ? cluster.superuserPassword : passwords[name], "compose needs \(name)")
            rest = after[after.index(after: close)...]
        }
        return out + rest
    }
}
