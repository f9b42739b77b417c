import Foundation
import Workspace
import Statements
import Topology

/// What every engine's server needs from the machine: accounts, private folders, free ports,
/// stopping a process.
extension NativeEngine {
    static func accountExists(_ name: String) -> Bool { SystemAccount.named(name) != nil }

    /// The name of the account this process runs as.
    static var currentAccount: String {
        SystemAccount.withID(geteuid())?.name ?? String(geteuid())
    }

    /// nil when not root (servers run as the current user). The engine's own accounts first.
    static func serverAccount(for engine: Engine) -> String? {
        guard Subprocess.isRoot else { return nil }
        return EngineModules.module(engine).serverAccounts.first(where: accountExists) ?? "nobody"
    }

    func chown(_ path: String, to account: String?) throws {
        guard let account, let pw = SystemAccount.named(account) else { return }
        if Foundation.chown(path, pw.uid, pw.gid) != 0 {
            throw EngineError("cannot give \(path) to \(account): \(String(cString: strerror(errno)))")
        }
    }

    func makeDirectory(_ path: String, mode: Int = 0o700, owner: String?) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        try chown(path, to: owner)
    }

    /// The servers' account must reach the state folder through every parent.
    /// Decided from the folders' owners and modes, not by running `test -w` as the account: that
    /// spawned a `runuser` per server, and with servers starting at once one of them now and then
    /// failed on its own and was reported as an unreachable folder.
    func checkTraversable(_ path: String, by account: String?) throws {
        guard let account, let pw = SystemAccount.named(account) else { return }
        let uid = pw.uid, gid = pw.gid
        func allows(_ info: stat, _ bits: (owner: mode_t, group: mode_t, other: mode_t)) -> Bool {
            if info.st_uid == uid { return info.st_mode & bits.owner != 0 }
            if info.st_gid == gid { return info.st_mode & bits.group != 0 }
            return info.st_mode & bits.other != 0
        }
        var info = stat()
        guard stat(path, &info) == 0, allows(info, (S_IWUSR, S_IWGRP, S_IWOTH)), allows(info, (S_IXUSR, S_IXGRP, S_IXOTH)) else {
            throw EngineError("the account \(account) cannot write \(path)")
        }
        var parent = (path as NSString).deletingLastPathComponent
        while !parent.isEmpty {
            guard stat(parent, &info) == 0, allows(info, (S_IXUSR, S_IXGRP, S_IXOTH)) else {
                throw EngineError("the account \(account) cannot write \(path): \(parent) is not searchable by it (chmod o+x on it, or move the project)")
            }
            if parent == "/" { break }
            parent = (parent as NSString).deletingLastPathComponent
        }
    }

    func superuserPassword(_ server: PlannedServer) throws -> String {
        try Superuser(server, secrets: secrets).requirePassword()
    }

    func ensurePortFree(_ port: Int, for server: String) throws {
        guard !PortProbe.isFree(port) else { return }
        let who = PortProbe.holder(of: port) ?? "another process"
        throw EngineError("port \(port) for \(server) is taken by \(who); stop it, or change the port in the topology")
    }

    /// SIGTERM (or `signal`), then until the process is gone (at most `seconds`; reaped when it
    /// is this process's child).
    func terminate(_ pid: pid_t, signal: Int32 = SIGTERM, within seconds: Double, or message: @autoclosure () -> String) throws {
        kill(pid, signal)
        if !Subprocess.waitForExit([pid], within: seconds) { throw EngineError(message()) }
    }

    /// Starts a server program detached, its output appended to `log`. As root it becomes the
    /// server's account first (setpriv execs, so the pid is the server's own and it never runs
    /// as root, not even to switch users). Only the locale, time zone and PATH pass through.
    func spawnServer(_ argv: [String], account: String?, directory: String, log: String) throws -> pid_t {
        var argv = argv
        if let account, let pw = SystemAccount.named(account) {
            argv = ["setpriv", "--reuid=\(pw.uid)", "--regid=\(pw.gid)", "--init-groups", "--"] + argv
        }
        var environment: [String: String] = [:]
        for key in ["PATH", "LANG", "LC_ALL", "LC_MESSAGES", "TZ"] { environment[key] = ProcessInfo.processInfo.environment[key] }
        return try Subprocess.spawnDetached(argv, environment: environment, directory: directory, output: log)
    }
}
