import Foundation
import Stack
import Testing
import TestSupport
import Topology

/// Every runtime command and flag the README documents, through the real binary, on one shared
/// native stack (the `stage` scenario of the example): what a user types, and what they see.
@Suite(.serialized, .ownThread) struct CLISmokeTests {
    func json(_ output: String) throws -> Any {
        // Progress and the "running scenario" note go to stderr, which `ovudev()` merges: take the JSON part.
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("{") })
        let end = try #require(lines.lastIndex { $0.hasPrefix("}") })
        return try JSONSerialization.jsonObject(with: Data(lines[start...end].joined(separator: "\n").utf8))
    }

    @Test func theDocumentedCommandsOnOneStack() throws {
        let project = try TempProject()
        defer { project.close() }
        let dir = project.directory
        let stage = try project.stack("stage")

        let plan = try ovudev(["plan", "--scenario", "stage", "--json"], directory: dir)
        #expect(plan.status == 0)
        let planned = try #require(try json(plan.output) as? [String: Any])
        #expect(planned["scenario"] as? String == "stage" && (planned["instances"] as? [Any])?.count == 4)
        let variable = try #require(stage.plan.secretRefs.first).variable
        #expect(!plan.output.contains(variable + "\":"), "no secret values in plan --json")

        let up = try ovudev(["up", "--scenario", "stage"], directory: dir)
        #expect(up.status == 0, "\(up.output)")

        // status --json: the running scenario without --scenario, every service healthy.
        let status = try ovudev(["status", "--json"], directory: dir)
        let state = try #require(try json(status.output) as? [String: Any])
        #expect(state["scenario"] as? String == "stage")
        let services = try #require(state["services"] as? [[String: Any]])
        #expect(services.count == 4 && services.allSatisfy { $0["running"] as? Bool == true && $0["health"] as? String == "200" }, "\(services)")

        // env: masked by default, the real password with --reveal.
        let password = try #require(stage.secretsFromStore()["SAM_DB_PASSWORD"])
        let masked = try ovudev(["env", "sam"], directory: dir)
        #expect(masked.status == 0 && masked.output.contains("DB_PASSWORD='********'") && !masked.output.contains(password))
        let revealed = try ovudev(["env", "sam", "--reveal"], directory: dir)
        #expect(revealed.output.contains("DB_PASSWORD=\(password)"))

        // psql as the service's own role, options after the service included.
        let psql = try ovudev(["psql", "ulm", "-At", "-c", "select current_user, count(*) from users"], directory: dir)
        #expect(psql.status == 0 && psql.output.contains("ulm_user|3"), "\(psql.output)")
        let other = try ovudev(["psql", "ulm", "--scenario", "stage", "--", "-At", "-c", "select current_database()"], directory: dir)
        #expect(other.output.contains("ulm_db"), "\(other.output)")

        // check --json passes, then a leak planted by the superuser fails it with exit 1.
        let check = try ovudev(["check", "--json"], directory: dir)
        #expect(check.status == 0)
        let report = try #require(try json(check.output) as? [String: Any])
        #expect(report["leaks"] as? Int == 0)
        let pg = try #require(stage.plan.servers.first { $0.engine == .postgres })
        let admin = try PGConnection(PGConnectionParameters(host: stage.paths.pgRun(pg.name), port: pg.port, user: pg.superuser ?? "postgres", password: nil, database: "postgres"))
        try admin.exec("GRANT CONNECT ON DATABASE smm_db TO ulm_user")
        let leaky = try ovudev(["check", "--json"], directory: dir)
        #expect(leaky.status == 1)
        let leaks = try #require((try json(leaky.output) as? [String: Any])?["findings"] as? [[String: Any]]).filter { $0["status"] as? String == "leak" }
        // The catalog says it, and a real login as ulm_user proves it.
        #expect(!leaks.isEmpty && leaks.allSatisfy { $0["subject"] as? String == "ulm_user" && $0["check"] as? String == "isolation" }, "\(leaks)")

        // The next up takes the leak back.
        let again = try ovudev(["up"], directory: dir)
        #expect(again.status == 0 && again.output.contains("revoked CONNECT"), "\(again.output)")

        // seed --force on the example: every CSV emptied and reloaded, nothing duplicated.
        let force = try ovudev(["seed", "ulm", "--force"], directory: dir)
        #expect(force.status == 0, "\(force.output)")
        #expect(force.output.contains("01-roles.csv: emptied and reloaded; the TRUNCATE also emptied"), "\(force.output)")
        let users = try ovudev(["psql", "ulm", "-At", "-c", "select count(*) from users"], directory: dir)
        #expect(users.output.split(separator: "\n").map(String.init).contains("3"), "\(users.output)")
        let reseed = try ovudev(["seed"], directory: dir)
        #expect(reseed.status == 0 && !reseed.output.contains("loaded"), "a later seed loads nothing: \(reseed.output)")

        // logs: the service's log; -f follows until stopped.
        let logs = try ovudev(["logs", "ulm"], directory: dir)
        #expect(logs.status == 0 && !logs.output.isEmpty)

        // logs -f: prints the tail, then follows a line written afterwards, until stopped.
        let follow = try followLogs(directory: dir, appendTo: stage.paths.serviceLog("ulm"), line: "ovudev-smoke-follow")
        #expect(follow, "logs -f showed a line written after it started")

        // doctor: nothing missing on this machine, the running servers' ports are ours.
        let doctor = try ovudev(["doctor"], directory: dir)
        #expect(doctor.status == 0, "\(doctor.output)")

        // down --volumes removes the data; a second down says nothing was running.
        let down = try ovudev(["down", "--volumes"], directory: dir)
        #expect(down.status == 0 && down.output.contains("data removed"))
        #expect(!FileManager.default.fileExists(atPath: stage.paths.pgData(pg.name)))
        let nothing = try ovudev(["down", "--scenario", "stage"], directory: dir)
        #expect(nothing.output.contains("nothing was running"), "\(nothing.output)")
    }

    @Test func upWithExternalSecretsTakesThemFromTheEnvironment() throws {
        let project = try TempProject()
        defer { project.close() }
        let prod = try project.stack("prod")
        #expect(prod.plan.secrets == .external)
        let missing = try ovudev(["up", "--scenario", "prod", "--no-check"], directory: project.directory)
        let first = try #require(prod.plan.secretRefs.first).variable
        #expect(missing.status == 1 && missing.output.contains(first), "\(missing.output)")
        let values = Dictionary(uniqueKeysWithValues: prod.plan.secretRefs.map { ($0.variable, "pw-\($0.variable.lowercased())") })
        let up = try ovudev(["up", "--scenario", "prod"], directory: project.directory, environment: values)
        #expect(up.status == 0, "\(up.output)")
        let store = (try? String(contentsOfFile: "\(project.directory)/.ovu/secrets.json", encoding: .utf8)) ?? ""
        #expect(!store.contains("pw-"), "external secrets are never stored")
        let env = try ovudev(["env", "sam", "--reveal"], directory: project.directory, environment: values)
        #expect(env.output.contains("DB_PASSWORD=pw-sam_db_password"), "\(env.output)")
        _ = try ovudev(["down"], directory: project.directory, environment: values)
    }
}

