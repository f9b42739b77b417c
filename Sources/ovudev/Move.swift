import ArgumentParser
import Foundation
import Stack
import Topology

struct MoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Move the running scenario's data to another scenario's layout: plan, copy, verify, switch.",
        discussion: """
            From the running scenario to --to: the plan (where each table goes; foreign keys, views and sequences \
            that would cross the new boundaries, each a blocker with its way out; undeclared and missing tables), \
            then the target layout provisioned as `up` does, every table copied (COPY streams, in parallel per \
            service), counted and checksummed on both sides, and the switch: the source is made read-only and \
            kept, the services run on the target. `ovudev move` again continues a move that was interrupted; \
            --rollback goes back to the kept source, --finish drops it. The journal is .ovu/move.json.
            """)

    @OptionGroup var topology: TopologyOptions
    @Option(name: .long, help: "The scenario to move to.") var to: String?
    @Option(name: .long, parsing: .upToNextOption, help: "Move only these services.") var only: [String] = []
    @Flag(name: .long, help: "Print the plan and change nothing.") var dryRun = false
    @Flag(name: .long, help: "Do not ask.") var yes = false
    @Flag(name: .long, help: "Drop foreign keys that cross the new boundaries (the application validates).") var dropCrossFks = false
    @Flag(name: .long, help: "Go back to the kept source (refused when the target was written since the switch).") var rollback = false
    @Flag(name: .long, help: "Drop the kept source and end the move.") var finish = false
    @Flag(name: .long, help: "With --rollback: copy the target's tables back over the kept source's first (when rows were written on the target since the switch).") var copyBack = false

    func run() throws {
        let project = try topology.load()
        let mover = Mover(project: project, progress: { Progress.line($0) })
        if copyBack && !rollback { throw ValidationError("--copy-back goes with --rollback") }
        if rollback {
            let report = try mover.rollback(copyBack: copyBack)
            report.done.forEach { print($0) }
            try finishWithCheck(report.check)
            return
        }
        if finish {
            let list = try mover.finishList()
            print("drops the kept source:")
            list.forEach { print("  \($0)") }
            if dryRun { return }
            guard confirm("Drop these for good?") else { throw ExitCode(1) }
            _ = try mover.finish()
            print("dropped; the move is finished")
            return
        }
        if dryRun {
            guard let to else { throw ValidationError("--dry-run needs --to <scenario>") }
            print(Self.describe(try mover.plan(to: to, only: only, dropCrossFKs: dropCrossFks)))
            return
        }
        if to == nil && Mover.inProgress(projectDirectory: project.directory) == nil {
            throw ValidationError("no move in progress: name the scenario to move to, --to <scenario>")
        }
        if let to, Mover.inProgress(projectDirectory: project.directory) == nil {
            let plan = try mover.plan(to: to, only: only, dropCrossFKs: dropCrossFks)
            print(Self.describe(plan))
            guard confirm("Move the data of scenario \(plan.journal.source) to \(to)?") else { throw ExitCode(1) }
        }
        let report = try mover.run(to: to, only: only, dropCrossFKs: dropCrossFks)
        report.done.forEach { print($0) }
        try finishWithCheck(report.check)
    }

    func confirm(_ question: String) -> Bool {
        if yes { return true }
        guard isatty(0) == 1 else {
            printError("error: pass --yes to confirm (no terminal to ask on)")
            return false
        }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        return answer == "y" || answer == "yes"
    }

    func finishWithCheck(_ check: CheckReport?) throws {
        guard let check else { return }
        print("check: \(check.passed ? "passed" : "FAILED")")
        if !check.passed { throw ExitCode(1) }
    }

    static func describe(_ report: MoveReport) -> String {
        let j = report.journal
        var lines = ["move \(j.source) → \(j.target)"]
        if !j.sharedServers.isEmpty { lines.append("  within server\(j.sharedServers.count == 1 ? "" : "s") \(j.sharedServers.joined(separator: ", ")) (same name and port in both scenarios)") }
        for s in j.services {
            if s.stays { lines.append("  \(s.service): stays in \(s.from)"); continue }
            let tables = j.tables.filter { $0.service == s.service }
            lines.append("  \(s.service): \(s.from) → \(s.to), \(tables.count) table\(tables.count == 1 ? "" : "s"), owner \(s.role)")
            lines.append("    " + tables.map { $0.source == $0.target ? $0.source : "\($0.source) → \($0.target)" }.joined(separator: ", "))
        }
        if !report.routines.isEmpty { lines.append("types, functions and views that move with their service: " + report.routines.joined(separator: ", ")) }
        lines += report.notes.map { "  \($0)" }
        if !j.blockers.isEmpty {
            lines.append("crossing the new boundaries:")
            lines += j.blockers.map { "  \($0)" }
        }
        if !report.undeclared.isEmpty { lines.append("tables no service declares (not moved): " + report.undeclared.joined(separator: ", ")) }
        if !report.missing.isEmpty { lines.append("declared tables that do not exist: " + report.missing.joined(separator: ", ")) }
        let open = j.blockers.filter { !$0.dropped }.count
        lines.append(open == 0 ? "no blockers" : "\(open) blocker\(open == 1 ? "" : "s"): the move would stop here")
        return lines.joined(separator: "\n")
    }
}
