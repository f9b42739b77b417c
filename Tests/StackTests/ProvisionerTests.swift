import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// The native provisioner on real PostgreSQL clusters started by the native engine: every
/// PostgreSQL layout of the example topology, idempotence, equality with the rendered
/// init-db.sql, drift, post-migrate grants.
@Suite(.ownThread) struct ProvisionerTests {
    static let layouts = ["dev", "lean", "stage", "prod", "saas"]

    @Test(arguments: layouts)
    func provisionTwiceChangesNothingTheSecondTime(scenario: String) throws {
        let fixture = try ProvisionFixture(scenario: scenario)
        defer { fixture.close() }
        try fixture.start()

        let first = try fixture.provisioner().provision()
        #expect(first.changes.contains { $0.hasSuffix("role \(fixture.plan.servers.first { $0.engine == .postgres }!.roles[0].name) created") })
        for server in fixture.postgresServers {
            for db in server.databases {
                #expect(first.changes.contains { $0.contains("database \(db.name) created") }, "\(db.name) not reported as created")
            }
        }
        let second = try fixture.provisioner().provision()
        #expect(second.isEmpty, "second run changed: \(second.changes)")
        #expect(second.summary.hasPrefix("nothing to change"))

        // The state file holds fingerprints only, private to the user.
        var info = stat()
        #expect(stat(fixture.statePath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let state = try String(contentsOfFile: fixture.statePath, encoding: .utf8)
        for (_, password) in fixture.secrets { #expect(!state.contains(password)) }

        // Every role logs in to its own database with its secret; the checker finds no leak.
        for instance in fixture.plan.instances {
            guard let access = instance.database, access.engine == .postgres, let server = fixture.plan.server(access.server) else { continue }
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: access.role, password: fixture.secrets[access.secret.variable], database: access.database))
            #expect(try conn.exec("SELECT current_user").rows.first?.first == access.role)
        }
        var checker = Checker(plan: fixture.postgresOnlyPlan, secrets: fixture.secrets)
        checker.checkHealth = false
        let check = try checker.run()
        #expect(check.passed, "\(check.findings.filter { $0.status == .leak || $0.status == .fail })")
    }

    @Test(arguments: layouts)
    func catalogEqualsTheRenderedInitSQL(scenario: String) throws {
        let fixture = try ProvisionFixture(scenario: scenario)
        defer { fixture.close() }
        try fixture.start()
        _ = try fixture.provisioner().provision()
        let native = try fixture.snapshot()

        // A fresh cluster (same secrets), initialised by psql -f of the rendered init-db.sql.
        try fixture.restartFresh()
        try fixture.runRenderedInit()
        let rendered = try fixture.snapshot()
        #expect(native.differences(from: rendered).isEmpty, "native vs init-db.sql:\n\(native.differences(from: rendered).joined(separator: "\n"))")
        #expect(!native.databases.isEmpty && !native.roles.isEmpty)

        // Provisioning over the SQL-made cluster finds only passwords it did not set itself.
        try? FileManager.default.removeItem(atPath: fixture.statePath)
        let over = try fixture.provisioner().provision()
        let roles = Set(fixture.postgresServers.flatMap { $0.roles.map(\.name) })
        #expect(over.changes.allSatisfy { line in roles.contains { line.hasSuffix("role \($0): password set") } }, "\(over.changes)")
        #expect(try fixture.snapshot().differences(from: native).isEmpty)
        #expect(try fixture.provisioner().provision().isEmpty)
    }

    @Test func driftConverges() throws {
        let fixture = try ProvisionFixture(scenario: "dev")
        defer { fixture.close() }
        try fixture.start()
        _ = try fixture.provisioner().provision()
        let before = try fixture.snapshot()

        let admin = try fixture.admin(database: "ovu_db")
        try admin.exec("""
            GRANT CONNECT ON DATABASE ovu_db TO PUBLIC;
            ALTER SCHEMA aam OWNER TO postgres;
            REVOKE CONNECT ON DATABASE ovu_db FROM sam_user;
            GRANT CREATE ON SCHEMA ulm TO smm_user;
            ALTER ROLE analytics CREATEDB;
            ALTER ROLE ulm_user IN DATABASE ovu_db SET search_path = public;
            """)
        let fixed = try fixture.provisioner().provision()
        #expect(fixed.changes.sorted() == [
            "database ovu_db: granted CONNECT to sam_user",
            "database ovu_db: revoked CONNECT from PUBLIC",
            "database ovu_db: revoked CREATE on schema ulm from smm_user",
            "database ovu_db: schema aam owner set to aam_user (was postgres)",
            "database ovu_db: search_path of ulm_user set to ulm, public",
            "role analytics: set NOCREATEDB",
        ])
        let drift = try fixture.snapshot().differences(from: before)
        #expect(drift.isEmpty, "\(drift)")
        #expect(try fixture.provisioner().provision().isEmpty)
    }

    @Test func driftConvergesPerDatabaseLayout() throws {
        let fixture = try ProvisionFixture(scenario: "stage")
        defer { fixture.close() }
        try fixture.start()
        _ = try fixture.provisioner().provision()
        let before = try fixture.snapshot()

        try fixture.admin(database: "ulm_db").exec("""
            GRANT CONNECT ON DATABASE aam_db TO PUBLIC;
            ALTER SCHEMA public OWNER TO postgres;
            REVOKE CONNECT ON DATABASE ulm_db FROM sam_user;
            GRANT CONNECT, TEMPORARY ON DATABASE ulm_db TO smm_user;
            ALTER DATABASE smm_db OWNER TO postgres;
            """)
        // What an interrupted run would leave: a template database, which is not in the plan.
        try fixture.admin(database: "postgres").exec("CREATE DATABASE ovudev_template_0123456789abcdef")
        let fixed = try fixture.provisioner().provision()
        #expect(fixed.notes == ["dropped the template database ovudev_template_0123456789abcdef an interrupted run left behind"])
        #expect(fixed.changes.sorted() == [
            "database aam_db: revoked CONNECT from PUBLIC",
            "database smm_db: owner set to smm_user (was postgres)",
            "database ulm_db: granted CONNECT to sam_user",
            "database ulm_db: revoked CONNECT, TEMPORARY from smm_user",
            "database ulm_db: schema public owner set to ulm_user (was postgres)",
        ])
        let drift = try fixture.snapshot().differences(from: before)
        #expect(drift.isEmpty, "\(drift)")
        #expect(try fixture.provisioner().provision().isEmpty)
    }

    @Test func changedSecretSetsThatPasswordOnly() throws {
        let fixture = try ProvisionFixture(scenario: "stage")
        defer { fixture.close() }
        try fixture.start()
        _ = try fixture.provisioner().provision()
        // A password with a quote and a backslash, to prove the literal.
        fixture.secrets["AAM_DB_PASSWORD"] = "new'pass\\word"
        let changed = try fixture.provisioner().provision()
        #expect(changed.changes == ["role aam_user: password set (the secret or the stored password changed)"])
        let server = try #require(fixture.plan.server("postgres"))
        let conn = try PGConnection(PGConnectionParameters(port: server.port, user: "aam_user", password: "new'pass\\word", database: "aam_db"))
        #expect(try conn.exec("SELECT 1").rows.count == 1)
        // Someone resets it by hand: the next run puts the secret back.
        try fixture.admin(database: "postgres").exec("ALTER ROLE aam_user PASSWORD 'by-hand'")
        #expect(try fixture.provisioner().provision().changes == ["role aam_user: password set (the secret or the stored password changed)"])
        #expect(try fixture.provisioner().provision().isEmpty)
    }

    @Test(arguments: ["dev", "stage", "lean"])
    func postMigrateGrantsReadsOnceTheTablesExist(scenario: String) throws {
        let fixture = try ProvisionFixture(scenario: scenario)
        defer { fixture.close() }
        try fixture.start()
        _ = try fixture.provisioner().provision()

        // Before migrations: the `reads` tables are missing, and that is said.
        let early = try fixture.provisioner().applyPostMigrate()
        #expect(early.isEmpty)
        #expect(early.notes.contains { $0.contains("users does not exist") }, "\(early.notes)")

        let ulm = try #require(fixture.plan.instance("ulm")?.database)
        let server = try #require(fixture.plan.server(ulm.server))
        let owner = try PGConnection(PGConnectionParameters(port: server.port, user: ulm.role, password: fixture.secrets[ulm.secret.variable], database: ulm.database))
        let prefix = ulm.tablePrefix ?? ""
        try owner.exec("CREATE TABLE \(prefix)users (id int PRIMARY KEY, name text); CREATE TABLE \(prefix)roles (id int PRIMARY KEY); CREATE TABLE \(prefix)secrets (id int)")
        if fixture.plan.analytics {
            // A table the default privileges do not cover (made by the superuser).
            try fixture.admin(database: ulm.database).exec("CREATE TABLE \(ulm.schema ?? "public").audit (id int)")
        }

        let report = try fixture.provisioner().applyPostMigrate()
        let schema = ulm.schema ?? "public"
        var expected: [String] = []
        for reader in ["aam_user", "sam_user"] {
            for table in ["roles", "users"] { expected.append("database \(ulm.database): granted SELECT on \(schema).\(prefix)\(table) to \(reader)") }
        }
        if fixture.plan.analytics { expected.append("database \(ulm.database): granted SELECT on table audit of schema \(schema) to analytics") }
        #expect(report.changes.sorted() == expected.sorted())
        #expect(report.notes.isEmpty, "\(report.notes)")

        for reader in ["aam", "sam"] {
            let access = try #require(fixture.plan.instance(reader)?.reads.first)
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: access.role, password: fixture.secrets[access.secret.variable], database: access.database))
            #expect(try conn.exec("SELECT count(*) FROM \(schema).\(prefix)users").rows.first?.first == "0")
            let denied = try #require(#expect(throws: PGError.self) { try conn.exec("SELECT count(*) FROM \(schema).\(prefix)secrets") })
            #expect(denied.sqlstate == "42501", "\(denied)")
        }
        if fixture.plan.analytics {
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: "analytics", password: fixture.secrets["ANALYTICS_ROLE_PASSWORD"], database: ulm.database))
            #expect(try conn.exec("SELECT count(*) FROM \(schema).secrets").rows.first?.first == "0")
            #expect(try conn.exec("SELECT count(*) FROM \(schema).audit").rows.first?.first == "0")
        }
        let again = try fixture.provisioner().applyPostMigrate()
        #expect(again.isEmpty, "\(again.changes)")
        #expect(again.notes.isEmpty)
        #expect(try fixture.provisioner().provision().isEmpty)
    }

    /// ovudev's own superuser connections use the socket without a password (peer, mapped from
    /// the account running ovudev); nobody else gets in there without a password, and TCP always
    /// asks for one.
    @Test func onlyTheSuperuserOfThisAccountSkipsThePasswordOnTheSocket() throws {
        let fixture = try ProvisionFixture(scenario: "stage")
        defer { fixture.close() }
        try fixture.start()
        _ = try fixture.provisioner().provision()
        let server = fixture.postgresServers[0]
        let socket = try #require(fixture.engine.adminSockets()[server.name])
        let superuser = server.superuser ?? "postgres"
        let admin = try PGConnection(PGConnectionParameters(host: socket, port: server.port, user: superuser, password: nil, database: "postgres"))
        #expect(try admin.exec("SELECT current_user").rows.first?.first == superuser)
        let role = try #require(server.roles.first { !$0.readOnly })
        for (host, user, password) in [(socket, role.name, nil), ("127.0.0.1", superuser, nil), ("127.0.0.1", superuser, "wrong")] {
            let refused = try #require(#expect(throws: PGError.self) {
                _ = try PGConnection(PGConnectionParameters(host: host, port: server.port, user: user, password: password, database: "postgres"))
            })
            #expect(refused.sqlstate == "28P01", "\(host) \(user) \(password ?? "no password"): \(refused)")
        }
    }

    @Test func mysqlAndMongoDBServersAreSkippedWithANote() throws {
        let fixture = try ProvisionFixture(scenario: "hybrid")
        defer { fixture.close() }
        try fixture.start()
        let report = try fixture.provisioner().provision()
        #expect(report.notes.count == 2)
        #expect(report.notes.contains { $0.contains("server mysql (mysql) was not provisioned") && $0.contains("sam needs the docker engine") })
        #expect(report.notes.contains { $0.contains("server mongodb (mongodb)") && $0.contains("smm needs the docker engine") })
        #expect(try fixture.provisioner().provision().isEmpty)
    }

    @Test func templatesAndParallelismGiveTheSameCatalog() throws {
        // Many tenants: databases cloned from a template over several connections, compared with
        // one connection and no template.
        let tenants = (1...6).map { "t\($0)" }
        let fixture = try ProvisionFixture(scenario: "saas", tenants: tenants)
        defer { fixture.close() }
        try fixture.start()
        let report = try fixture.provisioner().provision()
        #expect(report.notes.isEmpty, "\(report.notes)")
        let fast = try fixture.snapshot()
        #expect(!fast.databases.contains { $0.contains("ovudev_template") })
        #expect(fast.extensions.filter { $0.contains("pg_trgm") }.count == tenants.count)

        try fixture.restartFresh()
        var plain = fixture.provisioner()
        plain.parallelism = 1
        plain.templateThreshold = nil
        _ = try plain.provision()
        let drift = try fixture.snapshot().differences(from: fast)
        #expect(drift.isEmpty, "\(drift)")
    }
}
