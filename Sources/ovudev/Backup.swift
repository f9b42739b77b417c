import ArgumentParser
import Foundation
import Renderers
import Stack
import Topology

struct BackupCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Run backup/crontab's dumps now against the running native stack (PostgreSQL, Redis, MySQL); --verify restores each into a scratch database and compares every table.",
        discussion: """
            Writes <backups>/<server>/<target>/<target>-<UTC time>.<ext> (the crontab's names, so its \
            retention line and `ovudev restore latest` see these dumps too) and prints sizes and \
            durations. With --verify each PostgreSQL dump is taken from a snapshot that ovudev holds \
            open, restored into a scratch database on the same server, and every table's row count \
            and checksum (md5 over its rows in primary-key order) and every sequence compared with \
            the source in that same snapshot; a MySQL dump is loaded into a scratch database and \
            every table's row count and CHECKSUM TABLE compared; Redis dumps are read whole by \
            redis-check-rdb (CRC64) and their keys counted. Exit 1 on any failure or difference.
            """)

    @OptionGroup var options: ScenarioOptions

    @Argument(help: "A service, instance, server or backup target (default: every target).")
    var target: String?

    @Flag(name: .long, help: "Restore each dump into a scratch database and compare every table with the source.")
    var verify = false

    @Flag(name: .long, help: "As JSON.")
    var json = false

    struct Output: Codable {
        var files: [BackupFile]
        var verified: [VerifyReport]
        var failures: [String: String]
        var skipped: [String: String]
    }

    func run() throws {
        let stack = try options.stack()
        try stack.loadSecrets(create: false)
        let runner = BackupRunner(stack: stack)
        guard let targets = runner.targets(matching: target) else {
            throw ValidationError("no backup target, service or server \"\(target ?? "")\" in scenario \(stack.plan.scenario); choose from: \(runner.targetNames.joined(separator: ", "))")
        }
        var output = Output(files: [], verified: [], failures: [:], skipped: [:])
        for t in targets {
            if t.kind == .mongodump {
                output.skipped[t.name] = "ovudev backup runs PostgreSQL, Redis and MySQL dumps; mongodump runs from the rendered crontab (backup/crontab) with the docker engine"
                continue
            }
            // One target's failure, whatever its kind, is recorded and the others still run.
            do {
                if verify {
                    let (file, report) = try runner.backupAndVerify(t)
                    output.files.append(file)
                    output.verified.append(report)
                } else {
                    output.files.append(try runner.backup(t))
                }
            } catch {
                output.failures[t.name] = "\(error)"
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            print(Self.filesTable(output.files))
            for (name, why) in output.skipped.sorted(by: { $0.key < $1.key }) { print("skipped \(name): \(why)") }
            if verify {
                print("")
                print(Self.verifyTable(output.verified))
            }
            for (name, why) in output.failures.sorted(by: { $0.key < $1.key }) { print("FAILED \(name): \(why)") }
        }
        let differences = output.verified.reduce(0) { $0 + $1.differences }
        if !output.failures.isEmpty || differences > 0 { throw ExitCode(1) }
    }

    static func shown(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
    }

    static func filesTable(_ files: [BackupFile]) -> String {
        let total = files.reduce(Int64(0)) { $0 + $1.bytes }
        let seconds = files.reduce(0.0) { $0 + $1.seconds }
        return table(["target", "file", "size", "time"], files.map {
            [$0.target, shown($0.path), BackupRunner.formatBytes($0.bytes), String(format: "%.2f s", $0.seconds)]
        }) + "\n\(files.count) dump\(files.count == 1 ? "" : "s"), \(BackupRunner.formatBytes(total)), \(String(format: "%.2f s", seconds))"
    }

    static func verifyTable(_ reports: [VerifyReport]) -> String {
        var rows: [[String]] = []
        var lines: [String] = []
        for report in reports {
            if let error = report.error {
                rows.append([report.target, "-", "-", "-", "-", "RESTORE FAILED"])
                lines.append("FAILED \(report.target): \(error)")
                continue
            }
            for t in report.tables {
                let checksum: String
                switch t.status {
                case .same: checksum = t.restoredChecksum.map { $0.hasPrefix("last_value") || $0 == "never used" || $0 == "CRC64 ok" ? $0 : "equal (\($0.prefix(8)))" } ?? "-"
                case .different: checksum = "\(t.sourceChecksum?.prefix(8) ?? "-") ≠ \(t.restoredChecksum?.prefix(8) ?? "-")"
                case .missing: checksum = "not in the dump"
                case .extra: checksum = "not in the source"
                }
                rows.append([report.target, t.object, t.sourceRows.map(String.init) ?? "-", t.restoredRows.map(String.init) ?? "-", checksum,
                             t.status == .same ? "ok" : t.status.rawValue.uppercased()])
            }
            if let note = report.note { lines.append("note \(report.target): \(note)") }
        }
        let objects = reports.reduce(0) { $0 + $1.tables.count }
        let differences = reports.reduce(0) { $0 + $1.differences }
        var text = table(["target", "table", "rows", "restored", "checksum", "status"], rows)
        for line in lines { text += "\n" + line }
        text += "\n\(reports.count) dump\(reports.count == 1 ? "" : "s") restored and compared: \(objects) tables and sequences, \(differences) difference\(differences == 1 ? "" : "s")"
        return text
    }
}
