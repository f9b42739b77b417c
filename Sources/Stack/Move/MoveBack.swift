import Foundation
import Statements
import Topology

/// `ovudev move --rollback --copy-back`: rows written on the target since the switch go back to
/// the kept source before the rollback. The target's services stop; per source database, in one
/// transaction, the kept tables are emptied and filled from the target's (COPY streams, binary,
/// triggers and foreign-key checks off as for a restore: the target's rows are consistent),
/// their sequences set to the target's values; then both sides are counted and checksummed.
/// The journal's step `copying-back` makes a killed copy-back start over at the next `--rollback`
/// (each database's copy is one transaction). MySQL services' tables and Redis slots follow
/// (MoveMySQL+Back, MoveRedis).
extension Mover {
    /// The tables changed on the target since the switch (`service: table`).
    func changedOnTarget() throws -> [String] {
        let now = try targetChecksums()
        return journal.tables.filter { now["\($0.service)/\($0.source)"] != $0.checksum }.map { "\($0.service): \($0.target)" }
    }

    /// The superuser on the server that holds a service's kept source now (after the switch a
    /// shared server runs as the target's).
    func keptSourceAdmin(_ service: MoveService) throws -> PGConnection {
        try admin(port: service.from.port, database: service.from.database)
    }

    /// Copies the target's tables back over the kept source's; the lines it did. Nothing when
    /// the target was not written since the switch (and no copy-back was under way).
    func copyBack() throws -> [String] {
        if journal.step == .switched {
            let changed = try changedOnTarget() + mysqlTargetChanged() + redisTargetChanged()
            if changed.isEmpty { return [] }
            progress("copy back: \(changed.joined(separator: ", ")) changed on the target since the switch")
        } else {
            progress("continuing the copy back to \(journal.source)")
        }
        var lines = stopServices(of: target)
        try update { $0.step = .copyingBack }
        StopPoint.reach("move.copying-back")
        // The source's own servers (not the target's now) run again for the copy.
        var own = source.plan
        own.servers = own.servers.filter { targetName($0.name) == nil && $0.engine != .mongodb }
        if !own.servers.isEmpty { _ = try NativeEngine(plan: own, paths: source.paths, secrets: source.secrets, progress: progress).start() }
        let moving = journal.services.filter { !$0.stays }
        let byDatabase = Dictionary(grouping: moving) { "\($0.from.port)/\($0.from.database)" }
        for key in byDatabase.keys.sorted() {
            let services = byDatabase[key]!
            try copyBack(services)
            lines.append("copied back to \(services[0].from.server)/\(services[0].from.database): \(services.map(\.service).joined(separator: ", "))")
        }
        // The proof: every table equal on both sides.
        progress("copy back: row counts and checksums of \(journal.tables.count) tables on both sides")
        for service in moving {
            let from = try keptSourceAdmin(service), to = try targetAdmin(service.to.server, database: service.to.database)
            for table in journal.tables where table.service == service.service {
                let s = try Self.checksum(from, schema: service.from.schema, table: table.source)
                let t = try Self.checksum(to, schema: service.to.schema, table: table.target)
                if s != t { throw MoveError.differs(table: "\(table.service): \(table.target) → \(table.source) (copied back)", source: s, target: t) }
            }
        }
        if !journal.tables.isEmpty { lines.append("copied back: \(journal.tables.count) tables equal on both sides") }
        lines += try copyBackMySQL() + copyBackRedis()
        return lines
    }

    /// One source database: its kept tables emptied and refilled from the target, in one
    /// transaction.
    func copyBack(_ services: [MoveService]) throws {
        let source = try keptSourceAdmin(services[0])
        let kept = services.flatMap { s in journal.tables.filter { $0.service == s.service }.map { qualified(s.from.schema, $0.source) } }
        try source.exec("BEGIN READ WRITE; SET LOCAL session_replication_role = replica; TRUNCATE \(kept.joined(separator: ", "))")
        do {
            for service in services {
                let target = try targetAdmin(service.to.server, database: service.to.database)
                try target.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                defer { _ = try? target.exec("COMMIT") }
                for table in journal.tables where table.service == service.service {
                    let src = qualified(service.from.schema, table.source), dst = qualified(service.to.schema, table.target)
                    let rows = try source.copyIn("COPY \(src) FROM STDIN (FORMAT binary)") { write in
                        _ = try target.copyOut("COPY \(dst) TO STDOUT (FORMAT binary)") { try write($0) }
                    }
                    // Sequences: the target's values.
                    let columns = try source.query("""
                        SELECT a.attname, pg_catalog.pg_get_serial_sequence($1, a.attname) FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND pg_catalog.pg_get_serial_sequence($1, a.attname) IS NOT NULL
                        """, [src]).rows
                    for column in columns {
                        guard let seq = try target.query("SELECT pg_catalog.pg_get_serial_sequence($1, $2)", [dst, column[0]!]).rows.first?.first ?? nil else { continue }
                        let value = try target.exec("SELECT last_value, is_called FROM \(seq)").rows[0]
                        try source.query("SELECT pg_catalog.setval($1, $2::bigint, $3::boolean)", [column[1]!, value[0], value[1] == "t" ? "true" : "false"])
                    }
                    progress("copy back \(service.service): \(table.target) → \(service.from) \(table.source), \(rows) rows")
                }
            }
            try source.exec("COMMIT")
        } catch {
            _ = try? source.exec("ROLLBACK")
            throw error
        }
    }
}
