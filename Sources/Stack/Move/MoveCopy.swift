import Foundation
import Statements
import Topology

/// The copy: per service (in parallel), the schema from `pg_dump --schema-only` restored in two
/// sections around the data, the data as COPY streams through libpq from source to target
/// (binary), sequences set to the source's values, then the tables placed in the target schema
/// under their target names and given to the service's role.
extension Mover {
    func copyAll() throws {
        let moving = journal.services.filter { !$0.stays }
        let mover = self
        _ = try concurrently(moving, workers: parallelism) { service, _ in
            if service.within { try mover.copyWithin(service) } else { try mover.copy(service) }
        }
        try linkWithin()
        // Grants from the target Plan: `reads`, declared owners, analytics.
        var plan = target.plan
        plan.servers = plan.servers.filter { $0.engine == .postgres }
        var provisioner = Provisioner(plan: plan, secrets: target.secrets, stateDirectory: (directory as NSString).appendingPathComponent(".ovu"))
        provisioner.adminSockets = Dictionary(uniqueKeysWithValues: plan.servers.map { ($0.name, targetSocket($0.name)) })
        _ = try provisioner.applyPostMigrate(progress: progress)
    }

    var moveFolder: String { (directory as NSString).appendingPathComponent(".ovu/move") }

    func pgTool(_ name: String) -> String {
        NativeEngine.postgresBinDir().map { "\($0)/\(name)" } ?? name
    }

    /// Runs a PostgreSQL client tool as the superuser over a socket; its output on failure.
    func runTool(_ arguments: [String], server: PlannedServer, socket: String, database: String) throws -> String {
        let r = try Subprocess.run(arguments + ["-h", socket, "-p", String(server.port), "-U", server.superuserName, "-d", database])
        guard r.status == 0 else { throw EngineError("\(arguments[0].split(separator: "/").last ?? "") on \(server.name)/\(database) failed:\n\(r.output)") }
        return r.output
    }

    func done(_ service: MoveService, _ step: String) -> Bool {
        journal.services.first { $0.service == service.service }?.done.contains(step) == true
    }

    func mark(_ service: MoveService, _ step: String) throws {
        try update { j in
            if let i = j.services.firstIndex(where: { $0.service == service.service }) { j.services[i].done.append(step) }
        }
    }

    func copy(_ service: MoveService) throws {
        let tables = journal.tables.filter { $0.service == service.service }
        progress("copy \(service.service): \(tables.count) tables, \(service.from) → \(service.to)")
        try FileManager.default.createDirectory(atPath: moveFolder, withIntermediateDirectories: true)
        let dump = "\(moveFolder)/\(service.service).dump"
        let fromServer = source.plan.server(service.from.server)!, toServer = target.plan.server(service.to.server)!
        let tsock = targetSocket(service.to.server)
        // The schema is restored where the dump names it (the source's schema) and placed later.
        let staging = service.from.schema
        if !done(service, "placed") {
            var args = [pgTool("pg_dump"), "-Fc", "--schema-only", "--no-owner", "--no-privileges", "-f", dump]
            if service.wholeSchema {
                args += ["-n", "\"\(staging)\""]
            } else {
                args += tables.flatMap { ["-t", "\"\(staging)\".\"\($0.source)\""] }
            }
            _ = try runTool(args, server: fromServer, socket: sourceSocket(service.from.server), database: service.from.database)
            let list = try tocList(dump, service: service, server: toServer)
            let conn = try targetAdmin(service.to.server, database: service.to.database)
            if !done(service, "pre-data") {
                let present = try conn.query("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = ANY($2::text[])",
                                             [staging, pgArray(tables.map(\.source))]).rows.first?.first ?? "0"
                if present != String(tables.count) || tables.isEmpty {
                    let made = try conn.query("SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1)", [staging]).rows.first?.first == "t"
                    try conn.exec("CREATE SCHEMA IF NOT EXISTS \(Escape.sqlIdentifier(staging))")
                    if made { try update { $0.createdSchemas.append(MoveObject(server: service.to.server, port: service.to.port, database: service.to.database, schema: staging)) } }
                    try copyRoutines(service, into: staging)
                    _ = try runTool([pgTool("pg_restore"), "--section=pre-data", "--single-transaction", "--no-owner", "-L", list, dump],
                                    server: toServer, socket: tsock, database: service.to.database)
                }
                try mark(service, "pre-data")
            }
            for table in tables where !(journal.tables.first { $0.service == table.service && $0.source == table.source }?.copied ?? false) {
                try stream(table, service: service, staging: staging)
            }
            if !done(service, "sequences") {
                try copySequences(service, staging: staging, conn: conn)
                try mark(service, "sequences")
            }
            if !done(service, "post-data") {
                let constrained = try conn.query("""
                    SELECT count(*) FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_class t ON t.oid = c.conrelid
                    JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1 AND t.relname = ANY($2::text[]) AND c.contype IN ('p', 'u', 'f')
                    """, [staging, pgArray(tables.map(\.source))]).rows.first?.first ?? "0"
                if constrained == "0" {
                    _ = try runTool([pgTool("pg_restore"), "--section=post-data", "--single-transaction", "--no-owner", "-L", list, dump],
                                    server: toServer, socket: tsock, database: service.to.database)
                }
                try mark(service, "post-data")
            }
            try place(service, tables: tables, staging: staging, list: list, conn: conn)
            try mark(service, "placed")
        }
        progress("copied \(service.service)")
    }

