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

    /// SIGTERM, then until the process is gone (at most `seconds`).
    func terminate(_ pid: pid_t, signal: Int32 = SIGTERM, within seconds: Double, or message: @autoclosure () -> String) throws {
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(seconds)
        var delay: useconds_t = 1_000
        while Date() < deadline {
            var status: Int32 = 0
            waitpid(pid, &status, WNOHANG)  // ours when this process started it
            if !Subprocess.isAlive(pid) { break }
            usleep(delay)
            delay = min(delay * 2, 10_000)
        }
        if Subprocess.isAlive(pid) { throw EngineError(message()) }
    }
}
