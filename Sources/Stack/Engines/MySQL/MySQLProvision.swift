import Foundation
import Statements
import Topology

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
        let superuser = superuserPassword.map { Self.superuserSQL(user: server.superuserName, password: $0) + "\n" } ?? ""
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
