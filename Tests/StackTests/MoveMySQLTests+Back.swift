import Foundation
@testable import Stack
import Statements
import Testing
import TestSupport
import Topology

extension MoveMySQLTests {
    /// `--rollback --copy-back` of a MySQL service: rows inserted, changed and deleted on its
    /// new server since the switch are in the kept database after the rollback (every table's
    /// count and CHECKSUM TABLE as the target's), which its user can write again.
    @Test func aRollbackCopiesTheTargetsRowsBack() throws {
        try requireMariaDB()
        let project = try TempProject(topology: F.topology)
        defer { project.close() }
        _ = try F.up(project)
        _ = try Mover(project: project.project).run(to: "dedicated")
        let dedicated = try project.stack("dedicated")
        try dedicated.loadSecrets()
        try F.user(dedicated, "shop").exec("""
            INSERT INTO customers (name, note) VALUES ('late', 'tab\\there'); UPDATE orders SET total = total + 1 WHERE id <= 10;
            DELETE FROM events WHERE id % 7 = 0;
            """, database: "shop_db")
        let written = try F.fingerprints(F.admin(dedicated, "mysql-shop"), "shop_db")

        #expect(throws: MoveError.self) { try Mover(project: project.project).rollback() }
        let back = try Mover(project: project.project).rollback(copyBack: true)
        #expect(back.check?.passed == true, "\(back.done)")
        #expect(back.done.contains { $0.hasPrefix("copied back to mysql/shop_db (mysql): shop, 3 tables equal") }, "\(back.done)")
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "shared")
        let shared = try project.stack("shared")
        try shared.loadSecrets()
        #expect(try F.fingerprints(F.admin(shared, "mysql"), "shop_db") == written)
        try F.user(shared, "shop").exec("INSERT INTO orders (customer_id, total, placed) VALUES (1, 2, NOW());", database: "shop_db")
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
    }
}
