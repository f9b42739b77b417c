import Foundation
import Renderers
import Stack
import Testing
import Topology

/// `ovudev check` must fail when isolation is broken: leaks planted by the superuser on a running
/// stack, each found with its subject and check, and the next `up` converges what provisioning owns.
@Suite struct CheckTests {
    func superuser(_ stack: NativeStack, database: String) throws -> PGConnection {
        let server = try #require(stack.plan.servers.first { $0.engine == .postgres })
        return try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres",
                                                       password: stack.secrets[server.superuserSecret!.variable], database: database))
    }

    func problems(_ report: CheckReport) -> [String] {
        report.findings.filter { $0.status == .leak || $0.status == .fail }.map { "\($0.status.rawValue) \($0.subject) \($0.check): \($0.detail)" }.sorted()
    }

    @Test func plantedLeaksInASingleDatabaseAreFound() throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack("dev")
        #expect(try stack.up().check?.passed == true)

        try superuser(stack, database: "ovu_db").exec("""
            GRANT CONNECT, TEMPORARY ON DATABASE ovu_db TO PUBLIC;
            ALTER ROLE smm_user CREATEDB;
            GRANT USAGE, CREATE ON SCHEMA ulm TO smm_user;
            GRANT SELECT ON ulm.roles TO smm_user;
            GRANT INSERT ON ulm.users TO aam_user;
            REVOKE SELECT ON ulm.users FROM sam_user;
            """)
        let report = try stack.checker().run()
        #expect(!report.passed)
        #expect(problems(report) == [
            "fail sam_user reads: SELECT on ovu_db.ulm.users",
            "leak PUBLIC public: CONNECT on database ovu_db",
            "leak PUBLIC public: TEMPORARY on database ovu_db",
            "leak aam_user isolation: may write ovu_db.ulm.users (owned by ulm_user)",
            "leak smm_user isolation: may CREATE in ovu_db.ulm",
            "leak smm_user reads: may read ovu_db.ulm.roles, which no `reads` grants",
            "leak smm_user role: has superuser, createdb, createrole or bypassrls",
        ], "\(problems(report))")

        // Provisioning owns roles, database and schema privileges and the `reads` grants: the
        // next up takes those back. Table grants it did not plan stay reported until revoked.
        let again = try stack.up()
        #expect(problems(try #require(again.check)) == [
            "leak aam_user isolation: may write ovu_db.ulm.users (owned by ulm_user)",
            "leak smm_user reads: may read ovu_db.ulm.roles, which no `reads` grants",
        ])
        try superuser(stack, database: "ovu_db").exec("REVOKE SELECT ON ulm.roles FROM smm_user; REVOKE INSERT ON ulm.users FROM aam_user;")
        #expect(try stack.checker().run().passed)
    }

    @Test func aConnectGrantAcrossServiceDatabasesIsFoundAndTakenBack() throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack("stage")
        #expect(try stack.up().check?.passed == true)

        try superuser(stack, database: "postgres").exec("GRANT CONNECT ON DATABASE ulm_db TO smm_user")
        let report = try stack.checker().run()
        // The catalog matrix and the real login attempt both catch it.
        #expect(problems(report) == ["leak smm_user isolation: logged in to ulm_db", "leak smm_user isolation: may connect to ulm_db"], "\(problems(report))")
        #expect(try stack.up().check?.passed == true)
    }
}
