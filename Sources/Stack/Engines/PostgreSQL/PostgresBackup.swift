import Foundation
import Statements
import Topology

/// pg_dump from an exported snapshot, pg_restore into a scratch database, fingerprints.
extension BackupRunner {

    // MARK: - Fingerprints

    /// Every table (and materialized view) of the schemas (nil: all user schemas), and every
    /// sequence's last value. Extension-owned tables are left out (the extension makes them).
    public static func fingerprints(_ conn: PGConnection, schemas: [String]?) throws -> [String: Fingerprint] {
        let filter = schemas == nil
            ? "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
            : "n.nspname = ANY($1::text[])"
        let params: [String?] = schemas.map { [pgArray($0)] } ?? []
        let tables = try conn.query("""
            SELECT n.nspname || '.' || c.relname, pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind,
                   (SELECT string_agg('r.' || pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord)
                    FROM pg_catalog.pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    WHERE i.indrelid = c.oid AND i.indisprimary)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND \(filter)
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1
            """, params)
        var out: [String: Fingerprint] = [:]
        for row in tables.rows {
            let name = row[0]!, qualified = row[1]!, kind = row[2]!
            let hash = "md5(ROW(r.*)::text)"
            let order = row[3] ?? hash
            let r = try conn.exec("SELECT count(*), md5(coalesce(string_agg(\(hash), '' ORDER BY \(order)), '')) FROM \(kind == "r" ? "ONLY " : "")\(qualified) r")
            out[name] = Fingerprint(rows: r.rows.first?[0].flatMap { Int64($0) }, checksum: r.rows.first?[1] ?? nil)
        }
        let sequences = try conn.query("""
            SELECT schemaname || '.' || sequencename, last_value::text FROM pg_catalog.pg_sequences
            WHERE \(filter.replacingOccurrences(of: "n.nspname", with: "schemaname"))
            """, params)
        for row in sequences.rows {
            out["sequence \(row[0]!)"] = Fingerprint(rows: nil, checksum: row[1].map { "last_value \($0)" } ?? "never used")
        }
        return out
    }

    // MARK: - PostgreSQL helpers

    func postgresServer(_ t: BackupTarget) throws -> PlannedServer {
        guard let server = plan.server(t.server), server.engine == .postgres else { throw EngineError("\(t.name): \(t.server) is not a PostgreSQL server") }
        return server
    }

    func superuser(_ server: PlannedServer) throws -> (user: String, password: String) {
        let superuser = Superuser(server, secrets: secrets)
        return (superuser.name, try superuser.requirePassword())
    }

    func connect(_ server: PlannedServer, database: String) throws -> PGConnection {
        let (user, password) = try superuser(server)
        do {
            return try PGConnection(PGConnectionParameters(port: server.port, user: user, password: password, database: database))
        } catch {
            throw EngineError("cannot connect to \(database) on \(server.name) (127.0.0.1:\(server.port)): \(error) — is the stack running? (`ovudev up`)")
        }
    }

    /// A new database with the encoding and locale of `source` (same sort order, so the same
    /// checksums), nothing for PUBLIC.
    func createDatabase(_ name: String, like source: String?, owner: String?, admin: PGConnection) throws {
        let q = Escape.sqlIdentifier, lit = Escape.sqlLiteral
        var sql = "CREATE DATABASE \(q(name)) TEMPLATE template0"
        if let source, let row = try admin.query("""
            SELECT pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, to_jsonb(d) ->> 'datlocprovider',
                   coalesce(to_jsonb(d) ->> 'daticulocale', to_jsonb(d) ->> 'datlocale')
            FROM pg_catalog.pg_database d WHERE d.datname = $1
            """, [source]).rows.first {
            sql += " ENCODING \(lit(row[0]!)) LC_COLLATE \(lit(row[1]!)) LC_CTYPE \(lit(row[2]!))"
            if row[3] == "i", let icu = row[4] { sql += " LOCALE_PROVIDER icu ICU_LOCALE \(lit(icu))" }
        }
        if let owner { sql += " OWNER \(q(owner))" }
        try admin.exec(sql)
        try admin.exec("REVOKE ALL ON DATABASE \(q(name)) FROM PUBLIC")
    }

    /// A schema dump (`pg_dump -n`) carries no extensions: make the source database's ones
    /// (outside the dumped schemas) first, where they were.
    func createExtensions(of source: PGConnection, into server: PlannedServer, database: String, except schemas: [String]) throws {
        let rows = try source.exec("""
            SELECT e.extname, n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname <> 'plpgsql' ORDER BY 1
            """).rows
        let wanted = rows.filter { !schemas.contains($0[1]!) }
        guard !wanted.isEmpty else { return }
        let conn = try connect(server, database: database)
        for row in wanted {
            let q = Escape.sqlIdentifier
            try conn.exec("CREATE SCHEMA IF NOT EXISTS \(q(row[1]!)); CREATE EXTENSION IF NOT EXISTS \(q(row[0]!)) WITH SCHEMA \(q(row[1]!))")
        }
    }

