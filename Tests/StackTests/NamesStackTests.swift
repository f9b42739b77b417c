import Foundation
import Stack
import Testing
import Topology

/// Chosen names on a running native stack: the scenario's database, a service's role and schema
/// are what provisioning creates, `check` passes on them, and the services log in with them.
@Suite struct NamesStackTests {
    @Test func chosenDatabaseRoleAndSchemaRunNatively() throws {
        let project = try TempProject { json in
            var services = json["services"] as! [String: [String: Any]]
            var ulm = services["ulm"]!["database"] as! [String: Any]
            ulm["role"] = "identity_user"
            ulm["schema"] = "identity"
            services["ulm"]!["database"] = ulm
            json["services"] = services
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["dev"]!["database"] = "shopdb"
            json["scenarios"] = scenarios
        }
        defer { project.close() }
        let stack = try project.stack("dev")
        let report = try stack.up()
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")

        let server = try #require(stack.plan.servers.first { $0.engine == .postgres })
        let ulm = try #require(stack.plan.instance("ulm")?.database)
        #expect(ulm.role == "identity_user" && ulm.schema == "identity" && ulm.database == "shopdb")
        // The service's own login: its search_path starts at its schema, where its migration put the tables.
        let own = try PGConnection(PGConnectionParameters(port: server.port, user: "identity_user", password: stack.secrets[ulm.secret.variable], database: "shopdb"))
        #expect(try own.exec("SELECT current_schema()").column("current_schema") == ["identity"])
        #expect(try own.exec("SELECT count(*) AS n FROM users").column("n") == ["3"])
        // A reader's grant is on the chosen schema.
        let aam = try #require(stack.plan.instance("aam")?.database)
        let reader = try PGConnection(PGConnectionParameters(port: server.port, user: aam.role, password: stack.secrets[aam.secret.variable], database: "shopdb"))
        #expect(try reader.exec("SELECT count(*) AS n FROM identity.users").column("n") == ["3"])
        // No database with the derived name was made.
        let admin = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres", password: stack.secrets[server.superuserSecret!.variable], database: "postgres"))
        #expect(try admin.exec("SELECT datname FROM pg_database WHERE datname LIKE 'ovu%' OR datname = 'shopdb' ORDER BY 1").column("datname") == ["shopdb"])
        #expect(try admin.exec("SELECT rolname FROM pg_roles WHERE rolname LIKE '%ulm%' OR rolname = 'identity_user'").column("rolname") == ["identity_user"])
    }
}
