import Foundation
import Topology

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

public struct EngineError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What happened to a server during `up`.
public enum ServerAction: String, Sendable, Codable {
    case created, started, running, stopped, unsupported
}

public struct ServerState: Sendable, Codable {
    public var name: String
    public var engine: Engine
    public var port: Int
    public var action: ServerAction
    public var running: Bool
}

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

    // MARK: - Binaries and accounts

    /// The PostgreSQL server binaries: `pg_config --bindir` when it holds initdb, else the
    /// newest /usr/lib/postgresql/*/bin. Looked up once per process (pg_config is a process).
    public static func postgresBinDir() -> String? { binDir }

    private static let binDir: String? = findPostgresBinDir()

    private static func findPostgresBinDir() -> String? {
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

    static func accountExists(_ name: String) -> Bool { getpwnam(name) != nil }

    /// The name of the account this process runs as.
    static var currentAccount: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return String(geteuid()) }
        return String(cString: name)
    }

    /// Where ovudev reaches each PostgreSQL server's superuser without a password (see start).
    public func adminSockets() -> [String: String] {
        Dictionary(uniqueKeysWithValues: plan.servers.filter { $0.engine == .postgres }.map { ($0.name, paths.pgRun($0.name)) })
    }

    /// Where ovudev reaches each MySQL server as its maintenance account (see startMySQL).
    public func mysqlAdmins() -> [String: MySQLLogin] {
        Dictionary(uniqueKeysWithValues: plan.servers.filter { $0.engine == .mysql }.map {
            ($0.name, MySQLLogin(route: .socket(paths.mysqlSocket($0.name)), user: Self.mysqlMaintenanceAccount))
        })
    }

    /// The MariaDB account of ovudev's own connections: named like the OS account that runs
    /// ovudev, authenticated by unix_socket (the server checks the peer's uid on the socket).
    /// As root that is MariaDB's root@localhost.
    static var mysqlMaintenanceAccount: String { currentAccount }

    /// nil when not root (servers run as the current user).
    static func serverAccount(for engine: Engine) -> String? {
        guard Subprocess.isRoot else { return nil }
        let preferred: [String]
        switch engine {
        case .redis: preferred = ["redis", "postgres", "nobody"]
        case .mysql: preferred = ["mysql", "postgres", "nobody"]
        default: preferred = ["postgres", "nobody"]
        }
        return preferred.first(where: accountExists) ?? "nobody"
    }

    private func chown(_ path: String, to account: String?) throws {
        guard let account, let pw = getpwnam(account) else { return }
        if Foundation.chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) != 0 {
            throw EngineError("cannot give \(path) to \(account): \(String(cString: strerror(errno)))")
        }
    }

    private func makeDirectory(_ path: String, mode: Int = 0o700, owner: String?) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        try chown(path, to: owner)
    }

    /// The servers' account must reach the state folder through every parent.
    private func checkTraversable(_ path: String, by account: String?) throws {
        guard let account else { return }
        let r = try Subprocess.run(["test", "-w", path], user: account)
        if r.status != 0 {
            throw EngineError("the account \(account) cannot write \(path): a parent folder is not searchable by others (chmod o+x on it, or move the project)")
        }
    }

    // MARK: - Start

    /// Starts every server of the plan that is not running; creates clusters on first use.
    public func start() throws -> [ServerState] {
        try FileManager.default.createDirectory(atPath: paths.logs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: paths.pids, withIntermediateDirectories: true)
        if Subprocess.isRoot {
            // The servers' account passes through these folders (0711: no listing, so
            // .ovu/secrets.json stays private by its own 0600 mode).
            for dir in [(paths.root as NSString).deletingLastPathComponent, paths.root, "\(paths.root)/postgres", "\(paths.root)/redis", "\(paths.root)/mysql"] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                chmod(dir, 0o711)
            }
        }
        var states: [ServerState] = []
        for server in plan.servers {
            switch server.engine {
            case .postgres: states.append(try startPostgres(server))
            case .redis: states.append(try startRedis(server))
            case .mysql: states.append(try startMySQL(server))
            case .mongodb:
                states.append(ServerState(name: server.name, engine: server.engine, port: server.port, action: .unsupported, running: false))
            }
        }
        return states
    }

    func superuserPassword(_ server: PlannedServer) throws -> String {
        guard let ref = server.superuserSecret, let value = secrets[ref.variable] else {
            throw EngineError("no password for the superuser of \(server.name) (\(server.superuserSecret?.variable ?? "?")); external secrets: export it")
        }
        return value
    }

    /// What `pg_ctl status` checks, without its two processes: the postmaster.pid of the data
    /// folder names a live process. Whether it answers is PQping's business.
    public func isPostgresRunning(_ server: PlannedServer) -> Bool {
        guard let text = try? String(contentsOfFile: "\(paths.pgData(server.name))/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n", maxSplits: 1).first, let pid = pid_t(first.trimmingCharacters(in: .whitespaces)), pid > 0
        else { return false }
        return Subprocess.isAlive(pid)
    }

    private func startPostgres(_ server: PlannedServer) throws -> ServerState {
        if isPostgresRunning(server), PGConnection.ping(host: "127.0.0.1", port: server.port) == .ok {
            return ServerState(name: server.name, engine: .postgres, port: server.port, action: .running, running: true)
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
            progress("initdb \(server.name)")
            let pwfile = "\(run)/.pwfile"
            try (try superuserPassword(server) + "\n").write(toFile: pwfile, atomically: false, encoding: .utf8)
            chmod(pwfile, 0o600)
            try chown(pwfile, to: account)
            defer { try? FileManager.default.removeItem(atPath: pwfile) }
            let r = try Subprocess.run([
                "\(bin)/initdb", "-D", data, "-U", server.superuser ?? "postgres", "--pwfile=\(pwfile)",
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
            ], user: account)
            guard r.status == 0 else {
                try? FileManager.default.removeItem(atPath: data)
                throw EngineError("initdb for \(server.name) failed:\n\(r.output)")
            }
            let conf = "\(data)/postgresql.conf"
            let include = "\n# ovudev: listen address, port and socket folder\ninclude_if_exists = 'ovudev.conf'\n"
            let handle = FileHandle(forWritingAtPath: conf)
            handle?.seekToEndOfFile()
            handle?.write(Data(include.utf8))
            try? handle?.close()
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
            max_connections = 200
            hba_file = \(quoted("\(data)/ovudev_hba.conf"))
            ident_file = \(quoted("\(data)/ovudev_ident.conf"))

            """
        let superuser = server.superuser ?? "postgres"
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
        progress("start \(server.name) on 127.0.0.1:\(server.port)")
        let log = paths.serverLog(server.name)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        try chown(log, to: account)
        let r = try Subprocess.run(["\(bin)/pg_ctl", "-D", data, "-l", log, "-w", "-t", "120", "start"], user: account)
        guard r.status == 0 else {
            let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(8).joined(separator: "\n")
            throw EngineError("PostgreSQL \(server.name) did not start:\n\(r.output)\(tail)")
        }
        try waitForPostgres(server)
        return ServerState(name: server.name, engine: .postgres, port: server.port, action: action, running: true)
    }

    /// pg_ctl -w already waited; this proves the TCP listener answers (PQping, no sleeps as proof).
    private func waitForPostgres(_ server: PlannedServer) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if PGConnection.ping(host: "127.0.0.1", port: server.port) == .ok { return }
            usleep(20_000)
        }
        throw EngineError("PostgreSQL \(server.name) does not answer on 127.0.0.1:\(server.port)")
    }

    private func ensurePortFree(_ port: Int, for server: String) throws {
        guard !PortProbe.isFree(port) else { return }
        let who = PortProbe.holder(of: port) ?? "another process"
        throw EngineError("port \(port) for \(server) is taken by \(who); stop it, or change the port in the topology")
    }

    private func redisPid(_ server: PlannedServer) -> pid_t? {
        guard let text = try? String(contentsOfFile: "\(paths.redisDir(server.name))/redis.pid", encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), Subprocess.isAlive(pid) else { return nil }
        return pid
    }

    public func isRedisRunning(_ server: PlannedServer) -> Bool {
        guard redisPid(server) != nil else { return false }
        return (try? RedisConnection(port: server.port, timeoutSeconds: 2).ping()) == true
    }

    private func startRedis(_ server: PlannedServer) throws -> ServerState {
        guard Subprocess.which("redis-server") != nil else {
            throw EngineError("redis-server not found: install it with `apt-get install redis-server`")
        }
        if isRedisRunning(server) {
            return ServerState(name: server.name, engine: .redis, port: server.port, action: .running, running: true)
        }
        let account = Self.serverAccount(for: .redis)
        let dir = paths.redisDir(server.name)
        let created = !FileManager.default.fileExists(atPath: "\(dir)/redis.conf")
        try makeDirectory(dir, owner: account)
        try checkTraversable(dir, by: account)
        let log = paths.serverLog(server.name)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        try chown(log, to: account)
        let conf = """
            # Written by ovudev for server \(server.name); rewritten on every start.
            bind 127.0.0.1
            port \(server.port)
            protected-mode yes
            daemonize yes
            pidfile \(dir)/redis.pid
            logfile \(log)
            dir \(dir)
            databases \(server.redisDatabases ?? 16)
            appendonly yes
            save 60 1000

            """
        try conf.write(toFile: "\(dir)/redis.conf", atomically: true, encoding: .utf8)
        try chown("\(dir)/redis.conf", to: account)
        try ensurePortFree(server.port, for: server.name)
        progress("start \(server.name) on 127.0.0.1:\(server.port)")
        let r = try Subprocess.run(["redis-server", "\(dir)/redis.conf"], user: account)
        guard r.status == 0 else { throw EngineError("redis-server \(server.name) did not start:\n\(r.output)") }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? RedisConnection(port: server.port, timeoutSeconds: 1).ping()) == true {
                return ServerState(name: server.name, engine: .redis, port: server.port, action: created ? .created : .started, running: true)
            }
            usleep(10_000)
        }
        let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(8).joined(separator: "\n")
        throw EngineError("Redis \(server.name) does not answer PING on 127.0.0.1:\(server.port)\n\(tail)")
    }

    // MARK: - MySQL (MariaDB)

    /// The server's pid from its pid file, when that process lives and is a MySQL server (a
    /// pid file left by kill -9 may name a recycled pid).
    func mysqlPid(_ server: PlannedServer) -> pid_t? {
        guard let text = try? String(contentsOfFile: paths.mysqlPid(server.name), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, Subprocess.isAlive(pid) else { return nil }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard comm == nil || comm == "mariadbd" || comm == "mysqld" else { return nil }
        return pid
    }

    public func isMySQLRunning(_ server: PlannedServer) -> Bool {
        mysqlPid(server) != nil && MySQLProbe.greets(port: server.port)
    }

    private func startMySQL(_ server: PlannedServer) throws -> ServerState {
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
            try makeDirectory(data, owner: account)
            progress("mariadb-install-db \(server.name)")
            // --auth-root-socket-user: a second all-privileges account named like the OS account
            // that runs ovudev, which only that account can use (unix_socket): ovudev's
            // maintenance login. As root it is root itself. No test database, no anonymous users.
            let r = try Subprocess.run([
                installDB, "--no-defaults", "--datadir=\(data)", "--tmpdir=\(tmp)", "--auth-root-authentication-method=socket",
                "--auth-root-socket-user=\(Self.mysqlMaintenanceAccount)", "--skip-test-db", "--skip-name-resolve",
            ], directory: dir, user: account)
            guard r.status == 0 else {
                try? FileManager.default.removeItem(atPath: data)
                // Its own words are at the start; the end is boilerplate about bug reports.
                let lines = r.output.split(separator: "\n")
                let errors = lines.filter { $0.contains("ERROR") || $0.contains("[ERROR]") || $0.contains("failed") }
                throw EngineError("mariadb-install-db for \(server.name) failed (exit \(r.status)):\n\((errors.isEmpty ? Array(lines.prefix(15)) : errors).joined(separator: "\n"))")
            }
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
        try? FileManager.default.removeItem(atPath: paths.mysqlPid(server.name))
        try? FileManager.default.removeItem(atPath: socket)
        let log = paths.serverLog(server.name)
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        try chown(log, to: account)
        progress("start \(server.name) on 127.0.0.1:\(server.port)")
        var argv = [
            mysqld, "--no-defaults", "--datadir=\(data)", "--tmpdir=\(tmp)", "--socket=\(socket)", "--port=\(server.port)",
            "--bind-address=127.0.0.1", "--pid-file=\(paths.mysqlPid(server.name))", "--log-error=\(log)",
            "--skip-name-resolve", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
        ]
        // As root: become the server's account before mariadbd runs (setpriv execs, so the
        // pid is mariadbd's own and the server never runs as root, not even to switch users).
        if let account, let pw = getpwnam(account) {
            argv = ["setpriv", "--reuid=\(pw.pointee.pw_uid)", "--regid=\(pw.pointee.pw_gid)", "--init-groups", "--"] + argv
        }
        var environment: [String: String] = [:]
        for key in ["PATH", "LANG", "LC_ALL", "TZ"] { environment[key] = ProcessInfo.processInfo.environment[key] }
        let pid = try Subprocess.spawnDetached(argv, environment: environment, directory: dir, output: log)
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

    // MARK: - Stop and status

    /// SIGTERM, then until the process is gone (at most `seconds`).
    private func terminate(_ pid: pid_t, within seconds: Double, or message: @autoclosure () -> String) throws {
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        while Subprocess.isAlive(pid) && Date() < deadline { usleep(10_000) }
        if Subprocess.isAlive(pid) { throw EngineError(message()) }
    }

    public func stop(removeData: Bool = false) throws -> [ServerState] {
        var states: [ServerState] = []
        for server in plan.servers {
            switch server.engine {
            case .postgres:
                if isPostgresRunning(server), let bin = Self.postgresBinDir() {
                    progress("stop \(server.name)")
                    let r = try Subprocess.run(["\(bin)/pg_ctl", "-D", paths.pgData(server.name), "-m", "fast", "-w", "-t", "60", "stop"],
                                               user: Self.serverAccount(for: .postgres))
                    if r.status != 0 { throw EngineError("pg_ctl stop \(server.name) failed:\n\(r.output)") }
                }
            case .redis:
                if let pid = redisPid(server) {
                    progress("stop \(server.name)")
                    try terminate(pid, within: 30, or: "redis-server \(server.name) (pid \(pid)) did not stop")
                }
            case .mysql:
                if let pid = mysqlPid(server) {
                    progress("stop \(server.name)")
                    try terminate(pid, within: 60, or: "mariadbd \(server.name) (pid \(pid)) did not stop within 60 s; see \(paths.serverLog(server.name))")
                    var status: Int32 = 0
                    waitpid(pid, &status, WNOHANG)  // ours when this process started it
                }
            case .mongodb:
                break
            }
            states.append(ServerState(name: server.name, engine: server.engine, port: server.port, action: .stopped, running: false))
        }
        if removeData {
            try? FileManager.default.removeItem(atPath: "\(paths.root)/postgres")
            try? FileManager.default.removeItem(atPath: "\(paths.root)/redis")
            try? FileManager.default.removeItem(atPath: "\(paths.root)/mysql")
        }
        return states
    }

    public func status() -> [ServerState] {
        plan.servers.map { server in
            let running: Bool
            switch server.engine {
            case .postgres: running = isPostgresRunning(server)
            case .redis: running = isRedisRunning(server)
            case .mysql: running = isMySQLRunning(server)
            case .mongodb: running = false
            }
            return ServerState(name: server.name, engine: server.engine, port: server.port,
                               action: running ? .running : .stopped, running: running)
        }
    }
}

/// `.ovu/<scenario>/lock`: one `up`/`down`/`seed` at a time per scenario.
public final class StackLock {
    private let fd: Int32

    /// Takes the lock; when another ovudev holds it, reports and waits (or throws with `wait: false`).
    public init(path: String, wait: Bool = true, onWait: (String) -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw EngineError("cannot open \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            guard wait else {
                close(fd)
                throw EngineError("another ovudev (pid \(holder)) is working on this stack; try again when it is done")
            }
            onWait("another ovudev (pid \(holder)) is working on this stack; waiting for it")
            guard flock(fd, LOCK_EX) == 0 else { close(fd); throw EngineError("cannot lock \(path)") }
        }
        ftruncate(fd, 0)
        let me = "\(getpid())\n"
        _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
