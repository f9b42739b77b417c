import ArgumentParser
import Dashboard
import Foundation
import Stack

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Prove every service reaches its own data and nothing else; exit 1 on any leak.")

    @OptionGroup var options: ScenarioOptions

    @Flag(name: .long, help: "As JSON.")
    var json = false

    func run() throws {
        let stack = try options.stack()
        try stack.loadSecrets(create: false)
        let report = try stack.checker().run(progress: stack.progress)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(Output(report)), as: UTF8.self))
        } else {
            print(Self.matrix(report))
        }
        if !report.passed { throw ExitCode(1) }
    }

    /// `check --json`: the findings and their totals (shared with the dashboard's `/api/check`).
    typealias Output = CheckOutput

    /// Subjects × checks, each cell ok / LEAK / FAIL / skip; then the details of what is not ok.
    static func matrix(_ report: CheckReport) -> String {
        let checks = ["own-data", "isolation", "reads", "public", "redis", "redis-acl", "health"].filter { c in report.findings.contains { $0.check == c } }
        var subjects: [String] = []
        var cells: [String: [CheckFinding]] = [:]
        for f in report.findings { cells["\(f.subject)\u{0}\(f.check)", default: []].append(f) }
        var seen = Set<String>()
        for f in report.findings where seen.insert(f.subject).inserted { subjects.append(f.subject) }
        let rows = subjects.map { subject -> [String] in
            [subject] + checks.map { check in
                let cell = cells["\(subject)\u{0}\(check)"] ?? []
                if cell.isEmpty { return "" }
                if cell.contains(where: { $0.status == .leak }) { return "LEAK" }
                if cell.contains(where: { $0.status == .fail }) { return "FAIL" }
                if cell.allSatisfy({ $0.status == .skipped }) { return "skip" }
                return "ok"
            }
        }
        var text = table(["subject"] + checks, rows)
        let problems = report.findings.filter { $0.status == .leak || $0.status == .fail }
        for p in problems { text += "\n\(p.status == .leak ? "LEAK" : "FAIL") \(p.subject) \(p.check): \(p.detail)" }
        text += "\n\(report.findings.count) checks: \(report.leaks) leaks, \(report.failures) failures"
        return text
    }
}
