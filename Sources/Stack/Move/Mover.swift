import Foundation
import Statements
import Topology
import Workspace

/// `ovudev move`: the running scenario's data to another scenario's layout, verified and
/// reversible. Plan (MovePlanner), copy (MoveCopy), verify (MoveVerify), switch, rollback and
/// finish (MoveSwitch); `.ovu/move.json` (MoveJournal) records each step so that a killed move
/// continues. Until the switch the source is only read.
public final class Mover: @unchecked Sendable {
    public let project: Project
    public let progress: @Sendable (String) -> Void
    /// Copy streams at once (one per service).
    public var parallelism = 4

    public init(project: Project, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.project = project
        self.progress = progress
    }

    var directory: String { project.directory }

    /// The stacks of both scenarios, with the project's secrets loaded.
    private(set) var source: NativeStack!
    private(set) var target: NativeStack!
    var journal: MoveJournal!
    private let journalLock = NSLock()

    /// A move that has not been finished or rolled back, for `up` and `status` to say.
    public static func inProgress(projectDirectory: String) -> String? {
        (try? MoveJournal.load(projectDirectory: projectDirectory))??.inProgress
    }

    func stacks(source s: String, target t: String) throws {
        source = NativeStack(project: project, plan: try project.plan(scenario: s), progress: progress)
        target = NativeStack(project: project, plan: try project.plan(scenario: t), progress: progress)
        try source.loadSecrets()
        try target.loadSecrets()
    }

    /// `stack`'s services stopped, the last started first; a line for each that was running.
    func stopServices(of stack: NativeStack) -> [String] {
        stack.plan.instances.reversed().filter { stack.services.stop(name: $0.name) }.map { "stopped \($0.name) (scenario \(stack.plan.scenario))" }
    }

    func update(_ change: (inout MoveJournal) -> Void) throws {
        journalLock.lock()
        defer { journalLock.unlock() }
        change(&journal)
        try journal.save(projectDirectory: directory)
    }

    // MARK: - Connections (the superuser over each server's socket)

    func sourceSocket(_ server: String) -> String { source.paths.pgRun(server) }

    /// Before the switch a shared server still lives in the source's folder.
    func targetSocket(_ server: String) -> String {
        journal.sharedServers.contains(server) && journal.step < .switched ? source.paths.pgRun(sourceName(server)) : target.paths.pgRun(server)
    }

    /// The source's name of a shared target server.
    func sourceName(_ targetServer: String) -> String { journal.sharedSources[targetServer] ?? targetServer }

    /// The target's name of a source server that is shared, if it is.
    func targetName(_ sourceServer: String) -> String? {
        journal.sharedServers.first { sourceName($0) == sourceServer }
    }

    /// The superuser on whichever server listens on `port` now (a rollback or finish).
    func admin(port: Int, database: String) throws -> PGConnection {
        if let s = source.plan.servers.first(where: { $0.port == port && $0.engine == .postgres }) {
            if journal.step >= .switched, let t = targetName(s.name) { return try targetAdmin(t, database: database) }
            return try sourceAdmin(s.name, database: database)
        }
        let t = target.plan.servers.first { $0.port == port && $0.engine == .postgres }!
        return try targetAdmin(t.name, database: database)
    }

    func sourceAdmin(_ server: String, database: String) throws -> PGConnection {
        let s = source.plan.server(server)!
        return try adminConnection(port: s.port, user: s.superuserName, password: source.secrets[s.superuserSecret!.variable],
                                   database: database, socket: sourceSocket(server))
    }

    func targetAdmin(_ server: String, database: String) throws -> PGConnection {
        let s = target.plan.server(server)!
        return try adminConnection(port: s.port, user: s.superuserName, password: target.secrets[s.superuserSecret!.variable],
                                   database: database, socket: targetSocket(server))
    }

    // MARK: - Plan

    /// The plan only (`--dry-run`): nothing is written, the journal neither.
    public func plan(to: String, only: [String] = [], dropCrossFKs: Bool = false) throws -> MoveReport {
        guard let running = ActiveStack(projectDirectory: directory).scenario else { throw MoveError.noRunningScenario }
        if let j = try MoveJournal.load(projectDirectory: directory) { throw MoveError.otherMoveInProgress(source: j.source, target: j.target) }
        guard running != to else { throw MoveError.sameScenario(to) }
        try stacks(source: running, target: to)
        _ = try NativeEngine(plan: source.plan, paths: source.paths, secrets: source.secrets, progress: progress).start()
        return try makeReport(source: source.plan, target: target.plan, only: only, dropCrossFKs: dropCrossFKs)
    }

    // MARK: - Run (or continue)

