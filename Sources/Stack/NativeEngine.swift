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
    let progress: (String) -> Void

    public init(plan: Plan, paths: StackPaths, secrets: [String: String], progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.paths = paths
        self.secrets = secrets
        self.progress = progress
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
        return try plan.servers.map { try EngineModules.module($0.engine).start($0, on: self) }
    }

    public func stop(removeData: Bool = false) throws -> [ServerState] {
        var states: [ServerState] = []
        for server in plan.servers {
            try EngineModules.module(server.engine).stop(server, on: self)
            states.append(ServerState(name: server.name, engine: server.engine, port: server.port, action: .stopped, running: false))
        }
        if removeData {
            for folder in EngineModules.all.compactMap(\.dataFolder) { try? FileManager.default.removeItem(atPath: "\(paths.root)/\(folder)") }
        }
        return states
    }

    public func status() -> [ServerState] {
        plan.servers.map { server in
            let running = EngineModules.module(server.engine).isRunning(server, on: self)
            return ServerState(name: server.name, engine: server.engine, port: server.port,
                               action: running ? .running : .stopped, running: running)
        }
    }
}
