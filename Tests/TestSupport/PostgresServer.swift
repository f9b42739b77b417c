import Foundation
import Synchronization
import Workspace
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL 15 cluster for one test: a private temp folder, 127.0.0.1 on a free
/// port, `fsync=off`, run by the `postgres` account when the tests run as root.
///
/// The socket (in the private folder) trusts local logins, but nothing here uses it: every client
/// logs in over TCP, where each login — the superuser's too — checks a SCRAM password, unlike the
/// postgres image, which trusts 127.0.0.1.
/// `start()` waits for readiness through `pg_ctl start -w`; `stop()` kills the cluster and removes
/// the folder. Processes run through `ChildProcess` (their output to files, never pipes: a
/// daemon inherits them). Every cluster is a copy of one initdb per test process.
public final class PostgresServer: Sendable {
    public static let binDirectory = "/usr/lib/postgresql/15/bin"
    public static let installHint = "install PostgreSQL 15 (server and client): apt-get install postgresql-15"

    /// The temp folder: `data/`, the socket, logs, command output.
    public let root: String
    public let dataDirectory: String
    public let port: Int
    public let superuser = "postgres"
    public let superuserPassword: String
    /// `runuser -u postgres --` when running as root.
    private let asServerAccount: [String]

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The exit status and output of one command.
    public struct Outcome: Sendable, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var succeeded: Bool { status == 0 }
        public var description: String { "`\(command)` exited \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    private init(root: String, port: Int, superuserPassword: String, asServerAccount: [String]) {
        self.root = root
        self.dataDirectory = root + "/data"
        self.port = port
        self.superuserPassword = superuserPassword
        self.asServerAccount = asServerAccount
    }

    // MARK: - Lifecycle

