import Foundation
import Workspace
import Statements
import Topology

/// A mariadbd (or mysqld) per server: mariadb-install-db on first use, a private socket for
/// ovudev's maintenance login, TCP 127.0.0.1 for the services.
extension NativeEngine {
    /// The MariaDB account of ovudev's own connections: named like the OS account that runs
    /// ovudev, authenticated by unix_socket (the server checks the peer's uid on the socket).
    /// As root that is MariaDB's root@localhost.
    static var mysqlMaintenanceAccount: String { currentAccount }

    /// The server's pid from its pid file, when that process lives and is a MySQL server (a
    /// pid file left by kill -9 may name a recycled pid).
    func mysqlPid(_ server: PlannedServer) -> pid_t? {
        guard let text = try? String(contentsOfFile: paths.mysqlPid(server.name), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
              Subprocess.isAlive(pid, running: ["mariadbd", "mysqld"]) else { return nil }
        return pid
    }

    public func isMySQLRunning(_ server: PlannedServer) -> Bool {
        mysqlPid(server) != nil && MySQLProbe.greets(port: server.port)
    }

    func startMySQL(_ server: PlannedServer) throws -> ServerState {
        if let pid = mysqlPid(server) {
            if MySQLProbe.greets(port: server.port) {
                return ServerState(name: server.name, engine: .mysql, port: server.port, action: .running, running: true)
            }
            // Ours (pid file in our folder, a mariadbd) but not answering on the plan's port (the
            // port changed, or it hangs): stop it, a second server on the same data cannot start.
            progress("restart \(server.name): pid \(pid) does not answer on 127.0.0.1:\(server.port)")
            try terminate(pid, within: 60, or: "mariadbd \(server.name) (pid \(pid)) does not answer on 127.0.0.1:\(server.port) and did not stop within 60 s")
        }
        guard let mysqld = MySQLTools.server, let installDB = MySQLTools.installDB else {
            throw EngineError("server \(server.name) needs mariadbd (or mysqld) and mariadb-install-db, and \(MySQLTools.missing() ?? "they are") not installed: \(MySQLTools.installCommand), or use the docker engine")
        }
        let account = Self.serverAccount(for: .mysql)
        let dir = paths.mysqlDir(server.name)
        let data = paths.mysqlData(server.name)
        let run = paths.mysqlRun(server.name)
        let socket = paths.mysqlSocket(server.name)
        // sockaddr_un holds 107 bytes of path: mariadbd would fail with a less clear message.
        if socket.utf8.count > 107 {
            throw EngineError("the socket path of \(server.name) is \(socket.utf8.count) bytes long (\(socket)), over the 107 a unix socket allows: move the project to a shorter path")
        }
        try makeDirectory(dir, owner: account)
        try makeDirectory(run, owner: account)
        try checkTraversable(run, by: account)
        // A private tmpdir: in the shared /tmp, two servers (or two mariadb-install-db at once)
        // collide on the names of their temporary tables ("Unknown table 'mysql.tmp_user_sys'").
        let tmp = "\(dir)/tmp"
        try makeDirectory(tmp, owner: account)
        // Written after mariadb-install-db succeeded: without it the data folder is half-made.
        let installed = "\(dir)/installed"
        var action = ServerAction.started
        if !FileManager.default.fileExists(atPath: installed) || !FileManager.default.fileExists(atPath: "\(data)/mysql") {
            try? FileManager.default.removeItem(atPath: data)
            try makeMySQLData(server, installDB: installDB, mysqld: mysqld, data: data, dir: dir, tmp: tmp, account: account)
            try "\(mysqld)\n".write(toFile: installed, atomically: true, encoding: .utf8)
            action = .created
        }
        // After kill -9 the pid file names a dead (or recycled) pid and the socket file is left;
        // the dead server's threads may still hold its listener for a moment.
        if FileManager.default.fileExists(atPath: paths.mysqlPid(server.name)) {
            let deadline = Date().addingTimeInterval(5)
            while !PortProbe.isFree(server.port) && Date() < deadline { usleep(20_000) }
        }
        try ensurePortFree(server.port, for: server.name)
        // As for Redis: a stale pid file goes, so that the new server's is the one `down` reads.
        if mysqlPid(server) == nil { try? FileManager.default.removeItem(atPath: paths.mysqlPid(server.name)) }
        try? FileManager.default.removeItem(atPath: paths.mysqlPid(server.name))
        try? FileManager.default.removeItem(atPath: socket)
        let log = paths.serverLog(server.name)
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        try chown(log, to: account)
        progress("start \(server.name) on 127.0.0.1:\(server.port)")
        let argv = [
            mysqld, "--no-defaults", "--datadir=\(data)", "--tmpdir=\(tmp)", "--socket=\(socket)", "--port=\(server.port)",
            "--bind-address=127.0.0.1", "--pid-file=\(paths.mysqlPid(server.name))", "--log-error=\(log)",
            "--skip-name-resolve", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
        ] + (server.maxConnections.map { ["--max-connections=\($0)"] } ?? [])
        let pid = try spawnServer(argv, account: account, directory: dir, log: log)
        // Ready when the TCP listener sends its handshake and the socket exists; give up when
        // the process ends (its log says why) or after two minutes (crash recovery can be slow).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: socket), MySQLProbe.greets(port: server.port) {
                return ServerState(name: server.name, engine: .mysql, port: server.port, action: action, running: true)
            }
            if !Subprocess.isAlive(pid) {
                var status: Int32 = 0
                waitpid(pid, &status, WNOHANG)
                break
            }
            usleep(20_000)
        }
        let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(10).joined(separator: "\n")
        if Subprocess.isAlive(pid) { kill(pid, SIGTERM) }
        throw EngineError("MySQL server \(server.name) (\((mysqld as NSString).lastPathComponent)) did not answer on 127.0.0.1:\(server.port):\n\(tail)")
    }

    func stopMySQL(_ server: PlannedServer, signal: Int32 = SIGTERM) throws {
        if let pid = mysqlPid(server) {
            progress("stop \(server.name)")
            try terminate(pid, signal: signal, within: 60, or: "mariadbd \(server.name) (pid \(pid)) did not stop within 60 s; see \(paths.serverLog(server.name))")
        }
    }
}