    /// Plans, provisions the target, copies, verifies and switches; continues a journal left by
    /// a killed move (then `to` may be nil, or must name the same target).
    public func run(to: String?, only: [String] = [], dropCrossFKs: Bool = false) throws -> MoveReport {
        let lock = try StackLock(path: (directory as NSString).appendingPathComponent(".ovu/move.lock"), onWait: progress)
        defer { withExtendedLifetime(lock) {} }
        var report: MoveReport
        if let existing = try MoveJournal.load(projectDirectory: directory) {
            if let to, to != existing.target { throw MoveError.otherMoveInProgress(source: existing.source, target: existing.target) }
            guard existing.step < .switched else { throw MoveError.alreadySwitched(source: existing.source, target: existing.target) }
            try stacks(source: existing.source, target: existing.target)
            journal = existing
            progress("continuing the move \(existing.source) → \(existing.target) from step \"\(existing.step.rawValue)\"")
            report = MoveReport(journal: existing)
            // Once the switch has locked the source, shared servers' folders may be the
            // target's: the source's servers must not start (they would start empty).
            if existing.sourceLocked != true {
                _ = try NativeEngine(plan: source.plan, paths: source.paths, secrets: source.secrets, progress: progress).start()
            }
        } else {
            guard let to else { throw MoveError.nothingToRollBack }
            report = try plan(to: to, only: only, dropCrossFKs: dropCrossFKs)
            let open = report.journal.blockers.filter { !$0.dropped }
            if !open.isEmpty { throw MoveError.blocked(open) }
            try checkTargetFolders(report.journal)
            journal = report.journal
            try update { _ in }
        }
        if journal.step < .provisioned {
            try provisionTarget()
            try provisionMySQLTarget()
            try update { $0.step = .provisioned }
        }
        if journal.step < .copied {
            try copyAll()
            try copyMySQL()
            try copyRedis()
            try update { $0.step = .copied }
        }
        // The source's services stop before the last proof, so that nothing writes behind it.
        var stopped: [ServiceInstance] = []
        for instance in source.plan.instances.reversed() where source.services.stop(name: instance.name) { stopped.append(instance) }
        if journal.step < .verified {
            do {
                try verifyAll()
                try verifyMySQL()
                try verifyRedis()
            } catch {
                for instance in stopped.reversed() { _ = try? source.services.start(instance) }
                throw error
            }
            try update { $0.step = .verified }
        }
        report.done += try switchOver()
        report.journal = journal
        report.check = lastCheck
        return report
    }

    var lastCheck: CheckReport?

    /// A shared server's folder goes to the target scenario at the switch: the target must not
    /// have one of its own.
    func checkTargetFolders(_ j: MoveJournal) throws {
        let paths = StackPaths(projectDirectory: directory, scenario: j.target)
        for name in j.sharedServers {
            guard let server = target.plan.server(name), let folder = EngineModules.module(server.engine).dataFolder else { continue }
            let path = "\(paths.root)/\(folder)/\(name)"
            if FileManager.default.fileExists(atPath: path) { throw MoveError.targetHasData(server: name, folder: path) }
        }
    }

    /// The target's databases, schemas and roles, as `up` provisions them: on a shared server
    /// through the source's socket, on the target's own servers after starting them.
    func provisionTarget() throws {
        progress("provision the target layout (\(journal.target))")
        let own = target.plan.servers.filter { !journal.sharedServers.contains($0.name) }
        if !own.isEmpty {
            var plan = target.plan
            plan.servers = own
            target.forcePlaced()
            _ = try NativeEngine(plan: plan, paths: target.paths, secrets: target.secrets, progress: progress).start()
        }
        var plan = target.plan
        plan.servers = plan.servers.filter { $0.engine == .postgres }
        // What exists before, to know what the move created (dropped again by a rollback).
        var before = Set<String>()
        for server in plan.servers {
            let rows = try targetAdmin(server.name, database: "postgres").exec("SELECT datname FROM pg_catalog.pg_database").rows
            for r in rows { before.insert("\(server.name)/\(r[0]!)") }
        }
        var provisioner = Provisioner(plan: plan, secrets: target.secrets, stateDirectory: (directory as NSString).appendingPathComponent(".ovu"))
        provisioner.adminSockets = Dictionary(uniqueKeysWithValues: plan.servers.map { ($0.name, targetSocket($0.name)) })
        _ = try provisioner.provision(progress: progress)
        try update { $0.createdDatabases = Self.databases(of: plan, notIn: before) }
    }

    /// The planned databases that were not there before provisioning (`before`: "server/name"):
    /// what the move created, and a rollback drops.
    static func databases(of plan: Plan, notIn before: Set<String>) -> [MoveObject] {
        plan.servers.flatMap { server in
            server.databases.filter { !before.contains("\(server.name)/\($0.name)") }
                .map { MoveObject(server: server.name, port: server.port, database: $0.name) }
        }
    }
}

extension NativeStack {
    /// The target's folder placed (as `up` would), before its first `up`.
    func forcePlaced() {
        if let placed = try? StackPaths.placed(projectDirectory: project.directory, project: plan.project, scenario: plan.scenario) {
            setPaths(placed)
        }
    }
}
