import Foundation
import Statements
import Topology

extension Seeder {

    /// `LOAD DATA LOCAL INFILE` for a CSV seed: the table named like the file, the header's
    /// columns read into variables so that an empty unquoted field becomes NULL.
    func loadDataStatement(file: String, path: String, db: DatabaseAccess, instance: ServiceInstance) throws -> String {
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
}

extension MySQLEngine {
    /// A MySQL service's seeds, through the client as the service's own user over TCP, each file
    /// with its `ovudev_seeds` record in one transaction: `.sql` as written (MySQL commits DDL
    /// on its own, so a seed's CREATE TABLE is not undone), `.csv` by `LOAD DATA LOCAL INFILE`
    /// (RFC 4180 quoting; an empty field is NULL, as in PostgreSQL's COPY when it is unquoted).
    func seed(_ instance: ServiceInstance, into db: DatabaseAccess, on server: PlannedServer, by seeder: Seeder, force: Bool,
              progress: (String) -> Void) throws -> [SeedResult] {
        let files = try seeder.files(for: instance)
        guard let password = seeder.secrets[db.secret.variable] else {
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
            let path = (seeder.projectDirectory as NSString).appendingPathComponent(file)
            let checksum = try Seeder.checksum(path)
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
                // `seed --force`: the table emptied in the same transaction (a table that another
                // references without ON DELETE CASCADE makes this fail, naming the constraint).
                if force { script += "DELETE FROM \(Escape.mysqlIdentifier((db.tablePrefix ?? "") + Seeder.tableName(for: file)));\n" }
                script += try seeder.loadDataStatement(file: file, path: path, db: db, instance: instance) + "\n"
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
                let warningRow = r.rows.first { $0.count == 3 && $0[0] == "Warning" }
                let warning = warningRow?[2]
                let error = r.errors.first ?? MySQLError(code: nil, line: nil, message: r.output.trimmingCharacters(in: .whitespacesAndNewlines))
                var line = error.line.map { $0 - 1 }
                var message = error.message, code = error.code.map(String.init)
                if let range = message.range(of: ": ", range: (message.range(of: "ERROR ")?.upperBound ?? message.startIndex)..<message.endIndex) {
                    message = String(message[range.upperBound...])
                }
                if file.hasSuffix(".csv") {
                    message = warning ?? message
                    code = warningRow?[1] ?? code
                    // LOAD DATA names the data row ("at row 3"); the file has a header line more.
                    line = message.range(of: "at row ").flatMap { Int(message[$0.upperBound...].prefix { $0.isNumber }) }.map { $0 + 1 }
                }
                throw SeedError(instance: instance.name, file: file, line: line, message: message, code: code)
            }
            let rows = r.rows.first { $0.first == "ovudev-rows" }.flatMap { $0.count > 1 ? Int($0[1]) : nil }
            results.append(SeedResult(instance: instance.name, file: file, outcome: .loaded, rows: rows,
                                      note: force && file.hasSuffix(".csv") ? "emptied and reloaded" : nil))
        }
        return results
    }
}
