import Foundation
import Topology
import Workspace

/// A scenario's native stack: `up`, `down`, `status` over the engine, provisioner, migrations,
/// seeds, service processes and checks. Reports progress through `progress`; never prints.
public final class NativeStack {
    public let project: Project
    public let plan: Plan
    public let paths: StackPaths
    public let progress: (String) -> Void
    public private(set) var secrets: [String: String] = [:]

    public init(project: Project, plan: Plan, paths: StackPaths? = nil, progress: @escaping (String) -> Void = { _ in }) {
        self.project = project
        self.plan = plan
        self.paths = paths ?? StackPaths(projectDirectory: project.directory, scenario: plan.scenario)
        self.progress = progress
    }

    /// Generated secrets from `.ovu/secrets.json` (created on first use); external ones from the environment.
    public func loadSecrets(create: Bool = true) throws {
        if secretsGiven { return }
        secrets = try project.loadSecrets(for: plan, save: create)
    }

    /// Secrets given directly (tests, or a caller that read them elsewhere) instead of loaded.
    public func useSecrets(_ values: [String: String]) {
        secrets = values
        secretsGiven = true
    }
    private var secretsGiven = false

    /// How ovudev reaches this stack's servers; builds its Provisioner and Checker.
    public var maintenance: Maintenance {
        Maintenance(plan: plan, secrets: secrets, paths: paths, topologyFile: project.topologyFileName)
    }

    /// Server name → socket folder for ovudev's superuser connections (peer authentication).
    public var adminSockets: [String: String] { maintenance.adminSockets }

    /// MySQL server name → ovudev's maintenance login over the server's private socket.
    public var mysqlAdmins: [String: MySQLLogin] { maintenance.mysqlAdmins }

    /// `ovudev check` for this stack.
    public func checker() -> Checker { maintenance.checker() }

    /// The MySQL init SQL of each MySQL server, exactly as `ovudev render` writes it
    /// (`init/<server>/init-db.sql`), with this stack's secrets.
    public func mysqlInitSQL() throws -> [String: String] { maintenance.mysqlInitSQL }

    var engine: NativeEngine { NativeEngine(plan: plan, paths: paths, secrets: secrets, progress: progress) }
    var services: ServiceProcesses { ServiceProcesses(plan: plan, paths: paths, projectDirectory: project.directory, secrets: secrets) }

    // MARK: - Up

    public struct UpReport {
        public var servers: [ServerState] = []
        public var provisioned: [String] = []
        public var migrated: [String] = []
        public var postMigrate: [String] = []
        public var seeds: [SeedResult] = []
        public var started: [String] = []
        public var check: CheckReport?
        public var changedNothing: Bool {
            servers.allSatisfy { $0.action == .running } && provisioned.isEmpty && migrated.isEmpty && postMigrate.isEmpty
                && !seeds.contains { $0.outcome == .loaded } && started.isEmpty
        }
    }

    /// Servers the native engine cannot run on this machine, with the services they carry and
    /// why: MongoDB always (not packaged in Debian), MySQL when mariadbd/mysqld is missing.
    public var dockerOnly: [(server: PlannedServer, instances: [String], reason: String)] {
        plan.servers.compactMap { server -> (PlannedServer, [String], String)? in
            guard let reason = EngineModules.module(server.engine).nativeRefusal else { return nil }
            return (server, plan.instances.filter { $0.database?.server == server.name }.map(\.name), reason)
        }
    }

    /// Why this scenario cannot run natively here, naming each server and its services; nil when it can.
    public var nativeRefusal: String? {
        let refused = dockerOnly
        guard !refused.isEmpty else { return nil }
        let parts = refused.map { server, instances, reason in
            "puts \(instances.isEmpty ? "nothing" : instances.joined(separator: ", ")) on \(server.engine.rawValue) (server \(server.name)); \(reason)"
        }
        return "scenario \(plan.scenario) \(parts.joined(separator: "; it also ")): run this scenario with the docker engine (`ovudev up --engine docker --scenario \(plan.scenario)`, or `ovudev render --scenario \(plan.scenario)` and `docker compose up`)"
    }

    public func up(check runCheck: Bool = true) throws -> UpReport {
        let lock = try StackLock(path: paths.lock, onWait: progress)
        defer { withExtendedLifetime(lock) {} }
        if let refusal = nativeRefusal { throw EngineError(refusal) }
        try loadSecrets()
        var report = UpReport()
        progress("servers")
        report.servers = try engine.start()

        progress("provision")
        let provisioner = maintenance.provisioner()
        report.provisioned = try provisioner.provision(progress: progress).changes

        var state = loadState()
        for instance in plan.instances where instance.migrate != nil {
            let fingerprint = services.migrationFingerprint(instance)
            if state.migrations[instance.name] == fingerprint { continue }
            progress("migrate \(instance.name)")
            try services.migrate(instance)
            state.migrations[instance.name] = fingerprint
            report.migrated.append(instance.name)
            try saveState(state)
        }
        report.postMigrate = try provisioner.applyPostMigrate(progress: progress).changes

        progress("seed")
        report.seeds = try Seeder(plan: plan, projectDirectory: project.directory, secrets: secrets).seed(progress: progress)

        for instance in plan.instances where instance.command != nil {
            if try services.start(instance) {
                progress("start \(instance.name)")
                report.started.append(instance.name)
            }
        }
        for instance in plan.instances where instance.command != nil {
            try services.waitHealthy(instance)
        }
        if runCheck {
            progress("check")
            report.check = try checker().run(progress: progress)
        }
        return report
    }

    // MARK: - Down and status

    /// Stops services and servers; `volumes` also removes the data (and the migration state).
    public func down(volumes: Bool = false) throws -> (services: [String], servers: [ServerState]) {
        let lock = try StackLock(path: paths.lock, onWait: progress)
        defer { withExtendedLifetime(lock) {} }
        try? loadSecrets(create: false)
        var stopped: [String] = []
        for instance in plan.instances.reversed() where services.stop(instance) {
            progress("stop \(instance.name)")
            stopped.append(instance.name)
        }
        let servers = try engine.stop(removeData: volumes)
        if volumes { try? FileManager.default.removeItem(atPath: paths.state) }
        return (stopped, servers)
    }

    public struct InstanceStatus: Codable, Sendable {
        public var instance: String
        public var port: Int?
        public var pid: Int32?
        public var running: Bool
        public var health: String?
    }

    public func status() -> (servers: [ServerState], instances: [InstanceStatus]) {
        let servers = engine.status()
        let instances = plan.instances.map { instance -> InstanceStatus in
            let pid = services.pid(of: instance)
            var health: String?
            if pid != nil, let path = instance.health, let port = instance.port {
                switch HTTPProbe.get(port: port, path: path, timeoutSeconds: 2) {
                case let .success(code): health = String(code)
                case let .failure(error): health = error.message
                }
            }
            return InstanceStatus(instance: instance.name, port: instance.port, pid: pid, running: pid != nil, health: health)
        }
        return (servers, instances)
    }
}
