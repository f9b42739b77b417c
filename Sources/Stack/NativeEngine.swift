import Foundation
import Statements
import Topology

/// PostgreSQL, Redis and MySQL (MariaDB) as local processes: one cluster per PostgreSQL server
/// of the Plan, one redis-server per Redis server, one mariadbd (or mysqld) per MySQL server, on
/// 127.0.0.1 with the topology's ports. As root, the servers run as an unprivileged account.
/// MongoDB is not run natively (it is not packaged in Debian): such scenarios need docker.
public final class NativeEngine {
    public let plan: Plan
    public let paths: StackPaths
    let secrets: [String: String]
    /// Called from the threads that start servers, one line at a time.
    let progress: (String) -> Void
    /// Where new clusters are copied from (see `ClusterCache`); nil: initdb for each.
    public var clusterCache: ClusterCache? = ClusterCache.standard

    public init(plan: Plan, paths: StackPaths, secrets: [String: String], progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.paths = paths
        self.secrets = secrets
        let lock = NSLock()
        self.progress = { line in lock.lock(); defer { lock.unlock() }; progress(line) }
    }

    /// Where ovudev reaches each PostgreSQL server's superuser without a password (see start).
    public func adminSockets() -> [String: String] { Maintenance(plan: plan, secrets: secrets, paths: paths).adminSockets }

    /// Where ovudev reaches each MySQL server as its maintenance account (see startMySQL).
    public func mysqlAdmins() -> [String: MySQLLogin] { Maintenance(plan: plan, secrets: secrets, paths: paths).mysqlAdmins }

    /// Starts every server of the plan that is not running; creates clusters on first use.
    public func start() throws -> [ServerState] {
        try FileManager.default.createDirectory(atPath: paths.logs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: paths.pids, withIntermediateDirectories: true)
        if Subprocess.isRoot {
            // The servers' account passes through these folders (0711: no listing, so
            // .ovu/secrets.json stays private by its own 0600 mode).
            let engines = EngineModules.all.compactMap(\.dataFolder).map { "\(paths.root)/\($0)" }
            for dir in [(paths.root as NSString).deletingLastPathComponent, paths.root] + engines {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                chmod(dir, 0o711)
            }
        }
        // An existing server (`servers.<s>.host`) is not started: `up` made sure it answers.
        let started = try startConcurrently(plan.servers.filter { $0.host == nil })
        return plan.servers.compactMap { server in server.host == nil ? started.first { $0.name == server.name } : server.existingServerState }
    }

    /// Each server on a thread of its own (initdb or a copy, pg_ctl, mariadbd's start wait on
    /// the disk and on the servers, not on this process). Every failure is collected and
    /// reported with its server's name; the states come back in the plan's order.
    func startConcurrently(_ servers: [PlannedServer]) throws -> [ServerState] {
        let engine = UncheckedEngine(self)
        let outcomes = try concurrentlyCollecting(servers, workers: servers.count) { server, _ in
            try EngineModules.module(server.engine).start(server, on: engine.value)
        }
        var states: [ServerState] = []
        var failures: [ServerStartError.Failure] = []
        for (server, outcome) in zip(servers, outcomes) {
            switch outcome {
            case let .success(state): states.append(state)
            case let .failure(error): failures.append(.init(server: server.name, engine: server.engine, message: "\(error)"))
            }
        }
        if !failures.isEmpty { throw ServerStartError(failures: failures) }
        return states
    }

    /// Stops every server ovudev runs (not existing ones), each on a thread of its own.
    /// `discarding`: their data is about to be replaced, so nothing is saved on the way down
    /// (see `EngineModule.discard`).
    public func stop(removeData: Bool = false, discarding: Bool = false) throws -> [ServerState] {
        let engine = UncheckedEngine(self)
        let own = plan.servers.filter { $0.host == nil }
        let outcomes = try concurrentlyCollecting(own, workers: max(1, own.count)) { server, _ in
            let module = EngineModules.module(server.engine)
            try discarding ? module.discard(server, on: engine.value) : module.stop(server, on: engine.value)
        }
        for case let .failure(error) in outcomes { throw error }
        let states = own.map { ServerState(name: $0.name, engine: $0.engine, port: $0.port, action: .stopped, running: false) }
        if removeData {
            for folder in EngineModules.all.compactMap(\.dataFolder) { try? FileManager.default.removeItem(atPath: "\(paths.root)/\(folder)") }
        }
        return states
    }

    public func status() -> [ServerState] {
        plan.servers.map { server in
            if server.host != nil { return server.existingServerState }
            let running = EngineModules.module(server.engine).isRunning(server, on: self)
            return ServerState(name: server.name, engine: server.engine, port: server.port,
                               action: running ? .running : .stopped, running: running)
        }
    }
}

/// Servers of a plan that did not start, each with its name and why (the others started).
public struct ServerStartError: Error, CustomStringConvertible, Sendable {
    public struct Failure: Sendable {
        public var server: String
        public var engine: Engine
        public var message: String
    }

    public var failures: [Failure]
    public var description: String {
        let lines = failures.map { "server \($0.server) (\($0.engine.rawValue)): \($0.message)" }
        return failures.count == 1 ? lines[0] : "\(failures.count) servers did not start:\n" + lines.joined(separator: "\n")
    }
}

/// The engine handed to the threads that start its servers: what they touch of it is immutable
/// (plan, paths, secrets, the cache) or serialised (progress).
struct UncheckedEngine: @unchecked Sendable {
    let value: NativeEngine
    init(_ value: NativeEngine) { self.value = value }
}
