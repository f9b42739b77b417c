import Foundation
import Stack
import Testing
import TestSupport
import Topology

/// `servers.<s>.host` on a real server: a PostgreSQL 15 that this test starts itself plays the
/// existing server (a managed PostgreSQL) on loopback; ovudev never starts or stops it.
@Suite(.serialized, .ownThread) struct ExistingServerTests {
    /// An admin with a password that needs percent-encoding in a URL.
    static let adminPassword = "p@ss:w/rd%x y"

    static func adminURL(_ pg: PostgresServer, password: String = adminPassword) -> String {
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? password
        return "postgresql://admin:\(encoded)@127.0.0.1:\(pg.port)/postgres?sslmode=disable"
    }

    /// The example project with its `postgres` server replaced by the existing one.
    static func project(_ pg: PostgresServer) throws -> TempProject {
        _ = try pg.query("CREATE ROLE admin LOGIN SUPERUSER PASSWORD '\(adminPassword.replacingOccurrences(of: "'", with: "''"))'")
        return try TempProject { json in
            var servers = json["servers"] as! [String: [String: Any]]
            servers["postgres"] = ["engine": "postgres", "version": "15", "host": "127.0.0.1", "port": pg.port]
            json["servers"] = servers
            // Dedicated servers cannot be made from an existing one.
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["prod"] = nil
            json["scenarios"] = scenarios
        }
    }

    func databases(_ pg: PostgresServer) throws -> [String] {
        try pg.query("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1")
    }

    /// Without the variable `up` refuses, naming it, before anything is created; with a wrong
    /// password too. With it, `up` provisions the existing server (never starting one of its
    /// own), `check` passes, and `down` leaves the existing server running.
    @Test func upProvisionsTheExistingServerOnlyWithItsAdminURL() throws {
        let pg = try PostgresServer.start()
        defer { pg.stop() }
        let project = try Self.project(pg)
        defer { project.close() }
        let variable = "OVU_POSTGRES_ADMIN_URL"

        let refused = try ovudev(["up", "--scenario", "stage"], directory: project.directory, environment: [variable: ""])
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.output.contains("set \(variable) to its admin URL"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: "\(project.directory)/.ovu/stage"), "up left state behind")
        #expect(try databases(pg) == ["postgres"], "up changed the existing server")

        let wrong = try ovudev(["up", "--scenario", "stage"], directory: project.directory,
                               environment: [variable: Self.adminURL(pg, password: "not it")])
        #expect(wrong.status == 2, "\(wrong.output)")
        #expect(wrong.output.contains("does not answer the admin login from \(variable)"), "\(wrong.output)")
        #expect(!wrong.output.contains("not it"), "the password reached the output")
        #expect(try databases(pg) == ["postgres"])

        let env = [variable: Self.adminURL(pg)]
        let up = try ovudev(["up", "--scenario", "stage"], directory: project.directory, environment: env)
        #expect(up.status == 0, "\(up.output)")
        #expect(!up.output.contains(Self.adminPassword) && !up.output.contains("p%40ss"), "the admin password reached the output")
        #expect(try databases(pg) == ["aam_db", "postgres", "sam_db", "smm_db", "ulm_db"])
        let check = try ovudev(["check", "--scenario", "stage"], directory: project.directory, environment: env)
        #expect(check.status == 0, "\(check.output)")
        // The services were given the existing server's address.
        let stack = try project.stack("stage")
        let ulm = try #require(stack.plan.instance("ulm"))
        let pid = try #require(stack.status().instances.first { $0.instance == "ulm" }?.pid)
        #expect(try IsolationExpectations.processEnvironment(pid)["DB_PORT"] == String(pg.port))
        #expect(ulm.database?.server == "postgres")

        let down = try ovudev(["down", "--scenario", "stage"], directory: project.directory, environment: env)
        #expect(down.status == 0, "\(down.output)")
        #expect(try pg.query("SELECT 1") == ["1"], "down stopped the existing server")
    }

