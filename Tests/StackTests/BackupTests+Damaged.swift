import Foundation
import Renderers
import Stack
import Testing
import Topology

/// Damaged dumps and retention, on the servers of BackupTests.
extension BackupTests {
    // MARK: - Damaged dumps

    /// A truncated dump, one with flipped bytes in its data, and a file that is no dump at all:
    /// `verify` reports each with a clear error, and `restore` refuses each, leaving the data
    /// as it was (in place of a database and of a single-db schema).
    @Test(arguments: ["stage", "dev"])
    func damagedDumpsAreDetectedAndChangeNothing(scenario: String) throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try Self.startedStack(project, scenario)
        try Self.addData(stack)
        let runner = BackupRunner(stack: stack)
        let target = try #require(runner.targets(matching: "smm")?.first { $0.kind == .pgDump })
        let good = try runner.backup(target)
        let data = try Data(contentsOf: URL(fileURLWithPath: good.path))
        let dir = runner.folder(target)
        let truncated = "\(dir)/\(target.name)-29990101T000000Z.dump"
        try data.dropLast(200).write(to: URL(fileURLWithPath: truncated))
        var flippedData = data
        for i in (data.count / 2)..<(data.count / 2 + 16) { flippedData[i] ^= 0x55 }
        let flipped = "\(project.directory)/flipped.dump"
        try flippedData.write(to: URL(fileURLWithPath: flipped))
        let garbage = "\(project.directory)/garbage.dump"
        try Data("this is not a dump\n".utf8).write(to: URL(fileURLWithPath: garbage))

        let before = try Self.fingerprints(stack)
        for file in [truncated, flipped, garbage] {
            let report = try runner.verify(file: file, target: target)
            #expect(!report.passed)
            switch report.failure {
            case .dumpNotRestored(file: file, database: _, program: "pg_restore", status: _)?, .dumpUnreadable(file: file)?: break
            default: Issue.record("not a damaged \(file): \(String(describing: report.failure))\n\(report.error ?? "no error")")
            }
            let error = try #require(#expect(throws: EngineError.self, "restored the damaged \(file)") { _ = try runner.restore(file: file, target: target) })
            switch error.kind {
            case .dumpUnreadable(file: file): break // pg_restore --list refuses it: nothing was touched
            case .restoreFailed(database: target.database!, schema: target.schema, cause: .dumpNotRestored(file: file, database: _, program: "pg_restore", status: _)): break
            default: Issue.record("not a damaged \(file) that changed nothing: \(error.kind)\n\(error)")
            }
            #expect(try Self.fingerprints(stack) == before, "a failed restore of \(file) changed the data")
        }
        // The truncated one is the newest: `ovudev restore latest smm` fails with exit 1 and says why.
        let cli = try ovudev(["restore", "latest", "smm", "--scenario", scenario, "--yes"], directory: project.directory)
        #expect(cli.status == 1, "\(cli.output)")
        #expect(cli.output.contains("could not be restored") && cli.output.contains("was not changed") || cli.output.contains("put back"), "\(cli.output)")
        #expect(try Self.fingerprints(stack) == before)
        let server = try #require(stack.plan.server(target.server))
        let admin = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres", password: stack.secrets[server.superuserSecret!.variable], database: target.database!))
        #expect(try admin.exec("SELECT datname FROM pg_database WHERE datname LIKE '%restor%' OR datname LIKE 'ovu_verify%'").rows.isEmpty)
        #expect(try admin.exec("SELECT nspname FROM pg_namespace WHERE nspname LIKE '%restore%'").rows.isEmpty)
    }

    // MARK: - Retention

    /// The rendered retention line, run as cron runs it, on back-dated dumps (`touch -d`): exactly
    /// keepDays days of dumps stay; stale .part files go; other files stay; and when every dump is
    /// old (backups failing), nothing is deleted.
    @Test(arguments: [7, 3, 1])
    func retentionKeepsExactlyKeepDays(keepDays: Int) throws {
        let project = try TempProject { json in
            json["backups"] = ["schedule": "30 3 * * *", "keepDays": keepDays, "dir": "backups"]
        }
        defer { project.close() }
        let stack = try project.stack("stage")
        let (_, text) = try Self.renderBundle(project, stack)
        let (variables, jobs) = Self.crontab(text)
        let runner = BackupRunner(stack: stack)
        let target = try #require(stack.plan.backups.targets.first { $0.kind == .pgDump })
        let retention = try #require(jobs.first { $0.contains("find ") && $0.contains("/\(target.name)\"") })
        let dir = runner.folder(target)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        func make(_ name: String, daysAgo: Int) throws {
            let path = "\(dir)/\(name)"
            #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
            // An hour past the day boundary, so that whole days decide.
            let r = try Subprocess.run(["touch", "-d", "\(daysAgo) days ago 1 hour ago", path])
            #expect(r.status == 0, "\(r.output)")
        }
        let day = 86_400.0
        var expected = Set<String>()
        for n in 0...12 {
            let name = BackupCommand.fileName(target, date: Date(timeIntervalSinceNow: -Double(n) * day))
            try make(name, daysAgo: n)
            if n < keepDays { expected.insert(name) }
        }
        try make("\(target.name)-20000101T000000Z.\(target.fileExtension).part", daysAgo: keepDays + 3)
        try make("notes.txt", daysAgo: 90)
        expected.insert("notes.txt")

        let r = try Self.runCronJob(retention, environment: Self.cronEnvironment(variables))
        #expect(r.status == 0, "\(r.output)")
        let left = Set(Self.files(in: dir))
        #expect(left == expected)
        #expect(left.filter { $0.hasSuffix(".\(target.fileExtension)") }.count == keepDays)
        #expect(runner.dumps(of: target).count == keepDays)

        // Only old dumps: the backups are failing; the retention line keeps them all.
        for name in left where name.hasPrefix(target.name) { try FileManager.default.removeItem(atPath: "\(dir)/\(name)") }
        var old = Set<String>()
        for n in (keepDays + 1)...(keepDays + 4) {
            let name = BackupCommand.fileName(target, date: Date(timeIntervalSinceNow: -Double(n) * day))
            try make(name, daysAgo: n)
            old.insert(name)
        }
        _ = try Self.runCronJob(retention, environment: Self.cronEnvironment(variables))
        #expect(Set(Self.files(in: dir)) == old.union(["notes.txt"]))
    }
}
