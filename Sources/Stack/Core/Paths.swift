import Foundation

/// Where a scenario's native stack lives: `.ovu/<scenario>/` next to the topology.
public struct StackPaths: Sendable {
    public let root: String

    public init(projectDirectory: String, scenario: String) {
        root = (projectDirectory as NSString).appendingPathComponent(".ovu/\(scenario)")
    }

    public init(root: String) { self.root = root }

    public func pgData(_ server: String) -> String { "\(root)/postgres/\(server)/data" }
    public func pgRun(_ server: String) -> String { "\(root)/postgres/\(server)/run" }
    public func redisDir(_ server: String) -> String { "\(root)/redis/\(server)" }
    public func mysqlDir(_ server: String) -> String { "\(root)/mysql/\(server)" }
    public func mysqlData(_ server: String) -> String { "\(mysqlDir(server))/data" }
    /// Socket and pid file: a folder only the server's account (and root) can reach.
    public func mysqlRun(_ server: String) -> String { "\(mysqlDir(server))/run" }
    public func mysqlSocket(_ server: String) -> String { "\(mysqlRun(server))/mysqld.sock" }
    public func mysqlPid(_ server: String) -> String { "\(mysqlRun(server))/mysqld.pid" }
    public var logs: String { "\(root)/logs" }
    public var pids: String { "\(root)/pids" }
    public var lock: String { "\(root)/lock" }
    public var state: String { "\(root)/state.json" }
    /// What the last `up` applied (AppliedState).
    public var applied: String { "\(root)/applied.json" }
    public func serverLog(_ server: String) -> String { "\(logs)/\(server).log" }
    public func serviceLog(_ instance: String) -> String { "\(logs)/\(instance).log" }
    public func servicePid(_ instance: String) -> String { "\(pids)/\(instance).pid" }
}
