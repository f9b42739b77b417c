import Foundation
import Stack
import Testing
import TestSupport
import Topology
import Workspace

/// Chosen names on a running native stack: the scenario's database, a service's role and schema
/// are what provisioning creates, `check` passes on them, and the services log in with them.
@Suite(.ownThread) struct NamesStackTests {
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

        // The backup of the chosen schema holds its tables and verifies.
        let runner = BackupRunner(stack: stack)
        let target = try #require(stack.plan.backups.targets.first { $0.schema == "identity" })
        #expect(target.name == "shopdb.identity" && target.database == "shopdb")
        let (_, verify) = try runner.backupAndVerify(target)
        #expect(verify.passed, "\(verify.error ?? "") \(verify.tables)")
        #expect(verify.tables.map(\.object).contains("identity.users"), "\(verify.tables.map(\.object))")
    }
}

/// A dedicated server with a chosen name runs natively under that name, and `check` passes.
@Suite(.ownThread) struct DedicatedNamesStackTests {
    @Test func aNamedDedicatedServerRuns() throws {
        let project = try TempProject { json in
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["ded"] = ["layout": "db-per-service", "servers": "dedicated", "serverNames": ["ulm": "ulm-db"]]
            json["scenarios"] = scenarios
        }
        defer { project.close() }
        let stack = try project.stack("ded")
        #expect(stack.plan.servers.map(\.name) == ["postgres-aam", "postgres-sam", "postgres-smm", "redis", "ulm-db"])
        let report = try stack.up()
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        #expect(report.servers.contains { $0.name == "ulm-db" && $0.running })
        let server = try #require(stack.plan.server("ulm-db"))
        let ulm = try #require(stack.plan.instance("ulm")?.database)
        #expect(ulm.server == "ulm-db")
        let own = try PGConnection(PGConnectionParameters(port: server.port, user: ulm.role, password: stack.secrets[ulm.secret.variable], database: ulm.database))
        #expect(try own.exec("SELECT count(*) AS n FROM users").column("n") == ["3"])
    }
}

/// URL parameters, extra variables, pool settings and the connection budget on a running stack:
/// what the service process gets in its environment, what libpq makes of the URL, the roles'
/// CONNECTION LIMIT and the server's max_connections.
@Suite(.ownThread) struct EnvContractStackTests {
    static func environ(_ pid: Int32) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        var env: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let eq = text.firstIndex(of: "=") else { continue }
            env[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        return env
    }

