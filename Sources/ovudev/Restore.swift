import ArgumentParser
import Foundation
import Renderers
import Stack
import Topology

struct RestoreCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a PostgreSQL or MySQL dump into a service's database (or a new one), then run its checks.",
        discussion: """
            `latest` takes the newest dump of the service in the backups folder. By default the dump \
            replaces the service's own database (its schema in single-db), after confirmation or \
            --yes: it is restored into a new database (schema) first, the current one is kept under \
            another name until the restore is complete, grants and settings are converged and the \
            service's checks pass, and put back if anything fails. --into NAME restores into a new \
            database NAME instead and changes nothing else. A MySQL dump is loaded into a staging \
            database and its tables swapped with the current ones in one RENAME TABLE (views, \
            triggers, routines and events cannot move that way: such a database is refused).
            """)

    @OptionGroup var options: ScenarioOptions

    @Argument(help: "A dump file, or `latest`.")
    var file: String

    @Argument(help: "The service, instance or backup target (needed with `latest`, and for files outside the backups folder).")
    var service: String?

    @Option(name: .long, help: ArgumentHelp("Restore into this new database instead.", valueName: "name"))
    var into: String?

    @Flag(name: .long, help: "Replace the service's data without asking.")
    var yes = false

    func validate() throws {
        if let into, into.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) == nil {
            throw ValidationError("--into: \"\(into)\" is not a plain database name (lowercase letters, digits, _; at most 63)")
        }
    }

    func run() throws {
        let stack = try options.stack()
        let plan = stack.plan
        try stack.loadSecrets(create: false)
        let runner = BackupRunner(stack: stack)
        var candidates: [BackupTarget]?
        if let service {
            guard let found = runner.targets(matching: service) else {
                throw ValidationError("no service, instance or backup target \"\(service)\" in scenario \(plan.scenario); choose from: \(runner.targetNames.joined(separator: ", "))")
            }
            candidates = found.filter { $0.kind == .pgDump || $0.kind == .mysqldump }
            if candidates!.isEmpty {
                throw ValidationError("\(service) has no PostgreSQL or MySQL data in scenario \(plan.scenario): ovudev restore restores pg_dump and mysqldump files (\(found.map { $0.kind.rawValue }.joined(separator: ", ")) by hand, see the README)")
            }
        }
        let target: BackupTarget
        let path: String
        if file == "latest" {
            guard let candidates else { throw ValidationError("`latest` needs the service whose newest dump to restore, e.g. `ovudev restore latest \(plan.instances.first?.service ?? "svc")`") }
            guard candidates.count == 1 else {
                throw ValidationError("\(service!) has \(candidates.count) databases in scenario \(plan.scenario); name one: \(candidates.map(\.name).joined(separator: ", ")) (or the instance, e.g. \(plan.instances.filter { $0.service == service }.map(\.name).joined(separator: ", ")))")
            }
            target = candidates[0]
            guard let latest = runner.latest(target) else {
                printError("error: no dumps of \(target.name) in \(runner.folder(target)); run `ovudev backup \(service!)` first")
                throw ExitCode(1)
            }
            path = latest
        } else {
            let cwd = FileManager.default.currentDirectoryPath
            path = URL(fileURLWithPath: file.hasPrefix("/") ? file : (cwd as NSString).appendingPathComponent(file)).standardizedFileURL.path
            let fromFile = runner.target(ofFile: path)
            if let candidates {
                if let fromFile, !candidates.contains(fromFile) {
                    throw ValidationError("\(file) is a dump of \(fromFile.name), not of \(service!) (\(candidates.map(\.name).joined(separator: ", ")))")
                }
                if let fromFile { target = fromFile } else if candidates.count == 1 { target = candidates[0] } else {
                    throw ValidationError("\(service!) has \(candidates.count) databases; name one: \(candidates.map(\.name).joined(separator: ", "))")
                }
            } else {
                guard let fromFile else {
                    throw ValidationError("cannot tell whose dump \(file) is (it is not in a backups/<server>/<target>/ folder): name the service, e.g. `ovudev restore \(file) \(plan.instances.first?.service ?? "svc")`")
                }
                target = fromFile
            }
        }

        let place = "\(target.database ?? "?")\(target.schema.map { " (schema \($0))" } ?? "")"
        if into == nil && !yes {
            let owners = plan.instances.filter { i in i.database?.server == target.server && i.database?.database == target.database && (target.schema == nil || i.database?.schema == target.schema) }.map(\.name)
            let shared = owners.count > 1 ? " — it holds the data of \(owners.joined(separator: ", ")), all of which is replaced" : ""
            let question = "Restore \(BackupCLI.shown(path)) into \(place) on \(target.server)\(shared)? Its current contents are kept until the restore passes the checks, then dropped. [y/N] "
            guard isatty(0) == 1 else {
                printError("error: restore would replace \(place) on \(target.server)\(shared); pass --yes to confirm (no terminal to ask on), or --into NAME to restore into a new database")
                throw ExitCode(1)
            }
            FileHandle.standardError.write(Data(question.utf8))
            let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            guard answer == "y" || answer == "yes" else {
                print("nothing restored")
                throw ExitCode(1)
            }
        }
        let lock = try StackLock(path: stack.paths.lock, onWait: Progress.line)
        defer { withExtendedLifetime(lock) {} }
        let report = try runner.restore(file: path, target: target, into: into)
        let where_ = into.map { "new database \($0)" } ?? place
        print("restored \(BackupCLI.shown(path)) into \(where_) on \(target.server) in \(String(format: "%.1f", report.seconds)) s")
        let tables = report.fingerprints.filter { !$0.key.hasPrefix("sequence ") }.sorted { $0.key < $1.key }
        print(table(["table", "rows", "checksum"], tables.map { [$0.key, $0.value.rows.map(String.init) ?? "-", String(($0.value.checksum ?? "-").prefix(8))] }))
        for note in report.notes { print(note) }
        if let kept = report.kept { print("kept: \(kept)") }
        if let check = report.serviceCheck {
            print("")
            print(CheckCommand.matrix(check))
        } else {
            print("(checks not run: no service uses \(into ?? "it"))")
        }
    }
}
