import Foundation
import Statements
import Topology
import Workspace

/// `ovudev up --engine docker`: the rendered compose bundle under `docker compose up -d --wait`
/// (the one-shot provision, migration and grants services converge the servers on every run),
/// then seeds and checks from the host through libpq and hiredis on the published ports.
/// docker-compose 1.x (Debian 12's, e.g. over podman's Docker-compatible socket) has no `--wait`:
/// then `up -d` and ovudev waits itself through the engine API (ComposeWait.swift).
public final class DockerStack {
    public let project: Project
    public let plan: Plan
    public let progress: (String) -> Void
    public let paths: StackPaths
    /// Renders the scenario's compose bundle and returns its folder (`Project.render` of the
    /// Renderers module, handed in by the CLI: the runtime does not render).
    let render: () throws -> String

    public init(project: Project, plan: Plan, render: @escaping () throws -> String, progress: @escaping (String) -> Void = { _ in }) {
        self.project = project
        self.plan = plan
        self.render = render
        self.progress = progress
        self.paths = StackPaths(projectDirectory: project.directory, scenario: plan.scenario)
    }

    /// Why no docker engine can be used here, or nil when one answers `docker info`.
    public static func unavailableReason() -> String? {
        guard Subprocess.which("docker") != nil else {
            // No docker CLI (podman behind DOCKER_HOST, say): docker-compose and the engine's API will do.
            guard Subprocess.which("docker-compose") != nil else { return "neither the docker command nor docker-compose is installed" }
            guard let api = EngineAPI() else { return "DOCKER_HOST (\(ProcessInfo.processInfo.environment["DOCKER_HOST"] ?? "")) is not a unix:// socket, and there is no docker command to reach it" }
            return api.pingFailure().map { "no docker engine answers (\($0))" }
        }
        // `timeout` keeps a daemon that accepts but never answers from hanging `up`.
        let command = Subprocess.which("timeout") != nil ? ["timeout", "20", "docker", "info", "--format", "{{.ServerVersion}}"] : ["docker", "info", "--format", "{{.ServerVersion}}"]
        guard let result = try? Subprocess.run(command) else { return "`docker info` could not be run" }
        if result.status == 0 { return nil }
        let reason = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.last { !$0.isEmpty } ?? "exit status \(result.status)"
        return "no docker engine answers (`docker info`: \(reason))"
    }

    /// The compose CLI, and whether it has `up --wait`: the docker compose plugin (v2) when there is
    /// one, else docker-compose (v2, or 1.x without `--wait`).
    static func composeCommand() throws -> (command: [String], waits: Bool) {
        if Subprocess.which("docker") != nil, let r = try? Subprocess.run(["docker", "compose", "version"]), r.status == 0 { return (["docker", "compose"], true) }
        if let r = try? Subprocess.run(["docker-compose", "version", "--short"]), r.status == 0 {
            let major = Int(r.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").first ?? "") ?? 0
            return (["docker-compose"], major >= 2)
        }
        throw EngineError("the docker engine answers, but neither `docker compose` (v2) nor docker-compose is installed: install the compose plugin (apt-get install docker-compose-plugin) or Debian's docker-compose, or use `ovudev up --engine native`")
    }

    public struct UpReport {
        public var bundle: String
        public var log: String
        public var seeds: [SeedResult] = []
        public var check: CheckReport?
    }

    public func up(check runCheck: Bool = true) throws -> UpReport {
        if let reason = Self.unavailableReason() {
            let native = plan.servers.contains { $0.engine == .mongodb }
                ? "" : ", or run the stack without one: `ovudev up --engine native --scenario \(plan.scenario)` (PostgreSQL, Redis and MariaDB as local processes)"
            throw EngineError("\(reason). \(NativeStack.containerEngineHint)\(native)")
        }
        let (compose, waits) = try Self.composeCommand()
        let secrets = try provisionExistingServers(try loadSecrets())

        progress("render")
        let bundle = try render()
        try FileManager.default.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
        let log = "\(paths.root)/docker-compose.log"
        progress("docker compose up (log: \(log))")
        let files = ["--project-directory", bundle, "-f", "\(bundle)/docker-compose.yml", "-p", composeProject]
        let up = try Subprocess.run(compose + files + ["up", "-d", "--build"] + (waits ? ["--wait"] : []), log: log)
        // 1.x: `up -d` waited for the conditions of dependencies only; wait for the rest here.
        var failed: [(service: String, reason: String)] = []
        if up.status == 0 && !waits, let api = EngineAPI() {
            failed = try api.waitReady(project: composeProject, timeout: Self.waitTimeout, progress: progress)
        }
        guard up.status == 0, failed.isEmpty else {
            // The failing containers' logs, kept in files (a later `down` removes the containers).
            if failed.isEmpty, let api = EngineAPI(), let all = try? api.containers(project: composeProject) {
                failed = all.compactMap { c in c.failure.map { (c.service, $0) } }
            }
            var text = failed.isEmpty ? "" : "\n" + failed.map { "\($0.service) \($0.reason)" }.joined(separator: "\n")
            for (service, _) in failed {
                let saved = "\(paths.root)/\(service).log"
                let logs = try? Subprocess.run(compose + files + ["logs", "--no-color", service], log: saved)
                let tail = (logs?.output ?? "").split(separator: "\n").suffix(15).joined(separator: "\n")
                text += "\n--- \(service) (full log: \(saved))\n\(tail)"
            }
            let tail = up.output.split(separator: "\n").suffix(15).joined(separator: "\n")
            throw EngineError("docker compose up failed\(up.status == 0 ? "" : " (exit \(up.status))"); the full output is in \(log):\n\(tail)\(text)")
        }
        var report = UpReport(bundle: bundle, log: log)
        try grantExistingServers(secrets)
        progress("seed")
        report.seeds = try Seeder(plan: plan, projectDirectory: project.directory, secrets: secrets).seed(progress: progress)
        if runCheck {
            progress("check")
            report.check = try Maintenance(plan: plan, secrets: secrets, paths: nil).checker().run()
        }
        return report
    }

    /// How long ovudev waits for health itself (docker-compose 1.x): OVUDEV_WAIT_TIMEOUT seconds, default 300.
    static var waitTimeout: TimeInterval { TimeInterval(ProcessInfo.processInfo.environment["OVUDEV_WAIT_TIMEOUT"] ?? "") ?? 300 }

    /// `<project>-<scenario>`: the compose project, so that scenarios do not share containers.
    public var composeProject: String { "\(plan.project)-\(plan.scenario)".lowercased() }

    /// Generated secrets from the store (as the render uses them); external ones from the
    /// environment, which `docker compose` interpolates too.
    func loadSecrets() throws -> [String: String] {
        try project.loadSecrets(for: plan, save: true)
    }
}
