import Foundation
import Stack
import Testing
import TestSupport
import Topology

/// `ovudev move` on real servers: the monolith split of issue 11 (single-db, `isolation: none`
/// → a database per service), rollback and finish; the dry run's blockers; a move killed during
/// the copy and continued.
@Suite(.ownThread) struct MoveTests {
    /// "rows:md5" of every fixture table, as its service's own role sees it.
    static func checksums(_ stack: NativeStack) throws -> [String: String] {
        var sums: [String: String] = [:]
        for (service, _) in MoveFixture.ddl {
            let conn = try MoveFixture.connect(stack, service)
            for table in stack.plan.instance(service)!.database!.tables! {
                let keys = try conn.query("""
                    SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                    WHERE i.indisprimary AND i.indrelid = $1::regclass ORDER BY array_position(i.indkey::int2[], a.attnum)
                    """, [table]).rows.map { "t.\($0[0]!)" }
                let row = try conn.exec("SELECT count(*), md5(string_agg(t::text, E'\\n' ORDER BY \(keys.joined(separator: ", ")))) FROM \(table) t").rows[0]
                sums["\(service).\(table)"] = "\(row[0]!):\(row[1] ?? "")"
            }
        }
        return sums
    }

    static func mover(_ project: TempProject) -> Mover { Mover(project: project.project, progress: { if ProcessInfo.processInfo.environment["OVUDEV_TEST_LOG"] != nil { print("  move: \($0)") } }) }

    @Test func theMonolithSplitsIntoADatabasePerServiceAndComesBack() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let before = try Self.checksums(monolith)
        #expect(before.count == 17 && before.values.allSatisfy { !$0.hasPrefix("0:") })

        let report = try Self.mover(project).run(to: "separated")
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "separated")
        let separated = try project.stack("separated")
        try separated.loadSecrets()
        #expect(try Self.checksums(separated) == before)

        // Sequences continue: an insert after the move takes the next id.
        let auth = try MoveFixture.connect(separated, "auth")
        #expect(try auth.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'new@example.com') RETURNING id").rows.first?.first == "21")
        #expect(try auth.exec("INSERT INTO api_tokens (user_id, label) VALUES (1, 'new') RETURNING id").rows.first?.first == "5")
        // web reads auth's users (its READ url), cannot write them, cannot reach forms.
        let web = try #require(separated.plan.instance("web"))
        let read = try #require(web.reads.first { $0.service == "auth" })
        let port = separated.plan.server(read.server)!.port
        let reader = try PGConnection(PGConnectionParameters(port: port, user: read.role, password: separated.secrets[read.secret.variable], database: read.database))
        #expect(try reader.exec("SELECT count(*) FROM users").rows.first?.first == "21")
        #expect(throws: PGError.self) { try reader.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'w@example.com')") }
        #expect(throws: PGError.self) { try reader.exec("SELECT count(*) FROM sessions") }
        #expect(throws: PGError.self) {
            try PGConnection(PGConnectionParameters(port: port, user: web.database!.role, password: separated.secrets[web.database!.secret.variable], database: "forms_db"))
        }
        // The monolith is kept, read-only.
        let keptAsAuth = try PGConnection(PGConnectionParameters(port: port, user: "auth_user", password: separated.secrets["AUTH_DB_PASSWORD"], database: "suite_db"))
        #expect(try keptAsAuth.exec("SELECT count(*) FROM users").rows.first?.first == "20")
        do {
            try keptAsAuth.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'late@example.com')")
            Issue.record("the kept monolith took a write")
        } catch let error as PGError {
            #expect(error.sqlstate == "25006", "\(error)")
        }

        #expect(throws: MoveError.alreadySwitched(source: "monolith", target: "separated")) { try Self.mover(project).run(to: nil) }
        // Rollback is refused once the target was written…
        #expect(throws: MoveError.targetWritten(tables: ["auth: api_tokens", "auth: users"])) { try Self.mover(project).rollback() }
        try auth.exec("DELETE FROM users WHERE id = 21; DELETE FROM api_tokens WHERE id = 5")
        // …and goes through when the rows are as they were at the switch: nothing is lost.
        let back = try Self.mover(project).rollback()
        #expect(back.check?.passed == true)
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "monolith")
        let again = try project.stack("monolith")
        try again.loadSecrets()
        #expect(try Self.checksums(again) == before)
        #expect(try MoveFixture.connect(again, "auth").exec("INSERT INTO users (tenant_id, email) VALUES (1, 'back@example.com') RETURNING id").rows.first?.first == "21")
        let su = try MoveFixture.superuser(again, database: "postgres")
        #expect(try su.exec("SELECT datname FROM pg_database WHERE datname LIKE '%_db' ORDER BY 1").rows.map { $0[0]! } == ["suite_db"])

        // Move again, then --finish drops the monolith.
        _ = try Self.mover(project).run(to: "separated")
        #expect(try Self.mover(project).finishList() == ["database postgres/suite_db"])
        _ = try Self.mover(project).finish()
        let su2 = try MoveFixture.superuser(again, database: "postgres")
        #expect(try su2.exec("SELECT datname FROM pg_database WHERE datname LIKE '%_db' ORDER BY 1").rows.map { $0[0]! } == ["auth_db", "forms_db", "web_db"])
        #expect(Mover.inProgress(projectDirectory: project.directory) == nil)
        #expect(try Self.checksums(separated)["auth.users"]?.hasPrefix("21:") == true)
    }
}

