import Foundation
import Stack
import Testing
import TestSupport
import Topology
import Workspace

/// `ovudev snapshot` and `reset` on real servers: every table's rows and checksum, Redis keys,
/// check and a second `up` after a restore; refusals; kill -9 in the middle of a restore.
@Suite(.ownThread) struct SnapshotTests {
    init() { signal(SIGPIPE, SIG_IGN) }

    /// A project whose aam seed folder has 200,000 more accounts, brought up in `stage`.
    static func seededStack(_ project: TempProject, rows: Int = 200_000) throws -> (NativeStack, NativeStack.UpReport) {
        var csv = "id,user_id,balance\n"
        csv.reserveCapacity(rows * 24)
        for id in 1000..<(1000 + rows) { csv += "\(id),\(id % 3 + 1),\(id % 997).25\n" }
        try csv.write(toFile: "\(project.directory)/examples/seeds/aam/02-accounts.csv", atomically: true, encoding: .utf8)
        let stack = try project.stack("stage")
        let up = try stack.up()
        return (stack, up)
    }

    /// Every table of every PostgreSQL service database: `table → "count md5"`, computed by SQL.
    static func fingerprints(_ stack: NativeStack) throws -> [String: String] {
        var out: [String: String] = [:]
        for instance in stack.plan.instances {
            guard let db = instance.database, db.engine == .postgres, let server = stack.plan.server(db.server) else { continue }
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: db.role, password: stack.secrets[db.secret.variable], database: db.database))
            let tables = try conn.exec("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1").rows.compactMap { $0.first ?? nil }
            for table in tables {
                let row = try conn.exec("SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \(table) t").rows.first ?? []
                out["\(db.database).\(table)"] = row.compactMap { $0 }.joined(separator: " ")
            }
        }
        return out
    }

    static func redis(_ stack: NativeStack, index: Int = 1) throws -> RedisConnection {
        let server = try #require(stack.plan.servers.first { $0.engine == .redis })
        let r = try RedisConnection(port: server.port)
        try r.select(index)
        return r
    }

    static func aam(_ stack: NativeStack) throws -> PGConnection {
        let db = try #require(stack.plan.instance("aam")?.database)
        return try PGConnection(PGConnectionParameters(port: stack.plan.server(db.server)!.port, user: db.role, password: stack.secrets[db.secret.variable], database: db.database))
    }

    static func failures(_ report: CheckReport?) -> [CheckFinding] {
        report?.findings.filter { $0.status != .ok && $0.status != .skipped } ?? []
    }

    @Test func saveDestroyRestoreBringsBackEveryTableAndKeyThenResetReturnsTheSeededState() throws {
        let project = try TempProject()
        defer { project.close() }
        let (stack, first) = try Self.seededStack(project)
        #expect(first.check?.passed == true, "\(Self.failures(first.check))")
        #expect(first.snapshot?.name == "seeded", "the first up that loads seeds keeps snapshot seeded")
        let snapshots = Snapshots(stack: stack)
        let seededPrints = try Self.fingerprints(stack)
        #expect(seededPrints["aam_db.public.accounts"]?.hasPrefix("200002 ") == true, "\(seededPrints)")

        // State s1: some writes after seeding, in PostgreSQL and Redis.
        let aam = try Self.aam(stack)
        _ = try aam.exec("UPDATE accounts SET balance = balance + 1 WHERE id % 10 = 0")
        try Self.redis(stack).command(["SET", "probe", "before"])
        let before = try Self.fingerprints(stack)
        let saved = try snapshots.save("s1")
        #expect(saved.parts.map(\.engine).sorted() == ["postgres", "redis"])
        #expect(snapshots.list().map(\.name) == ["s1", "seeded"])
        #expect(try Self.fingerprints(stack) == before, "save changed the data")

        // Destroy: delete rows, add a table, change the key.
        _ = try Self.aam(stack).exec("DELETE FROM accounts WHERE id > 5000; CREATE TABLE extra (id int); INSERT INTO extra VALUES (1)")
        try Self.redis(stack).command(["SET", "probe", "after"])
        #expect(try Self.fingerprints(stack) != before)

        let report = try snapshots.restore("s1")
        #expect(report.recovered == nil)
        let after = try Self.fingerprints(stack)
        #expect(after == before, "restored tables differ: \(after.filter { before[$0.key] != $0.value }) missing \(before.keys.filter { after[$0] == nil })")
        #expect(after["aam_db.public.extra"] == nil, "the table made after the snapshot is gone")
        #expect(try Self.redis(stack).command(["GET", "probe"]) == .string("before"))
        let check = try stack.checker().run()
        #expect(check.passed, "\(Self.failures(check))")
        let again = try stack.up(check: false)
        #expect(again.changedNothing, "after restore: provisioned \(again.provisioned), migrated \(again.migrated), started \(again.started), changes \(again.changes), seeds \(again.seeds.filter { $0.outcome == .loaded })")

        // reset = restore `seeded`: the state right after the first seeding; seeds load nothing after.
        _ = try Self.aam(stack).exec("TRUNCATE accounts")
        _ = try snapshots.restore(NativeStack.seededSnapshot)
        #expect(try Self.fingerprints(stack) == seededPrints)
        let seeds = try Seeder(plan: stack.plan, projectDirectory: project.directory, secrets: stack.secrets).seed()
        #expect(seeds.allSatisfy { $0.outcome == .unchanged }, "\(seeds)")
        #expect(try stack.checker().run().passed)

        // Refusals, each changing nothing.
        let unchanged = try Self.fingerprints(stack)
        var full = Snapshots(stack: stack)
        full.freeSpace = { _ in 10 << 20 }
        #expect(throws: SnapshotError.self) { try full.save("big") }
        do { _ = try full.save("big") } catch let error as SnapshotError {
            guard case .noSpace = error else { Issue.record("expected noSpace, got \(error)"); return }
        }
        #expect(!snapshots.names().contains("big"))
        #expect(!FileManager.default.fileExists(atPath: "\(snapshots.folder)/.big.partial"))
        #expect(throws: SnapshotError.exists(name: "s1", scenario: "stage")) { try snapshots.save("s1") }

        // The topology changed since: a new service with a database.
        let topologyPath = "\(project.directory)/ovu.topology.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: topologyPath))
        var json = try JSONSerialization.jsonObject(with: original) as! [String: Any]
        var services = json["services"] as! [String: [String: Any]]
        services["billing"] = ["database": [String: Any]()]
        json["services"] = services
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: topologyPath))
        let changed = try Project.load(topologyPath: topologyPath)
        let changedStack = NativeStack(project: changed, plan: try changed.plan(scenario: "stage"))
        do {
            _ = try Snapshots(stack: changedStack).restore("s1")
            Issue.record("restore into a changed topology did not refuse")
        } catch let SnapshotError.topologyChanged(name, differences) {
            #expect(name == "s1")
            #expect(differences.contains { $0.contains("billing_db") }, "\(differences)")
            #expect(differences.contains { $0.contains("instance billing") }, "\(differences)")
        }
        try original.write(to: URL(fileURLWithPath: topologyPath))
        #expect(try Self.fingerprints(stack) == unchanged)

        _ = try stack.down()
        #expect(throws: SnapshotError.notRunning(scenario: "stage", servers: ["postgres", "redis"])) { try snapshots.save("s2") }
        try snapshots.remove("s1")
        #expect(snapshots.names() == ["seeded"])
    }

    /// The CLI: exit 2 for bad names and unknown snapshots (with the list), exit 1 while another
    /// ovudev holds the lock; nothing changed by any of them.
    @Test func cliRefusesBadNamesUnknownSnapshotsAndALockedStack() throws {
        let project = try TempProject()
        defer { project.close() }
        let (stack, _) = try Self.seededStack(project, rows: 10)
        let dir = project.directory
        let before = try Self.fingerprints(stack)
        for bad in ["../x", "a/b", "-x", ".hidden", "a..b", String(repeating: "n", count: 65)] {
            let r = try ovudev(["snapshot", "save", "--scenario", "stage", "--", bad], directory: dir)
            #expect(r.status == 2, "save \(bad): \(r.status) \(r.output)")
            #expect(r.output.contains("is not a snapshot name"), "\(r.output)")
        }
        let unknown = try ovudev(["snapshot", "restore", "nope", "--yes", "--scenario", "stage"], directory: dir)
        #expect(unknown.status == 2 && unknown.output.contains("no snapshot \"nope\"") && unknown.output.contains("seeded"), "\(unknown.output)")
        let reset = try ovudev(["reset", "aam", "--scenario", "stage"], directory: dir)
        #expect(reset.status == 2 && reset.output.contains("not supported"), "\(reset.output)")
        let noYes = try ovudev(["reset", "--scenario", "stage"], directory: dir)
        #expect(noYes.status == 1 && noYes.output.contains("--yes"), "\(noYes.output)")

        do {
            let lock = try StackLock(path: stack.paths.lock)
            let busy = try ovudev(["snapshot", "restore", "seeded", "--yes", "--scenario", "stage"], directory: dir)
            #expect(busy.status == 1 && busy.output.contains("another ovudev (pid \(getpid()))"), "\(busy.output)")
            withExtendedLifetime(lock) {}
        }
        #expect(try Self.fingerprints(stack) == before)

        let saved = try ovudev(["snapshot", "save", "cli-1", "--scenario", "stage"], directory: dir)
        #expect(saved.status == 0, "\(saved.output)")
        let list = try ovudev(["snapshot", "list", "--json", "--scenario", "stage"], directory: dir)
        let entries = try JSONSerialization.jsonObject(with: Data(list.output.split(separator: "\n").drop { !$0.hasPrefix("[") }.joined(separator: "\n").utf8)) as? [[String: Any]]
        #expect(entries?.compactMap { $0["name"] as? String } == ["cli-1", "seeded"], "\(list.output)")
        // --git: the branch's name, sanitised; outside a work tree, a clear refusal.
        let noGit = try ovudev(["snapshot", "save", "--git", "--scenario", "stage"], directory: dir)
        #expect(noGit.status == 2 && noGit.output.contains("not in a git work tree"), "\(noGit.output)")
        #expect(try Subprocess.run(["git", "init", "-q", "-b", "feature/login"], directory: dir).status == 0)
        let branch = try ovudev(["snapshot", "save", "--git", "--scenario", "stage"], directory: dir)
        #expect(branch.status == 0 && branch.output.contains("snapshot feature-login of scenario stage"), "\(branch.output)")
        #expect(SnapshotName.sanitised(branch: "-wip/ä..x y") == "wip--.x-y")
        let restored = try ovudev(["reset", "--yes", "--scenario", "stage"], directory: dir)
        #expect(restored.status == 0 && restored.output.contains("restored snapshot seeded"), "\(restored.output)")
        #expect(try Self.fingerprints(stack) == before)
    }

    /// kill -9 of `ovudev snapshot restore` while it copies (the swap not begun: rolled back) and
    /// while it swaps (finished): the next `up` says which, and the stack passes its check.
    @Test(arguments: ["staging", "swapping"])
    func killNineDuringRestoreIsFinishedOrRolledBackByTheNextUp(phase: String) throws {
        let project = try TempProject()
        defer { project.close() }
        let (stack, _) = try Self.seededStack(project)
        let snapshots = Snapshots(stack: stack)
        let seeded = try Self.fingerprints(stack)
        _ = try Self.aam(stack).exec("DELETE FROM accounts WHERE id > 100000")
        let changed = try Self.fingerprints(stack)

        // Stopped where one folder is staged (or swapped into place), then kill -9.
        var environment = ProcessInfo.processInfo.environment
        environment["OVUDEV_STOP_AT"] = "snapshot.restore-\(phase)"
        let pid = try ChildProcess.spawn([try ovudevBinary(), "snapshot", "restore", "seeded", "--yes", "--scenario", "stage"],
                                         directory: project.directory, environment: environment)
        let journal = "\(stack.paths.root)/snapshot-restore/journal.json"
        let stopped = MoveFixture.stopped(pid)
        if stopped { MoveFixture.kill9(pid) }
        try #require(stopped, "the restore ended before its \(phase) phase")
        #expect(FileManager.default.fileExists(atPath: journal), "the journal stays after kill -9")

        let next = try project.stack("stage")
        let up = try next.up()
        let recovered = try #require(up.recovered)
        #expect(recovered.contains(phase == "staging" ? "rolled back" : "finished"), "\(recovered)")
        #expect(up.check?.passed == true, "\(Self.failures(up.check))")
        #expect(!FileManager.default.fileExists(atPath: "\(stack.paths.root)/snapshot-restore"))
        #expect(try Self.fingerprints(next) == (phase == "staging" ? changed : seeded))
        #expect(try next.up(check: false).changedNothing)
        #expect(snapshots.names() == ["seeded"])
    }

    /// MariaDB's data folder in a mixed scenario (sam on MySQL): a row added after the snapshot is gone.
    @Test(.enabled(if: MySQLTools.server != nil)) func mysqlServiceRowIsGoneAfterRestore() throws {
        let project = try TempProject { json in
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["mix"] = ["layout": "mixed", "engines": ["sam": "mysql"]]
            json["scenarios"] = scenarios
        }
        defer { project.close() }
        let stack = try project.stack("mix")
        let up = try stack.up()
        #expect(up.check?.passed == true, "\(Self.failures(up.check))")
        let sam = try #require(stack.plan.instance("sam")?.database)
        let mysql = try #require(stack.plan.server(sam.server))
        let login = MySQLLogin(route: .tcp(port: mysql.port), user: sam.role, password: stack.secrets[sam.secret.variable])
        try login.exec("CREATE TABLE probe (id INT PRIMARY KEY); INSERT INTO probe VALUES (1);", database: sam.database)
        let snapshots = Snapshots(stack: stack)
        let saved = try snapshots.save("m1")
        #expect(saved.parts.map(\.engine).sorted() == ["mysql", "postgres", "redis"])
        try login.exec("INSERT INTO probe VALUES (2); CREATE TABLE later (id INT);", database: sam.database)
        _ = try snapshots.restore("m1")
        #expect(try login.exec("SELECT id FROM probe ORDER BY id", database: sam.database).rows == [["1"]])
        #expect(try login.exec("SHOW TABLES LIKE 'later'", database: sam.database).rows.isEmpty)
        let check = try stack.checker().run()
        #expect(check.passed, "\(Self.failures(check))")
        #expect(try stack.up(check: false).changedNothing)
    }
}
