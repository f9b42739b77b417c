import Topology

/// Single PostgreSQL statements and the privileges the Plan asks for, shared by the init-SQL
/// renderer and the native provisioner (Sources/Stack/Engines/PostgreSQL), so that both apply the
/// same thing. Names are validated identifiers; they are still quoted with `Escape.sqlIdentifier`.
extension PostgresSQL {
    /// What every planned role is: a plain login, nothing more.
    public static let roleAttributes = ["LOGIN", "NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE", "NOREPLICATION", "NOBYPASSRLS", "INHERIT"]

    /// `pg_authid` column → the attribute keyword when true / when false.
    public static let roleAttributeColumns: [(column: String, whenTrue: String, whenFalse: String)] = [
        ("rolcanlogin", "LOGIN", "NOLOGIN"), ("rolsuper", "SUPERUSER", "NOSUPERUSER"), ("rolcreatedb", "CREATEDB", "NOCREATEDB"),
        ("rolcreaterole", "CREATEROLE", "NOCREATEROLE"), ("rolreplication", "REPLICATION", "NOREPLICATION"),
        ("rolbypassrls", "BYPASSRLS", "NOBYPASSRLS"), ("rolinherit", "INHERIT", "NOINHERIT"),
    ]

    /// Database privileges in the order PostgreSQL prints them.
    public static let databasePrivilegeOrder = ["CREATE", "CONNECT", "TEMPORARY"]
    public static let schemaPrivilegeOrder = ["USAGE", "CREATE"]

    static func privilegeList(_ privileges: some Collection<String>, order: [String]) -> String {
        order.filter(privileges.contains).joined(separator: ", ")
    }

    static func roleList(_ roles: some Collection<String>) -> String {
        roles.sorted().map(Escape.sqlIdentifier).joined(separator: ", ")
    }

    // MARK: - Roles

    /// `passwordSQL` is already SQL: a literal (`Escape.sqlLiteral`) or a psql variable.
    public static func createRole(_ role: String, passwordSQL: String, connectionLimit: Int? = nil) -> String {
        "CREATE ROLE \(Escape.sqlIdentifier(role)) WITH \(roleAttributes.joined(separator: " "))\(connectionLimit.map { " CONNECTION LIMIT \($0)" } ?? "") PASSWORD \(passwordSQL);"
    }

    /// ` CONNECTION LIMIT n`, or "" for a role without one.
    public static func connectionLimitClause(_ role: PlannedRole) -> String {
        role.connectionLimit.map { " CONNECTION LIMIT \($0)" } ?? ""
    }

    /// `pg_roles.rolconnlimit` the role should have (-1: none).
    public static func alterConnectionLimit(_ role: PlannedRole) -> String {
        "ALTER ROLE \(Escape.sqlIdentifier(role.name)) WITH CONNECTION LIMIT \(role.connectionLimit ?? -1);"
    }

    public static func alterRoleAttributes(_ role: String) -> String {
        "ALTER ROLE \(Escape.sqlIdentifier(role)) WITH \(roleAttributes.joined(separator: " "));"
    }

    public static func alterRolePassword(_ role: String, passwordSQL: String) -> String {
        "ALTER ROLE \(Escape.sqlIdentifier(role)) WITH PASSWORD \(passwordSQL);"
    }

    public static func setSearchPath(role: String, database: String, schemas: [String]) -> String {
        "ALTER ROLE \(Escape.sqlIdentifier(role)) IN DATABASE \(Escape.sqlIdentifier(database)) SET search_path = \(schemas.map(Escape.sqlIdentifier).joined(separator: ", "));"
    }

    // MARK: - Databases

    /// Not inside a transaction block: one statement per call. `strategy` (PostgreSQL 15+):
    /// `FILE_COPY` copies the template's files and checkpoints, `WAL_LOG` (the default) writes
    /// the whole template to the WAL.
    public static func createDatabase(_ name: String, owner: String?, template: String? = nil, strategy: String? = nil) -> String {
        var s = "CREATE DATABASE \(Escape.sqlIdentifier(name))"
        if let owner { s += " OWNER \(Escape.sqlIdentifier(owner))" }
        if let template { s += " TEMPLATE \(Escape.sqlIdentifier(template))" }
        if let strategy { s += " STRATEGY \(strategy)" }
        return s + ";"
    }

    /// `force` (PostgreSQL 13+) ends the sessions connected to it first.
    public static func dropDatabase(_ name: String, force: Bool = false) -> String {
        "DROP DATABASE IF EXISTS \(Escape.sqlIdentifier(name))\(force ? " WITH (FORCE)" : "");"
    }

    /// A database or a schema: what the plan gives an owner and privileges on.
    public enum Object: Sendable {
        case database(String), schema(String)

