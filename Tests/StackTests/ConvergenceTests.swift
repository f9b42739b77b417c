import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// `up` after an edit of the topology: exactly the difference is applied, on real servers and
/// the example services.
@Suite(.ownThread) struct ConvergenceTests {
    /// Rewrites the temp project's topology through `edit` and returns the stack of `scenario` under it.
    func edited(_ project: TempProject, _ scenario: String, _ edit: (inout [String: Any]) -> Void) throws -> NativeStack {
        let path = "\(project.directory)/ovu.topology.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&json)
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        let loaded = try Project.load(topologyPath: path)
        return NativeStack(project: loaded, plan: try loaded.plan(scenario: scenario))
    }

    func service(_ json: inout [String: Any], _ name: String, _ change: (inout [String: Any]) -> Void) {
        var services = json["services"] as! [String: [String: Any]]
        if services[name] == nil { services[name] = [:] }
        change(&services[name]!)
        json["services"] = services
    }

    func pids(_ stack: NativeStack) -> [String: Int32] {
        Dictionary(uniqueKeysWithValues: stack.status().instances.compactMap { i in i.pid.map { (i.instance, $0) } })
    }

    /// The environment a running process really has.
    func environ(_ pid: Int32) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        return Dictionary(data.split(separator: 0).compactMap { entry -> (String, String)? in
            let text = String(decoding: entry, as: UTF8.self)
            guard let eq = text.firstIndex(of: "=") else { return nil }
            return (String(text[..<eq]), String(text[text.index(after: eq)...]))
        }, uniquingKeysWith: { $1 })
    }

    func keys(_ port: Int, _ index: Int) throws -> [String] {
        let r = try RedisConnection(port: port)
        try r.select(index)
        guard case let .array(items) = try r.command(["KEYS", "*"]) else { return [] }
        return items.compactMap(\.text).sorted()
    }

    @Test func changedPortAndCommandRestartExactlyTheirServices() throws {
        let project = try TempProject()
        defer { project.close() }
        let first = try project.stack("dev")
        _ = try first.up(check: false)
        let before = pids(first)
        let newPort = try #require(first.plan.instance("smm")?.port) + 50

        let second = try edited(project, "dev") { json in
            service(&json, "smm") { $0["port"] = newPort }
            service(&json, "sam") { $0["command"] = "python3 sam/app.py --changed" }
        }
        let report = try second.up()
        #expect(report.changes == [
            InstanceChange(instance: "sam", kind: .changed, fields: ["command"], action: "restarted"),
            InstanceChange(instance: "smm", kind: .changed, fields: ["PORT"], action: "restarted"),
        ])
        let after = pids(second)
        #expect(after["ulm"] == before["ulm"] && after["aam"] == before["aam"], "untouched services keep running")
        #expect(after["sam"] != before["sam"] && after["smm"] != before["smm"])
        #expect(try environ(#require(after["smm"]))["PORT"] == String(newPort))
        #expect(try #require(report.check).passed)

        let third = try edited(project, "dev") { _ in }
        #expect(try third.up(check: false).changedNothing)
    }

    @Test func aChangedURLRestartsTheDependents() throws {
        let project = try TempProject()
        defer { project.close() }
        _ = try project.stack("dev").up(check: false)
        let samPort = try #require(try project.stack("dev").plan.instance("sam")?.port) + 60
        let next = try edited(project, "dev") { json in service(&json, "sam") { $0["port"] = samPort } }
        let report = try next.up(check: false)
        // smm depends on sam: it holds SAM_URL.
        #expect(report.changes.map(\.instance) == ["sam", "smm"])
        #expect(report.changes.first { $0.instance == "smm" }?.fields == ["SAM_URL"])
        #expect(try environ(#require(pids(next)["smm"]))["SAM_URL"] == "http://127.0.0.1:\(samPort)")
    }

    @Test func aRemovedServiceStopsAndKeepsItsData() throws {
        let project = try TempProject()
        defer { project.close() }
        let first = try project.stack("stage")
        _ = try first.up(check: false)
        let smmPid = try #require(pids(first)["smm"])
        let smm = try #require(first.plan.instance("smm")?.database)

        let next = try edited(project, "stage") { json in
            var services = json["services"] as! [String: [String: Any]]
            services["smm"] = nil
            json["services"] = services
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["hybrid"]!["engines"] = ["sam": "mysql"]
            json["scenarios"] = scenarios
        }
        let report = try next.up(check: false)
        #expect(report.changes == [InstanceChange(instance: "smm", kind: .removed, fields: [], action: "stopped (data kept)")])
        #expect(!Subprocess.isAlive(smmPid))
        let server = try #require(first.plan.server(smm.server))
        let conn = try PGConnection(PGConnectionParameters(port: server.port, user: smm.role, password: first.secrets[smm.secret.variable], database: smm.database))
        #expect(try conn.exec("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'").rows.first?.first != "0", "smm's tables are still there")
        #expect(try next.up(check: false).changedNothing)
        // `down` also stops a service the topology no longer has (restarted by hand here).
        _ = try first.up(check: false)
        #expect(try next.down().services.contains("smm"))
    }

    @Test func changingReadsGrantsAndRevokesExactlyTheDifference() throws {
        let project = try TempProject()
        defer { project.close() }
        _ = try project.stack("stage").up(check: false)
        let next = try edited(project, "stage") { json in
            service(&json, "aam") { $0["reads"] = ["ulm": ["users"]] }
            service(&json, "smm") { $0["reads"] = ["ulm": ["roles"]] }
        }
        let report = try next.up()
        let ulm = try #require(next.plan.instance("ulm")?.database)
        #expect(report.postMigrate.sorted() == [
            "database \(ulm.database): granted SELECT on public.roles to smm_user",
            "database \(ulm.database): revoked SELECT on public.roles from aam_user",
        ].sorted())
        let check = try #require(report.check)
        #expect(check.passed, "\(check.findings.filter { $0.status != .ok && $0.status != .skipped })")
        let server = try #require(next.plan.server(ulm.server))
        let conn = try PGConnection(PGConnectionParameters(port: server.port, user: "aam_user", password: next.secrets["AAM_DB_PASSWORD"], database: ulm.database))
        #expect(try conn.exec("SELECT count(*) FROM users").rows.first?.first == "3")
        let denied = #expect(throws: PGError.self) { try conn.exec("SELECT count(*) FROM roles") }
        #expect(denied?.isPermissionDenied == true, "\(String(describing: denied))")
        #expect(try next.up(check: false).changedNothing)
    }

    @Test func aRedisReassignmentIsRefusedAndTheOfferedMoveWorks() throws {
        let project = try TempProject()
        defer { project.close() }
        let first = try project.stack("dev")
        _ = try first.up(check: false)
        let redis = try #require(first.plan.servers.first { $0.engine == .redis })
        let samIndex = try #require(first.plan.instance("sam")?.redis?.index)
        let smmIndex = try #require(first.plan.instance("smm")?.redis?.index)
        let r = try RedisConnection(port: redis.port)
        for (index, owner) in [(samIndex, "sam"), (smmIndex, "smm")] {
            try r.select(index)
            for k in 1...3 { try r.command(["SET", "\(owner):\(k)", owner]) }
        }
        let applied = try Data(contentsOf: URL(fileURLWithPath: first.paths.applied))
        let before = pids(first)

        // `billing` sorts before sam and smm: its implicit index takes sam's, sam takes smm's.
        let billingPort = (first.plan.instances.compactMap(\.port).max() ?? 0) + 40
        let next = try edited(project, "dev") { json in service(&json, "billing") { $0["port"] = billingPort; $0["redis"] = [String: Any]() } }
        #expect(next.plan.instance("billing")?.redis?.index == samIndex)
        do {
            _ = try next.up(check: false)
            Issue.record("up handed sam's keys to billing")
        } catch let error as ConvergenceError {
            #expect(error == .redisHandover([
                RedisHandover(server: redis.name, index: samIndex, keys: 3, previous: .init(instance: "sam", service: "sam"), next: "billing", previousMovesTo: smmIndex),
                RedisHandover(server: redis.name, index: smmIndex, keys: 3, previous: .init(instance: "smm", service: "smm"), next: "sam", previousMovesTo: smmIndex + 1),
            ]))
        }
        #expect(try keys(redis.port, samIndex) == ["sam:1", "sam:2", "sam:3"], "keys intact")
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.paths.applied)) == applied, "nothing recorded")
        #expect(pids(next).filter { $0.key != "billing" } == before, "no service restarted")

        let moved = try next.up(moveRedisKeys: true)
        #expect(moved.redisMoves.count == 2)
        #expect(try keys(redis.port, samIndex).isEmpty, "billing starts empty")
        #expect(try keys(redis.port, smmIndex) == ["sam:1", "sam:2", "sam:3"])
        #expect(try keys(redis.port, smmIndex + 1) == ["smm:1", "smm:2", "smm:3"])
        #expect(try #require(moved.check).passed)
        #expect(try environ(#require(pids(next)["sam"]))["REDIS_URL"]?.hasSuffix("/\(smmIndex)") == true)
        #expect(try next.up(check: false).changedNothing)
    }

    @Test func theRunningScenarioIsRememberedAndAnotherOnItsPortsIsRefused() throws {
        let project = try TempProject()
        defer { project.close() }
        let dir = project.directory
        let up = try ovudev(["up", "--scenario", "stage", "--no-check"], directory: dir)
        #expect(up.status == 0, "\(up.output)")

        let status = try ovudev(["status", "--json"], directory: dir)
        #expect(status.status == 0)
        let decoded = try JSONSerialization.jsonObject(with: Data(status.output.split(separator: "\n").drop { !$0.hasPrefix("{") }.joined(separator: "\n").utf8)) as? [String: Any]
        #expect(decoded?["scenario"] as? String == "stage")

        let other = try ovudev(["up", "--scenario", "dev"], directory: dir)
        #expect(other.status == 1)
        #expect(other.output.contains("scenario stage is running on"), "\(other.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.ovu/dev"), "nothing created for dev")

        let down = try ovudev(["down"], directory: dir)
        #expect(down.status == 0)
        let stage = try project.stack("stage")
        #expect(stage.status().servers.allSatisfy { !$0.running } && stage.status().instances.allSatisfy { !$0.running })
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/.ovu/active"))
    }
}
