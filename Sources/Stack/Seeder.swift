import Foundation
import Statements
import Topology
import Workspace

/// One seed file's outcome.
public struct SeedResult: Sendable, Codable {
    public enum Outcome: String, Sendable, Codable { case loaded, unchanged, changed, skipped }
    public var instance: String
    public var file: String
    public var outcome: Outcome
    public var rows: Int?
    /// Why a file was skipped.
    public var note: String?

    public init(instance: String, file: String, outcome: Outcome, rows: Int? = nil, note: String? = nil) {
        self.instance = instance
        self.file = file
        self.outcome = outcome
        self.rows = rows
        self.note = note
    }
}

public struct SeedError: Error, CustomStringConvertible, Sendable {
    public var instance: String
    public var file: String
    public var line: Int?
    public var message: String
    public var description: String {
        "seed \(file)\(line.map { ":\($0)" } ?? "") for \(instance): \(message) (rolled back: nothing of this file was loaded)"
    }
}

/// `ovudev seed`: each instance's seed files, in name order, as the service's own role in its
/// own database; every file in one transaction with its record in `ovudev_seeds`, so a second
/// run loads nothing and a failing file leaves nothing behind.
public struct Seeder {
    public let plan: Plan
    public let projectDirectory: String
    public let secrets: [String: String]

    public init(plan: Plan, projectDirectory: String, secrets: [String: String]) {
        self.plan = plan
        self.projectDirectory = projectDirectory
        self.secrets = secrets
    }

