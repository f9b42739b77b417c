import Foundation
import Statements
import Topology

/// MySQL at the switch (the source database kept, its user's write privileges revoked),
/// `--rollback` (privileges back, the copies dropped) and `--finish` (the kept databases dropped).
extension Mover {
    static let mysqlWritePrivileges = "INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, CREATE VIEW, TRIGGER, CREATE TEMPORARY TABLES, LOCK TABLES"

    /// Source databases no target service uses on that server any more.
    func mysqlKeptSource() -> [MoveObject] {
        engines.mysql.compactMap { m in
            let stillUsed = target.plan.servers.contains { s in s.port == m.from.port && s.engine == .mysql && s.databases.contains { $0.name == m.from.database } }
            return stillUsed ? nil : MoveObject(server: m.from.server, port: m.from.port, database: m.from.database, role: m.sourceUser)
        }
    }

    /// Before the source's servers are handed over: each kept database read-only to its user
    /// (recorded in the journal before, by `switchOver`).
    func switchMySQL() throws -> [String] {
        let kept = mysqlKeptSource()
        var lines: [String] = []
        // `--drop-cross-fks`: a foreign key of a staying database's table into a moved one is
        // dropped where it is (`--rollback` makes it again).
        for fk in journal.blockers.compactMap({ $0.dropped ? $0.mysql : nil }) where !fk.inMoved {
            try sourceMySQL(fk.server).exec("ALTER TABLE \(Escape.mysqlIdentifier(fk.database)).\(Escape.mysqlIdentifier(fk.table)) DROP FOREIGN KEY IF EXISTS \(Escape.mysqlIdentifier(fk.name));")
            lines.append("dropped the foreign key \(fk.database).\(fk.table).\(fk.name) on \(fk.server) (--drop-cross-fks; the application validates)")
        }
        for db in kept {
            let login = sourceMySQL(db.server)
            let account = "\(Escape.mysqlLiteral(db.role!))@'%'"
            try login.exec("REVOKE ALL PRIVILEGES ON \(Escape.mysqlGrantDatabase(db.database)).* FROM \(account); GRANT SELECT ON \(Escape.mysqlGrantDatabase(db.database)).* TO \(account);")
            lines.append("source database \(db.server)/\(db.database): read-only for \(db.role!) (write privileges revoked), kept")
        }
        return lines
    }

    /// After the source's servers run again: write privileges back, the target's copies dropped
    /// (databases the move created; tables copied into a database that was there before).
    func rollbackMySQL(_ j: MoveJournal) throws -> [String] {
        guard let e = j.engines, !e.mysql.isEmpty else { return [] }
        var lines: [String] = []
        // The target's own servers hold copies to drop: they run for that.
        var own = target.plan
        own.servers = own.servers.filter { $0.engine == .mysql && !j.sharedServers.contains($0.name) }
        if !own.servers.isEmpty { _ = try NativeEngine(plan: own, paths: target.paths, secrets: target.secrets, progress: progress).start() }
        for db in e.mysqlReadOnly {
            try sourceMySQL(db.server).exec("GRANT ALL PRIVILEGES ON \(Escape.mysqlGrantDatabase(db.database)).* TO \(Escape.mysqlLiteral(db.role!))@'%';")
            lines.append("source database \(db.server)/\(db.database): writable again for \(db.role!)")
        }
        // Foreign keys the switch dropped in a staying database: made again (the rows were not
        // checked by anyone since; the constraint is added without checking them).
        for fk in j.blockers.compactMap({ $0.dropped ? $0.mysql : nil }) where !fk.inMoved {
            let login = sourceMySQL(fk.server)
            let present = try login.exec("""
                SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = \(Escape.mysqlLiteral(fk.database))
                  AND TABLE_NAME = \(Escape.mysqlLiteral(fk.table)) AND CONSTRAINT_NAME = \(Escape.mysqlLiteral(fk.name));
                """).rows.first?.first
            guard present == "0" else { continue }
            try login.exec("SET FOREIGN_KEY_CHECKS = 0; \(fk.restore);")
            lines.append("made the foreign key \(fk.database).\(fk.table).\(fk.name) again on \(fk.server)")
        }
        let sourceDatabases = Set(source.plan.servers.flatMap { s in s.databases.map { "\(s.port)/\($0.name)" } })
        for db in e.mysqlCreated where !sourceDatabases.contains("\(db.port)/\(db.database)") {
            guard let login = mysqlAdmin(port: db.port) else { continue }
            try login.exec("DROP DATABASE IF EXISTS \(Escape.mysqlIdentifier(db.database));")
            lines.append("dropped the copy \(db.server)/\(db.database)")
        }
        let created = Set(e.mysqlCreated.map { "\($0.port)/\($0.database)" })
        for m in e.mysql where !created.contains("\(m.to.port)/\(m.to.database)") && !sourceDatabases.contains("\(m.to.port)/\(m.to.database)") {
            guard let login = mysqlAdmin(port: m.to.port) else { continue }
            let names = (m.tables.map(\.target) + m.views).map { "\(Escape.mysqlIdentifier(m.to.database)).\(Escape.mysqlIdentifier($0))" }
            if !m.views.isEmpty { try login.exec("DROP VIEW IF EXISTS \(m.views.map { "\(Escape.mysqlIdentifier(m.to.database)).\(Escape.mysqlIdentifier($0))" }.joined(separator: ", "));") }
            if !m.tables.isEmpty { try login.exec("SET FOREIGN_KEY_CHECKS = 0; DROP TABLE IF EXISTS \(names.prefix(m.tables.count).joined(separator: ", "));") }
            lines.append("dropped the copies of \(m.service)'s tables in \(m.to.server)/\(m.to.database)")
        }
        return lines
    }

    func mysqlFinishList(_ j: MoveJournal) -> [String] {
        (j.engines?.mysqlReadOnly ?? []).map { "database \($0.server)/\($0.database) (mysql)" }
    }

    /// `--finish`: the kept databases dropped, on whichever server holds them now.
    func finishMySQL(_ j: MoveJournal) throws {
        for db in j.engines?.mysqlReadOnly ?? [] {
            guard let login = mysqlAdmin(port: db.port) else { continue }
            try login.exec("DROP DATABASE IF EXISTS \(Escape.mysqlIdentifier(db.database));")
        }
    }
}
