import Foundation
import Stack
import Testing
import Topology
import Workspace

extension MoveTests {
    /// Rows written on the target after the switch: `--rollback` is refused naming the tables,
    /// `--rollback --copy-back` copies the target's tables back over the kept source's (with
    /// their sequences) and goes back with nothing lost.
    @Test func aRollbackCopiesTheTargetsRowsBack() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        _ = try MoveFixture.up(project, "monolith")
        _ = try Self.mover(project).run(to: "separated")
        let separated = try Self.loaded(project, "separated")
        let auth = try MoveFixture.connect(separated, "auth")
        #expect(try auth.exec("INSERT INTO users (tenant_id, email) VALUES (2, 'late@example.com') RETURNING id").rows[0][0] == "21")
        try auth.exec("UPDATE tenants SET name = 'renamed' WHERE id = 1")
        try MoveFixture.connect(separated, "forms").exec("DELETE FROM short_links WHERE code = 'c1'")
        let written = try Self.checksums(separated)

        let refused = try ovudev(["move", "--rollback"], directory: project.directory)
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("auth: users") && refused.output.contains("auth: tenants") && refused.output.contains("forms: short_links")
                && refused.output.contains("--copy-back"), "\(refused.output)")
        #expect(try MoveJournal.load(projectDirectory: project.directory)?.step == .switched)
        let alone = try ovudev(["move", "--copy-back"], directory: project.directory)
        #expect(alone.status == 2 && alone.output.contains("--copy-back goes with --rollback"), "\(alone.output)")

        let back = try ovudev(["move", "--rollback", "--copy-back"], directory: project.directory)
        #expect(back.status == 0, "\(back.output)")
        #expect(back.output.contains("copied back: 17 tables equal on both sides"), "\(back.output)")
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "monolith")
        let monolith = try Self.loaded(project, "monolith")
        #expect(try Self.checksums(monolith) == written)
        // The source's sequences continue from the target's.
        #expect(try MoveFixture.connect(monolith, "auth").exec("INSERT INTO users (tenant_id, email) VALUES (1, 'after@example.com') RETURNING id").rows[0][0] == "22")
        let su = try MoveFixture.superuser(monolith, database: "postgres")
        #expect(try su.exec("SELECT datname FROM pg_database WHERE datname LIKE '%_db' ORDER BY 1").rows.map { $0[0]! } == ["suite_db"])
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
    }

    /// `ovudev status` says when a move is switched but not finished, and stops saying it
    /// after `--finish`.
    @Test func statusSaysAMoveIsNotFinished() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        _ = try MoveFixture.up(project, "monolith")
        let before = try ovudev(["status"], directory: project.directory)
        #expect(before.status == 0 && !before.output.contains("move:"), "\(before.output)")
        _ = try Self.mover(project).run(to: "separated")
        let during = try ovudev(["status"], directory: project.directory)
        #expect(during.status == 0, "\(during.output)")
        #expect(during.output.contains("move: scenario monolith was moved to separated and is kept read-only: `ovudev move --finish` drops it"), "\(during.output)")
        let json = try ovudev(["status", "--json"], directory: project.directory)
        #expect(json.output.contains(#""move" : "scenario monolith was moved to separated"#), "\(json.output)")
        _ = try Self.mover(project).finish()
        let after = try ovudev(["status"], directory: project.directory)
        #expect(after.status == 0 && !after.output.contains("move:"), "\(after.output)")
        #expect(try !ovudev(["status", "--json"], directory: project.directory).output.contains(#""move""#))
    }
}

extension MoveTests {
    /// kill -9 of `ovudev move --rollback --copy-back` while it copies back: `status` says so,
    /// `--rollback` continues it and ends with the target's rows in the source.
    @Test func aCopyBackKilledContinues() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        _ = try MoveFixture.up(project, "monolith")
        _ = try Self.mover(project).run(to: "separated")
        let separated = try Self.loaded(project, "separated")
        try MoveFixture.connect(separated, "auth").exec("DELETE FROM audit_logs WHERE id % 7 = 0; INSERT INTO tenants (name) VALUES ('late')")
        let written = try Self.checksums(separated)
        let pid = try MoveFixture.spawnMove(project, ["--rollback", "--copy-back"], stopAt: "move.copying-back")
        #expect(MoveFixture.stopped(pid), "the rollback ended before copying back")
        MoveFixture.kill9(pid)
        let status = try ovudev(["status"], directory: project.directory)
        #expect(status.output.contains("move: a rollback with --copy-back of the move from monolith to separated stopped while copying back"), "\(status.output)")
        let again = try ovudev(["move", "--rollback"], directory: project.directory)
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("copied back: 17 tables equal on both sides"), "\(again.output)")
        #expect(try Self.checksums(try Self.loaded(project, "monolith")) == written)
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
    }
}

extension MoveTests {
    /// `--copy-back` of a move inside one database (monolith → a schema per service), with a
    /// column of auth's enum: the rows written in the schemas come back to the public tables.
    @Test func aCopyBackInsideOneDatabase() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        try MoveFixture.connect(monolith, "auth").exec("CREATE TYPE mood AS ENUM ('calm', 'busy'); ALTER TABLE users ADD COLUMN mood mood NOT NULL DEFAULT 'calm'")
        _ = try Self.mover(project).run(to: "schemas")
        let schemas = try Self.loaded(project, "schemas")
        try MoveFixture.connect(schemas, "auth").exec("INSERT INTO users (tenant_id, email, mood) VALUES (2, 'late@example.com', 'busy')")
        try MoveFixture.connect(schemas, "web").exec("UPDATE tools SET name = 'renamed' WHERE id = 3")
        let written = try Self.checksums(schemas)
        #expect(throws: MoveError.targetWritten(tables: ["auth: users", "web: tools"])) { try Self.mover(project).rollback() }

        let back = try Self.mover(project).rollback(copyBack: true)
        #expect(back.done.contains("copied back: 17 tables equal on both sides"), "\(back.done)")
        #expect(back.check?.passed == true, "\(back.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        let again = try Self.loaded(project, "monolith")
        #expect(try Self.checksums(again) == written)
        let auth = try MoveFixture.connect(again, "auth")
        #expect(try auth.exec("SELECT mood::text FROM users WHERE email = 'late@example.com'").rows == [["busy"]])
        #expect(try auth.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'after@example.com') RETURNING id").rows[0][0] == "22")
        let su = try MoveFixture.superuser(again, database: "suite_db")
        #expect(try su.exec("SELECT count(*) FROM pg_tables WHERE schemaname IN ('auth', 'web', 'forms')").rows[0][0] == "0")
    }
}