    @Test func paramsEnvAndLimitsReachTheRunningStack() throws {
        let project = try TempProject { json in
            var servers = json["servers"] as! [String: [String: Any]]
            servers["postgres"]!["params"] = ["application_name": "ovu dev&1"]
            servers["postgres"]!["maxConnections"] = 180
            json["servers"] = servers
            var services = json["services"] as! [String: [String: Any]]
            var db = services["ulm"]!["database"] as! [String: Any]
            db["params"] = ["options": "-c statement_timeout=4321"]
            var pool = db["pool"] as! [String: Any]
            pool["prePing"] = true
            pool["recycle"] = 60
            db["pool"] = pool
            services["ulm"]!["database"] = db
            services["ulm"]!["env"] = ["ULM_DB": "${DATABASE_URL}", "GREETING": "a b $HOME #1", "POOL": "${DB_POOL_SIZE}+${DB_MAX_OVERFLOW}"]
            json["services"] = services
        }
        defer { project.close() }
        let stack = try project.stack("dev")
        let report = try stack.up()
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")

        let status = stack.status().instances
        let ulmPid = try #require(status.first { $0.instance == "ulm" }?.pid)
        let aamPid = try #require(status.first { $0.instance == "aam" }?.pid)
        let ulm = try Self.environ(ulmPid)
        let url = try #require(ulm["DATABASE_URL"])
        // Compared after the password, which must not reach the test log.
        let hostPart = url.split(separator: "@").last.map(String.init)
        #expect(hostPart?.hasSuffix("/ovu_db?application_name=ovu%20dev%261&options=-c%20statement_timeout%3D4321") == true, "\(hostPart ?? "")")
        let aliasIsTheURL = ulm["ULM_DB"] == url  // not compared inside #expect, which would print the password
        #expect(aliasIsTheURL, "ULM_DB is not DATABASE_URL")
        #expect(ulm["GREETING"] == "a b $HOME #1")
        #expect(ulm["POOL"] == "20+10")
        #expect(ulm["DB_POOL_PRE_PING"] == "true" && ulm["DB_POOL_RECYCLE"] == "60")
        let aam = try Self.environ(aamPid)
        #expect(aam["ULM_READ_SCHEMA"] == "ulm")
        #expect(aam["ULM_READ_DATABASE_URL"]?.contains("?application_name=ovu%20dev%261") == true)

        // libpq reads the URL as meant: the escaped options and application name arrive.
        let psql = try Subprocess.run(["psql", "-X", "-At", url, "-c", "SHOW statement_timeout", "-c", "SELECT current_setting('application_name')"])
        #expect(psql.status == 0, "\(psql.output)")
        #expect(psql.output.split(separator: "\n").map(String.init) == ["4321ms", "ovu dev&1"])

        // The budget: each role's limit is its pool, the server runs with the written maximum.
        let server = try #require(stack.plan.servers.first { $0.engine == .postgres })
        let admin = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres", password: stack.secrets[server.superuserSecret!.variable], database: "postgres"))
        #expect(try admin.exec("SHOW max_connections").column("max_connections") == ["180"])
        let limits = try admin.exec("SELECT rolname || ' ' || rolconnlimit AS r FROM pg_roles WHERE rolname IN ('ulm_user', 'aam_user', 'analytics') ORDER BY 1").column("r")
        #expect(limits == ["aam_user 15", "analytics 5", "ulm_user 30"])
        // A limit changed by hand is taken back by the next up.
        _ = try admin.exec("ALTER ROLE ulm_user CONNECTION LIMIT -1")
        _ = try stack.up()
        #expect(try admin.exec("SELECT rolconnlimit::text AS n FROM pg_roles WHERE rolname = 'ulm_user'").column("n") == ["30"])

        // A new maxConnections restarts the running server with it; a smaller pool lowers the limit.
        let path = "\(project.directory)/ovu.topology.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var servers = json["servers"] as! [String: [String: Any]]
        servers["postgres"]!["maxConnections"] = 190
        json["servers"] = servers
        var services = json["services"] as! [String: [String: Any]]
        var db = services["ulm"]!["database"] as! [String: Any]
        db["pool"] = ["size": 4, "maxOverflow": 1]
        services["ulm"]!["database"] = db
        json["services"] = services
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
        let loaded = try Project.load(topologyPath: path)
        let changed = NativeStack(project: loaded, plan: try loaded.plan(scenario: "dev"))
        let again = try changed.up()
        #expect(again.check?.passed == true)
        #expect(again.provisioned.contains { $0.hasSuffix("role ulm_user: connection limit 5") }, "\(again.provisioned)")
        let admin2 = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres", password: stack.secrets[server.superuserSecret!.variable], database: "postgres"))
        #expect(try admin2.exec("SHOW max_connections").column("max_connections") == ["190"])
        #expect(try admin2.exec("SELECT rolconnlimit::text AS n FROM pg_roles WHERE rolname = 'ulm_user'").column("n") == ["5"])
    }
}

/// On a real MariaDB: `max_connections` as written, each user's MAX_USER_CONNECTIONS its pool, and
/// the per-engine `urlScheme` of a service moved to MySQL.
@Suite(.ownThread) struct MySQLBudgetStackTests {
    @Test func mariaDBStartsWithTheBudgetAndLimitsUsers() throws {
        if let missing = MySQLTools.missing() {
            throw EngineError("\(missing) not installed: \(MySQLTools.installCommand) (scripts/install-deps.sh does it)")
        }
        let project = try TempProject { json in
            var servers = json["servers"] as! [String: [String: Any]]
            servers["mysql"]!["maxConnections"] = 150
            json["servers"] = servers
            var services = json["services"] as! [String: [String: Any]]
            services["sam"]!["database"] = ["urlScheme": ["postgres": "postgresql+asyncpg", "mysql": "mysql+aiomysql"], "pool": ["size": 3, "maxOverflow": 2]]
            json["services"] = services
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["mysqlmix"] = ["layout": "mixed", "engines": ["sam": "mysql"]]
            json["scenarios"] = scenarios
        }
        defer { project.close() }
        let stack = try project.stack("mysqlmix")
        let mysql = try #require(stack.plan.servers.first { $0.engine == .mysql })
        let report = try stack.up()
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok && $0.status != .skipped }.map(\.detail) ?? [])")
        let admin = try #require(stack.mysqlAdmins[mysql.name])
        #expect(try admin.exec("SELECT @@max_connections;").rows == [["150"]])
        #expect(try admin.exec("SELECT max_user_connections FROM mysql.user WHERE user = 'sam_user';").rows == [["5"]])
        let sam = try #require(stack.plan.instance("sam"))
        let env = ServiceProcesses(plan: stack.plan, paths: stack.paths, projectDirectory: stack.project.directory, secrets: stack.secrets).environment(for: sam)
        #expect(env["DATABASE_URL"]?.hasPrefix("mysql+aiomysql://sam_user:") == true)
    }
}
