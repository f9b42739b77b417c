import Foundation
import Stack
import Testing
import TestSupport
import Topology

/// `scenarios.<s>.services` on real servers: the native stack of a scenario that runs two of the
/// example's four services has no trace of the others.
@Suite(.ownThread) struct ScenarioServicesStackTests {
    @Test func leftOutServicesAreNotProvisionedNorStarted() throws {
        let project = try TempProject { json in
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["pair"] = ["layout": "db-per-service", "services": ["ulm", "aam"]]
            json["scenarios"] = scenarios
        }
        defer { project.close() }
        let stack = try project.stack("pair")
        let report = try stack.up()
        let check = try #require(report.check)
        #expect(check.passed, "\(check.findings.filter { $0.status != .ok && $0.status != .skipped })")
        #expect(stack.status().instances.map(\.instance).sorted() == ["aam", "ulm"])
        #expect(stack.status().servers.map(\.name).sorted() == ["postgres", "redis"])

        let server = try #require(stack.plan.server("postgres"))
        let admin = try PGConnection(PGConnectionParameters(port: server.port, user: "postgres",
                                                            password: stack.secrets[server.superuserSecret!.variable], database: "postgres"))
        let databases = try admin.exec("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1").rows.map { $0[0]! }
        #expect(databases == ["aam_db", "postgres", "ulm_db"])
        let roles = try admin.exec("SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper ORDER BY 1").rows.map { $0[0]! }
        #expect(roles == ["aam_user", "ulm_user"])
        // No process of a left-out service, and nothing listens on their ports.
        for name in ["sam", "smm"] {
            let port = try #require(project.project.topology.service(name)?.port)
            #expect(PortProbe.isFree(port), "\(name)'s port \(port) is taken")
        }
    }
}
