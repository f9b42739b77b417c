import Foundation
import Statements
import Topology

/// What every engine's server needs from the machine: accounts, private folders, free ports,
/// stopping a process.
extension NativeEngine {
    static func accountExists(_ name: String) -> Bool { getpwnam(name) != nil }

    /// The name of the account this process runs as.
    static var currentAccount: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return String(geteuid()) }
        return String(cString: name)
    }

    /// nil when not root (servers run as the current user). The engine's own accounts first.
    static func serverAccount(for engine: Engine) -> String? {
        guard Subprocess.isRoot else { return nil }
        return EngineModules.module(engine).serverAccounts.first(where: accountExists) ?? "nobody"
    }

    func chown(_ path: String, to account: String?) throws {
        guard let account, let pw = getpwnam(account) else { return }
        if Foundation.chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) != 0 {
            throw EngineError("cannot give \(path) to \(account): \(String(cString: strerror(errno)))")
        }
    }

    func makeDirectory(_ path: String, mode: Int = 0o700, owner: String?) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        try chown(path, to: owner)
    }

    /// The servers' account must reach the state folder through every parent.
    func checkTraversable(_ path: String, by account: String?) throws {
        guard let account else { return }
        let r = try Subprocess.run(["test", "-w", path], user: account)
        if r.status != 0 {
            throw EngineError("the account \(account) cannot write \(path): a parent folder is not searchable by others (chmod o+x on it, or move the project)")
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
    func terminate(_ pid: pid_t, within seconds: Double, or message: @autoclosure () -> String) throws {
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        while Subprocess.isAlive(pid) && Date() < deadline { usleep(10_000) }
        if Subprocess.isAlive(pid) { throw EngineError(message()) }
    }
}
