import Foundation
import Stack
import Testing
import TestSupport
import Topology

extension MoveTests {
    /// kill -9 of `ovudev move` during the switch: once the source is read-only
    /// (`move.source-locked`), and once the shared server's folder is the target's
    /// (`move.handed-over`). `up` waits (either scenario could start on the wrong data), and
    /// `ovudev move` finishes the switch with every table equal.
    @Test(arguments: ["move.source-locked", "move.handed-over"])
    func aSwitchKilledIsFinished(point: String) throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let before = try MoveTests.checksums(monolith)
        let separatedPaths = StackPaths(projectDirectory: project.directory, scenario: "separated")

        let pid = try MoveFixture.spawnMove(project, stopAt: point)
        let stopped = MoveFixture.stopped(pid)
        MoveFixture.kill9(pid)
        try #require(stopped, "the move ended before \(point)")
        #expect(try MoveJournal.load(projectDirectory: project.directory)?.step == .switching)
        // At the later point the server's data is the target's, not the source's.
        #expect(FileManager.default.fileExists(atPath: separatedPaths.pgData("postgres")) == (point == "move.handed-over"))
        #expect(FileManager.default.fileExists(atPath: monolith.paths.pgData("postgres")) == (point != "move.handed-over"))

        for scenario in ["monolith", "separated"] {
            let up = try ovudev(["up", "--scenario", scenario], directory: project.directory)
            #expect(up.status != 0 && up.output.contains("stopped during its switch"), "up --scenario \(scenario): \(up.output)")
        }
        let finish = try ovudev(["move", "--finish", "--yes"], directory: project.directory)
        #expect(finish.status != 0 && finish.output.contains("`ovudev move` continues it"), "\(finish.output)")
        let again = try ovudev(["move", "--yes"], directory: project.directory)
        #expect(again.status == 0, "\(again.output)")
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "separated")
        let separated = try Self.loaded(project, "separated")
        #expect(try MoveTests.checksums(separated) == before)
        let kept = try MoveFixture.superuser(separated, database: "suite_db")
        #expect(try kept.exec("SHOW default_transaction_read_only").rows.first?.first == "on")
        // After the switch, the source's `up` is refused; the target's is not.
        let sourceUp = try ovudev(["up", "--scenario", "monolith"], directory: project.directory)
        #expect(sourceUp.status != 0 && sourceUp.output.contains("move --rollback"), "\(sourceUp.output)")
    }

    /// kill -9 once the shared server's folder is the target's, then `--rollback`: the folder
    /// comes back, the monolith is writable again with every row, the copies are gone.
    @Test func aSwitchKilledRollsBack() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let before = try MoveTests.checksums(monolith)
        let pid = try MoveFixture.spawnMove(project, stopAt: "move.handed-over")
        let stopped = MoveFixture.stopped(pid)
        MoveFixture.kill9(pid)
        try #require(stopped, "the move ended before its server was handed over")

        let back = try ovudev(["move", "--rollback"], directory: project.directory)
        #expect(back.status == 0, "\(back.output)")
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "monolith")
        let again = try Self.loaded(project, "monolith")
        #expect(try MoveTests.checksums(again) == before)
        #expect(try MoveFixture.connect(again, "auth").exec("INSERT INTO tenants (name) VALUES ('after rollback') RETURNING id").rows.count == 1)
        let admin = try MoveFixture.superuser(again, database: "postgres")
        #expect(try admin.exec("SELECT datname FROM pg_database WHERE datname LIKE '%_db' ORDER BY 1").rows.map { $0[0]! } == ["suite_db"])
    }
}
