import ArgumentParser
import Foundation
import Stack
import Topology

struct SnapshotCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Save and restore the whole data of the running stack (every server, ovudev's state, the secrets).",
        discussion: """
            A snapshot lives in .ovu/<scenario>/snapshots/<name>/: each PostgreSQL and MySQL server's data \
            folder (copied while the server is stopped for a moment), each Redis server's RDB and AOF, \
            applied.json, state.json, provisioned.json and the scenario's secrets. Restore swaps the folders \
            in by rename and refuses a snapshot of another topology. `up` keeps the state right after \
            seeding as `seeded` (see `ovudev reset`).
            """,
        subcommands: [Save.self, RestoreSnapshot.self, List.self, Remove.self, Prepare.self])

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Snapshot the running stack (default name: the UTC time).")
        @OptionGroup var options: ScenarioOptions
        @Argument(help: "The name (letters, digits, . _ -; at most 64).") var name: String?
        @Flag(name: .long, help: "Name it after the current git branch (replacing that branch's snapshot).") var git = false
        @Flag(name: .long, help: "Replace a snapshot of the same name.") var force = false

        func run() throws {
            let stack = try options.stack()
            let name = try SnapshotCLI.name(name, git: git, stack: stack) ?? SnapshotName.timestamp()
            let manifest = try Snapshots(stack: stack).save(name, replace: force || git, progress: Progress.line)
            print("snapshot \(name) of scenario \(manifest.scenario): \(SnapshotCLI.size(manifest.bytes)) in \(String(format: "%.2f", manifest.seconds)) s")
            for part in manifest.parts {
                print("  \(part.server) (\(part.engine)): \(SnapshotCLI.size(part.bytes)), copied in \(String(format: "%.2f", part.seconds)) s — \(part.method)")
            }
            if !manifest.servicesStopped.isEmpty { print("  services stopped while copying, started again: \(manifest.servicesStopped.joined(separator: ", "))") }
            SnapshotCLI.prepareInBackground(stack, name)
        }
    }

    /// Started in the background by save, restore, reset and `up` (see SnapshotReady).
    struct Prepare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a snapshot's ready copy now: the next restore renames it into place instead of copying.",
            shouldDisplay: false)
        @OptionGroup var options: ScenarioOptions
        @Argument(help: "The snapshot.") var name: String

        func run() throws {
            let stack = try options.stack(progress: { _ in })
            let made = try Snapshots(stack: stack).prepareReady(name)
            print(made ? "ready copy of snapshot \(name) made" : "snapshot \(name): a ready copy exists already, or there is no room for one")
        }
    }

    /// `ovudev snapshot prepare NAME`, detached, unless OVUDEV_SNAPSHOT_READY=off.
    static func prepareInBackground(_ stack: NativeStack, _ name: String) {
        guard ProcessInfo.processInfo.environment["OVUDEV_SNAPSHOT_READY"] != "off" else { return }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        Snapshots(stack: stack).prepareInBackground(name, executable: executable)
    }

    struct RestoreSnapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Put the stack's data back to a snapshot (services stopped and started again).")
        @OptionGroup var options: ScenarioOptions
        @Argument(help: "The snapshot.") var name: String?
        @Flag(name: .long, help: "The snapshot named after the current git branch.") var git = false
        @Flag(name: .long, help: "Replace the stack's data without asking.") var yes = false

        func run() throws {
            let stack = try options.stack()
            guard let name = try SnapshotCLI.name(name, git: git, stack: stack) else {
                throw ValidationError("name the snapshot to restore (`ovudev snapshot list`), or pass --git")
            }
            try SnapshotCLI.restore(stack, name, yes: yes, question: "Replace all data of scenario \(stack.plan.scenario) with snapshot \(name)?")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The scenario's snapshots: name, size, age, what each holds.")
        @OptionGroup var options: ScenarioOptions
        @Flag(name: .long, help: "As JSON.") var json = false

        func run() throws {
            let stack = try options.stack()
            let list = Snapshots(stack: stack).list()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(list), as: UTF8.self))
                return
            }
            if list.isEmpty {
                print("no snapshots in scenario \(stack.plan.scenario) (`ovudev snapshot save [NAME]`)")
                return
            }
            print(table(["name", "scenario", "size", "age", "holds"], list.map {
                [$0.name, $0.scenario, SnapshotCLI.size($0.bytes) + ($0.ready ? " (×2: ready copy)" : ""), SnapshotCLI.age($0.ageSeconds), $0.holds.joined(separator: "; ")]
            }))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a snapshot.")
        @OptionGroup var options: ScenarioOptions
        @Argument(help: "The snapshot.") var name: String

        func run() throws {
            let stack = try options.stack()
            try Snapshots(stack: stack).remove(name)
            print("removed snapshot \(name) of scenario \(stack.plan.scenario)")
        }
    }

    static func name(_ given: String?, git: Bool, stack: NativeStack) throws -> String? {
        if git {
            if given != nil { throw ValidationError("give a name or --git, not both") }
            return try SnapshotName.gitBranch(in: stack.project.directory)
        }
        if let given { try SnapshotName.validate(given) }
        return given
    }

    /// Restores after a confirmation (or `--yes`), printing what was done.
    static func restore(_ stack: NativeStack, _ name: String, yes: Bool, question: String) throws {
        let snapshots = Snapshots(stack: stack)
        _ = try snapshots.manifest(name)  // an unknown name fails before the question
        if !yes {
            guard isatty(0) == 1 else {
                printError("error: this replaces all data of scenario \(stack.plan.scenario) with snapshot \(name); pass --yes to confirm (no terminal to ask on)")
                throw ExitCode(1)
            }
            FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
            let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            guard answer == "y" || answer == "yes" else {
                print("nothing restored")
                throw ExitCode(1)
            }
        }
        let report = try snapshots.restore(name, progress: Progress.line)
        prepareInBackground(stack, name)
        if let recovered = report.recovered { print(recovered) }
        print("restored snapshot \(name) in \(String(format: "%.2f", report.seconds)) s (staging \(report.usedReadyCopy ? "by renaming the ready copy" : "copy") \(String(format: "%.2f", report.stageSeconds)) s, swap and servers \(String(format: "%.2f", report.swapSeconds)) s, services \(String(format: "%.2f", report.servicesSeconds)) s)")
        for note in report.notes { print(note) }
    }

    static func size(_ bytes: Int64) -> String { ByteCountFormatter.string(fromByteCount: bytes, countStyle: .binary) }

    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<60: return "\(Int(seconds)) s"
        case ..<3600: return "\(Int(seconds / 60)) min"
        case ..<86400: return "\(Int(seconds / 3600)) h"
        default: return "\(Int(seconds / 86400)) d"
        }
    }
}

struct ResetCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Put the stack back to its state right after the first seeding (snapshot `seeded`).",
        discussion: "`up` saves snapshot `seeded` whenever it loads seed files. Resetting one service is not supported yet: `reset <svc>` refuses and says why.")

    @OptionGroup var options: ScenarioOptions
    @Argument(help: "A service (not supported yet: the whole stack is reset).") var service: String?
    @Flag(name: .long, help: "Replace the stack's data without asking.") var yes = false

    func run() throws {
        if let service { throw SnapshotError.perServiceReset(service: service) }
        let stack = try options.stack()
        try SnapshotCLI.restore(stack, NativeStack.seededSnapshot, yes: yes,
                                question: "Reset all data of scenario \(stack.plan.scenario) to its seeded state (snapshot seeded)?")
    }
}
