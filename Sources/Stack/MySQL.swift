import Foundation
import Statements
import Topology
import Workspace

/// The MySQL-compatible programs of this machine: MariaDB's names first, MySQL's after.
/// ovudev talks to MySQL only through these programs (no client library is linked).
public enum MySQLTools {
    /// Where server programs live on Debian-like systems even when /usr/sbin is not in PATH.
    static let sbin = ["/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin"]

    static func find(_ names: [String]) -> String? {
        for name in names {
            if let path = Subprocess.which(name) { return path }
            for dir in sbin where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
        }
        return nil
    }

    /// `mariadbd` or `mysqld`.
    public static var server: String? { find(["mariadbd", "mysqld"]) }
    /// `mariadb-install-db` or `mysql_install_db`.
    public static var installDB: String? { find(["mariadb-install-db", "mysql_install_db"]) }
    /// The command-line client: `mariadb` or `mysql`.
    public static var client: String? { find(["mariadb", "mysql"]) }

    /// What the native engine lacks to run a MySQL server, or nil when it has everything.
    public static func missing() -> String? {
        var lacking: [String] = []
        if server == nil { lacking.append("mariadbd/mysqld") }
        if installDB == nil { lacking.append("mariadb-install-db") }
        if client == nil { lacking.append("the mariadb client") }
        return lacking.isEmpty ? nil : lacking.joined(separator: ", ")
    }

    public static let installCommand = "apt-get install mariadb-server mariadb-client"
}

/// A failed statement of the mysql client: `ERROR 1044 (42000) at line 2: Access denied …`.
public struct MySQLError: Error, CustomStringConvertible, Sendable {
    public var code: Int?
    public var line: Int?
    public var message: String
    public var description: String { message }

    /// 1044 database, 1045 login, 1142 table, 1143 column, 1227 privilege, 1370 routine.
    public var isAccessDenied: Bool { [1044, 1045, 1142, 1143, 1227, 1370].contains(code ?? 0) }

    /// Every `ERROR n (state) [at line l]: text` line of the client's output.
    static func parse(_ output: String) -> [MySQLError] {
        output.split(separator: "\n").compactMap { raw in
            let line = String(raw)
            guard line.hasPrefix("ERROR ") else { return nil }
            let code = Int(line.dropFirst(6).prefix { $0.isNumber })
            var at: Int?
            if let range = line.range(of: " at line ") { at = Int(line[range.upperBound...].prefix { $0.isNumber }) }
            return MySQLError(code: code, line: at, message: line)
        }
    }
}

/// How the mysql client reaches a server and who it logs in as: ovudev's maintenance account
/// over the server's private socket (unix_socket authentication, no password), or a user over
/// TCP 127.0.0.1 with a password handed over in a 0600 option file (never argv, never env).
public struct MySQLLogin: Sendable {
    public enum Route: Sendable { case socket(String), tcp(port: Int) }
    public var route: Route
    public var user: String
    public var password: String?

    public init(route: Route, user: String, password: String? = nil) {
        self.route = route
        self.user = user
        self.password = password
    }