    func freeDatabaseName(_ base: String, admin: PGConnection) throws -> String {
        var name = base, n = 1
        while try !admin.query("SELECT FROM pg_catalog.pg_database WHERE datname = $1", [name]).rows.isEmpty {
            n += 1
            name = Self.truncated(base, reserve: 4) + "_\(n)"
        }
        return name
    }

    /// `pg_restore --list`: is this a readable pg_dump archive at all?
    func checkArchive(_ file: String, server: PlannedServer) throws {
        guard FileManager.default.fileExists(atPath: file) else { throw EngineError(.noSuchFile(file: file)) }
        let r = try Subprocess.run(["pg_restore", "--list", file])
        guard r.status == 0 else {
            let output = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let how = r.status > 128 ? "pg_restore --list crashed on it (signal \(r.status - 128))" : "pg_restore --list exit \(r.status)"
            throw EngineError(.dumpUnreadable(file: file), output: "\(how)\(output.isEmpty ? "" : ":\n\(output)")")
        }
    }

    /// pg_restore in one transaction, stopping at the first error: all of the dump or nothing.
    func pgRestore(_ file: String, server: PlannedServer, database: String) throws {
        let (user, password) = try superuser(server)
        let credentials = try writeCredentials(CredentialFile(kind: .pgpass, path: "", port: server.port, user: user).text(password: password))
        defer { try? FileManager.default.removeItem(atPath: credentials) }
        var environment = Self.cleanEnvironment()
        environment["PGPASSFILE"] = credentials
        let start = Date()
        let r = try runWatching(["pg_restore", "-h", "127.0.0.1", "-p", String(server.port), "-U", user, "-w", "-d", database,
                                 "--single-transaction", "--exit-on-error", file],
                                environment: environment, file: nil, label: "pg_restore \((file as NSString).lastPathComponent)")
        guard r.status == 0 else {
            let message = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw EngineError(.dumpNotRestored(file: file, database: database, program: "pg_restore", status: r.status), output: message)
        }
        progress("pg_restore into \(database): \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
}

extension PostgreSQLEngine {
    /// Dumps from a snapshot this connection exported and keeps open, so that the source is
    /// fingerprinted in exactly the state that was dumped.
    func backupAndVerify(_ target: BackupTarget, by runner: BackupRunner) throws -> (BackupFile, VerifyReport) {
        let server = try runner.postgresServer(target)
        let source = try runner.connect(server, database: target.database ?? "postgres")
        try source.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        defer { _ = try? source.exec("ROLLBACK") }
        guard let snapshot = try source.exec("SELECT pg_catalog.pg_export_snapshot()").rows.first?.first ?? nil else {
            throw EngineError("\(target.name): no snapshot exported")
        }
        let file = try runner.backup(target, snapshot: snapshot)
        let expected = try BackupRunner.fingerprints(source, schemas: target.schema.map { [$0] })
        _ = try? source.exec("COMMIT")
        return (file, try runner.verify(file: file.path, target: target, expected: expected))
    }

    /// pg_restore into a scratch database, then every table's fingerprint compared.
    func verify(file: String, target: BackupTarget, by runner: BackupRunner, expected: [String: Fingerprint]?, expectedKeys: Int64?) throws -> VerifyReport {
        let server = try runner.postgresServer(target)
        let database = target.database ?? "postgres"
        let schemas = target.schema.map { [$0] }
        let source = try runner.connect(server, database: database)
        let want = try expected ?? BackupRunner.fingerprints(source, schemas: schemas)
        let admin = try runner.connect(server, database: "postgres")
        let scratch = runner.scratchName()
        runner.progress("verify \(target.name): restoring into scratch database \(scratch)")
        try runner.createDatabase(scratch, like: database, owner: nil, admin: admin)
        defer { _ = try? admin.exec("DROP DATABASE IF EXISTS \(Escape.sqlIdentifier(scratch)) WITH (FORCE)") }
        if let schemas { try runner.createExtensions(of: source, into: server, database: scratch, except: schemas) }
        do {
            try runner.pgRestore(file, server: server, database: scratch)
        } catch let error as EngineError {
            return VerifyReport(target: target.name, file: file, error: error.message, tables: [], failure: error.kind)
        }
        let got = try BackupRunner.fingerprints(try runner.connect(server, database: scratch), schemas: schemas)
        return VerifyReport(target: target.name, file: file, error: nil, tables: BackupRunner.compare(want, got, target: target.name))
    }
}
