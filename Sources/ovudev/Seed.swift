import ArgumentParser
import Foundation
import Stack

struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load seed files: .sql as the service's role in one transaction, .csv by COPY (MySQL: LOAD DATA LOCAL); each file once.")

    @OptionGroup var options: ScenarioOptions

    @Argument(help: "Only this service.")
    var service: String?

    @Flag(name: .long, help: "Load every file again: a CSV's table is emptied and reloaded in the same transaction (PostgreSQL: TRUNCATE … CASCADE, which also empties the service's tables that reference it; they reload from their own files), SQL files run again as written.")
    var force = false

    func run() throws {
        let stack = try options.stack()
        // The scenario's services (`scenarios.<s>.services` may leave some out).
        let services = Array(Set(stack.plan.instances.map(\.service))).sorted()
        if let service, !services.contains(service) {
            throw ValidationError("unknown service \"\(service)\" in scenario \"\(stack.plan.scenario)\"; services: \(services.joined(separator: ", "))")
        }
        let lock = try StackLock(path: stack.paths.lock, onWait: Progress.line)
        try stack.loadSecrets()
        let results = try Seeder(plan: stack.plan, projectDirectory: stack.project.directory, secrets: stack.secrets)
            .seed(service: service, force: force, progress: Progress.line)
        withExtendedLifetime(lock) {}
        if results.isEmpty { print("no seed files"); return }
        print(table(["service", "file", "result", "rows"], results.map { [$0.instance, $0.file, $0.outcome.rawValue, $0.rows.map(String.init) ?? "-"] }))
        for result in results where result.outcome == .skipped { if let note = result.note { print("skipped \(result.instance): \(note)") } }
        for result in results where result.outcome != .skipped { if let note = result.note { print("\(result.instance) \(result.file): \(note)") } }
    }
}
