import Foundation
import Stack
import Testing
import Topology
import Workspace

extension MoveTests {
    /// One service out and back: schemas → split (forms gets a database of its own) → a
    /// database per service → schemas again; every step finished, checksums equal to the start.
    @Test func oneServiceOutThenARoundTrip() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let schemas = try MoveFixture.up(project, "schemas")
        let start = try MoveTests.checksums(schemas)

        // --only must name every service the target moves.
        #expect(throws: MoveError.notIncluded(services: ["forms"])) { try MoveTests.mover(project).run(to: "split", only: ["auth"]) }
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
        let split = try MoveTests.mover(project).run(to: "split", only: ["forms"])
        #expect(split.journal.services.filter { !$0.stays }.map(\.service) == ["forms"])
        #expect(split.check?.passed == true, "\(split.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        #expect(try MoveTests.mover(project).finishList().count == 5)
        _ = try MoveTests.mover(project).finish()
        let s1 = try project.stack("split")
        try s1.loadSecrets()
        #expect(try MoveTests.checksums(s1) == start)

        for next in ["separated", "schemas"] {
            let report = try MoveTests.mover(project).run(to: next)
            #expect(report.check?.passed == true, "\(next): \(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
            _ = try MoveTests.mover(project).finish()
            let stack = try project.stack(next)
            try stack.loadSecrets()
            #expect(try MoveTests.checksums(stack) == start, "after the move to \(next)")
        }
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "schemas")
    }
}

extension MoveTests {
    /// A copied table that no longer matches its source stops the move before the switch,
    /// naming the table: `ovudev move` is frozen during the copy, a copied row is changed on the
    /// target, the move killed and continued.
    @Test func aDifferenceStopsTheMoveBeforeTheSwitch() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let before = try MoveTests.checksums(monolith)
        let pid = try MoveFixture.spawnMove(project, stopAt: "move.table-copied")
        let frozen = MoveFixture.stopped(pid) ? try MoveJournal.load(projectDirectory: project.directory) : nil
        let j = try #require(frozen)
        let table = try #require(j.tables.first { $0.copied })
        let service = try #require(j.services.first { $0.service == table.service })
        let su = try MoveFixture.superuser(monolith, database: service.to.database)
        let staged = try su.query("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = $2", [service.from.schema, table.source]).rows[0][0]
        #expect(staged == "1")
        try su.exec("DELETE FROM \(service.from.schema).\(table.source) WHERE ctid = (SELECT min(ctid) FROM \(service.from.schema).\(table.source))")
        MoveFixture.kill9(pid)

        let again = try ovudev(["move", "--yes"], directory: project.directory)
        #expect(again.status == 1)
        #expect(again.output.contains("table \(table.service): \(table.source) → \(table.target) differs after the copy"), "\(again.output)")
        #expect(try MoveJournal.load(projectDirectory: project.directory)?.step == .copied)
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "monolith")
        #expect(try MoveTests.checksums(monolith) == before)
        let writer = try MoveFixture.connect(monolith, "auth")
        #expect(try writer.exec("INSERT INTO tenants (name) VALUES ('still writable') RETURNING id").rows.count == 1)
        // Abandoned before the switch: --rollback drops the copies and ends the move.
        let back = try ovudev(["move", "--rollback"], directory: project.directory)
        #expect(back.status == 0, "\(back.output)")
        let admin = try MoveFixture.superuser(monolith, database: "postgres")
        #expect(try admin.exec("SELECT datname FROM pg_database WHERE datname LIKE '%_db' ORDER BY 1").rows.map { $0[0]! } == ["suite_db"])
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
    }
}

extension MoveTests {
    /// To a server per service: auth's server is the monolith's (same port, another name: its
    /// folder is handed over and renamed), forms and web go to servers of their own.
    @Test func toAServerPerServiceAndBack() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let before = try MoveTests.checksums(monolith)

        let report = try MoveTests.mover(project).run(to: "dedicated")
        #expect(report.journal.sharedServers == ["postgres-auth"] && report.journal.sharedSources == ["postgres-auth": "postgres"])
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        let dedicated = try project.stack("dedicated")
        try dedicated.loadSecrets()
        #expect(Set(dedicated.plan.instances.compactMap { $0.database?.server }) == ["postgres-auth", "postgres-forms", "postgres-web"])
        #expect(try MoveTests.checksums(dedicated) == before)

