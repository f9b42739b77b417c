import Topology

/// The SQL that converges one PostgreSQL server to its part of the Plan. The init-db.sql
/// renderer prints it; the native provisioner applies the same statements.
public struct SQLSection: Sendable, Equatable {
    public var title: String
    /// The database the statements run in; nil for the maintenance database (roles, databases).
    public var database: String?
    public var statements: [String]
}

public enum PostgresSQL {
    /// How a password appears in SQL: a literal, or a psql variable (`:'sam_db_password'`).
    public enum PasswordForm: Sendable {
        case literal(Secrets)
        case psqlVariable
    }

    public static func psqlVariable(_ ref: SecretRef) -> String { ref.variable.lowercased() }

    static func password(_ ref: SecretRef, _ form: PasswordForm) -> String {
        switch form {
        case let .literal(secrets): return Escape.sqlLiteral(secrets.value(ref) ?? "")
        case .psqlVariable: return ":'\(psqlVariable(ref))'"
        }
    }

    /// Roles, databases, schemas, extensions and grants: everything that exists before migrations.
    public static func initSections(_ server: PlannedServer, passwords: PasswordForm) -> [SQLSection] {
        let q = Escape.sqlIdentifier, lit = Escape.sqlLiteral
        var sections: [SQLSection] = []

        var roleStatements: [String] = []
        for role in server.roles {
            roleStatements.append("SELECT format('CREATE ROLE %I', \(lit(role.name))) WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = \(lit(role.name)))\\gexec")
            roleStatements.append("ALTER ROLE \(q(role.name)) WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT\(connectionLimitClause(role)) PASSWORD \(password(role.secret, passwords));")
        }
        if !roleStatements.isEmpty {
            sections.append(SQLSection(title: "Roles: one login per service instance\(server.roles.contains { $0.readOnly } ? ", and the read-only analytics role" : "")", database: nil, statements: roleStatements))
        }

        for db in server.databases {
            var s: [String] = []
            let ownerClause = db.owner == nil ? "" : " OWNER %I"
            let ownerArg = db.owner.map { ", \(lit($0))" } ?? ""
            s.append("SELECT format('CREATE DATABASE %I\(ownerClause)', \(lit(db.name))\(ownerArg)) WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = \(lit(db.name)))\\gexec")
            if let owner = db.owner { s.append("ALTER DATABASE \(q(db.name)) OWNER TO \(q(owner));") }
            // PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database.
            s.append("REVOKE ALL ON DATABASE \(q(db.name)) FROM PUBLIC;")
            // Roles that own data there may also create temporary tables; readers (`reads`,
            // analytics) only connect: read-only access and nothing more.
            let writers = Set([db.owner].compactMap { $0 } + db.schemas.map(\.owner) + db.publicCreate)
            let connectAndTemp = db.connect.filter(writers.contains), connectOnly = db.connect.filter { !writers.contains($0) }
            if !connectAndTemp.isEmpty {
                s.append("GRANT CONNECT, TEMPORARY ON DATABASE \(q(db.name)) TO \(connectAndTemp.map(q).joined(separator: ", "));")
            }
            if !connectOnly.isEmpty {
                s.append("GRANT CONNECT ON DATABASE \(q(db.name)) TO \(connectOnly.map(q).joined(separator: ", "));")
            }
            sections.append(SQLSection(title: "Database \(db.name)\(db.tenant.map { " (tenant \($0))" } ?? "")", database: nil, statements: s))

            var inside: [String] = []
            // Only named roles create in `public` (PostgreSQL before 15 let PUBLIC do it).
            inside.append("REVOKE CREATE ON SCHEMA public FROM PUBLIC;")
            if let owner = db.owner { inside.append("ALTER SCHEMA public OWNER TO \(q(owner));") }
            for ext in db.extensions {
                inside.append("CREATE EXTENSION IF NOT EXISTS \(q(ext)) WITH SCHEMA public;")
            }
            for schema in db.schemas {
                inside.append("CREATE SCHEMA IF NOT EXISTS \(q(schema.name)) AUTHORIZATION \(q(schema.owner));")
                inside.append("ALTER SCHEMA \(q(schema.name)) OWNER TO \(q(schema.owner));")
                inside.append("REVOKE ALL ON SCHEMA \(q(schema.name)) FROM PUBLIC;")
            }
            if !db.publicCreate.isEmpty {
                inside.append("GRANT USAGE, CREATE ON SCHEMA public TO \(db.publicCreate.map(q).joined(separator: ", "));")
            }
            for sp in db.searchPaths {
                inside.append("ALTER ROLE \(q(sp.role)) IN DATABASE \(q(db.name)) SET search_path = \(sp.schemas.map(q).joined(separator: ", "));")
            }
            for reader in db.schemaReaders {
                inside.append("GRANT USAGE ON SCHEMA \(q(reader.schema)) TO \(q(reader.role));")
                inside.append("GRANT SELECT ON ALL TABLES IN SCHEMA \(q(reader.schema)) TO \(q(reader.role));")
                for owner in reader.owners {
                    inside.append("ALTER DEFAULT PRIVILEGES FOR ROLE \(q(owner)) IN SCHEMA \(q(reader.schema)) GRANT SELECT ON TABLES TO \(q(reader.role));")
                }
            }
            let readSchemas = Dictionary(grouping: db.tableReads, by: \.schema)
            for schema in readSchemas.keys.sorted() {
                let roles = Set(readSchemas[schema]!.map(\.role)).sorted()
                inside.append("GRANT USAGE ON SCHEMA \(q(schema)) TO \(roles.map(q).joined(separator: ", "));")
            }
            sections.append(SQLSection(title: "Inside \(db.name): schemas, extensions, privileges", database: db.name, statements: inside))
        }
        return sections
    }

    /// Table grants that need the migrated tables: `reads`, and the analytics role's SELECT on
    /// tables created since init.
    public static func postMigrateSections(_ server: PlannedServer) -> [SQLSection] {
        let q = Escape.sqlIdentifier
        var sections: [SQLSection] = []
        for db in server.databases where !db.tableReads.isEmpty || !db.schemaReaders.isEmpty || db.tableOwners != nil {
            var s: [String] = []
            for owned in db.tableOwners ?? [] {
                s.append(alterTableOwner(owned))
            }
            let byTable = Dictionary(grouping: db.tableReads) { "\(q($0.schema)).\(q($0.table))" }
            for table in byTable.keys.sorted() {
                let roles = Set(byTable[table]!.map(\.role)).sorted()
                s.append("GRANT SELECT ON TABLE \(table) TO \(roles.map(q).joined(separator: ", "));")
            }
            for reader in db.schemaReaders {
                s.append("GRANT SELECT ON ALL TABLES IN SCHEMA \(q(reader.schema)) TO \(q(reader.role));")
            }
            sections.append(SQLSection(title: "Database \(db.name)", database: db.name, statements: s))
        }
        return sections
    }
}
