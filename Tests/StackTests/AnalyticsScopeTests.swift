import Foundation
import Stack
import Testing
import TestSupport
import Topology

/// `"analytics": { "role": …, "services": […] }` on a real PostgreSQL: the role reads exactly the
/// named services' tables; a SELECT granted by hand on another's is reported by `check`.
@Suite(.ownThread) struct AnalyticsScopeTests {
    @Test func theRoleReadsTheNamedServicesAndNothingElse() throws {
        let project = try TempProject { json in
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["dev"]!["analytics"] = ["role": "analytics_readonly", "services": ["ulm"]]
            json["scenarios"] = scenarios
        }
        defer { project.close() }
        let stack = try project.stack("dev")
        let up = try stack.up()
        #expect(up.check?.passed == true, "\(up.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        let server = try #require(stack.plan.servers.first { $0.engine == .postgres })
        let role = try #require(server.role("analytics_readonly"))
        #expect(role.readOnly && role.secret.variable == "ANALYTICS_READONLY_ROLE_PASSWORD")
        #expect(server.role("analytics") == nil)

        let login = try PGConnection(PGConnectionParameters(port: server.port, user: role.name, password: stack.secrets[role.secret.variable], database: "ovu_db"))
        #expect(try login.exec("SELECT count(*) FROM ulm.users").rows.first?.first == "3")
        #expect(throws: PGError.self) { try login.exec("SELECT count(*) FROM aam.accounts") }
        #expect(throws: PGError.self) { try login.exec("CREATE TABLE ulm.x (id int)") }

        let superuser = try PGConnection(PGConnectionParameters(port: server.port, user: "postgres", password: stack.secrets[server.superuserSecret!.variable], database: "ovu_db"))
        try superuser.exec("GRANT USAGE ON SCHEMA aam TO analytics_readonly; GRANT SELECT ON aam.accounts TO analytics_readonly")
        let report = try stack.checker().run()
        #expect(report.findings.contains { $0.status == .leak && $0.kind == .mayRead(role: "analytics_readonly", database: "ovu_db", table: "aam.accounts") },
                "\(report.findings.filter { $0.status != .ok }.map(\.detail))")
        #expect(!report.passed)
    }
}
