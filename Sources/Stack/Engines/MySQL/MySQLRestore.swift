import Foundation
import Statements
import Topology

extension BackupRunner {

    /// A gzipped mysqldump into a new database (`into`), or in place of the target's database:
    /// loaded into a staging database first, then every table of the two swapped in one
    /// `RENAME TABLE` (atomic; the service's grants are on the database name and stay), the
    /// checks run, and the previous tables dropped — or swapped back when the checks fail.
    func restoreMySQL(file: String, target: BackupTarget, into: String?) throws -> RestoreReport {
        let admin = try mysqlSuperuser(target)
        let database = target.database ?? ""
        let start = Date()
        let q = Escape.mysqlIdentifier
        func exists(_ name: String) throws -> Bool {
            try !admin.exec("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = \(Escape.mysqlLiteral(name));").rows.isEmpty
        }
        func freeName(_ base: String) throws -> String {
            var name = Self.truncated(base), n = 1
            while try exists(name) { n += 1; name = Self.truncated(base, reserve: 4) + "_\(n)" }
            return name
        }
        func load(into name: String) throws {
            try admin.exec("CREATE DATABASE \(q(name));")
            do {
                try admin.loadDump(gzipped: file, of: database, into: name)
            } catch {
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(name));")
                throw EngineError(.dumpDoesNotLoad(file: file, code: (error as? MySQLError)?.code), output: "\(error)")
            }
        }
        if let into {
            if try exists(into) { throw EngineError(.restoreRefused(database: into, server: target.server, reason: .exists)) }
            progress("restore \(target.name) into new database \(into)")
            try load(into: into)
            return RestoreReport(target: target.name, file: file, database: into, schema: nil,
                                 fingerprints: try Self.mysqlFingerprints(admin, database: into), kept: nil, seconds: Date().timeIntervalSince(start))
        }
        guard try exists(database) else {
            throw EngineError(.restoreRefused(database: database, server: target.server, reason: .missing))
        }
        let staging = try freeName("\(database)_restoring")
        progress("restore \(target.name): loading into \(staging)")
        do {
            try load(into: staging)
        } catch {
            throw EngineError.restoreFailed(error, database: database)
        }
        defer { _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(staging));") }
        // Only tables move between databases; what else a database holds would stay behind.
        let both = "(\(Escape.mysqlLiteral(database)), \(Escape.mysqlLiteral(staging)))"
        let others = try admin.exec("""
            SELECT 'view', TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN \(both)
            UNION ALL SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN \(both)
            UNION ALL SELECT 'routine', ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN \(both)
            UNION ALL SELECT 'event', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN \(both);
            """).rows
        if !others.isEmpty {
            throw EngineError(.restoreRefused(database: database, server: target.server, reason: .holds(others.map { "\($0[0]) \($0[1])" })))
        }
        let aside = try freeName("\(database)_pre_restore")
        try admin.exec("CREATE DATABASE \(q(aside));")
        progress("restore \(target.name): tables of \(database) → \(aside), of \(staging) → \(database)")
        do {
            try swapTables(admin, current: database, aside: aside, replacement: staging)
        } catch {
            _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(aside));")
            throw EngineError.restoreFailed(error, database: database)
        }
        do {
            let (check, mine) = try checkRestored(target)
            try admin.exec("DROP DATABASE \(q(aside));")
            var report = RestoreReport(target: target.name, file: file, database: database, schema: nil,
                                       fingerprints: try Self.mysqlFingerprints(admin, database: database), kept: nil,
                                       check: check, serviceCheck: mine, seconds: Date().timeIntervalSince(start))
            report.notes.append("the previous tables of \(database) were dropped")
            return report
        } catch {
            progress("restore \(target.name): failed after the swap, putting the previous tables back")
            do {
                let failed = try freeName("\(database)_failed_restore")
                try admin.exec("CREATE DATABASE \(q(failed));")
                try swapTables(admin, current: database, aside: failed, replacement: aside)
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(failed)); DROP DATABASE IF EXISTS \(q(aside));")
            } catch let undo {
                throw EngineError("\(error)\nputting the previous tables back failed too: \(undo); they are in \(aside) on \(target.server)")
            }
            throw error
        }
    }

    /// Every table of `current` → `aside` and of `replacement` → `current`, in one RENAME TABLE.
    func swapTables(_ admin: MySQLLogin, current: String, aside: String, replacement: String) throws {
        let q = Escape.mysqlIdentifier
        let rows = try admin.exec("""
            SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
            WHERE TABLE_SCHEMA IN (\(Escape.mysqlLiteral(current)), \(Escape.mysqlLiteral(replacement))) AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1, 2;
            """).rows
        let moves = rows.filter { $0.count == 2 && $0[0] == current }.map { "\(q(current)).\(q($0[1])) TO \(q(aside)).\(q($0[1]))" }
            + rows.filter { $0.count == 2 && $0[0] == replacement }.map { "\(q(replacement)).\(q($0[1])) TO \(q(current)).\(q($0[1]))" }
        if moves.isEmpty { return }
        // A session of the service holding a table waits the swap out; not for a year (the default).
        try admin.exec("SET SESSION lock_wait_timeout = 60;\nRENAME TABLE " + moves.joined(separator: ", ") + ";")
    }
}
