import Foundation
import Statements
import Topology

/// mysqldump through the crontab's command, loaded into a scratch database to verify.
extension BackupRunner {

    /// Every base table of `database`: row count and `CHECKSUM TABLE` (a checksum of the rows'
    /// contents), keyed by table name.
    static func mysqlFingerprints(_ admin: MySQLLogin, database: String) throws -> [String: Fingerprint] {
        let tables = try admin.exec("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = \(Escape.mysqlLiteral(database)) AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1;").rows.compactMap(\.first)
        if tables.isEmpty { return [:] }
        let script = tables.map { table in
            let name = "\(Escape.mysqlIdentifier(database)).\(Escape.mysqlIdentifier(table))"
            return "SELECT 'rows', \(Escape.mysqlLiteral(table)), COUNT(*) FROM \(name);\nCHECKSUM TABLE \(name) EXTENDED;"
        }.joined(separator: "\n")
        var found: [String: Fingerprint] = [:]
        var pending: String?
        for row in try admin.exec(script).rows where row.count >= 2 {
            if row.count == 3 && row[0] == "rows" {
                pending = row[1]
                found[row[1], default: Fingerprint()].rows = Int64(row[2])
            } else if let table = pending {
                // CHECKSUM TABLE answers `db.table  checksum`.
                found[table, default: Fingerprint()].checksum = row[1]
                pending = nil
            }
        }
        return found
    }

    /// The server's superuser over TCP 127.0.0.1 with the plan's password (the crontab's login).
    func mysqlSuperuser(_ t: BackupTarget) throws -> MySQLLogin {
        guard let server = plan.server(t.server), server.engine == .mysql else { throw EngineError("\(t.name): no MySQL server \(t.server)") }
        let superuser = Superuser(server, secrets: secrets)
        _ = try superuser.requirePassword()
        return superuser.tcpLogin()
    }
}

extension MySQLEngine {
    /// mysqldump --single-transaction reads one snapshot, but nothing holds the source still:
    /// the source is fingerprinted right before and after the dump, and compared only when the
    /// two agree.
    func backupAndVerify(_ target: BackupTarget, by runner: BackupRunner) throws -> (BackupFile, VerifyReport) {
        let admin = try runner.mysqlSuperuser(target)
        return try runner.backupComparing(target, source: { try BackupRunner.mysqlFingerprints(admin, database: target.database ?? "") },
                                          note: { _, _ in "the source changed during the dump: compared with the source as it is now" }) {
            try verify(file: $0, target: target, by: runner, expected: $1, expectedKeys: nil)
        }
    }

    /// A gzipped mysqldump loaded into a scratch database on the target's server (its `CREATE
    /// DATABASE` and `USE` lines pointed there), then every table's row count and `CHECKSUM
    /// TABLE` compared with `expected` (default: the source now); the scratch database is dropped.
    func verify(file: String, target: BackupTarget, by runner: BackupRunner, expected: [String: Fingerprint]?, expectedKeys: Int64?) throws -> VerifyReport {
        let admin = try runner.mysqlSuperuser(target)
        let database = target.database ?? ""
        let want = try expected ?? BackupRunner.mysqlFingerprints(admin, database: database)
        let scratch = runner.scratchName()
        runner.progress("verify \(target.name): loading into scratch database \(scratch)")
        try admin.exec("CREATE DATABASE \(Escape.mysqlIdentifier(scratch));")
        defer { _ = try? admin.exec("DROP DATABASE IF EXISTS \(Escape.mysqlIdentifier(scratch));") }
        do {
            try admin.loadDump(gzipped: file, of: database, into: scratch)
        } catch let error as MySQLError {
            let failed = EngineError(.dumpDoesNotLoad(file: file, code: error.code), output: error.message)
            return VerifyReport(target: target.name, file: file, error: failed.message, tables: [], failure: failed.kind)
        } catch let error as EngineError {
            return VerifyReport(target: target.name, file: file, error: error.message, tables: [], failure: error.kind)
        }
        let got = try BackupRunner.mysqlFingerprints(admin, database: scratch)
        return VerifyReport(target: target.name, file: file, error: nil, tables: BackupRunner.compare(want, got, target: target.name))
    }
}
