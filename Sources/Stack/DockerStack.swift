import Foundation
import Statements
import Topology
import Workspace

/// `ovudev up --engine docker`: the rendered compose bundle under `docker compose up -d --wait`
/// (the one-shot provision, migration and grants services converge the servers on every run),
/// then seeds and checks from the host through libpq and hiredis on the published ports.
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
        guard Subprocess.which("docker") != nil else { return "the docker command is not installed" }
        // `timeout` keeps a daemon that accepts but never answers from hanging `up`.
        let command = Subprocess.which("timeout") != nil ? ["timeout", "20", "docker", "info", "--format", "{{.ServerVersion}}"] : ["docker", "info", "--format", "{{.ServerVersion}}"]
        guard let result = try? Subprocess.run(command) else { return "`docker info` could not be run" }
        if result.status == 0 { return nil }
        let reason = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.last { !$0.isEmpty } ?? "exit status \(result.status)"
        return "no docker engine answers (`docker info`: \(reason))"
    }

    /// The compose CLI that understands `up --wait`: the docker compose plugin (v2).
    static func composeCommand() throws -> [String] {
        if let r = try? Subprocess.run(["docker", "compose", "version"]), r.status == 0 { return ["docker", "compose"] }
        if let r = try? Subprocess.run(["docker-compose", "version", "--short"]), r.status == 0, let major = r.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").first, Int(major) ?? 0 >= 2 {
            return ["docker-compose"]
        }
        throw EngineError("the docker engine answers, but Docker Compose v2 (`docker compose`) is missing; docker-compose 1.x has no `up --wait`: install the compose plugin (apt-get install docker-compose-plugin), or use `ovudev up --engine native`")
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
        let compose = try Self.composeCommand()
        let secrets = try loadSecrets()

        progress("render")
        let bundle = try render()
        try FileManager.default.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
        let log = "\(paths.root)/docker-compose.log"
        progress("docker compose up (log: \(log))")
        let up = try Subprocess.run(compose + [
            "--project-directory", bundle, "-f", "\(bundle)/docker-compose.yml",
            "-p", composeProject, "up", "-d", "--build", "--wait",
        ], log: log)
        guard up.status == 0 else {
            let tail = up.output.split(separator: "\n").suffix(15).joined(separator: "\n")
            throw EngineError("docker compose up failed (exit \(up.status)); the full output is in \(log):\n\(tail)")
        }
        var report = UpReport(bundle: bundle, log: log)
        progress("seed")
        report.seeds = try Seeder(plan: plan, projectDirectory: project.directory, secrets: secrets).seed(progress: progress)
        if runCheck {
            progress("check")
            report.check = try Maintenance(plan: plan, secrets: secrets, paths: nil).checker().run()
        }
        return report
    }

    /// `<project>-<scenario>`: the compose project, so that scenarios do not share containers.
    public var composeProject: String { "\(plan.project)-\(plan.scenario)".lowercased() }

    /// Generated secrets from the store (as the render uses them); external ones from the
    /// environment, which `docker compose` interpolates too.
    func loadSecrets() throws -> [String: String] {
        try project.loadSecrets(for: plan, save: true)
    }
}
