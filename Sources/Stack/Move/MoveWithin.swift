import Foundation
import Statements
import Topology

extension MoveService {
    /// Another schema or table prefix in the same database: the copy runs inside it.
    public var within: Bool { !stays && from.sameDatabase(to) }
}

/// A move inside one database (a schema per service ↔ `isolation: none` ↔ prefixes): per
/// table, in one transaction, `CREATE TABLE … (LIKE … INCLUDING ALL)` and `INSERT … SELECT`
/// (measured faster than a COPY stream between two sessions of the same database, README),
/// sequences of their own set to the source's values, the table given to the service's role.
/// Foreign keys follow once every service's rows are in. The source tables are only read.
extension Mover {
    func copyWithin(_ service: MoveService) throws {
        let tables = journal.tables.filter { $0.service == service.service }
        progress("copy \(service.service) inside \(service.from.database): \(tables.count) tables, \(service.from) → \(service.to)")
        let conn = try targetAdmin(service.to.server, database: service.to.database)
        // Names in the catalogs' text come schema-qualified.
        try conn.exec("SET search_path = pg_catalog")
        if !done(service, "within") {
            // A table of a target name that the move did not make is never replaced.
            let taken = try conn.query("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = ANY($2::text[]) ORDER BY 1",
                                       [service.to.schema, pgArray(tables.map(\.target))]).rows.map { $0[0]! }
            if !taken.isEmpty {
                throw EngineError("\(service.service): \(service.to.database) has \(taken.map { "\(service.to.schema).\($0)" }.joined(separator: ", ")) already; the move would replace it (drop it, or move elsewhere)")
            }
            try conn.exec("CREATE SCHEMA IF NOT EXISTS \(Escape.sqlIdentifier(service.to.schema))")
            try mark(service, "within")
        }
        if !done(service, "routines") {
            try copyRoutines(service)
            try mark(service, "routines")
        }
        let names = try movedNames(service)
        for table in tables where !(journal.tables.first { $0.service == table.service && $0.source == table.source }?.copied ?? false) {
            try copyWithin(table, service: service, types: names.types, renames: names.all, conn: conn)
        }
        progress("copied \(service.service)")
    }

    /// A transaction-scoped advisory lock on `name`, so that a continued move waits for what a
    /// killed one left running on the server.
    static func moveLock(_ name: String) -> String { "pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(\(Escape.sqlLiteral("ovudev move " + name))))" }

    func qualified(_ schema: String, _ name: String) -> String { "\(Escape.sqlIdentifier(schema)).\(Escape.sqlIdentifier(name))" }

    /// One table: made again from scratch (a copy cut short leaves nothing behind), filled,
    /// its serial and identity sequences set, owned by the service's role — one transaction.
    func copyWithin(_ table: MoveTable, service: MoveService, types moved: [String: String], renames: [String: String], conn: PGConnection) throws {
        let q = Escape.sqlIdentifier
        let src = qualified(service.from.schema, table.source), dst = qualified(service.to.schema, table.target)
        let columns = try conn.query("""
            SELECT a.attname, a.attgenerated <> '', a.attidentity <> '', pg_catalog.pg_get_serial_sequence($1, a.attname),
                   pg_catalog.format_type(a.atttypid, a.atttypmod), t.typtype, tn.nspname, t.typname,
                   pg_catalog.pg_get_expr(d.adbin, d.adrelid)
            FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
            LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """, [src]).rows
        // The lock waits for a transaction of a killed move still running (a server runs a
        // statement list to its end): the DROP then sees its table.
        var statements = ["BEGIN;", "SELECT \(Self.moveLock(dst));", "DROP TABLE IF EXISTS \(dst) CASCADE;", "CREATE TABLE \(dst) (LIKE \(src) INCLUDING ALL);"]
        // Columns of a type the service owns take the target's copy of it; defaults calling
        // its functions call the target's.
        for column in columns {
            let name = q(column[0]!)
            guard let target = moved[qualified(column[6]!, column[7]!)] else {
                if let def = column[8], column[3] == nil, case let changed = retype(def, types: renames), changed != def {
                    statements.append("ALTER TABLE \(dst) ALTER COLUMN \(name) SET DEFAULT \(changed);")
                }
                continue
            }
            let def = column[8].map { retype($0, types: renames) }
            if column[8] != nil { statements.append("ALTER TABLE \(dst) ALTER COLUMN \(name) DROP DEFAULT;") }
            statements.append("ALTER TABLE \(dst) ALTER COLUMN \(name) TYPE \(target) USING \(name)::text::\(target);")
            if let def { statements.append("ALTER TABLE \(dst) ALTER COLUMN \(name) SET DEFAULT \(def);") }
        }
        // A serial column's default names the source's sequence: it gets one of its own.
        for column in columns where column[3] != nil && column[2] == "f" {
            let seq = try conn.query("""
                SELECT pg_catalog.format_type(seqtypid, NULL), seqincrement, seqmin, seqmax, seqstart, seqcache, seqcycle FROM pg_catalog.pg_sequence WHERE seqrelid = $1::regclass
                """, [column[3]!]).rows[0]
            let name = qualified(service.to.schema, String("\(table.target)_\(column[0]!)_seq".prefix(63)))
            statements.append("""
                CREATE SEQUENCE \(name) AS \(seq[0]!) INCREMENT BY \(seq[1]!) MINVALUE \(seq[2]!) MAXVALUE \(seq[3]!) START WITH \(seq[4]!) CACHE \(seq[5]!)\(seq[6] == "t" ? " CYCLE" : "") OWNED BY \(dst).\(q(column[0]!));
                ALTER TABLE \(dst) ALTER COLUMN \(q(column[0]!)) SET DEFAULT pg_catalog.nextval(\(Escape.sqlLiteral(name))::regclass);
                SELECT pg_catalog.setval(\(Escape.sqlLiteral(name)), last_value, is_called) FROM \(column[3]!);
                """)
        }
        let insertable = columns.filter { $0[1] == "f" }
        let values = insertable.map { c in moved[qualified(c[6]!, c[7]!)].map { "\(q(c[0]!))::text::\($0)" } ?? q(c[0]!) }
        statements.append("INSERT INTO \(dst) (\(insertable.map { q($0[0]!) }.joined(separator: ", "))) OVERRIDING SYSTEM VALUE SELECT \(values.joined(separator: ", ")) FROM \(src);")
        for column in columns where column[3] != nil && column[2] == "t" {
            statements.append("SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence(\(Escape.sqlLiteral(dst)), \(Escape.sqlLiteral(column[0]!))), last_value, is_called) FROM \(column[3]!);")
        }
        statements.append("ALTER TABLE \(dst) OWNER TO \(q(service.role));")
        statements.append("COMMIT;")
        do {
            try conn.exec(statements.joined(separator: "\n"))
        } catch {
            _ = try? conn.exec("ROLLBACK")
            throw EngineError("copy of \(service.service)'s \(table.source) into \(dst) failed: \(error)")
        }
        let rows = try conn.exec("SELECT count(*) FROM \(dst)").rows.first?.first.flatMap { $0 }.flatMap { Int($0) }
        try recordCopied(table, rows: rows)
    }

