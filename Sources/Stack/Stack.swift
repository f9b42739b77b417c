import Foundation
import Topology
import Workspace

/// A scenario's native stack: `up`, `down`, `status` over the engine, provisioner, migrations,
/// seeds, service processes and checks. Reports progress through `progress`; never prints.
public final class NativeStack {
    public let project: Project
    public let plan: Plan
    public private(set) var paths: StackPaths
    /// Paths a caller chose (tests) are used as given; otherwise `up` places the stack.
    private let pathsGiven: Bool
    public let progress: (String) -> Void
    public private(set) var secrets: [String: String] = [:]

    public init(project: Project, plan: Plan, paths: StackPaths? = nil, progress: @escaping (String) -> Void = { _ in }) {
        self.project = project
        self.plan = plan
        self.paths = paths ?? StackPaths(projectDirectory: project.directory, scenario: plan.scenario)
        pathsGiven = paths != nil
        self.progress = progress
    }

    /// Where the stack lives, decided by a caller that placed it (a move's target).
    func setPaths(_ placed: StackPaths) { paths = placed }

    /// Generated secrets from `.ovu/secrets.json` (created on first use); external ones from the environment.
    public func loadSecrets(create: Bool = true) throws {
        if secretsGiven { return }
        // Existing servers' admin URLs join them in memory only (the store saves the plan's secrets).
        secrets = try project.loadSecrets(for: plan, save: create).merging(Self.existingServerURLs(plan)) { $1 }
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
        /// Keys moved to their owners' new Redis slots (`--move-redis-keys`).
        public var redisMoves: [String] = []
        public var provisioned: [String] = []
        public var migrated: [String] = []
        public var postMigrate: [String] = []
        public var seeds: [SeedResult] = []
        /// Services added, changed or removed since the last `up`, and what was done.
        public var changes: [InstanceChange] = []
        public var started: [String] = []
        public var check: CheckReport?
        /// An interrupted `snapshot restore` this `up` finished or rolled back (SnapshotRestore).
        public var recovered: String?
        /// The automatic `seeded` snapshot, when seeds were loaded (SeededSnapshot).
        public var snapshot: SnapshotManifest?
        public var changedNothing: Bool {
            servers.allSatisfy { $0.action == .running } && redisMoves.isEmpty && provisioned.isEmpty && migrated.isEmpty
                && postMigrate.isEmpty && !seeds.contains { $0.outcome == .loaded } && changes.isEmpty && started.isEmpty
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
    public var nativeRefusal: EngineError? {
        let refused = dockerOnly
        guard !refused.isEmpty else { return nil }
        let servers = refused.map { server, instances, reason in
            EngineError.RefusedServer(server: server.name, engine: server.engine, instances: instances, reason: reason)
        }
        return EngineError(.nativeRefusal(scenario: plan.scenario, servers: servers, containerEngine: DockerStack.unavailableReason() == nil))
    }

    /// How to get a container engine on Debian, said wherever one is missing.
    public static let containerEngineHint = "install one (Docker with Compose v2, or Debian's podman behind its Docker-compatible socket: `apt-get install podman`, `podman system service --time=0 unix:///run/podman.sock &`, `export DOCKER_HOST=unix:///run/podman.sock`), then `ovudev up --engine docker`"

    /// Converges the running stack to the Plan: starts servers, refuses to hand one service's
    /// Redis keys or database to another (or, with `moveRedisKeys`, moves the keys to their
    /// owners), provisions, migrates, seeds, restarts exactly the services whose command, folder,
    /// port or environment changed, starts added ones, stops removed ones (their data stays),
    /// checks, and records what it applied.
    public func up(check runCheck: Bool = true, moveRedisKeys: Bool = false) throws -> UpReport {
        let active = ActiveStack(projectDirectory: project.directory)
        // A move in its switch or copy-back (or switched away from this scenario) first: it says
        // what to do, where the running scenario's ports would only say "down" (the wrong cure).
        let move = try MoveJournal.load(projectDirectory: project.directory)
        if let refusal = move?.refusesUp(of: plan.scenario) { throw refusal }
        if let conflict = active.runningConflict(for: plan.scenario, ports: AppliedState.ports(of: plan)) { throw conflict }
        if let refusal = nativeRefusal { throw refusal }
        try requireExistingServers(plan)
        if !pathsGiven { paths = try StackPaths.placed(projectDirectory: project.directory, project: plan.project, scenario: plan.scenario) }
        let lock = try StackLock(path: paths.lock, onWait: progress)
        defer { withExtendedLifetime(lock) {} }
        try loadSecrets()
        let applied = try AppliedState.load(paths.applied)
        if let move { progress(move.inProgress) }
        try active.activate(plan.scenario)
        var report = UpReport()
        report.recovered = try Snapshots(stack: self).recoverIfInterrupted(progress: progress)
        progress("servers")
        report.servers = try engine.start()
        var stoppedForMove: Set<String> = []
        if let applied { (report.redisMoves, stoppedForMove) = try takeOver(from: applied, moveRedisKeys: moveRedisKeys) }

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
        if let applied { report.postMigrate += try revokeDroppedReads(applied) }

        progress("seed")
        report.seeds = try Seeder(plan: plan, projectDirectory: project.directory, secrets: secrets).seed(progress: progress)

        let next = AppliedState(plan: plan, environment: services.declaredEnvironment)
        report.changes = applied.map { converge(from: $0, to: next, stopped: stoppedForMove) } ?? []
        report.snapshot = try takeSeededSnapshot(applied: next, seeds: report.seeds)
        for instance in plan.instances where instance.command != nil {
            if try services.start(instance) {
                progress("start \(instance.name)")
                report.started.append(instance.name)
            }
        }
        for instance in plan.instances where instance.command != nil {
            try services.waitHealthy(instance)
        }
        try next.save(paths.applied)
        if runCheck {
            progress("check")
            report.check = try checker().run(progress: progress)
        }
        return report
    }

    /// Refuses a Plan that hands a recorded database or Redis slot holding data to another
    /// service; with `moveRedisKeys`, moves each moved owner's keys along instead.
    func takeOver(from applied: AppliedState, moveRedisKeys: Bool) throws -> (moves: [String], stopped: Set<String>) {
        var databases: [DatabaseHandover] = []
        for server in plan.servers {
            for db in server.databases {
                guard let before = applied.databases["\(server.name)/\(db.name)"], !before.isEmpty, !db.instances.isEmpty,
                      Set(before).isDisjoint(with: db.instances) else { continue }
                databases.append(DatabaseHandover(server: server.name, database: db.name, previous: before, next: db.instances))
            }
        }
        if !databases.isEmpty { throw ConvergenceError.databaseHandover(databases) }
        let handovers = try redisSlots(applied).handovers()
        if handovers.isEmpty { return ([], []) }
        guard moveRedisKeys else { throw ConvergenceError.redisHandover(handovers) }
        // The owners being moved stop first, so that nothing writes to a slot while it moves.
        let stopped = Set(handovers.compactMap { $0.previous?.instance }.filter { services.stop(name: $0) })
        return (try self.moveRedisKeys(applied), stopped)
    }

    /// Stops removed services and services whose recorded start differs from the new one (the
    /// start loop then starts them with the new environment); returns the change list.
    func converge(from applied: AppliedState, to next: AppliedState, stopped: Set<String>) -> [InstanceChange] {
        var changes: [InstanceChange] = []
        for name in applied.instances.keys.sorted() where next.instances[name] == nil {
            let stopped = services.stop(name: name)
            changes.append(InstanceChange(instance: name, kind: .removed, fields: [], action: stopped ? "stopped (data kept)" : "not running (data kept)"))
        }
        for instance in plan.instances {
            guard let now = next.instances[instance.name] else { continue }
            guard let before = applied.instances[instance.name] else {
                changes.append(InstanceChange(instance: instance.name, kind: .added, fields: [], action: instance.command == nil ? "nothing to run" : "started"))
                continue
            }
            let fields = now.changes(since: before)
            if fields.isEmpty { continue }
            let restarted = services.stop(name: instance.name) || stopped.contains(instance.name)
            let action = instance.command == nil ? "nothing to run" : restarted ? "restarted" : "started"
            changes.append(InstanceChange(instance: instance.name, kind: .changed, fields: fields, action: action))
        }
        return changes
    }

    // MARK: - Down and status

    /// Stops services and servers; `volumes` also removes the data (and the migration state).
    public func down(volumes: Bool = false) throws -> (services: [String], servers: [ServerState]) {
        let lock = try StackLock(path: paths.lock, onWait: progress)
        defer { withExtendedLifetime(lock) {} }
        try? loadSecrets(create: false)
        Snapshots(stack: self).stopPreparers()
        let wasRunning = Set(engine.status().filter(\.running).map(\.name))
        var stopped: [String] = []
        // Services removed from the topology since the last `up` may still run: stop them too.
        let recorded = ((try? AppliedState.load(paths.applied)) ?? nil).map { Array($0.instances.keys) } ?? []
        let names = plan.instances.reversed().map(\.name) + recorded.filter { plan.instance($0) == nil }.sorted()
        for name in services.stop(names: names) {
            progress("stop \(name)")
            stopped.append(name)
        }
        let servers = try engine.stop(removeData: volumes).filter { wasRunning.contains($0.name) }
        ActiveStack(projectDirectory: project.directory).deactivate(plan.scenario)
        // The recorded state outlives a plain `down` (the data does too: the next `up` must
        // still see whose Redis keys are where); with the data it goes.
        if volumes {
            Snapshots(stack: self).sweepTrash()
            try? FileManager.default.removeItem(atPath: paths.state)
            try? FileManager.default.removeItem(atPath: paths.applied)
        }
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