extension MoveTests {
    /// A foreign key from web into auth and a view of forms over auth's users: the dry run names
    /// both, a real run refuses, and nothing changes.
    @Test func theDryRunNamesCrossingsAndChangesNothing() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let su = try MoveFixture.superuser(monolith, database: "suite_db")
        try su.exec("""
            ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_user_fk FOREIGN KEY (user_id) REFERENCES users;
            CREATE VIEW form_owners AS SELECT f.id, u.email FROM forms f JOIN users u ON u.id = f.owner_id;
            ALTER VIEW form_owners OWNER TO forms_user;
            """)
        let databases = { try su.exec("SELECT datname FROM pg_database ORDER BY 1").rows.map { $0[0]! } }
        let before = (try databases(), try MoveTests.checksums(monolith))

        let plan = try MoveTests.mover(project).plan(to: "separated")
        #expect(plan.journal.blockers.map(\.kind) == [.foreignKey, .view])
        #expect(plan.journal.blockers.map(\.object) == ["public.export_jobs.export_jobs_user_fk", "public.form_owners"])
        #expect(plan.journal.blockers.map(\.otherService) == ["auth", "auth"])
        let cli = try ovudev(["move", "--to", "separated", "--dry-run"], directory: project.directory)
        #expect(cli.status == 0)
        #expect(cli.output.contains("foreign key public.export_jobs.export_jobs_user_fk (web) → public.users (auth)"), "\(cli.output)")
        #expect(cli.output.contains("view public.form_owners (forms) → public.users (auth)"), "\(cli.output)")
        #expect(throws: MoveError.self) { try MoveTests.mover(project).run(to: "separated") }
        #expect(try databases() == before.0)
        #expect(try MoveTests.checksums(monolith) == before.1)
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "monolith")
    }

    /// kill -9 of `ovudev move` while it copies (stopped where the first table's copy is
    /// recorded); `ovudev move` again completes with equal checksums and no duplicate rows.
    @Test func aMoveKilledDuringTheCopyContinues() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let before = try MoveTests.checksums(monolith)

        // Stopped right after its first table's copy is recorded (the others in flight), then kill -9.
        let pid = try MoveFixture.spawnMove(project, stopAt: "move.table-copied")
        let stopped = MoveFixture.stopped(pid)
        let killedAt = (try? MoveJournal.load(projectDirectory: project.directory))?.map { j in (copied: j.tables.filter(\.copied).count, of: j.tables.count) }
        MoveFixture.kill9(pid)
        #expect(stopped, "the move ended before its first table was copied")
        let at = try #require(killedAt)
        let journal = try #require(try MoveJournal.load(projectDirectory: project.directory))
        #expect(journal.step < .switched, "killed at \(at), step \(journal.step)")
        #expect(Mover.inProgress(projectDirectory: project.directory)?.contains("`ovudev move` continues it") == true)

        let up = try ovudev(["up"], directory: project.directory)
        #expect(up.status == 0 && up.output.contains("a move from scenario monolith to separated stopped at step"), "\(up.output)")
        let again = try ovudev(["move", "--yes"], directory: project.directory)
        #expect(again.status == 0, "\(again.output)")
        let separated = try project.stack("separated")
        try separated.loadSecrets()
        #expect(try MoveTests.checksums(separated) == before)
        print("killed after \(at.copied) of \(at.of) tables copied")
    }
}
