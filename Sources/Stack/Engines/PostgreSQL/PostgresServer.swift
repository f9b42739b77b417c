import Foundation
import Workspace
import Statements
import Topology

/// A PostgreSQL cluster per server: initdb on first use, pg_ctl, peer authentication for ovudev.
extension NativeEngine {
    /// The PostgreSQL server binaries: `pg_config --bindir` when it holds initdb, else the
    /// newest /usr/lib/postgresql/*/bin. Looked up once per process (pg_config is a process).
    public static func postgresBinDir() -> String? { binDir }

    private static let binDir: String? = findPostgresBinDir()

    static func findPostgresBinDir() -> String? {
        if let r = try? Subprocess.run(["pg_config", "--bindir"]), r.status == 0 {
            let dir = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
            if FileManager.default.isExecutableFile(atPath: "\(dir)/initdb") { return dir }
        }
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(base)/\(v)/bin/initdb") {
            return "\(base)/\(v)/bin"
        }
        return nil
    }

    /// What `pg_ctl status` checks, without its two processes: the postmaster.pid of the data
    /// folder names a live process. Whether it answers is PQping's business.
    public func isPostgresRunning(_ server: PlannedServer) -> Bool {
        guard let text = try? String(contentsOfFile: "\(paths.pgData(server.name))/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n", maxSplits: 1).first, let pid = pid_t(first.trimmingCharacters(in: .whitespaces)), pid > 0
        else { return false }
        return Subprocess.isAlive(pid, running: ["postgres"])
    }

    func startPostgres(_ server: PlannedServer) throws -> ServerState {
        if isPostgresRunning(server), PGConnection.ping(host: "127.0.0.1", port: server.port) == .ok {
            // max_connections takes a restart: a running server started with another value is restarted.
            guard let running = runningMaxConnections(server), let planned = server.maxConnections, running != planned else {
                return ServerState(name: server.name, engine: .postgres, port: server.port, action: .running, running: true)
            }
            progress("restart \(server.name): max_connections \(running) → \(planned)")
            try stopPostgres(server)
        }
        guard let bin = Self.postgresBinDir() else {
            throw EngineError("PostgreSQL server binaries not found (initdb, pg_ctl): install them with `apt-get install postgresql`")
        }
        let account = Self.serverAccount(for: .postgres)
        let data = paths.pgData(server.name)
        let run = paths.pgRun(server.name)
        var action = ServerAction.running
        try makeDirectory((data as NSString).deletingLastPathComponent, owner: account)
        try makeDirectory(run, owner: account)
        try checkTraversable(run, by: account)
        if !FileManager.default.fileExists(atPath: "\(data)/PG_VERSION") {
            // A half-made data directory (initdb interrupted) is removed and made again.
            try? FileManager.default.removeItem(atPath: data)
            try makeCluster(server, bin: bin, data: data, run: run, account: account)
            action = .created
        } else {
            action = .started
        }
        // Rewritten on every start: the topology's port may have changed.
        let quoted = { (path: String) in "'" + path.replacingOccurrences(of: "'", with: "''") + "'" }
        let settings = """
            listen_addresses = '127.0.0.1'
            port = \(server.port)
            unix_socket_directories = \(quoted(run))
            max_connections = \(server.maxConnections ?? 200)
            # A local stack streams no WAL to replicas: with minimal WAL, a seed's COPY into a
            # table emptied in its own transaction writes its rows once, not twice (87 MB of WAL
            # for 1M rows becomes 39 kB).
            wal_level = minimal
            max_wal_senders = 0
            hba_file = \(quoted("\(data)/ovudev_hba.conf"))
            ident_file = \(quoted("\(data)/ovudev_ident.conf"))

            """
        let superuser = server.superuserName
        // ovudev's own maintenance connections (provisioning, check's catalog reads) come as the
        // account that runs ovudev over the cluster's socket, whose folder only that account and
        // the server's can reach: peer authentication, no SCRAM round (it costs ~7 ms a login,
        // which adds up over hundreds of tenant databases). Every other login needs its password.
        let hba = """
            # ovudev: written on every start of this cluster.
            local  all  \(superuser)  peer  map=ovudev
            local  all  all  scram-sha-256
            host   all  all  127.0.0.1/32  scram-sha-256
            host   all  all  ::1/128  scram-sha-256

            """
        let ident = """
            # ovudev: the account that runs ovudev may log in as the superuser over the socket.
            ovudev  \(Self.currentAccount)  \(superuser)

            """
        for (name, text) in [("ovudev.conf", settings), ("ovudev_hba.conf", hba), ("ovudev_ident.conf", ident)] {
            try text.write(toFile: "\(data)/\(name)", atomically: true, encoding: .utf8)
            try chown("\(data)/\(name)", to: account)
        }
        try ensurePortFree(server.port, for: server.name)
        // A postmaster.pid that names no live postgres (a server killed -9 that nobody reaped yet,
        // or a recycled pid) is stale: PostgreSQL would take any live pid for another postmaster.
        if !isPostgresRunning(server) {
            try? FileManager.default.removeItem(atPath: "\(data)/postmaster.pid")
            removeStaleSocketLocks(run)
        }
        progress("start \(server.name) on 127.0.0.1:\(server.port)")
        let log = paths.serverLog(server.name)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        try chown(log, to: account)
        // The postmaster itself, as pg_ctl would start it, but watched from here: pg_ctl -w looks
        // every 100 ms (and runuser opens a PAM session first), a PQping every 5 ms answers sooner.
        let pid = try spawnServer(["\(bin)/postgres", "-D", data], account: account, directory: data, log: log)
        try waitForPostgres(server, pid: pid, log: log)
        try setCopiedSuperuserPassword(server, data: data, run: run)
        return ServerState(name: server.name, engine: .postgres, port: server.port, action: action, running: true)
    }

    /// The `max_connections` the running server was started with, from the settings ovudev wrote.
    func runningMaxConnections(_ server: PlannedServer) -> Int? {
        guard let text = try? String(contentsOfFile: "\(paths.pgData(server.name))/ovudev.conf", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("max_connections") {
            return line.split(separator: "=").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }

    /// The socket's lock files (`.s.PGSQL.<port>.lock`) of a postmaster that is gone: PostgreSQL
    /// refuses to start while one names a pid that kill(0) reaches, and a postmaster killed with -9
    /// is a zombie until its parent reaps it (this process, when it started it: reaped here).
    func removeStaleSocketLocks(_ run: String) {
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: run)) ?? [] where entry.hasPrefix(".s.PGSQL.") && entry.hasSuffix(".lock") {
            let lock = "\(run)/\(entry)"
            guard let text = try? String(contentsOfFile: lock, encoding: .utf8),
                  let pid = text.split(separator: "\n", maxSplits: 1).first.flatMap({ pid_t($0.trimmingCharacters(in: .whitespaces)) }) else { continue }
            var status: Int32 = 0
            if pid > 0 { waitpid(pid, &status, WNOHANG) }
            if pid > 0, Subprocess.isAlive(pid, running: ["postgres"]) { continue }
            try? fm.removeItem(atPath: lock)
            try? fm.removeItem(atPath: String(lock.dropLast(".lock".count)))
        }
    }

    /// Until the TCP listener accepts logins (PQping), the postmaster `pid` ends (its log says
    /// why), or two minutes pass (crash recovery of a large cluster can be slow).
    func waitForPostgres(_ server: PlannedServer, pid: pid_t, log: String) throws {
        let deadline = Date().addingTimeInterval(120)
        var delay: useconds_t = 2_000
        while Date() < deadline {
            if PGConnection.ping(host: "127.0.0.1", port: server.port) == .ok { return }
            if !Subprocess.isAlive(pid) {
                var status: Int32 = 0
                waitpid(pid, &status, WNOHANG)
                let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(8).joined(separator: "\n")
                throw EngineError("PostgreSQL \(server.name) did not start:\n\(tail)")
            }
            usleep(delay)
            delay = min(delay * 2, 20_000)
        }
        throw EngineError("PostgreSQL \(server.name) does not answer on 127.0.0.1:\(server.port) within 120 s (log: \(log))")
    }

    func stopPostgres(_ server: PlannedServer) throws {
        try stopPostgres(server, immediately: false)
    }

    /// What `pg_ctl stop -m fast|immediate -w` does, watched every few ms instead of every 100:
    /// SIGINT (fast: a shutdown checkpoint) or SIGQUIT (immediate: no checkpoint, the next start
    /// recovers from the WAL; for data about to be replaced), then wait until the postmaster is
    /// gone and has removed its postmaster.pid.
    func stopPostgres(_ server: PlannedServer, immediately: Bool) throws {
        let pidFile = "\(paths.pgData(server.name))/postmaster.pid"
        guard isPostgresRunning(server), let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = text.split(separator: "\n", maxSplits: 1).first.flatMap({ pid_t($0.trimmingCharacters(in: .whitespaces)) })
        else { return }
        progress("stop \(server.name)\(immediately ? " (immediate)" : "")")
        guard kill(pid, immediately ? SIGQUIT : SIGINT) == 0 else {
            throw EngineError("cannot signal PostgreSQL \(server.name) (pid \(pid)): \(String(cString: strerror(errno)))")
        }
        if !Subprocess.waitForExit([pid], within: 60, and: { !FileManager.default.fileExists(atPath: pidFile) }) {
            throw EngineError("PostgreSQL \(server.name) (pid \(pid)) did not stop within 60 s")
        }
    }
}
