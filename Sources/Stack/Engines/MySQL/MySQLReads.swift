import Foundation
import Statements
import Topology

/// `reads` into a MySQL service: SELECT on exactly the named tables, granted after the
/// migrations (MySQL refuses a grant on a missing table); the init SQL's `REVOKE ALL` on every
/// provisioning takes back what the plan no longer has.
extension MySQLEngine {
    func applyPostMigrate(_ server: PlannedServer, by provisioner: Provisioner, progress: (String) -> Void) throws -> ProvisionReport {
        let reads = server.databases.flatMap { db in db.tableReads.map { (db.name, $0) } }
        guard !reads.isEmpty, let admin = provisioner.mysqlAdmins[server.name] else { return ProvisionReport() }
        let existing = try Self.existingTables(Set(reads.map(\.0)), admin: admin)
        var report = ProvisionReport()
        let sections = MySQLInit.postMigrateSections(server, existing: existing)
        if !sections.isEmpty {
            do {
                try admin.exec(sections.flatMap(\.statements).joined(separator: "\n") + "\n")
            } catch {
                throw ProvisionError(server: server.name, message: "the MySQL `reads` grants failed: \(error)")
            }
            for (db, read) in reads where existing.contains("\(db).\(read.table)") {
                report.changes.append("\(server.name): granted SELECT on \(db).\(read.table) to \(read.role)")
            }
        }
        for (db, read) in reads where !existing.contains("\(db).\(read.table)") {
            report.notes.append("\(server.name): \(db).\(read.table) does not exist yet (migrations): SELECT for \(read.role) is granted once it does")
        }
        return report
    }

    /// `db.table` of every base table or view of the databases.
    static func existingTables(_ databases: Set<String>, admin: MySQLLogin) throws -> Set<String> {
        let list = databases.sorted().map(Escape.mysqlLiteral).joined(separator: ", ")
        let rows = try admin.exec("SELECT 'table', CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (\(list));").rows
        return Set(rows.filter { $0.count == 2 && $0[0] == "table" }.map { $0[1] })
    }
}

extension Checker {
    /// A reader's real login over TCP: SELECT from each granted table works, every other table of
    /// those databases is refused.
    func mysqlReaderLogins(_ server: PlannedServer, admin: MySQLLogin) -> [CheckFinding] {
        let byRole = Dictionary(grouping: server.databases.flatMap { db in db.tableReads.map { (db.name, $0) } }, by: { $0.1.role })
        guard !byRole.isEmpty else { return [] }
        let existing: [(String, String)]
        do {
            let list = Set(byRole.values.flatMap { $0.map(\.0) }).sorted().map(Escape.mysqlLiteral).joined(separator: ", ")
            existing = try admin.exec("SELECT 'table', TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (\(list));").rows
                .filter { $0.count == 3 && $0[0] == "table" }.map { ($0[1], $0[2]) }
        } catch {
            return [CheckFinding(subject: server.name, check: "reads", status: .fail, kind: .catalogUnreadable(server: server.name, error: "\(error)"))]
        }
        var findings: [CheckFinding] = []
        for role in byRole.keys.sorted() {
            guard let planned = server.role(role) else { continue }
            let granted = Set(byRole[role]!.map { "\($0.0).\($0.1.table)" })
            let databases = Set(byRole[role]!.map(\.0))
            let probes = existing.filter { databases.contains($0.0) }.sorted { "\($0.0).\($0.1)" < "\($1.0).\($1.1)" }
            let sql = probes.map { "SELECT 'read', \(Escape.mysqlLiteral("\($0.0).\($0.1)")) FROM \(Escape.mysqlIdentifier($0.0)).\(Escape.mysqlIdentifier($0.1)) LIMIT 0;" }
                .joined(separator: "\n") + "\n"
            let login = MySQLLogin(route: .tcp(port: server.port), user: role, password: secrets[planned.secret.variable])
            let result: MySQLLogin.Result
            do { result = try login.run(sql, force: true) } catch {
                findings.append(CheckFinding(subject: role, check: "reads", status: .fail, kind: .probeFailed(role: role, database: databases.sorted().joined(separator: ", "), error: "\(error)")))
                continue
            }
            if let failed = result.errors.first(where: { $0.line == nil }) {
                findings.append(CheckFinding(subject: role, check: "reads", status: .fail,
                                             kind: .loginFailed(role: role, database: databases.sorted().joined(separator: ", "), port: server.port, error: failed.message)))
                continue
            }
            let errorAt = Dictionary(result.errors.compactMap { e in e.line.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
            for (i, probe) in probes.enumerated() {
                let table = "\(probe.0).\(probe.1)", error = errorAt[i + 1]
                if granted.contains(table) {
                    findings.append(CheckFinding(subject: role, check: "reads", status: error == nil ? .ok : .fail,
                                                 kind: .reads(role: role, database: probe.0, table: probe.1)))
                } else if error == nil {
                    findings.append(CheckFinding(subject: role, check: "reads", status: .leak, kind: .mayRead(role: role, database: probe.0, table: probe.1)))
                }
            }
            for table in granted.sorted() where !probes.contains(where: { "\($0.0).\($0.1)" == table }) {
                let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
                findings.append(CheckFinding(subject: role, check: "reads", status: .skipped, kind: .readsMissing(role: role, database: parts[0], table: parts[1])))
            }
        }
        return findings
    }
}