extension CLISmokeTests {
    /// `ovudev logs ulm -f` as a process (spawned with a clean signal mask, output to a file):
    /// once it has printed the tail, a line appended to the log must show up within 10 s. The
    /// process is stopped either way.
    func followLogs(directory: String, appendTo log: String, line: String) throws -> Bool {
        let binary = try ovudevBinary()
        let out = "\(directory)/logs-follow.out"
        let pid = try Subprocess.spawnDetached([binary, "logs", "ulm", "-f"], environment: ProcessInfo.processInfo.environment, directory: directory, output: out)
        defer { kill(-pid, SIGTERM); kill(pid, SIGTERM); var status: Int32 = 0; waitpid(pid, &status, 0) }
        func seen(_ needle: String) -> Bool { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains(needle) }
        // The tail first (the log has the service's start), then the new line.
        var deadline = Date().addingTimeInterval(10)
        while !seen("\n") && Date() < deadline { usleep(20_000) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\(line)\n".utf8))
        try handle.close()
        deadline = Date().addingTimeInterval(10)
        while !seen(line) && Date() < deadline { usleep(20_000) }
        return seen(line)
    }
}

extension NativeStack {
    /// The generated passwords as the store holds them (what `--reveal` must print).
    func secretsFromStore() throws -> [String: String] {
        try loadSecrets(create: false)
        return secrets
    }
}