    /// `runuser -u postgres --` and the account's uid and gid when running as root.
    private static func serverAccount() throws -> (prefix: [String], owner: (uid_t, gid_t)?) {
        guard geteuid() == 0 else { return ([], nil) }
        guard let pw = SystemAccount.named("postgres") else {
            throw Failure(description: "running as root, but there is no `postgres` account to run the server as; \(installHint) (it creates the account)")
        }
        guard let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw Failure(description: "running as root, but runuser (util-linux) is missing; apt-get install util-linux")
        }
        return ([runuser, "-u", "postgres", "--"], (pw.uid, pw.gid))
    }

    /// A private folder in TMPDIR, given to the server's account.
    private static func privateFolder(_ name: String, owner: (uid_t, gid_t)?) throws -> String {
        var template = Array((NSTemporaryDirectory() + "\(name).XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw Failure(description: "mkdtemp failed: errno \(errno)") }
        let root = String(cString: made)
        if let (uid, gid) = owner, chown(root, uid, gid) != 0 {
            try? FileManager.default.removeItem(atPath: root)
            throw Failure(description: "chown \(root) to postgres failed: errno \(errno)")
        }
        return root
    }

    /// One initdb per test process; every cluster starts as a copy of it (a copy takes a
    /// fraction of initdb's time). Removed when the process exits.
    private struct Pristine: Sendable {
        let root: String
        let password: String
    }

    private static let pristine: Result<Pristine, any Error> = Result {
        let account = try serverAccount()
        let root = try privateFolder("ovudev-pg-pristine", owner: account.owner)
        let password = randomPassword()
        let passwordFile = root + "/superuser.pw"
        try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: passwordFile))
        chmod(passwordFile, 0o600)
        if let (uid, gid) = account.owner { chown(passwordFile, uid, gid) }
        let initdb = try spawn(account.prefix + [
            "\(binDirectory)/initdb", "-D", root + "/data", "-U", "postgres", "--pwfile=\(passwordFile)",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        ], environment: serverEnvironment, outputIn: root)
        try? FileManager.default.removeItem(atPath: passwordFile)
        guard initdb.succeeded else {
            try? FileManager.default.removeItem(atPath: root)
            throw Failure(description: "initdb failed: \(initdb)")
        }
        pristineRoot.withLock { $0 = root }
        atexit { PostgresServer.pristineRoot.withLock { if let root = $0 { try? FileManager.default.removeItem(atPath: root) } } }
        return Pristine(root: root, password: password)
    }

    private static let pristineRoot = Mutex<String?>(nil)

    /// A copy of the pristine cluster + pg_ctl start -w. Throws (naming the apt package) when
    /// PostgreSQL 15 is missing.
    public static func start() throws -> PostgresServer {
        for tool in ["initdb", "pg_ctl", "postgres", "psql"] where !FileManager.default.isExecutableFile(atPath: "\(binDirectory)/\(tool)") {
            throw Failure(description: "\(binDirectory)/\(tool) is missing; \(installHint)")
        }
        let (asServerAccount, owner) = try serverAccount()
        let pristine = try Self.pristine.get()
        let root = try privateFolder("ovudev-pg", owner: owner)
        var started = false
        defer { if !started { try? FileManager.default.removeItem(atPath: root) } }
        let copy = try spawn(["/bin/cp", "-a", pristine.root + "/data", root + "/data"], outputIn: root)
        guard copy.succeeded else { throw Failure(description: "copying the pristine cluster failed: \(copy)") }
        let password = pristine.password

        // A port the kernel just handed out; retry if another process takes it before we bind.
        var lastFailure = ""
        for _ in 0..<5 {
            let port = try freePort()
            let settings = """

                # ovudev test cluster
                listen_addresses = '127.0.0.1'
                port = \(port)
                unix_socket_directories = '\(root)'
                fsync = off
                synchronous_commit = off
                full_page_writes = off
                max_connections = 40
                shared_buffers = 16MB
                password_encryption = 'scram-sha-256'

                """
            try Data(settings.utf8).write(to: URL(fileURLWithPath: root + "/data/postgresql.auto.conf"))
            if let (uid, gid) = owner { chown(root + "/data/postgresql.auto.conf", uid, gid) }
            let start = try spawn(asServerAccount + [
                "\(binDirectory)/pg_ctl", "-D", root + "/data", "-l", root + "/server.log", "-w", "-t", "60", "start",
            ], environment: serverEnvironment, outputIn: root)
            if start.succeeded {
                started = true
                return PostgresServer(root: root, port: port, superuserPassword: password, asServerAccount: asServerAccount)
            }
            lastFailure = "\(start)\n--- server.log\n\((try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? "")"
            guard lastFailure.contains("could not bind") || lastFailure.contains("could not create listen socket") else { break }
        }
        throw Failure(description: "pg_ctl start failed: \(lastFailure)")
    }

    /// Stops the cluster at once (nothing is worth keeping) and removes its folder.
    public func stop() {
        _ = try? Self.spawn(asServerAccount + ["\(Self.binDirectory)/pg_ctl", "-D", dataDirectory, "-m", "immediate", "-w", "stop"],
                            environment: Self.serverEnvironment, outputIn: root)
        try? FileManager.default.removeItem(atPath: root)
    }

    // MARK: - Clients

    /// initdb, pg_ctl and the server get a clean environment: no PG* variables or locale of the
    /// caller leak in (messages stay English, which the tests match).
    public static let serverEnvironment = ["PATH": "\(binDirectory):/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]

    /// Environment for a client process talking to this cluster over TCP.
    public func clientEnvironment(user: String, password: String, extra: [String: String] = [:]) -> [String: String] {
        var env: [String: String] = [
            "PATH": "\(Self.binDirectory):/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PGHOST": "127.0.0.1",
            "PGPORT": String(port),
            "PGUSER": user,
            "PGPASSWORD": password,
            "PGSSLMODE": "disable",
            "PGCONNECT_TIMEOUT": "10",
            "PGAPPNAME": "ovudev-tests",
        ]
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// psql over 127.0.0.1 as `user` with `password` (superuser by default); `-X -w`, so no
    /// psqlrc and never a password prompt.
    public func psql(_ arguments: [String], database: String = "postgres", user: String? = nil, password: String? = nil,
              stopOnError: Bool = true) throws -> Outcome {
        let user = user ?? superuser
        let password = password ?? (user == superuser ? superuserPassword : "")
        return try Self.spawn(["\(Self.binDirectory)/psql", "-X", "-w", "-v", "ON_ERROR_STOP=\(stopOnError ? 1 : 0)", "-d", database] + arguments,
                              environment: clientEnvironment(user: user, password: password), outputIn: root)
    }

    /// What one statement of a `session` did.
    public struct StatementResult: Sendable, CustomStringConvertible {
        public var statement: String
        /// Rows (`-At`, fields separated by `|`).
        public var rows: [String]
        /// nil when the statement succeeded.
        public var sqlstate: String?
        public var message: String
        public var succeeded: Bool { sqlstate == nil }
        /// SQLSTATE 42501, insufficient_privilege ("permission denied for …").
        public var denied: Bool { sqlstate == "42501" }
        public var description: String { "`\(statement)` → " + (succeeded ? "ok \(rows)" : "\(sqlstate!) \(message)") }
    }

    /// One login; nil results when the login itself was refused (see `outcome`).
    public struct Session: Sendable {
        public var outcome: Outcome
        public var results: [StatementResult]?
        public var connected: Bool { results != nil }
    }

    /// Logs in once and runs each statement in turn (errors do not stop the session), reporting
    /// each one's rows or SQLSTATE: one process for many probes.
    public func session(_ statements: [String], database: String, user: String? = nil, password: String? = nil) throws -> Session {
        let script = root + "/session-\(UUID().uuidString).sql"
        defer { unlink(script) }
        var text = ""
        for statement in statements {
            let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
            text += "\(trimmed.hasSuffix(";") ? trimmed : trimmed + ";")\n\\if :ERROR\n\\echo '@@error' :SQLSTATE :'LAST_ERROR_MESSAGE'\n\\else\n\\echo '@@ok'\n\\endif\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: script))
        let outcome = try psql(["-q", "-At", "-F", "|", "-f", script], database: database, user: user, password: password, stopOnError: false)
        guard outcome.succeeded else { return Session(outcome: outcome, results: nil) }
        var results: [StatementResult] = []
        var rows: [String] = []
        for line in outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line == "@@ok" || line.hasPrefix("@@error ") {
                let statement = results.count < statements.count ? statements[results.count] : "?"
                if line == "@@ok" {
                    results.append(StatementResult(statement: statement, rows: rows, sqlstate: nil, message: ""))
                } else {
                    let rest = line.dropFirst("@@error ".count)
                    let state = String(rest.prefix { $0 != " " })
                    let message = rest.dropFirst(state.count + 1).trimmingCharacters(in: CharacterSet(charactersIn: "'"))
                    results.append(StatementResult(statement: statement, rows: rows, sqlstate: state, message: message))
                }
                rows = []
            } else if !line.isEmpty {
                rows.append(line)
            }
        }
        guard results.count == statements.count else {
            throw Failure(description: "session as \(user ?? superuser) in \(database): \(results.count) results for \(statements.count) statements\n\(outcome)")
        }
        return Session(outcome: outcome, results: results)
    }

    /// Superuser queries in one session; throws if any fails. One row list per query.
    public func queries(_ sqls: [String], database: String = "postgres") throws -> [[String]] {
        let session = try session(sqls, database: database)
        guard let results = session.results else { throw Failure(description: "superuser login to \(database) failed: \(session.outcome)") }
        if let failed = results.first(where: { !$0.succeeded }) { throw Failure(description: "query failed in \(database): \(failed)") }
        return results.map(\.rows)
    }

    /// Runs a psql script file as the superuser, as the postgres image runs init files.
    public func runFile(_ path: String, database: String = "postgres") throws -> Outcome {
        try psql(["-f", path], database: database)
    }

    /// One statement as `user`; the outcome tells whether it was allowed.
    public func attempt(_ sql: String, database: String, user: String, password: String) throws -> Outcome {
        try psql(["-At", "-c", sql], database: database, user: user, password: password)
    }

    /// Rows of a superuser query, fields separated by `|`.
    public func query(_ sql: String, database: String = "postgres") throws -> [String] {
        try queries([sql], database: database)[0]
    }

    /// A shell script with the given environment (plus PATH to PostgreSQL 15's psql).
    public func runScript(_ path: String, environment: [String: String]) throws -> Outcome {
        var env = ["PATH": "\(Self.binDirectory):/usr/bin:/bin", "LANG": "C.UTF-8"]
        for (k, v) in environment { env[k] = v }
        return try Self.spawn(["/bin/sh", path], environment: env, outputIn: root)
    }

    // MARK: - Processes

    /// Runs `argv` to its end (ChildProcess: posix_spawn, output through files, waitpid).
    public static func spawn(_ argv: [String], environment: [String: String]? = nil, outputIn directory: String) throws -> Outcome {
        let r = try ChildProcess.run(argv, environment: environment)
        return Outcome(command: argv.joined(separator: " "), status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// A port on 127.0.0.1 that was free a moment ago.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw Failure(description: "bind failed: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw Failure(description: "getsockname failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// 32 alphanumerics, like the generated secrets.
    public static func randomPassword() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
    }
}
