import ArgumentParser
import Foundation
import Dashboard
import Renderers
import Stack
import Topology

/// `--scenario` for the runtime commands.
struct ScenarioOptions: ParsableArguments {
    @OptionGroup var topology: TopologyOptions

    @Option(name: .long, help: "The scenario (default: the topology's defaultScenario).")
    var scenario: String?

    /// The stack of `--scenario`; without it the running one (`.ovu/active`, said on stderr), else the default.
    func stack(progress: @escaping (String) -> Void = Progress.line) throws -> NativeStack {
        let project = try topology.load()
        return NativeStack(project: project, plan: try project.plan(scenario: try chosen(project)), progress: progress)
    }

    func chosen(_ project: Project) throws -> String? {
        if let scenario { return scenario }
        guard let active = ActiveStack(projectDirectory: project.directory).scenario,
              project.topology.scenario(active) != nil else { return nil }
        printError("scenario \(active) (the running one; --scenario to choose another)")
        return active
    }
}

/// Progress lines on stderr, so that stdout stays for results.
enum Progress {
    static let start = Date()
    static func line(_ text: String) {
        let since = start  // first use starts the clock; read it before now, or the first line shows -0.00s
        let elapsed = String(format: "%6.2fs", Date().timeIntervalSince(since))
        FileHandle.standardError.write(Data("[\(elapsed)] \(text)\n".utf8))
    }
}

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the stack: servers, provisioning, migrations, seeds, services, check.",
        discussion: """
            --engine native (default): PostgreSQL, Redis and MySQL (MariaDB's mariadbd, when installed) as local \
            processes; a second `up` with nothing changed starts nothing and changes nothing. State lives in \
            .ovu/<scenario>/. MongoDB needs the docker engine.
            --engine docker: renders the compose bundle and runs `docker compose up -d --wait` (provisioning converges on \
            every run), then seeds and checks from the host on the published ports. Needs a docker engine (or podman behind \
            DOCKER_HOST) and Compose v2, or docker-compose 1.x (no --wait: ovudev waits for health through the engine API).
            """)

    @OptionGroup var options: ScenarioOptions

    @Option(name: .long, help: "native (default) or docker.")
    var engine: String = "native"

    @Flag(name: .long, help: "Skip the isolation check at the end.")
    var noCheck = false

    @Flag(name: .long, help: "When a service's Redis index changed, move its keys to the new index (instead of refusing).")
    var moveRedisKeys = false

    @Flag(name: .long, help: "Then serve the dashboard in the background (its URL is printed; `down` stops it).")
    var dashboard = false

    func validate() throws {
        guard engine == "native" || engine == "docker" else { throw ValidationError("--engine is native or docker") }
    }

    func run() throws {
        if engine == "docker" { return try upWithDocker() }
        let stack = try options.stack()
        let report = try stack.up(check: !noCheck, moveRedisKeys: moveRedisKeys)
        if let recovered = report.recovered { print(recovered) }
        if report.changedNothing {
            print("nothing changed: \(stack.plan.servers.count) servers and \(report.servers.count) running, provisioning up to date, migrations and seeds already applied, services running")
        } else {
            for s in report.servers where s.action != .running { print("server \(s.name): \(s.action.rawValue) on 127.0.0.1:\(s.port)") }
            for move in report.redisMoves { print(move) }
            for change in report.provisioned + report.postMigrate { print("provision: \(change)") }
            for m in report.migrated { print("migrated: \(m)") }
            for seed in report.seeds where seed.outcome == .loaded { print("seeded: \(seed.instance) \(seed.file) (\(seed.rows ?? 0) rows)") }
            for seed in report.seeds where seed.outcome == .changed { print("seed changed since it was loaded (not reloaded; `ovudev seed --force`): \(seed.instance) \(seed.file)") }
            for seed in report.seeds where seed.outcome == .skipped { print("seed skipped: \(seed.instance) \(seed.file): \(seed.note ?? "")") }
            for change in report.changes { print(change.line) }
            if let snapshot = report.snapshot {
                print("snapshot \(snapshot.name): the seeded state, \(SnapshotCLI.size(snapshot.bytes)) (`ovudev reset` goes back to it)")
                SnapshotCLI.prepareInBackground(stack, snapshot.name)
            }
            let changed = Set(report.changes.map(\.instance))
            for s in report.started where !changed.contains(s) { print("started: \(s)") }
        }
        print("")
        print(summary(stack))
        if dashboard { print("\ndashboard: \(try DashboardCommand.startDetached(stack))") }
        if let check = report.check {
            print("")
            print(CheckCommand.matrix(check))
            if !check.passed { throw ExitCode(1) }
        }
    }

    /// The compose bundle under `docker compose up -d --wait`, then seeds and checks from the host.
    func upWithDocker() throws {
        let project = try options.topology.load()
        let plan = try project.plan(scenario: options.scenario)
        let stack = DockerStack(project: project, plan: plan, render: { try project.render(scenario: plan.scenario, output: nil).directory }, progress: Progress.line)
        let report = try stack.up(check: !noCheck)
        print("docker compose project \(stack.composeProject) is up from \(report.bundle)")
        for seed in report.seeds where seed.outcome == .loaded { print("seeded: \(seed.instance) \(seed.file) (\(seed.rows ?? 0) rows)") }
        for seed in report.seeds where seed.outcome == .changed { print("seed changed since it was loaded (not reloaded; `ovudev seed --force`): \(seed.instance) \(seed.file)") }
        if let check = report.check {
            print("")
            print(CheckCommand.matrix(check))
            if !check.passed { throw ExitCode(1) }
        }
    }

    func summary(_ stack: NativeStack) -> String {
        let status = stack.status()
        let running = Dictionary(uniqueKeysWithValues: status.instances.map { ($0.instance, $0) })
        return table(["service", "database", "user", "password", "redis", "port", "status"], stack.plan.instances.map { i in
            let db = i.database.map { d -> String in
                let server = stack.plan.server(d.server)
                return "\(d.database)\(d.schema.map { ".\($0)" } ?? "") @\(server?.hostAddress ?? "127.0.0.1"):\(server?.port ?? 0)"
            } ?? "-"
            let redis = i.redis.map { slot in "redis://127.0.0.1:\(stack.plan.server(slot.server)?.port ?? 0)/\(slot.index)" } ?? "-"
            let state = running[i.name].map { s in s.running ? "running" + (s.health.map { " (health \($0))" } ?? "") : (i.command == nil ? "-" : "stopped") } ?? "-"
            return [i.name, db, i.database?.role ?? "-", i.database == nil ? "-" : "********", redis, i.port.map(String.init) ?? "-", state]
        })
    }
}

struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop the stack's services and servers.")

    @OptionGroup var options: ScenarioOptions

    @Flag(name: .long, help: "Also delete the servers' data.")
    var volumes = false

    func run() throws {
        let stack = try options.stack()
        let result = try stack.down(volumes: volumes)
        if DashboardCommand.stopDetached(stack) { print("stopped the dashboard") }
        if result.services.isEmpty && result.servers.isEmpty {
            print("nothing was running in scenario \(stack.plan.scenario)\(volumes ? "; data removed" : "")")
        } else {
            print("stopped \(result.services.count) services and \(result.servers.count) servers\(volumes ? "; data removed" : "")")
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show which servers and services of the stack run.")

    @OptionGroup var options: ScenarioOptions

    @Flag(name: .long, help: "As JSON.")
    var json = false

    /// Shared with the dashboard's `GET /api/status`.
    typealias Output = StatusOutput

    func run() throws {
        let stack = try options.stack()
        let status = stack.status()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(Output(scenario: stack.plan.scenario, servers: status.servers, services: status.instances,
                                                                                         move: Mover.inProgress(projectDirectory: stack.project.directory))), as: UTF8.self))
            return
        }
        print(table(["server", "engine", "port", "status"], status.servers.map { [$0.name, $0.engine.rawValue, String($0.port), $0.running ? "running" : "stopped"] }))
        print("")
        print(table(["service", "port", "pid", "status"], status.instances.map { i in
            [i.instance, i.port.map(String.init) ?? "-", i.pid.map { String($0) } ?? "-", i.running ? "running" + (i.health.map { " (health \($0))" } ?? "") : "stopped"]
        }))
        if let move = Mover.inProgress(projectDirectory: stack.project.directory) { print("\nmove: \(move)") }
    }
}