    /// The client's answer: tab-separated rows (`--batch --skip-column-names`).
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: [MySQLError]
        public var rows: [[String]] {
            output.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty && !$0.hasPrefix("ERROR ") }
                .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(Self.unescape) }
        }

        /// Batch mode writes `\\`, `\t`, `\n`, `\0` for those characters in values.
        static func unescape(_ field: Substring) -> String {
            guard field.contains("\\") else { return String(field) }
            var out = "", escaped = false
            for ch in field {
                if escaped {
                    switch ch {
                    case "t": out.append("\t")
                    case "n": out.append("\n")
                    case "0": out.append("\0")
                    default: out.append(ch)
                    }
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else {
                    out.append(ch)
                }
            }
            return out
        }
    }

    /// Runs `sql` (from stdin: statements may hold passwords) in `database`. `force`: go on after
    /// a failed statement (each failure is reported with its line).
    /// `localInfile`: the client may send files named by `LOAD DATA LOCAL INFILE` (seeds).
    public func run(_ sql: String, database: String? = nil, force: Bool = false, localInfile: Bool = false) throws -> Result {
        try withClient(database: database, force: force, localInfile: localInfile) { argv, env in
            let r = try Subprocess.run(argv, environment: env, input: sql)
            return Result(status: r.status, output: r.output, errors: MySQLError.parse(r.output))
        }
    }

    /// Loads a gzipped `mysqldump --databases <database>` into `scratch` instead, streamed (gzip,
    /// awk, client): its `CREATE DATABASE` line is dropped and its `USE` lines name `scratch`.
    /// mysqldump writes each statement's rows on one line, so a data line never starts like those.
    public func loadDump(gzipped file: String, of database: String, into scratch: String) throws {
        let script = """
            set -eo pipefail
            gzip -dc -- "$1" | awk -v create="CREATE DATABASE /*!32312 IF NOT EXISTS*/ $2" -v use="USE $2;" -v into="USE $3;" 'index($0, create) == 1 { next } $0 == use { print into; next } { print }' | "${@:4}"
            """
        let r = try withClient(database: scratch, force: false) { argv, env in
            try Subprocess.run(["bash", "-c", script, "load", file, Escape.mysqlIdentifier(database), Escape.mysqlIdentifier(scratch)] + argv, environment: env)
        }
        if r.status != 0 {
            throw MySQLError.parse(r.output).first ?? MySQLError(code: nil, line: nil, message: r.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The client's argv (program first, our own option file) and environment, for `body`.
    private func withClient<R>(database: String?, force: Bool, localInfile: Bool = false, _ body: ([String], [String: String]) throws -> R) throws -> R {
        guard let client = MySQLTools.client else {
            throw EngineError("the mariadb (or mysql) client is not installed: \(MySQLTools.installCommand)")
        }
        // An option file of our own, read instead of /etc/mysql and ~/.my.cnf: a user's
        // [client] password or socket there must not change whom we log in as.
        var template = (FileManager.default.temporaryDirectory.path + "/ovudev-mysql-XXXXXX").utf8CString
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw EngineError("cannot create a private folder for the mysql client: \(String(cString: strerror(errno)))")
        }
        let folder = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = "[client]\nuser=\(Escape.mysqlOptionValue(user))\n"
        switch route {
        case let .socket(path): options += "protocol=SOCKET\nsocket=\(Escape.mysqlOptionValue(path))\n"
        case let .tcp(port): options += "protocol=TCP\nhost=127.0.0.1\nport=\(port)\n"
        }
        if let password { options += "password=\(Escape.mysqlOptionValue(password))\n" }
        let file = "\(folder)/client.cnf"
        try Subprocess.writePrivate(Data(options.utf8), to: file)
        var argv = [client, "--defaults-file=\(file)", "--batch", "--skip-column-names", "--connect-timeout=10"]
        if force { argv.append("--force") }
        if localInfile { argv.append("--local-infile=1") }
        if let database { argv.append("--database=\(database)") }
        var env = ProcessInfo.processInfo.environment
        env["MYSQL_PWD"] = nil
        env["MYSQL_HOST"] = nil
        env["MYSQL_TCP_PORT"] = nil
        env["MYSQL_UNIX_PORT"] = nil
        return try body(argv, env)
    }

    /// Runs `sql` and throws the first error.
    @discardableResult
    public func exec(_ sql: String, database: String? = nil) throws -> Result {
        let r = try run(sql, database: database)
        if r.status != 0 {
            throw r.errors.first ?? MySQLError(code: nil, line: nil, message: r.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return r
    }
}

/// A MySQL server's accounts, databases and grants, as lines that compare equal when nothing
/// changed (passwords only as a hash of their stored hash: nothing secret leaves the server).
struct MySQLCatalog: Equatable {
    var users: [String: String] = [:]  // user@host → digest of the stored credentials
    var databases: Set<String> = []
    var grants: [String: String] = [:]  // user@host → its grants, one string

    static let query = """
        SELECT 'user', CONCAT(User, '@', Host), SHA2(CONCAT_WS(' ', JSON_VALUE(Priv, '$.plugin'), JSON_VALUE(Priv, '$.authentication_string'), JSON_EXTRACT(Priv, '$.auth_or')), 256) FROM mysql.global_priv;
        SELECT 'database', SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA;
        SELECT 'grant', CONCAT(User, '@', Host), CONCAT('global ', JSON_VALUE(Priv, '$.access')) FROM mysql.global_priv;
        SELECT 'grant', CONCAT(User, '@', Host), CONCAT_WS(' ', Db, Select_priv, Insert_priv, Update_priv, Delete_priv, Create_priv, Drop_priv, Grant_priv, References_priv, Index_priv, Alter_priv, Create_tmp_table_priv, Lock_tables_priv, Create_view_priv, Show_view_priv, Create_routine_priv, Alter_routine_priv, Execute_priv, Event_priv, Trigger_priv, Delete_history_priv) FROM mysql.db;
        SELECT 'grant', CONCAT(User, '@', Host), CONCAT_WS(' ', Db, Table_name, Table_priv, Column_priv) FROM mysql.tables_priv;
        """

    /// Reads the catalog from the rows of `query` that start with one of its tags.
    init(rows: [[String]]) {
        var grants: [String: [String]] = [:]
        for row in rows where row.count == 3 {
            switch row[0] {
            case "user": users[row[1]] = row[2]
            case "database": databases.insert(row[1])
            case "grant": grants[row[1], default: []].append(row[2])
            default: break
            }
        }
        self.grants = grants.mapValues { $0.sorted().joined(separator: "; ") }
    }

    init() {}

    /// What changed from `self` to `after`, one line each, for the plan's users and databases.
    func changes(to after: MySQLCatalog, users planned: [String], databases plannedDatabases: [String]) -> [String] {
        var lines: [String] = []
        for name in planned {
            let account = "\(name)@%"
            if users[account] == nil, after.users[account] != nil {
                lines.append("user \(name) created")
                continue
            }
            if users[account] != after.users[account] { lines.append("user \(name): password set") }
            if grants[account] != after.grants[account] { lines.append("user \(name): privileges set") }
        }
        for db in plannedDatabases where !databases.contains(db) && after.databases.contains(db) {
            lines.append("database \(db) created")
        }
        return lines
    }
}

/// Applies to one MySQL server the init SQL the renderer prints for it (`init/<server>/init-db.sql`,
/// the same Plan through the same builder), as the maintenance account over the private socket.
/// The SQL is re-runnable; what changed is found by comparing the catalog before and after.
struct MySQLProvisioning {
    let server: PlannedServer
    let admin: MySQLLogin
    let sql: String
    /// The superuser's password: natively, the superuser also logs in over TCP 127.0.0.1 with it,
    /// as the docker image's root does, so that backup/crontab's mysqldump line works against
    /// either engine. (mariadb-install-db makes root@localhost a socket-only login.)
    var superuserPassword: String?

    /// `root@127.0.0.1` with every privilege and the plan's password, converged on every run.
    static func superuserSQL(user: String, password: String) -> String {
        let account = "\(Escape.mysqlLiteral(user))@'127.0.0.1'"
        return """
            CREATE USER IF NOT EXISTS \(account) IDENTIFIED BY \(Escape.mysqlLiteral(password));
            ALTER USER \(account) IDENTIFIED BY \(Escape.mysqlLiteral(password));
            GRANT ALL PRIVILEGES ON *.* TO \(account) WITH GRANT OPTION;
            """
    }

    func run() throws -> [String] {
        let marker = "ovudev-catalog-after"
        let superuser = superuserPassword.map { Self.superuserSQL(user: server.superuser ?? "root", password: $0) + "\n" } ?? ""
        let script = MySQLCatalog.query + "\n" + sql + "\n" + superuser + "SELECT '\(marker)', '', '';\n" + MySQLCatalog.query
        let r: MySQLLogin.Result
        do {
            r = try admin.exec(script)
        } catch let error as MySQLError {
            // Lines of the catalog query come first: report the line in the init SQL.
            let offset = MySQLCatalog.query.split(separator: "\n", omittingEmptySubsequences: false).count
            let sqlLines = sql.split(separator: "\n", omittingEmptySubsequences: false).count
            let where_ = error.line.map { line in
                line > offset + sqlLines ? " (the superuser's TCP login)" : line > offset ? " (init-db.sql line \(line - offset))" : ""
            } ?? ""
            throw ProvisionError(server: server.name, message: "the MySQL init SQL failed\(where_): \(error.message)")
        } catch let error as EngineError {
            throw ProvisionError(server: server.name, message: error.message)
        }
        let rows = r.rows
        guard let split = rows.firstIndex(where: { $0.first == marker }) else {
            throw ProvisionError(server: server.name, message: "the mysql client gave no catalog back: \(r.output.prefix(300))")
        }
        let before = MySQLCatalog(rows: Array(rows[..<split]))
        let after = MySQLCatalog(rows: Array(rows[(split + 1)...]))
        return before.changes(to: after, users: server.roles.map(\.name), databases: server.databases.map(\.name))
    }
}

/// Whether a MySQL server answers on a TCP port: its handshake packet (protocol version 10)
/// arrives right after connect. No login, no client process.
enum MySQLProbe {
    static func greets(port: Int, timeoutSeconds: Int = 1) -> Bool {
        guard case let .success(fd) = Loopback.connect(port: port, timeoutSeconds: timeoutSeconds) else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = recv(fd, &buffer, buffer.count, 0)
        // 3 bytes length, 1 byte sequence, then the protocol version (10), or 0xFF for an error
        // packet, which a live server sends at once when no account may come from this host
        // (1130) — it answers all the same.
        return n >= 5 && (buffer[4] == 10 || buffer[4] == 0xFF)
    }
}