    /// The refusals as values: unset, not a URL, a login the server does not take; none with the right URL.
    @Test func refusalsNameServerVariableAndReason() throws {
        let pg = try PostgresServer.start()
        defer { pg.stop() }
        let project = try Self.project(pg)
        defer { project.close() }
        let plan = try project.stack("stage").plan
        let variable = "OVU_POSTGRES_ADMIN_URL"
        func refusal(_ reason: ExistingServerRefusal.Reason) -> ExistingServerRefusal {
            ExistingServerRefusal(server: "postgres", host: "127.0.0.1", port: pg.port, variable: variable, reason: reason)
        }
        #expect(throws: refusal(.unset)) { try NativeStack.checkExistingServers(plan, environment: [:]) }
        #expect(throws: refusal(.unset)) { try NativeStack.checkExistingServers(plan, environment: [variable: ""]) }
        let invalid = #expect(throws: ExistingServerRefusal.self) { try NativeStack.checkExistingServers(plan, environment: [variable: "postgresql://127.0.0.1:\(pg.port)/postgres"]) }
        #expect(invalid.map { if case .invalid = $0.reason { true } else { false } } == true, "\(String(describing: invalid))")
        let wrong = #expect(throws: ExistingServerRefusal.self) { try NativeStack.checkExistingServers(plan, environment: [variable: Self.adminURL(pg, password: "wrong")]) }
        #expect(wrong.map { if case .unreachable = $0.reason { true } else { false } } == true, "\(String(describing: wrong))")
        #expect(wrong?.exitStatus == 2)
        try NativeStack.checkExistingServers(plan, environment: [variable: Self.adminURL(pg)])
        #expect(try databases(pg) == ["postgres"], "checking changed the server")
    }

    /// The bundle's provision-postgres.sh, run with bash against the existing server, provisions
    /// it and is idempotent (twice, the second changes nothing in the catalog); `--grants` after
    /// the migrations; without the variable it refuses naming it.
    @Test func renderedProvisionScriptProvisionsAndIsIdempotent() throws {
        let pg = try PostgresServer.start()
        defer { pg.stop() }
        let project = try Self.project(pg)
        defer { project.close() }
        let bundle = "\(project.directory)/render/stage"
        let render = try ovudev(["render", "--scenario", "stage", "--out", bundle], directory: project.directory)
        #expect(render.status == 0, "\(render.output)")
        let script = "\(bundle)/provision-postgres.sh"
        #expect(FileManager.default.isExecutableFile(atPath: script))
        #expect(!(try String(contentsOfFile: script, encoding: .utf8)).contains(Self.adminPassword))

        let path = "\(PostgresServer.binDirectory):/usr/bin:/bin"
        let unset = try Subprocess.run(["/bin/bash", script], environment: ["PATH": path], directory: bundle)
        #expect(unset.status != 0)
        #expect(unset.output.contains("OVU_POSTGRES_ADMIN_URL must be set"), "\(unset.output)")

        let env = ["PATH": path, "OVU_POSTGRES_ADMIN_URL": Self.adminURL(pg)]
        let catalog = """
            SELECT string_agg(format('%s %s %s', d.datname, pg_get_userbyid(d.datdba), d.datacl), E'\\n' ORDER BY d.datname)
                || E'\\n' || (SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname !~ '^pg_')
            FROM pg_database d WHERE NOT d.datistemplate
            """
        let first = try Subprocess.run(["/bin/bash", script], environment: env, directory: bundle)
        #expect(first.status == 0, "\(first.output)")
        let after = try pg.query(catalog)
        let second = try Subprocess.run(["/bin/bash", script], environment: env, directory: bundle)
        #expect(second.status == 0, "\(second.output)")
        #expect(try pg.query(catalog) == after, "the second run changed the catalog")
        #expect(try databases(pg) == ["aam_db", "postgres", "sam_db", "smm_db", "ulm_db"])

        // The role passwords of the bundle work: aam_user logs in to its own database only.
        let aamPassword = try #require(try Self.secret("AAM_DB_PASSWORD", in: project))
        let smmPassword = try #require(try Self.secret("SMM_DB_PASSWORD", in: project))
        let aam = try pg.attempt("SELECT current_user", database: "aam_db", user: "aam_user", password: aamPassword)
        #expect(aam.succeeded, "\(aam)")
        let intruder = try pg.attempt("SELECT 1", database: "ulm_db", user: "smm_user", password: smmPassword)
        #expect(!intruder.succeeded)

        // After the migrations (a table of ulm), the table grants.
        _ = try pg.psql(["-c", "CREATE TABLE users (id int); CREATE TABLE roles (id int); ALTER TABLE users OWNER TO ulm_user; ALTER TABLE roles OWNER TO ulm_user"], database: "ulm_db")
        let grants = try Subprocess.run(["/bin/bash", script, "--grants"], environment: env, directory: bundle)
        #expect(grants.status == 0, "\(grants.output)")
        let read = try pg.attempt("SELECT count(*) FROM users", database: "ulm_db", user: "aam_user", password: aamPassword)
        #expect(read.succeeded, "\(read)")
    }

    /// A generated secret of the project, as `ovudev render` stored it.
    static func secret(_ variable: String, in project: TempProject) throws -> String? {
        let stack = try project.stack("stage")
        try stack.loadSecrets(create: false)
        return stack.secrets[variable]
    }
}
