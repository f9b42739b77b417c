import Foundation
@testable import Stack
import Statements
import Testing
import TestSupport
import Topology

/// `ovudev move` of a MySQL service's database on real MariaDB servers: one shared server → a
/// server per service (shop's database goes to a new server, blog's stays), rollback, finish,
/// and a move killed during the copy.
@Suite(.serialized, .ownThread) struct MoveMySQLTests {
    typealias F = MoveOtherFixture

    func requireMariaDB() throws {
        if let missing = MySQLTools.missing() { throw EngineError("\(missing) not installed: \(MySQLTools.installCommand)") }
    }

    @Test func aDatabaseMovesToADedicatedServerRollsBackAndFinishes() throws {
        try requireMariaDB()
        let project = try TempProject(topology: F.topology)
        defer { project.close() }
        let shared = try F.up(project)
        let before = try F.fingerprints(F.admin(shared, "mysql"), "shop_db")
        #expect(before.count == 3 && before["events"]?.rows == 20000, "\(before)")

        // The dry run lists shop's tables and view and changes nothing.
        let plan = try Mover(project: project.project).plan(to: "dedicated")
        let shop = try #require(plan.journal.engines?.mysql.first)
        #expect(plan.journal.engines?.mysql.count == 1 && shop.service == "shop" && shop.to.server == "mysql-shop")
        #expect(shop.tables.map(\.source) == ["customers", "events", "orders"] && shop.views == ["big_orders"])
        // Tables joined by a foreign key are copied one after another (in parallel their DDL and
        // LOCK TABLES collide: error 1100 now and then); the others on their own.
        #expect(try Mover.mysqlRelatedGroups(shop.tables.map(\.source), database: "shop_db", login: F.admin(shared, "mysql")) == [["customers", "orders"], ["events"]])
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
        let dedicatedPaths = StackPaths(projectDirectory: project.directory, scenario: "dedicated")
        #expect(!FileManager.default.fileExists(atPath: dedicatedPaths.mysqlDir("mysql-shop")))

        let report = try Mover(project: project.project).run(to: "dedicated")
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok && $0.status != .skipped }.map(\.detail) ?? [])")
        #expect(report.done.contains { $0.contains("source database mysql/shop_db: read-only for shop_user") }, "\(report.done)")
        let dedicated = try project.stack("dedicated")
        try dedicated.loadSecrets()
        #expect(try F.fingerprints(F.admin(dedicated, "mysql-shop"), "shop_db") == before)
        // shop's user writes on its new server (AUTO_INCREMENT continues past the copied ids), reads the view, calls the function.
        let shopUser = try F.user(dedicated, "shop")
        let inserted = try shopUser.exec("INSERT INTO orders (customer_id, total, placed) VALUES (1, 500, NOW()); SELECT LAST_INSERT_ID();", database: "shop_db").rows
        let newID = try #require(inserted.last?.first.flatMap { Int($0) }, "\(inserted)")
        #expect(newID > 300, "\(inserted)")
        #expect(try shopUser.exec("SELECT COUNT(*) FROM big_orders;", database: "shop_db").rows.first == ["235"])
        #expect(try shopUser.exec("SELECT order_total(7);", database: "shop_db").rows.first == ["10.50"])
        // The kept source: readable by shop's user, not writable.
        let oldPort = shared.plan.server("mysql")!.port
        let kept = MySQLLogin(route: .tcp(port: oldPort), user: "shop_user", password: shared.secrets[shared.plan.instance("shop")!.database!.secret.variable])
        #expect(try kept.exec("SELECT COUNT(*) FROM orders;", database: "shop_db").rows.first == ["300"])
        do {
            try kept.exec("INSERT INTO orders (customer_id, total, placed) VALUES (1, 1, NOW());", database: "shop_db")
            Issue.record("the kept shop_db took a write")
        } catch let error as MySQLError {
            #expect(error.isAccessDenied, "\(error)")
        }

        // Rollback is refused while the target holds a row written since the switch…
        #expect(throws: MoveError.targetWritten(tables: ["shop: shop_db.orders"])) { try Mover(project: project.project).rollback() }
        try shopUser.exec("DELETE FROM orders WHERE id = \(newID);", database: "shop_db")
        // …and goes through once it is gone: the source writable again, the copy dropped.
        let back = try Mover(project: project.project).rollback()
        #expect(back.check?.passed == true, "\(back.done)")
        #expect(back.done.contains("dropped the copy mysql-shop/shop_db"), "\(back.done)")
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "shared")
        let again = try project.stack("shared")
        try again.loadSecrets()
        #expect(try F.fingerprints(F.admin(again, "mysql"), "shop_db") == before)
        try F.user(again, "shop").exec("INSERT INTO customers (name) VALUES ('after rollback');", database: "shop_db")

        // Once more, then --finish drops the kept database.
        _ = try Mover(project: project.project).run(to: "dedicated")
        let list = try Mover(project: project.project).finishList()
        #expect(list == ["database mysql/shop_db (mysql)"], "\(list)")
        _ = try Mover(project: project.project).finish()
        let schemas = try F.admin(dedicated, "mysql-blog").exec("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA;").rows.map { $0[0] }
        #expect(!schemas.contains("shop_db") && schemas.contains("blog_db"), "\(schemas)")
        #expect(try F.fingerprints(F.admin(dedicated, "mysql-shop"), "shop_db")["customers"]?.rows == 51)
    }

    /// kill -9 of `ovudev move` after a table was copied; a table marked not copied is copied
    /// again (emptied first): `ovudev move` completes with equal checksums, no row doubled.
    @Test func aMySQLMoveKilledDuringTheCopyContinues() throws {
        try requireMariaDB()
        let project = try TempProject(topology: F.topology)
        defer { project.close() }
        let shared = try F.up(project)
        let before = try F.fingerprints(F.admin(shared, "mysql"), "shop_db")

        // Stopped where its first table's copy is recorded (the others in flight), then kill -9.
        let pid = try MoveFixture.spawnMove(project, ["--to", "dedicated", "--yes"], stopAt: "move.table-copied")
        let killed = MoveFixture.stopped(pid)
        MoveFixture.kill9(pid)
        #expect(killed, "\((try? String(contentsOfFile: "\(project.directory)/move.log", encoding: .utf8)) ?? "")")
        var journal = try #require(try MoveJournal.load(projectDirectory: project.directory))
        #expect(journal.step < .switched)
        // As if the kill came between a table's copy and its journal line: copied again.
        let copied = try #require(journal.engines?.mysql[0].tables.firstIndex { $0.copied })
        journal.engines!.mysql[0].tables[copied].copied = false
        try journal.save(projectDirectory: project.directory)

        let again = try ovudev(["move", "--yes"], directory: project.directory)
        #expect(again.status == 0, "\(again.output)")
        let dedicated = try project.stack("dedicated")
        #expect(try F.fingerprints(F.admin(dedicated, "mysql-shop"), "shop_db") == before)
    }

    /// A copy that differs from its source stops the move before the switch, naming the table;
    /// `--rollback` then drops the copy and the source runs as it was.
    @Test func aDifferingTableStopsTheMoveBeforeTheSwitch() throws {
        try requireMariaDB()
        let project = try TempProject(topology: F.topology)
        defer { project.close() }
        let shared = try F.up(project)
        let before = try F.fingerprints(F.admin(shared, "mysql"), "shop_db")

        // The steps of `run` up to the verification, with a row changed on the target in between.
        let mover = Mover(project: project.project)
        mover.journal = try mover.plan(to: "dedicated").journal
        try mover.update { _ in }
        try mover.provisionTarget()
        try mover.provisionMySQLTarget()
        try mover.update { $0.step = .provisioned }
        try mover.copyMySQL()
        try mover.update { $0.step = .copied }
        let dedicated = try project.stack("dedicated")
        try F.admin(dedicated, "mysql-shop").exec("UPDATE shop_db.orders SET total = total + 1 WHERE id = 7;")
        do {
            try mover.verifyMySQL()
            Issue.record("the verification passed a changed row")
        } catch let error as MoveError {
            guard case let .differs(table, source, target) = error else { Issue.record("\(error)"); return }
            #expect(table == "shop: shop_db.orders → shop_db.orders" && source != target && source.hasPrefix("300 rows"), "\(error)")
        }
        // The row back, the view changed on the target: the view is named.
        try F.admin(dedicated, "mysql-shop").exec("UPDATE shop_db.orders SET total = total - 1 WHERE id = 7; CREATE OR REPLACE VIEW shop_db.big_orders AS SELECT * FROM shop_db.orders WHERE total > 200;")
        do {
            try mover.verifyMySQL()
            Issue.record("the verification passed a changed view")
        } catch let error as MoveError {
            guard case let .differs(table, source, target) = error else { Issue.record("\(error)"); return }
            #expect(table == "shop: view shop_db.big_orders → shop_db.big_orders" && source == "234 rows" && target == "167 rows", "\(error)")
        }
        #expect(try MoveJournal.load(projectDirectory: project.directory)?.step == .copied)

        let back = try Mover(project: project.project).rollback()
        #expect(back.done.contains("dropped the copy mysql-shop/shop_db"), "\(back.done)")
        #expect(back.check?.passed == true)
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "shared")
        #expect(try F.fingerprints(F.admin(shared, "mysql"), "shop_db") == before)
        try F.user(shared, "shop").exec("INSERT INTO customers (name) VALUES ('still writable');", database: "shop_db")
    }

    /// A foreign key from blog's database into shop's, which would end up on another server: the
    /// dry run names it as a blocker, the move refuses and changes nothing.
    @Test func aForeignKeyAcrossTheNewServersBlocksTheMove() throws {
        try requireMariaDB()
        let project = try TempProject(topology: F.topology)
        defer { project.close() }
        let shared = try F.up(project)
        try F.admin(shared, "mysql").exec("""
            ALTER TABLE blog_db.posts ADD COLUMN customer_id INT NULL, ADD CONSTRAINT posts_customer_fk FOREIGN KEY (customer_id) REFERENCES shop_db.customers (id);
            """)
        let plan = try Mover(project: project.project).plan(to: "dedicated")
        #expect(plan.journal.blockers.map(\.object) == ["blog_db.posts.posts_customer_fk"], "\(plan.journal.blockers)")
        #expect(plan.journal.blockers.first.map { $0.service == "blog" && $0.otherService == "shop" && $0.dependsOn == "shop_db.customers" } == true)
        let dry = try ovudev(["move", "--to", "dedicated", "--dry-run"], directory: project.directory)
        #expect(dry.status == 0 && dry.output.contains("shop (mysql): mysql/shop_db → mysql-shop/shop_db, 3 tables and 1 view, user shop_user")
                && dry.output.contains("foreign key blog_db.posts.posts_customer_fk (blog) → shop_db.customers (shop): drop the foreign key"), "\(dry.output)")
        #expect(throws: MoveError.blocked(plan.journal.blockers)) { try Mover(project: project.project).run(to: "dedicated") }
        #expect(try MoveJournal.load(projectDirectory: project.directory) == nil)
        #expect(!FileManager.default.fileExists(atPath: StackPaths(projectDirectory: project.directory, scenario: "dedicated").mysqlDir("mysql-shop")))

        // --drop-cross-fks: the move goes through, the foreign key into shop's database is dropped
        // where it is (blog's table stays) and made again by a rollback; one of shop's tables into
        // blog's is left out of the copy (the kept source keeps it).
        try F.admin(shared, "mysql").exec("ALTER TABLE shop_db.orders ADD COLUMN post_id INT NULL, ADD CONSTRAINT orders_post_fk FOREIGN KEY (post_id) REFERENCES blog_db.posts (id);")
        // (Server `mysql` is `mysql-blog` in `dedicated`: the same port, its folder handed over.)
        let fks = { (stack: NativeStack, server: String) in try F.admin(stack, server).exec("SELECT CONSTRAINT_NAME, DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'blog_db';").rows }
        let before = try fks(shared, "mysql")
        let moved = try Mover(project: project.project).run(to: "dedicated", dropCrossFKs: true)
        #expect(moved.check?.passed == true, "\(moved.done)")
        #expect(moved.done.contains("dropped the foreign key blog_db.posts.posts_customer_fk on mysql (--drop-cross-fks; the application validates)"), "\(moved.done)")
        #expect(try fks(project.stack("dedicated"), "mysql-blog").isEmpty)
        let copied = try F.admin(project.stack("dedicated"), "mysql-shop").exec("SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = 'shop_db';").rows
        #expect(copied.map { $0[0] } == ["orders_ibfk_1"], "\(copied)")
        let back = try Mover(project: project.project).rollback()
        #expect(back.done.contains("made the foreign key blog_db.posts.posts_customer_fk again on mysql"), "\(back.done)")
        let after = try fks(shared, "mysql")
        #expect(after == before && before.count == 1, "\(before) \(after)")

        try F.admin(shared, "mysql").exec("ALTER TABLE blog_db.posts DROP FOREIGN KEY posts_customer_fk; ALTER TABLE shop_db.orders DROP FOREIGN KEY orders_post_fk;")
        #expect(try Mover(project: project.project).plan(to: "dedicated").journal.blockers.isEmpty)
    }
}
