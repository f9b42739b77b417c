import Foundation
import Statements
import Topology

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
    func withClient<R>(database: String?, force: Bool, localInfile: Bool = false, _ body: ([String], [String: String]) throws -> R) throws -> R {
        guard let client = MySQLTools.client else {
            throw EngineError("the mariadb (or mysql) client is not installed: \(MySQLTools.installCommand)")
        }
        // An option file of our own, read instead of /etc/mysql and ~/.my.cnf: a user's
        // [client] password or socket there must not change whom we log in as.
        // Named after our pid, as Subprocess's output files are: a test that kills us removes it.
        var template = (FileManager.default.temporaryDirectory.path + "/ovudev-\(getpid())-mysql-XXXXXX").utf8CString
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
