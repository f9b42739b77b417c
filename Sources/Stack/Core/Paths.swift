import Foundation

/// Where a scenario's native stack lives: `.ovu/<scenario>/` next to the topology.
public struct StackPaths: Sendable {
    public let root: String

    /// `.ovu/<scenario>`, or the folder it links to (see `placed`).
    public init(projectDirectory: String, scenario: String) {
        let link = (projectDirectory as NSString).appendingPathComponent(".ovu/\(scenario)")
        root = (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) ?? link
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

extension StackPaths {
    /// Where the stacks of projects in private folders live (see `placed`).
    public static var sharedBase: String { ProcessInfo.processInfo.environment["OVUDEV_STATE_BASE"] ?? "/var/lib/ovudev" }

    /// The paths for a stack about to run. As root the servers run as unprivileged accounts,
    /// which cannot pass through a folder without o+x (`/root`, `mktemp -d`): then the stack lives
    /// in `/var/lib/ovudev/<project>-<id>/<scenario>` (0711), and `.ovu/<scenario>` links there.
    /// The project folder's permissions are never changed.
    public static func placed(projectDirectory: String, project: String, scenario: String) throws -> StackPaths {
        let fm = FileManager.default
        let link = (projectDirectory as NSString).appendingPathComponent(".ovu/\(scenario)")
        if let target = try? fm.destinationOfSymbolicLink(atPath: link) { return StackPaths(root: target) }
        guard Subprocess.isRoot, closedAncestor(of: projectDirectory) != nil else { return StackPaths(root: link) }
        let id = SHA256.hex(Array(URL(fileURLWithPath: projectDirectory).resolvingSymlinksInPath().path.utf8)).prefix(12)
        let home = "\(sharedBase)/\(project)-\(id)"
        let target = "\(home)/\(scenario)"
        for dir in [sharedBase, home] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            chmod(dir, 0o711)
        }
        // What an earlier run left in a real folder (logs, state) moves along.
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: link, isDirectory: &isDirectory), isDirectory.boolValue, !fm.fileExists(atPath: target) {
            try fm.moveItem(atPath: link, toPath: target)
        }
        try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if fm.fileExists(atPath: link) { try fm.removeItem(atPath: link) }
        try fm.createSymbolicLink(atPath: link, withDestinationPath: target)
        return StackPaths(root: target)
    }

    /// The first folder from `path` up to `/` that others may not pass through (no o+x).
    static func closedAncestor(of path: String) -> String? {
        var current = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        while true {
            var info = stat()
            if stat(current, &info) == 0, info.st_mode & S_IXOTH == 0 { return current }
            if current == "/" || current.isEmpty { return nil }
            current = (current as NSString).deletingLastPathComponent
        }
    }
}

