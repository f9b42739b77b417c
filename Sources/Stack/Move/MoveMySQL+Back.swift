import Foundation
import Statements
import Topology

/// `--rollback --copy-back` for MySQL services: the target's tables dumped back into the kept
/// source database (each dropped and made anew, as the copy does; one dump per service, so tables
/// joined by foreign keys are never loaded side by side), then row counts and
/// `CHECKSUM TABLE … EXTENDED` compared on both sides. A killed copy-back dumps again.
extension Mover {
    /// The tables written on the target since the switch (a rollback would lose them).
    func mysqlTargetChanged() throws -> [String] {
        var changed: [String] = []
        for service in engines.mysql {
            let now = try BackupRunner.mysqlFingerprints(targetMySQL(service.to.server), database: service.to.database)
            for table in service.tables where now[table.target]?.checksum != table.checksum || now[table.target]?.rows.map({ Int($0) }) != table.rows {
                changed.append("\(service.service): \(service.to.database).\(table.target)")
            }
        }
        return changed
    }

    /// Every MySQL service's tables back into its kept database; the lines it did.
    func copyBackMySQL() throws -> [String] {
        var lines: [String] = []
        for service in engines.mysql where !service.tables.isEmpty {
            guard let from = mysqlAdmin(port: service.to.port), let to = mysqlAdmin(port: service.from.port) else {
                throw EngineError("copy back of \(service.service): no MySQL server on port \(service.to.port) or \(service.from.port)")
            }
            let names = service.tables.map(\.target)
            progress("copy back \(service.service) (mysql): \(names.count) tables, \(service.to.server)/\(service.to.database) → \(service.from.server)/\(service.from.database)")
            try mysqlDump(names, from: from, database: service.to.database, to: to, into: service.from.database, options: [],
                          what: "copy back of \(service.service)'s tables (\(service.to.server)/\(service.to.database) → \(service.from.server)/\(service.from.database))")
            let a = try BackupRunner.mysqlFingerprints(from, database: service.to.database)
            let b = try BackupRunner.mysqlFingerprints(to, database: service.from.database)
            for table in service.tables {
                let t = a[table.target], s = b[table.source]
                if t == nil || t != s {
                    throw MoveError.differs(table: "\(service.service): \(service.to.database).\(table.target) → \(service.from.database).\(table.source) (copied back)", source: Self.describe(s), target: Self.describe(t))
                }
            }
            lines.append("copied back to \(service.from.server)/\(service.from.database) (mysql): \(service.service), \(names.count) tables equal on both sides")
        }
        return lines
    }
}