        var sql: String {
            switch self {
            case let .database(name): return "DATABASE \(Escape.sqlIdentifier(name))"
            case let .schema(name): return "SCHEMA \(Escape.sqlIdentifier(name))"
            }
        }

        var privilegeOrder: [String] {
            if case .database = self { return databasePrivilegeOrder }
            return schemaPrivilegeOrder
        }
    }

    public static func alterOwner(_ object: Object, to owner: String) -> String {
        "ALTER \(object.sql) OWNER TO \(Escape.sqlIdentifier(owner));"
    }

    /// PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database (and, before 15,
    /// CREATE on schema public).
    public static func revokeAllFromPublic(_ object: Object) -> String {
        "REVOKE ALL ON \(object.sql) FROM PUBLIC;"
    }

    public static func grant(_ privileges: some Collection<String>, on object: Object, to roles: some Collection<String>) -> String {
        "GRANT \(privilegeList(privileges, order: object.privilegeOrder)) ON \(object.sql) TO \(roleList(roles));"
    }

    public static func revoke(_ privileges: some Collection<String>, on object: Object, from roles: some Collection<String>) -> String {
        "REVOKE \(privilegeList(privileges, order: object.privilegeOrder)) ON \(object.sql) FROM \(roleList(roles));"
    }

    /// The roles that own data in `db` (the owner, schema owners, `publicCreate`): they may also
    /// create temporary tables there.
    public static func writers(_ db: PlannedDatabase) -> Set<String> {
        Set([db.owner].compactMap { $0 } + db.schemas.map(\.owner) + db.publicCreate)
    }

    /// The database privileges of each role of `db.connect`: writers CONNECT and TEMPORARY,
    /// readers (`reads`, analytics) CONNECT only. PUBLIC has none.
    public static func databasePrivileges(_ db: PlannedDatabase) -> [String: Set<String>] {
        let writers = writers(db)
        var result: [String: Set<String>] = [:]
        for role in db.connect { result[role] = writers.contains(role) ? ["CONNECT", "TEMPORARY"] : ["CONNECT"] }
        return result
    }

    // MARK: - Inside a database

    /// Only named roles create in `public` (PostgreSQL before 15 let PUBLIC do it).
    public static let revokeCreateOnPublicSchema = "REVOKE CREATE ON SCHEMA public FROM PUBLIC;"

    public static func createExtension(_ name: String) -> String {
        "CREATE EXTENSION IF NOT EXISTS \(Escape.sqlIdentifier(name)) WITH SCHEMA public;"
    }

    public static func createSchema(_ name: String, owner: String) -> String {
        "CREATE SCHEMA IF NOT EXISTS \(Escape.sqlIdentifier(name)) AUTHORIZATION \(Escape.sqlIdentifier(owner));"
    }

    public static func grantSelectOnAllTables(schema: String, to role: String) -> String {
        "GRANT SELECT ON ALL TABLES IN SCHEMA \(Escape.sqlIdentifier(schema)) TO \(Escape.sqlIdentifier(role));"
    }

    public static func defaultSelect(owner: String, schema: String, reader: String) -> String {
        "ALTER DEFAULT PRIVILEGES FOR ROLE \(Escape.sqlIdentifier(owner)) IN SCHEMA \(Escape.sqlIdentifier(schema)) GRANT SELECT ON TABLES TO \(Escape.sqlIdentifier(reader));"
    }

    public static func grantSelectOnTable(schema: String, table: String, to roles: some Collection<String>) -> String {
        "GRANT SELECT ON TABLE \(Escape.sqlIdentifier(schema)).\(Escape.sqlIdentifier(table)) TO \(roleList(roles));"
    }

    /// A declared table goes to the role of the service that declares it (once it exists).
    public static func alterTableOwner(_ owned: TableOwner) -> String {
        "ALTER TABLE IF EXISTS \(Escape.sqlIdentifier(owned.schema)).\(Escape.sqlIdentifier(owned.table)) OWNER TO \(Escape.sqlIdentifier(owned.owner));"
    }

    /// The schema privileges the Plan grants in `db`, schema → role → privileges: `publicCreate`
    /// roles USAGE and CREATE on `public`, readers (analytics, `reads`) USAGE on the schemas they
    /// read. Schema owners are not listed (they hold everything as owners).
    public static func schemaPrivileges(_ db: PlannedDatabase) -> [String: [String: Set<String>]] {
        var result: [String: [String: Set<String>]] = [:]
        for role in db.publicCreate { result["public", default: [:]][role, default: []].formUnion(["USAGE", "CREATE"]) }
        for reader in db.schemaReaders { result[reader.schema, default: [:]][reader.role, default: []].insert("USAGE") }
        for read in db.tableReads { result[read.schema, default: [:]][read.role, default: []].insert("USAGE") }
        return result
    }
}
