import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// `ovudev check` must fail when isolation is broken: leaks planted by the superuser on a running
/// stack, each found with its subject and check, and the next `up` converges what provisioning owns.
@Suite(.ownThread) struct CheckTests {
    func superuser(_ stack: NativeStack, database: String) throws -> PGConnection {
        let server = try #require(stack.plan.servers.first { $0.engine == .postgres })
        return try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres",
                                                       password: stack.secrets[server.superuserSecret!.variable], database: database))
    }

    /// The leaks and failures, in one order (status, subject, check, sentence).
    func problems(_ report: CheckReport) -> [CheckFinding] {
        sorted(report.findings.filter { $0.status == .leak || $0.status == .fail })
    }

    func sorted(_ findings: [CheckFinding]) -> [CheckFinding] {
        findings.sorted { "\($0.status.rawValue) \($0.subject) \($0.check): \($0.detail)" < "\($1.status.rawValue) \($1.subject) \($1.check): \($1.detail)" }
    }

    func leak(_ subject: String, _ check: String, _ kind: FindingKind) -> CheckFinding {
        CheckFinding(subject: subject, check: check, status: .leak, kind: kind)
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
        let postgres = try #require(stack.plan.servers.first { $0.engine == .postgres }).name
        let mayWrite = leak("aam_user", "isolation", .mayWrite(role: "aam_user", database: "ovu_db", table: "ulm.users", owner: "ulm_user"))
        let mayRead = leak("smm_user", "reads", .mayRead(role: "smm_user", database: "ovu_db", table: "ulm.roles"))
        #expect(problems(report) == sorted([
            CheckFinding(subject: "sam_user", check: "reads", status: .fail, kind: .reads(role: "sam_user", database: "ovu_db", table: "ulm.users")),
            leak("PUBLIC", "public", .publicHas(database: "ovu_db", privilege: "CONNECT")),
            leak("PUBLIC", "public", .publicHas(database: "ovu_db", privilege: "TEMPORARY")),
            mayWrite,
            leak("smm_user", "isolation", .schemaPrivilege(role: "smm_user", database: "ovu_db", schema: "ulm", privilege: .create)),
            mayRead,
            leak("smm_user", "role", .roleAttributes(role: "smm_user", server: postgres)),
        ]), "\(problems(report).map(\.kind))")

        // Provisioning owns roles, database and schema privileges and the `reads` grants: the
        // next up takes those back. Table grants it did not plan stay reported until revoked.
        let again = try stack.up()
        #expect(problems(try #require(again.check)) == sorted([mayWrite, mayRead]))
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
        #expect(problems(report) == sorted([leak("smm_user", "isolation", .loggedIn(role: "smm_user", database: "ulm_db")),
                                            leak("smm_user", "isolation", .mayConnect(role: "smm_user", databases: ["ulm_db"]))]),
                "\(problems(report).map(\.kind))")
        #expect(try stack.up().check?.passed == true)
    }
}
