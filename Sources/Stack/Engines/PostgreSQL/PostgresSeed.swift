import Foundation
import Statements
import Topology

/// Seeds into PostgreSQL as the service's own role: `.sql` files as they are, `.csv` by COPY.
extension Seeder {

    func recordTable(_ db: DatabaseAccess) -> String {
        let schema = db.schema ?? "public"
        return "\(Escape.sqlIdentifier(schema)).\(Escape.sqlIdentifier(Self.ledgerName(db, in: plan)))"
    }

    /// The seed ledger's table: `ovudev_seeds` in the service's schema (with its prefix); under
    /// `isolation: none`, where every service shares `public`, one per role
    /// (`ovudev_seeds_auth_user`), since each role owns its own.
    public static func ledgerName(_ db: DatabaseAccess, in plan: Plan) -> String {
        let shared = db.schema == nil && db.tablePrefix == nil
            && (plan.server(db.server)?.databases.first { $0.name == db.database }?.publicCreate.count ?? 0) > 0
        return shared ? "ovudev_seeds_\(db.role)" : (db.tablePrefix ?? "") + "ovudev_seeds"
    }

    /// Loads one file in one transaction with its record. `emptyFirst` (`seed --force`): a CSV's
    /// table is emptied in the same transaction (TRUNCATE … CASCADE: tables of the service that
    /// reference it are emptied too, and named in `emptied`; another service's tables cannot be,
    /// the role has no TRUNCATE on them); `.sql` files run again as written.
    func load(file: String, path: String, into db: DatabaseAccess, instance: ServiceInstance,
              conn: PGConnection, table: String, emptyFirst: Bool = false) throws -> (rows: Int, emptied: [String]) {
        try conn.exec("BEGIN")
        do {
            var rows = 0
            var emptied: [String] = []
            let hash = SHA256()
            if file.hasSuffix(".sql") {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw SeedError(instance: instance.name, file: file, line: nil, message: "cannot read")
                }
                hash.update(data)
                guard let sql = String(data: data, encoding: .utf8) else {
                    throw SeedError(instance: instance.name, file: file, line: nil, message: "not UTF-8 text")
                }
                do {
                    rows = try conn.exec(sql).affected ?? 0
                } catch let error as PGError {
                    throw SeedError(instance: instance.name, file: file, line: Self.line(of: error, in: sql), message: error.description, code: error.sqlstate)
                }
            } else {
                let target = csvTarget(file, db)
                var freeze = false
                if emptyFirst {
                    _ = conn.takeNotices()
                    try conn.exec("TRUNCATE \(target) CASCADE")
                    // "truncate cascades to table \"users\"": what else was emptied.
                    emptied = conn.takeNotices().compactMap { notice in
                        notice.range(of: "cascades to table ").map { String(notice[$0.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: "\"\n ")) }
                    }
                    freeze = try Self.isPlainTable(target, conn: conn)
                } else if try Self.canEmptyUnseen(target, conn: conn) {
                    // Empty already: TRUNCATE loses nothing, and makes the COPY below one that
                    // writes no WAL (wal_level minimal) and loads rows frozen. A running service
                    // holding a lock on the table makes it wait at most a second, then the file
                    // loads by a plain COPY.
                    try conn.exec("SAVEPOINT ovudev_empty; SET LOCAL lock_timeout = '1s'")
                    do {
                        try conn.exec("TRUNCATE ONLY \(target)")
                        try conn.exec("RELEASE SAVEPOINT ovudev_empty; RESET lock_timeout")
                        freeze = true
                    } catch {
                        try conn.exec("ROLLBACK TO SAVEPOINT ovudev_empty; RELEASE SAVEPOINT ovudev_empty; RESET lock_timeout")
                    }
                }
                rows = try copyCSV(file: file, path: path, db: db, instance: instance, conn: conn, hash: hash, freeze: freeze)
            }
            let checksum = hash.finalize()
            try conn.query("INSERT INTO \(table) (file, checksum, rows) VALUES ($1, $2, $3) ON CONFLICT (file) DO UPDATE SET checksum = EXCLUDED.checksum, rows = EXCLUDED.rows, loaded_at = now()",
                           [file, checksum, String(rows)])
            try conn.exec("COMMIT")
            return (rows, emptied)
        } catch {
            _ = try? conn.exec("ROLLBACK")
            if error is SeedError { throw error }
            throw SeedError(instance: instance.name, file: file, line: nil, message: "\(error)", code: (error as? PGError)?.sqlstate)
        }
    }

    /// A plain table (not partitioned, not a view): the kind COPY FREEZE loads.
    static func isPlainTable(_ target: String, conn: PGConnection) throws -> Bool {
        try conn.exec("SELECT relkind = 'r' FROM pg_class WHERE oid = to_regclass('\(target.replacingOccurrences(of: "'", with: "''"))')").rows.first?.first == "t"
    }

    /// Whether `TRUNCATE ONLY target` can run here and loses nothing: a plain table with no
    /// rows, that this role may truncate, and that no foreign key references (TRUNCATE refuses
    /// those). Anything else loads by a plain COPY.
    static func canEmptyUnseen(_ target: String, conn: PGConnection) throws -> Bool {
        let literal = "'" + target.replacingOccurrences(of: "'", with: "''") + "'"
        let sql = """
            SELECT c.relkind = 'r'
               AND has_table_privilege(c.oid, 'TRUNCATE') AND has_table_privilege(c.oid, 'SELECT')
               AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = c.oid AND f.contype = 'f')
              FROM pg_class c WHERE c.oid = to_regclass(\(literal))
            """
        guard try conn.exec(sql).rows.first?.first == "t" else { return false }
        return try conn.exec("SELECT NOT EXISTS (SELECT 1 FROM \(target))").rows.first?.first == "t"
    }

    /// The table a CSV file loads into, qualified and quoted.
    func csvTarget(_ file: String, _ db: DatabaseAccess) -> String {
        let table = (db.tablePrefix ?? "") + Self.tableName(for: file)
        return db.schema.map { "\(Escape.sqlIdentifier($0)).\(Escape.sqlIdentifier(table))" } ?? Escape.sqlIdentifier(table)
    }

    /// Streams the file to COPY; every byte read also goes into `hash`.
    func copyCSV(file: String, path: String, db: DatabaseAccess, instance: ServiceInstance, conn: PGConnection,
                 hash: SHA256, freeze: Bool = false) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SeedError(instance: instance.name, file: file, line: nil, message: "cannot read")
        }
        defer { try? handle.close() }
        // The header line names the columns; the rest streams to COPY unchanged.
        var pending = Data()
        var header: String?
        while header == nil {
            guard let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty else { break }
            hash.update(chunk)
            pending.append(chunk)
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                header = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                pending = pending[pending.index(after: newline)...]
            }
        }
        if header == nil && !pending.isEmpty {
            header = String(decoding: pending, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            pending = Data()
        }
        guard let header, !header.isEmpty else {
            while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty { hash.update(chunk) }
            return 0
        }
        let columns = header.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
        let target = csvTarget(file, db)
        let sql = "COPY \(target) (\(columns.map(Escape.sqlIdentifier).joined(separator: ", "))) FROM STDIN WITH (FORMAT csv\(freeze ? ", FREEZE" : ""))"
        // The rest is hashed on another thread while this one feeds COPY: hashing (~0.5 ms a MiB
        // with the CPU's SHA extensions, ~3 ms without) stays off the path that keeps the server busy.
        let hasher = ChunkHasher(hash)
        defer { hasher.finish() }
        do {
            return try conn.copyIn(sql) { write in
                if !pending.isEmpty { try pending.withUnsafeBytes { try write($0) } }
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try chunk.withUnsafeBytes { try write($0) }
                    hasher.add(chunk)
                }
            }
        } catch let error as PGError {
            // COPY reports the data line ("COPY users, line 3"); the file has one header line more.
            var line: Int?
            if let context = error.context, let r = context.range(of: "line ") {
                line = Int(context[r.upperBound...].prefix { $0.isNumber }).map { $0 + 1 }
            }
            throw SeedError(instance: instance.name, file: file, line: line, message: error.description)
        }
    }

    /// The line of a SQL error from its character position.
    static func line(of error: PGError, in sql: String) -> Int? {
        guard let position = error.position, position > 0 else { return nil }
        let prefix = sql.prefix(position)
        return prefix.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }
}

