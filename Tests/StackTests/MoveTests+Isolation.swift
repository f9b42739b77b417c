import Foundation
import Stack
import Testing
import TestSupport
import Topology

/// `isolation: none` on a real server: one schema, each service's role owns its tables, and
/// another service reaches only what `reads` grants.
@Suite(.ownThread) struct IsolationNoneTests {
    @Test func aServiceReadsOnlyWhatReadsGrantsAndWritesNothingOfAnother() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let stack = try MoveFixture.up(project, "monolith")

        let web = try MoveFixture.connect(stack, "web")
        #expect(try web.exec("SELECT count(*) FROM users").rows.first?.first == "20")
        #expect(try web.exec("SELECT count(*) FROM tenants").rows.first?.first == "3")
        for sql in ["INSERT INTO users (tenant_id, email) VALUES (1, 'x@example.com')", "UPDATE tenants SET name = 'x'", "DELETE FROM users",
                    "SELECT count(*) FROM sessions", "SELECT count(*) FROM forms", "INSERT INTO forms (tenant_id, owner_id, title) VALUES (1, 1, 'x')",
                    "DROP TABLE form_themes", "ALTER TABLE users ADD COLUMN x int"] {
            #expect(throws: PGError.self, "\(sql) must be refused to web_user") { try web.exec(sql) }
        }
        do {
            try web.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'x@example.com')")
            Issue.record("web_user wrote auth's users")
        } catch let error as PGError {
            #expect(error.sqlstate == "42501", "\(error)")
        }
        // Its own tables: full rights; the owners are the declaring roles.
        #expect(try web.exec("INSERT INTO tools (registry_id, tenant_id, name) VALUES (1, 1, 'mine') RETURNING id").rows.count == 1)
        let owners = try web.exec("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").rows
        #expect(owners.count == 17)
        let plan = stack.plan
        for row in owners {
            let owner = plan.instances.first { $0.database?.tables?.contains(row[0]!) == true }?.database?.role
            #expect(row[1] == owner, "\(row[0]!) is owned by \(row[1] ?? "?")")
        }
        let report = try stack.checker().run()
        #expect(report.passed, "\(report.findings.filter { $0.status == .leak || $0.status == .fail }.map(\.detail))")
    }

    /// A table the superuser created (or a migration run as another role) goes to the role that
    /// declares it at the next `up`.
    @Test func aDeclaredTableGoesToItsOwner() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let stack = try MoveFixture.up(project, "monolith", scale: nil)
        let su = try MoveFixture.superuser(stack, database: "suite_db")
        try su.exec("CREATE TABLE public.users (id int PRIMARY KEY); CREATE TABLE public.tools (id int)")
        let report = try stack.up(check: false)
        #expect(report.postMigrate.contains("database suite_db: table public.users now owned by auth_user"), "\(report.postMigrate)")
        let owners = try su.exec("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").rows
        #expect(owners == [["tools", "web_user"], ["users", "auth_user"]])
    }
}