    /// `pg_restore -l` without schema entries (the schema is made beforehand) and, with
    /// `--drop-cross-fks`, without the foreign keys that cross.
    func tocList(_ dump: String, service: MoveService, server: PlannedServer) throws -> String {
        let r = try Subprocess.run([pgTool("pg_restore"), "-l", dump])
        guard r.status == 0 else { throw EngineError("pg_restore -l \(dump) failed:\n\(r.output)") }
        let dropped = journal.blockers.filter { $0.dropped && $0.kind == .foreignKey && $0.service == service.service }.map { blocker -> (String, String) in
            let parts = blocker.object.split(separator: ".").map(String.init)
            return (parts[1], parts[2])
        }
        let kept = r.output.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            if line.contains(" SCHEMA - ") { return false }
            return !dropped.contains { line.contains(" FK CONSTRAINT ") && line.contains(" \($0.0) \($0.1) ") }
        }
        let path = "\(moveFolder)/\(service.service).list"
        try kept.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A table's copy committed: marked copied in the journal (a continued move skips it), with
    /// its rows. A kill test stops here (`move.table-copied`).
    func recordCopied(_ table: MoveTable, rows: Int?) throws {
        try update { j in
            if let i = j.tables.firstIndex(where: { $0.service == table.service && $0.source == table.source }) {
                j.tables[i].copied = true
                j.tables[i].rows = rows
            }
        }
        StopPoint.reach("move.table-copied")
    }

    /// One table's rows: the target emptied first (a copy cut short leaves no duplicates), then
    /// one COPY stream from the source's connection into the target's.
    func stream(_ table: MoveTable, service: MoveService, staging: String) throws {
        let q = Escape.sqlIdentifier
        let from = try sourceAdmin(service.from.server, database: service.from.database)
        let to = try targetAdmin(service.to.server, database: service.to.database)
        try from.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { _ = try? from.exec("COMMIT") }
        try to.exec("BEGIN")
        try to.exec("TRUNCATE \(q(staging)).\(q(table.source))")
        let rows = try to.copyIn("COPY \(q(staging)).\(q(table.source)) FROM STDIN (FORMAT binary)") { write in
            _ = try from.copyOut("COPY \(q(service.from.schema)).\(q(table.source)) TO STDOUT (FORMAT binary)") { chunk in try write(chunk) }
        }
        try to.exec("COMMIT")
        try recordCopied(table, rows: rows)
    }

    /// Every sequence of the restored schema (owned by a copied table or named in the dump) set
    /// to the source's value.
    func copySequences(_ service: MoveService, staging: String, conn: PGConnection) throws {
        let names = try conn.query("SELECT sequencename FROM pg_catalog.pg_sequences WHERE schemaname = $1", [staging]).rows.map { $0[0]! }
        guard !names.isEmpty else { return }
        let from = try sourceAdmin(service.from.server, database: service.from.database)
        let values = try from.query("SELECT sequencename, last_value, last_value IS NOT NULL FROM pg_catalog.pg_sequences WHERE schemaname = $1 AND sequencename = ANY($2::text[])",
                                    [service.from.schema, pgArray(names)]).rows
        var statements: [String] = []
        for row in values where row[2] == "t" {
            statements.append("SELECT pg_catalog.setval(\(Escape.sqlLiteral("\(Escape.sqlIdentifier(staging)).\(Escape.sqlIdentifier(row[0]!))")), \(row[1]!), true);")
        }
        try conn.execute(statements) { EngineError("sequences of \(service.service): \($0)") }
    }
}