extension PostgreSQLEngine {
    /// Each file in its own transaction with its `ovudev_seeds` record, as the service's role.
    func seed(_ instance: ServiceInstance, into db: DatabaseAccess, on server: PlannedServer, by seeder: Seeder, force: Bool,
              progress: (String) -> Void) throws -> [SeedResult] {
        var results: [SeedResult] = []
        let files = try seeder.files(for: instance)
        guard let password = seeder.secrets[db.secret.variable] else {
            throw SeedError(instance: instance.name, file: "", line: nil, message: "no password for \(db.role) (\(db.secret.variable))")
        }
        let conn = try PGConnection(PGConnectionParameters(host: server.hostAddress, port: server.port, user: db.role, password: password, database: db.database))
        let table = seeder.recordTable(db)
        try conn.exec("CREATE TABLE IF NOT EXISTS \(table) (file text PRIMARY KEY, checksum text NOT NULL, rows bigint, loaded_at timestamptz NOT NULL DEFAULT now())")
        let loaded = Dictionary(uniqueKeysWithValues: try conn.exec("SELECT file, checksum FROM \(table)").rows.map { ($0[0]!, $0[1]!) })
        for file in files {
            let path = (seeder.projectDirectory as NSString).appendingPathComponent(file)
            if let previous = loaded[file], !force {
                let checksum = try Seeder.checksum(path)
                results.append(SeedResult(instance: instance.name, file: file, outcome: previous == checksum ? .unchanged : .changed))
                continue
            }
            progress("seed \(instance.name): \(file)")
            // A file to load is hashed while it streams: one read, not two.
            let (rows, emptied) = try seeder.load(file: file, path: path, into: db, instance: instance, conn: conn, table: table, emptyFirst: force)
            let note = force && file.hasSuffix(".csv") ? "emptied and reloaded" + (emptied.isEmpty ? "" : "; the TRUNCATE also emptied \(emptied.joined(separator: ", "))") : nil
            results.append(SeedResult(instance: instance.name, file: file, outcome: .loaded, rows: rows, note: note))
        }
        return results
    }
}