    /// The files of an instance's `seed` entries: folders list their .sql and .csv files by name.
    public func files(for instance: ServiceInstance) throws -> [String] {
        var files: [String] = []
        for entry in instance.seed {
            let path = (projectDirectory as NSString).appendingPathComponent(entry)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw SeedError(instance: instance.name, file: entry, line: nil, message: "no such file or folder")
            }
            if isDir.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                    .filter { $0.hasSuffix(".sql") || $0.hasSuffix(".csv") }.sorted()
                files += names.map { "\(entry)/\($0)" }
            } else {
                files.append(entry)
            }
        }
        return files
    }

    /// Seeds the instances (all, or those of `service`), `force` reloading files already loaded.
    public func seed(service: String? = nil, force: Bool = false, progress: (String) -> Void = { _ in }) throws -> [SeedResult] {
        var results: [SeedResult] = []
        for instance in plan.instances where service == nil || instance.service == service {
            guard !instance.seed.isEmpty else { continue }
            guard let db = instance.database, let server = plan.server(db.server) else {
                results.append(SeedResult(instance: instance.name, file: instance.seed.joined(separator: ", "), outcome: .skipped,
                                          note: "\(instance.name) owns no database"))
                continue
            }
            if db.engine == .mysql {
                results += try seedMySQL(instance, db: db, server: server, force: force, progress: progress)
                continue
            }
            guard db.engine == .postgres else {
                results.append(SeedResult(instance: instance.name, file: instance.seed.joined(separator: ", "), outcome: .skipped,
                                          note: "ovudev loads seeds into PostgreSQL and MySQL; \(instance.name) is on \(db.engine.rawValue) (server \(db.server)) in this scenario"))
                continue
            }
            let files = try files(for: instance)
            guard let password = secrets[db.secret.variable] else {
                throw SeedError(instance: instance.name, file: "", line: nil, message: "no password for \(db.role) (\(db.secret.variable))")
            }
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: db.role, password: password, database: db.database))
            let table = recordTable(db)
            try conn.exec("CREATE TABLE IF NOT EXISTS \(table) (file text PRIMARY KEY, checksum text NOT NULL, rows bigint, loaded_at timestamptz NOT NULL DEFAULT now())")
            let loaded = Dictionary(uniqueKeysWithValues: try conn.exec("SELECT file, checksum FROM \(table)").rows.map { ($0[0]!, $0[1]!) })
            for file in files {
                let path = (projectDirectory as NSString).appendingPathComponent(file)
                if let previous = loaded[file], !force {
                    let checksum = try Self.checksum(path)
                    results.append(SeedResult(instance: instance.name, file: file, outcome: previous == checksum ? .unchanged : .changed))
                    continue
                }
                progress("seed \(instance.name): \(file)")
                // A file to load is hashed while it streams: one read, not two.
                let rows = try load(file: file, path: path, into: db, instance: instance, conn: conn, table: table)
                results.append(SeedResult(instance: instance.name, file: file, outcome: .loaded, rows: rows))
            }
        }
        return results
    }

    func recordTable(_ db: DatabaseAccess) -> String {
        let schema = db.schema ?? "public"
        return "\(Escape.sqlIdentifier(schema)).\(Escape.sqlIdentifier((db.tablePrefix ?? "") + "ovudev_seeds"))"
    }

    static func checksum(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SeedError(instance: "", file: path, line: nil, message: "cannot read") }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hash.update($0) }
        }
        return hash.finalize()
    }

    private func load(file: String, path: String, into db: DatabaseAccess, instance: ServiceInstance,
                      conn: PGConnection, table: String) throws -> Int {
        try conn.exec("BEGIN")
        do {
            var rows = 0
            var hash = SHA256()
            if file.hasSuffix(".sql") {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw SeedError(instance: instance.name, file: file, line: nil, message: "cannot read")
                }
                data.withUnsafeBytes { hash.update($0) }
                guard let sql = String(data: data, encoding: .utf8) else {
                    throw SeedError(instance: instance.name, file: file, line: nil, message: "not UTF-8 text")
                }
                do {
                    rows = try conn.exec(sql).affected ?? 0
                } catch let error as PGError {
                    throw SeedError(instance: instance.name, file: file, line: Self.line(of: error, in: sql), message: error.description)
                }
            } else {
                rows = try copyCSV(file: file, path: path, db: db, instance: instance, conn: conn, hash: &hash)
            }
            let checksum = hash.finalize()
            try conn.query("INSERT INTO \(table) (file, checksum, rows) VALUES ($1, $2, $3) ON CONFLICT (file) DO UPDATE SET checksum = EXCLUDED.checksum, rows = EXCLUDED.rows, loaded_at = now()",
                           [file, checksum, String(rows)])
            try conn.exec("COMMIT")
            return rows
        } catch {
            _ = try? conn.exec("ROLLBACK")
            if error is SeedError { throw error }
            throw SeedError(instance: instance.name, file: file, line: nil, message: "\(error)")
        }
    }

    /// The table a CSV file loads into: its name without an ordering prefix (`02-users.csv` → `users`).
    static func tableName(for file: String) -> String {
        var name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        if let dash = name.firstIndex(where: { $0 == "-" || $0 == "_" }), name[..<dash].allSatisfy(\.isNumber), dash != name.startIndex {
            name = String(name[name.index(after: dash)...])
        }
        return name
    }

    /// Streams the file to COPY; every byte read also goes into `hash`.
    private func copyCSV(file: String, path: String, db: DatabaseAccess, instance: ServiceInstance, conn: PGConnection,
                         hash: inout SHA256) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SeedError(instance: instance.name, file: file, line: nil, message: "cannot read")
        }
        defer { try? handle.close() }
        // The header line names the columns; the rest streams to COPY unchanged.
        var pending = Data()
        var header: String?
        while header == nil {
            guard let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty else { break }
            chunk.withUnsafeBytes { hash.update($0) }
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
            while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty { chunk.withUnsafeBytes { hash.update($0) } }
            return 0
        }
        let columns = header.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
        let table = (db.tablePrefix ?? "") + Self.tableName(for: file)
        let target = db.schema.map { "\(Escape.sqlIdentifier($0)).\(Escape.sqlIdentifier(table))" } ?? Escape.sqlIdentifier(table)
        let sql = "COPY \(target) (\(columns.map(Escape.sqlIdentifier).joined(separator: ", "))) FROM STDIN WITH (FORMAT csv)"
        // The rest is hashed on another thread while this one feeds COPY: hashing (~0.5 ms a MiB
        // with the CPU's SHA extensions, ~3 ms without) stays off the path that keeps the server busy.
        let hasher = ChunkHasher(hash)
        defer { hash = hasher.finish() }
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

    // MARK: - MySQL

    /// A MySQL service's seeds, through the client as the service's own user over TCP, each file
    /// with its `ovudev_seeds` record in one transaction: `.sql` as written (MySQL commits DDL
    /// on its own, so a seed's CREATE TABLE is not undone), `.csv` by `LOAD DATA LOCAL INFILE`
    /// (RFC 4180 quoting; an empty field is NULL, as in PostgreSQL's COPY when it is unquoted).
    private func seedMySQL(_ instance: ServiceInstance, db: DatabaseAccess, server: PlannedServer, force: Bool,
                           progress: (String) -> Void) throws -> [SeedResult] {
        let files = try files(for: instance)
        guard let password = secrets[db.secret.variable] else {
            throw SeedError(instance: instance.name, file: "", line: nil, message: "no password for \(db.role) (\(db.secret.variable))")
        }
        let login = MySQLLogin(route: .tcp(port: server.port), user: db.role, password: password)
        let table = Escape.mysqlIdentifier((db.tablePrefix ?? "") + "ovudev_seeds")
        let loaded: [String: String]
        do {
            let rows = try login.exec("""
                CREATE TABLE IF NOT EXISTS \(table) (file VARCHAR(512) PRIMARY KEY, checksum CHAR(64) NOT NULL, `rows` BIGINT, loaded_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
                SELECT file, checksum FROM \(table);
                """, database: db.database).rows
            loaded = Dictionary(rows.filter { $0.count == 2 }.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
        } catch {
            throw SeedError(instance: instance.name, file: "", line: nil, message: "\(db.database) on \(server.name): \(error)")
        }
        var results: [SeedResult] = []
        for file in files {
            let path = (projectDirectory as NSString).appendingPathComponent(file)
            let checksum = try Self.checksum(path)
            if let previous = loaded[file], !force {
                results.append(SeedResult(instance: instance.name, file: file, outcome: previous == checksum ? .unchanged : .changed))
                continue
            }
            progress("seed \(instance.name): \(file)")
            // Line 1 starts the transaction; a .sql file's own lines follow from line 2.
            var script = "START TRANSACTION;\n"
            if file.hasSuffix(".sql") {
                guard let data = FileManager.default.contents(atPath: path), let sql = String(data: data, encoding: .utf8) else {
                    throw SeedError(instance: instance.name, file: file, line: nil, message: "cannot read it as UTF-8 text")
                }
                let body = sql.trimmingCharacters(in: .whitespacesAndNewlines)
                script += sql + (sql.hasSuffix("\n") ? "" : "\n") + (body.isEmpty || body.hasSuffix(";") ? "" : ";\n")
                script += "SET @ovudev_rows = NULL, @ovudev_warnings = 0;\n"
            } else {
                // LOCAL makes bad values warnings (the server cannot stop the upload): they are
                // counted, the first is shown, and then a NULL key makes the transaction fail.
                script += try loadDataStatement(file: file, path: path, db: db, instance: instance) + "\n"
                script += "SELECT ROW_COUNT(), @@warning_count INTO @ovudev_rows, @ovudev_warnings;\nSHOW WARNINGS LIMIT 1;\n"
            }
            script += """
                INSERT INTO \(table) (file, checksum) SELECT NULL, '' FROM DUAL WHERE @ovudev_warnings > 0;
                INSERT INTO \(table) (file, checksum, `rows`) VALUES (\(Escape.mysqlLiteral(file)), '\(checksum)', @ovudev_rows)
                  ON DUPLICATE KEY UPDATE checksum = VALUES(checksum), `rows` = VALUES(`rows`), loaded_at = CURRENT_TIMESTAMP;
                SELECT 'ovudev-rows', @ovudev_rows;
                COMMIT;

                """
            let r = try login.run(script, database: db.database, localInfile: true)
            if r.status != 0 || !r.errors.isEmpty {
                // The client stopped at the failed statement; the session's end rolled it back.
                let warning = r.rows.first { $0.count == 3 && $0[0] == "Warning" }?[2]
                let error = r.errors.first ?? MySQLError(code: nil, line: nil, message: r.output.trimmingCharacters(in: .whitespacesAndNewlines))
                var line = error.line.map { $0 - 1 }
                var message = error.message
                if let range = message.range(of: ": ", range: (message.range(of: "ERROR ")?.upperBound ?? message.startIndex)..<message.endIndex) {
                    message = String(message[range.upperBound...])
                }
                if file.hasSuffix(".csv") {
                    message = warning ?? message
                    // LOAD DATA names the data row ("at row 3"); the file has a header line more.
                    line = message.range(of: "at row ").flatMap { Int(message[$0.upperBound...].prefix { $0.isNumber }) }.map { $0 + 1 }
                }
                throw SeedError(instance: instance.name, file: file, line: line, message: message)
            }
            let rows = r.rows.first { $0.first == "ovudev-rows" }.flatMap { $0.count > 1 ? Int($0[1]) : nil }
            results.append(SeedResult(instance: instance.name, file: file, outcome: .loaded, rows: rows))
        }
        return results
    }

    /// `LOAD DATA LOCAL INFILE` for a CSV seed: the table named like the file, the header's
    /// columns read into variables so that an empty unquoted field becomes NULL.
    private func loadDataStatement(file: String, path: String, db: DatabaseAccess, instance: ServiceInstance) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SeedError(instance: instance.name, file: file, line: nil, message: "cannot read")
        }
        defer { try? handle.close() }
        let head = (try handle.read(upToCount: 1 << 16)) ?? Data()
        guard let newline = head.firstIndex(of: UInt8(ascii: "\n")) ?? (head.isEmpty ? nil : head.endIndex) else {
            throw SeedError(instance: instance.name, file: file, line: 1, message: "no header line naming the columns")
        }
        let crlf = newline > head.startIndex && head[head.index(before: newline)] == UInt8(ascii: "\r")
        let header = String(decoding: head[head.startIndex..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let columns = header.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
        guard !columns.isEmpty, columns.allSatisfy({ !$0.isEmpty }) else {
            throw SeedError(instance: instance.name, file: file, line: 1, message: "no header line naming the columns")
        }
        let table = Escape.mysqlIdentifier((db.tablePrefix ?? "") + Self.tableName(for: file))
        let variables = columns.indices.map { "@c\($0)" }
        let assignments = columns.enumerated().map { "\(Escape.mysqlIdentifier($1)) = NULLIF(@c\($0), '')" }
        return """
            LOAD DATA LOCAL INFILE \(Escape.mysqlLiteral(path)) INTO TABLE \(table) CHARACTER SET utf8mb4
              FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '' LINES TERMINATED BY '\(crlf ? "\\r\\n" : "\\n")' IGNORE 1 LINES
              (\(variables.joined(separator: ", "))) SET \(assignments.joined(separator: ", "));
            """
    }

    /// The line of a SQL error from its character position.
    static func line(of error: PGError, in sql: String) -> Int? {
        guard let position = error.position, position > 0 else { return nil }
        let prefix = sql.prefix(position)
        return prefix.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }
}

/// SHA-256 of chunks handed over in order, computed on a serial queue of its own.
final class ChunkHasher: @unchecked Sendable {
    private let queue = DispatchQueue(label: "ovudev.seed.hash")
    private var hash: SHA256  // touched only on `queue` until `finish`

    init(_ hash: SHA256) { self.hash = hash }

    func add(_ chunk: Data) {
        queue.async { chunk.withUnsafeBytes { self.hash.update($0) } }
    }

    /// Waits for every chunk added so far and returns the running hash.
    func finish() -> SHA256 { queue.sync { hash } }
}
