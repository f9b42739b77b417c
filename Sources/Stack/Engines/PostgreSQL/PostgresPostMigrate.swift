import Foundation
import Statements
import Topology

/// After migrations, what post-migrate/grants.sql grants on one PostgreSQL server.
extension Provisioner {
    func applyPostgresPostMigrate(_ server: PlannedServer, progress: (String) -> Void) throws -> ProvisionReport {
        var report = ProvisionReport()
        let databases = server.databases.filter { !$0.tableReads.isEmpty || !$0.schemaReaders.isEmpty || $0.tableOwners != nil }
        if databases.isEmpty { return report }
        progress("post-migrate grants: \(server.name), \(databases.count) database\(databases.count == 1 ? "" : "s")")
        let password = try superuserPassword(server)
        let prefix = servers(of: .postgres).count > 1 ? "\(server.name): " : ""
        let provisioner = self
        let outcomes = try concurrently(databases, workers: parallelism) { db, _ in
            let conn = try provisioner.connect(server, password: password, database: db.name)
            defer { provisioner.idle.keep(conn, "\(server.port)/\(db.name)") }
            return try Self.postMigrate(db, conn: conn, server: server.name)
        }
        for outcome in outcomes {
            report.changes += outcome.changes.map { prefix + $0 }
            report.notes += outcome.notes.map { prefix + $0 }
        }
        return report
    }

    struct PostMigrateOutcome: Sendable {
        var changes: [String] = []
        var notes: [String] = []
    }

    static func postMigrate(_ db: PlannedDatabase, conn: PGConnection, server: String) throws -> PostMigrateOutcome {
        var outcome = PostMigrateOutcome()
        var statements: [String] = []
        for owned in try tablesOwnedByOthers(db.tableOwners ?? [], conn: conn) {
            statements.append(PostgresSQL.alterTableOwner(owned))
            outcome.changes.append("database \(db.name): table \(owned.schema).\(owned.table) now owned by \(owned.owner)")
        }
        // Ownership first: the grants below are then made by (and kept with) the right owner.
        try conn.execute(statements) { ProvisionError(server: server, database: db.name, message: "table owners failed: \($0)") }
        statements = []
        if !db.tableReads.isEmpty {
            let rows = try conn.query("""
                SELECT t.schema, t.tbl, t.reader, c.oid IS NOT NULL,
                       EXISTS (SELECT FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
                               WHERE a.grantee = r.oid AND a.privilege_type = 'SELECT')
                FROM unnest($1::text[], $2::text[], $3::text[]) AS t(schema, tbl, reader)
                LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema
                LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.tbl AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                LEFT JOIN pg_catalog.pg_roles r ON r.rolname = t.reader
                """, [pgArray(db.tableReads.map(\.schema)), pgArray(db.tableReads.map(\.table)), pgArray(db.tableReads.map(\.role))])
            var missingGrants: [String: (schema: String, table: String, roles: [String])] = [:]
            var missingTables: [String: [String]] = [:]
            for row in rows.rows {
                let schema = row[0]!, table = row[1]!, reader = row[2]!
                let key = "\(schema).\(table)"
                if row[3] != "t" {
                    missingTables[key, default: []].append(reader)
                } else if row[4] != "t" {
                    missingGrants[key, default: (schema, table, [])].roles.append(reader)
                }
            }
            for key in missingGrants.keys.sorted() {
                let grant = missingGrants[key]!
                statements.append(PostgresSQL.grantSelectOnTable(schema: grant.schema, table: grant.table, to: grant.roles))
                for role in grant.roles.sorted() { outcome.changes.append("database \(db.name): granted SELECT on \(key) to \(role)") }
            }
            for key in missingTables.keys.sorted() {
                outcome.notes.append("database \(db.name): table \(key) does not exist, so \(missingTables[key]!.sorted().joined(separator: ", ")) cannot read it: run the migrations, or fix `reads` in the topology")
            }
        }
        for (reader, tables) in try tablesLackingSelect(db.schemaReaders, conn: conn) {
            statements.append(PostgresSQL.grantSelectOnAllTables(schema: reader.schema, to: reader.role))
            outcome.changes.append("database \(db.name): granted SELECT on \(describe(tables)) of schema \(reader.schema) to \(reader.role)")
        }
        try conn.execute(statements) { ProvisionError(server: server, database: db.name, message: "post-migrate grants failed: \($0)") }
        return outcome
    }

    /// Declared tables that exist and belong to another role than the one declaring them.
    static func tablesOwnedByOthers(_ owned: [TableOwner], conn: PGConnection) throws -> [TableOwner] {
        guard !owned.isEmpty else { return [] }
        let rows = try conn.query("""
            SELECT t.schema, t.tbl, t.owner
            FROM unnest($1::text[], $2::text[], $3::text[]) AS t(schema, tbl, owner)
            JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.tbl AND c.relkind IN ('r', 'p')
            WHERE pg_catalog.pg_get_userbyid(c.relowner) <> t.owner
            ORDER BY 1, 2
            """, [pgArray(owned.map(\.schema)), pgArray(owned.map(\.table)), pgArray(owned.map(\.owner))])
        return rows.rows.map { TableOwner(schema: $0[0]!, table: $0[1]!, owner: $0[2]!) }
    }

    /// For each schema reader: the tables of its schema it may not SELECT yet.
    static func tablesLackingSelect(_ readers: [SchemaReader], conn: PGConnection) throws -> [(SchemaReader, [String])] {
        guard !readers.isEmpty else { return [] }
        let rows = try conn.query("""
            SELECT t.reader, t.schema, c.relname
            FROM unnest($1::text[], $2::text[]) AS t(reader, schema)
            JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            LEFT JOIN pg_catalog.pg_roles r ON r.rolname = t.reader
            WHERE NOT EXISTS (SELECT FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
                              WHERE a.grantee = r.oid AND a.privilege_type = 'SELECT')
            ORDER BY 1, 2, 3
            """, [pgArray(readers.map(\.role)), pgArray(readers.map(\.schema))])
        var lacking: [String: [String]] = [:]
        for row in rows.rows { lacking["\(row[0]!) \(row[1]!)", default: []].append(row[2]!) }
        return readers.compactMap { reader in lacking["\(reader.role) \(reader.schema)"].map { (reader, $0) } }
    }

    static func describe(_ tables: [String]) -> String {
        tables.count <= 4 ? (tables.count == 1 ? "table " : "tables ") + tables.joined(separator: ", ") : "\(tables.count) tables"
    }
}

/// A text[] parameter: `{"a","b"}`.
func pgArray(_ items: [String]) -> String {
    "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
}
