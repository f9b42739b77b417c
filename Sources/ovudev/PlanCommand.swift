import ArgumentParser
import Foundation
import Renderers
import Topology

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a scenario resolves to: servers, databases, roles, Redis slots, instances.")

    @OptionGroup var options: TopologyOptions

    @Option(name: .long, help: "The scenario (default: the topology's defaultScenario).")
    var scenario: String?

    @Flag(name: .long, help: "The resolved Plan as JSON (no secret values).")
    var json = false

    func run() throws {
        let plan = try options.load().plan(scenario: scenario)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(plan), as: UTF8.self))
            return
        }
        var layout = plan.layout.rawValue
        if let isolation = plan.isolation { layout += ", \(isolation.rawValue) isolation" }
        print("scenario \(plan.scenario): \(layout); secrets \(plan.secrets.rawValue)\(plan.analytics ? "; analytics role" : "")")
        print("")
        print(table(["server", "engine", "port", "databases", "roles"], plan.servers.map { s in
            [s.name, "\(s.engine.rawValue) \(s.version)", "\(s.hostAddress):\(s.port)",
             s.engine == .redis ? "\(s.redisDatabases ?? 16) logical" : String(s.databases.count), String(s.roles.count)]
        }))
        print("")
        print(table(["instance", "port", "database", "user", "redis", "depends on"], plan.instances.map { i in
            let db = i.database.map { d in d.database + (d.schema.map { ".\($0)" } ?? "") + (d.tablePrefix.map { " (\($0)*)" } ?? "") + " @\(d.server)" } ?? "-"
            return [i.name, i.port.map(String.init) ?? "-", db, i.database?.role ?? "-",
                    i.redis.map { "\($0.server)/\($0.index)" } ?? "-", i.dependsOn.isEmpty ? "-" : i.dependsOn.joined(separator: ", ")]
        }))
        let reads = plan.instances.flatMap { i in
            i.reads.map { r in "\(i.name) reads \(r.instance): " + r.tables.map { "\(r.schema).\($0)" }.joined(separator: ", ") }
        }
        if !reads.isEmpty {
            print("")
            for r in reads { print(r) }
        }
    }
}

/// A plain text table: columns padded to their widest cell.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }.joined(separator: "\n")
}