    /// The foreign keys of the tables copied inside their database, pointing at the copies
    /// (or at the source table when the referenced one does not move); after every service's
    /// rows are in. Triggers of the copied tables and the service's views follow (MoveViews).
    func linkWithin() throws {
        let within = journal.services.filter(\.within)
        guard !within.isEmpty else { return }
        // source schema.table → target schema.table, for every table that moves inside its database.
        var moved: [String: String] = [:]
        for service in within {
            for t in journal.tables where t.service == service.service {
                moved["\(service.from.port)/\(service.from.database)/\(qualified(service.from.schema, t.source))"] = qualified(service.to.schema, t.target)
            }
        }
        let dropped = Set(journal.blockers.filter { $0.dropped && $0.kind == .foreignKey }.map(\.object))
        for service in within where !done(service, "links") {
            let conn = try targetAdmin(service.to.server, database: service.to.database)
            try conn.exec("SET search_path = pg_catalog; BEGIN; SELECT \(Self.moveLock("links " + service.service))")
            var statements: [String] = []
            for table in journal.tables where table.service == service.service {
                let src = qualified(service.from.schema, table.source), dst = qualified(service.to.schema, table.target)
                let present = Set(try conn.query("SELECT conname FROM pg_catalog.pg_constraint WHERE conrelid = $1::regclass", [dst]).rows.map { $0[0]! })
                let fks = try conn.query("""
                    SELECT c.conname, pg_catalog.pg_get_constraintdef(c.oid), pg_catalog.quote_ident(rn.nspname) || '.' || pg_catalog.quote_ident(r.relname)
                    FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_class r ON r.oid = c.confrelid JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
                    WHERE c.conrelid = $1::regclass AND c.contype = 'f' ORDER BY 1
                    """, [src]).rows
                for fk in fks where !present.contains(fk[0]!) && !dropped.contains("\(service.from.schema).\(table.source).\(fk[0]!)") {
                    let referenced = fk[2]!
                    let to = moved["\(service.from.port)/\(service.from.database)/\(referenced)"] ?? referenced
                    let def = fk[1]!.replacingOccurrences(of: "REFERENCES \(referenced)(", with: "REFERENCES \(to)(")
                    statements.append("ALTER TABLE \(dst) ADD CONSTRAINT \(Escape.sqlIdentifier(fk[0]!)) \(def);")
                }
                statements += try triggers(conn, source: src, target: dst, service: service)
            }
            let here = Dictionary(moved.compactMap { key, value in
                key.hasPrefix("\(service.from.port)/\(service.from.database)/") ? (String(key.dropFirst("\(service.from.port)/\(service.from.database)/".count)), value) : nil
            }, uniquingKeysWith: { a, _ in a })
            statements += try viewsWithin(service, renames: here, conn: conn)
            try conn.execute(statements + ["COMMIT;"]) { EngineError("foreign keys and triggers of \(service.service) in \(service.to): \($0)") }
            try mark(service, "links")
        }
    }
}