        let back = try MoveTests.mover(project).rollback()
        #expect(back.check?.passed == true)
        #expect(back.done.contains("stopped server postgres-web (scenario dedicated)"))
        let again = try project.stack("monolith")
        try again.loadSecrets()
        #expect(try MoveTests.checksums(again) == before)

        _ = try MoveTests.mover(project).run(to: "dedicated")
        #expect(try MoveTests.mover(project).finish() == ["database postgres/suite_db"])
        let auth = try MoveFixture.connect(dedicated, "auth")
        #expect(try auth.exec("SELECT datname FROM pg_database WHERE datname LIKE '%_db' ORDER BY 1").rows.map { $0[0]! } == ["auth_db"])
    }
}

extension MoveTests {
    /// Under `isolation: none` each role keeps its own seed ledger; a move takes it along, so the
    /// target's `up` does not load the seeds again.
    @Test func seedsAreLoadedOnceAcrossAMove() throws {
        let temp = try TempProject(topology: MoveFixture.topology)
        defer { temp.close() }
        let first = try temp.stack("monolith")
        _ = try first.up(check: false)
        try MoveFixture.populate(first)
        // The topology gains seed files once the tables exist.
        let path = "\(temp.directory)/ovu.topology.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var services = json["services"] as! [String: [String: Any]]
        services["auth"]!["seed"] = ["seeds/auth.sql"]
        services["web"]!["seed"] = ["seeds/web.sql"]
        json["services"] = services
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        try FileManager.default.createDirectory(atPath: "\(temp.directory)/seeds", withIntermediateDirectories: true)
        try "INSERT INTO tenants (name) VALUES ('seeded');\n".write(toFile: "\(temp.directory)/seeds/auth.sql", atomically: true, encoding: .utf8)
        try "INSERT INTO tool_registry (slug) VALUES ('seeded');\n".write(toFile: "\(temp.directory)/seeds/web.sql", atomically: true, encoding: .utf8)
        let project = try Project.load(topologyPath: path)
        let monolith = NativeStack(project: project, plan: try project.plan(scenario: "monolith"))
        let up = try monolith.up(check: false)
        #expect(up.seeds.filter { $0.outcome == .loaded }.count == 2, "\(up.seeds)")
        let before = try MoveTests.checksums(monolith)
        #expect(before["auth.tenants"]?.hasPrefix("4:") == true)

        let report = try Mover(project: project).run(to: "separated")
        #expect(report.journal.tables.contains { $0.source == "ovudev_seeds_auth_user" && $0.target == "ovudev_seeds" })
        let separated = NativeStack(project: project, plan: try project.plan(scenario: "separated"))
        try separated.loadSecrets()
        #expect(try MoveTests.checksums(separated) == before)
        let again = try separated.up(check: false)
        #expect(!again.seeds.contains { $0.outcome == .loaded }, "\(again.seeds)")
        #expect(try MoveTests.checksums(separated) == before)
    }
}

extension MoveTests {
    /// kill -9 of the PostgreSQL server during the copy: the move fails, `ovudev move` starts the
    /// server again and completes with equal checksums.
    @Test func theServerKilledDuringTheCopy() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let before = try MoveTests.checksums(monolith)
        let server = try #require(monolith.plan.servers.first)
        let postmaster = try #require((try? String(contentsOfFile: "\(monolith.paths.pgData(server.name))/postmaster.pid", encoding: .utf8))
            .flatMap { $0.split(separator: "\n").first }.flatMap { pid_t($0) })
        // Stopped where its first table's copy is recorded; the server killed; then let go on.
        let pid = try MoveFixture.spawnMove(project, stopAt: "move.table-copied")
        let killed = MoveFixture.stopped(pid)
        if killed {
            KillTarget.kill9([postmaster])
            kill(pid, SIGCONT)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        #expect(killed)
        let journal = try #require(try MoveJournal.load(projectDirectory: project.directory))
        #expect(journal.step < .switched)
        let again = try ovudev(["move", "--yes"], directory: project.directory)
        #expect(again.status == 0, "\(again.output)")
        let separated = try project.stack("separated")
        try separated.loadSecrets()
        #expect(try MoveTests.checksums(separated) == before)
    }
}
