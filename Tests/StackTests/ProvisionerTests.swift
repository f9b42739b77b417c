import Foundation
import Renderers
import Stack
import Testing
import Topology

/// The native provisioner on real PostgreSQL clusters started by the native engine: every
/// PostgreSQL layout of the example topology, idempotence, equality with the rendered
/// init-db.sql, drift, post-migrate grants.
@Suite struct ProvisionerTests {
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

/// bench/provision.sh: per-tenant provisioning (100 tenants × 5 services by default) through the
/// provisioner vs `psql -f` of the rendered init-db.sql, each on a fresh cluster made by the
/// native engine, measured in one run. Runs only when OVUDEV_BENCH_TENANTS is set.
@Suite struct ProvisionerBench {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["OVUDEV_BENCH_TENANTS"] != nil))
    func perTenantProvisioningVersusPsql() throws {
        let tenants = Int(Self.environment["OVUDEV_BENCH_TENANTS"] ?? "") ?? 100
        let runs = Int(Self.environment["OVUDEV_BENCH_RUNS"] ?? "") ?? 1
        let fixture = try ProvisionFixture(scenario: "saas", tenants: (1...tenants).map { String(format: "t%03d", $0) }) { json in
            // The example's four services plus a fifth that reads ulm; no processes, only data.
            var services = json["services"] as! [String: [String: Any]]
            services["nmm"] = ["port": 8007, "database": [String: Any](), "redis": [String: Any](), "dependsOn": ["ulm"], "reads": ["ulm": ["users"]]]
            for name in services.keys { for key in ["path", "migrate", "command", "health", "seed"] { services[name]![key] = nil } }
            json["services"] = services
            var servers = json["servers"] as! [String: [String: Any]]
            servers["mysql"] = nil
            servers["mongodb"] = nil
            json["servers"] = servers
            json["scenarios"] = ["saas": ["layout": "per-tenant", "portStride": 10]]
            json["defaultScenario"] = "saas"
        }
        defer { fixture.close() }
        let server = fixture.postgresServers[0]
        print("bench: \(tenants) tenants × \(fixture.plan.instances.count / tenants) services = \(server.databases.count) databases, \(server.roles.count) roles")
        // A provisioner per round: it keeps idle connections, which die with each fresh cluster.
        func makeProvisioner() -> Provisioner {
            var provisioner = fixture.provisioner()
            if let p = Int(Self.environment["OVUDEV_BENCH_PARALLELISM"] ?? "") { provisioner.parallelism = p }
            if Self.environment["OVUDEV_BENCH_NO_TEMPLATE"] != nil { provisioner.templateThreshold = nil }
            if Self.environment["OVUDEV_BENCH_WAL_LOG"] != nil { provisioner.fileCopyThreshold = nil }
            return provisioner
        }

        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var psqlTimes: [Double] = [], nativeTimes: [Double] = [], warmTimes: [Double] = [], checkTimes: [Double] = [], recheckTimes: [Double] = [], floorTimes: [Double] = []
        var logins: [Int] = []
        for run in 0..<runs {
            // Alternate which side goes first, each on a fresh cluster.
            // OVUDEV_BENCH_NATIVE_ONLY: provisioner side only (to try settings).
            let sides = Self.environment["OVUDEV_BENCH_NATIVE_ONLY"] != nil ? ["native"] : (run % 2 == 0 ? ["psql", "native"] : ["native", "psql"])
            for side in sides {
                try fixture.restartFresh()
                if side == "psql" {
                    psqlTimes.append(try seconds { try fixture.runRenderedInit(psqlOutput: "\(fixture.directory)/psql.out") })
                } else {
                    let provisioner = makeProvisioner()
                    var report = ProvisionReport()
                    let start = DispatchTime.now().uptimeNanoseconds
                    let trace = Self.environment["OVUDEV_BENCH_TRACE"] != nil
                    nativeTimes.append(try seconds {
                        report = try provisioner.provision { step in
                            if trace { print(String(format: "bench:   %6.2f s  %@", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, step)) }
                        }
                    })
                    #expect(report.changes.count > server.databases.count)
                    var again = ProvisionReport()
                    warmTimes.append(try seconds { again = try provisioner.provision() })
                    #expect(again.isEmpty)
                    // `ovudev check` on every database: catalog matrix plus sampled real logins.
                    var checker = Checker(plan: fixture.postgresOnlyPlan, secrets: fixture.secrets)
                    checker.checkHealth = false
                    checker.adminSockets = fixture.engine.adminSockets()
                    var checked: CheckReport?
                    checkTimes.append(try seconds { checked = try checker.run() })
                    let check = try #require(checked)
                    let problems: [CheckFinding] = check.findings.filter { $0.status != CheckFinding.Status.ok }
                    #expect(check.passed, "\(problems)")
                    let probes: [CheckFinding] = check.findings.filter { if case .connects = $0.kind { $0.status == .ok } else { false } }
                    logins.append(probes.count)
                    // Again, as a developer runs it later: the new databases' catalogs are read,
                    // the disk has written back what provisioning copied.
                    var recheck: CheckReport?
                    recheckTimes.append(try seconds { recheck = try checker.run() })
                    #expect(recheck?.findings == check.findings)
                    // The floor under it: the superuser opens one connection to every database and
                    // runs `SELECT 1`, with as many connections at once as the check uses. A new
                    // backend per database is the part of the check no query shape removes.
                    let socket = try #require(fixture.engine.adminSockets()[server.name])
                    let names = server.databases.map(\.name), workers = checker.parallelism
                    let next = SharedCounter()
                    let failures = SharedCounter()
                    floorTimes.append(seconds {
                        DispatchQueue.concurrentPerform(iterations: workers) { _ in
                            while case let i = next.increment(), i < names.count {
                                let parameters = PGConnectionParameters(host: socket, port: server.port, user: server.superuser ?? "postgres", password: nil, database: names[i])
                                if (try? PGConnection(parameters).exec("SELECT 1")) == nil { _ = failures.increment() }
                            }
                        }
                    })
                    #expect(failures.current == 0, "connections to \(failures.current) databases failed")
                }
            }
        }
        func median(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.sorted()[xs.count / 2] }
        let psql = median(psqlTimes), native = median(nativeTimes), warm = median(warmTimes)
        let provisioner = makeProvisioner()
        print(String(format: "bench: psql -f init-db.sql %.2f s (runs: %@)", psql, psqlTimes.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
        print(String(format: "bench: ovudev provision  %.2f s (runs: %@), parallelism %d, templates %@, FILE_COPY %@", native,
                     nativeTimes.map { String(format: "%.2f", $0) }.joined(separator: ", "), provisioner.parallelism,
                     provisioner.templateThreshold == nil ? "off" : "on", provisioner.fileCopyThreshold == nil ? "off" : "on"))
        print(String(format: "bench: second provision (nothing to change) %.2f s", warm))
        print(String(format: "bench: ratio provision / psql -f = %.2f (target <= 0.70)", native / psql))
        print(String(format: "bench: check on %d databases %.2f s right after provisioning, %.2f s again (target <= 2 s; runs: %@ / %@), %d roles probed by real login, the rest by catalog, %d connections",
                     server.databases.count, median(checkTimes), median(recheckTimes),
                     checkTimes.map { String(format: "%.2f", $0) }.joined(separator: ", "), recheckTimes.map { String(format: "%.2f", $0) }.joined(separator: ", "),
                     logins.first ?? 0, Checker(plan: fixture.plan, secrets: [:]).parallelism))
        print(String(format: "bench: connect + SELECT 1 on every database (the floor) %.2f s; ratio check again / floor = %.2f",
                     median(floorTimes), median(recheckTimes) / median(floorTimes)))
    }
}

/// A counter shared by threads: `increment` returns the value before.
private final class SharedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.withLock { defer { value += 1 }; return value } }
    var current: Int { lock.withLock { value } }
}

// MARK: - Fixture

private let repositoryDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The example topology in a temp folder under /tmp (traversable by the servers' account),
/// with free server ports, resolved under one scenario; PostgreSQL servers run by the native
/// engine; generated secrets (external ones too).
private final class ProvisionFixture {
    let directory: String
    let plan: Plan
    var secrets: [String: String]
    let paths: StackPaths

    init(scenario: String, tenants: [String]? = nil, edit: (inout [String: Any]) -> Void = { _ in }) throws {
        var template = Array("/tmp/ovudev-prov.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw EngineError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        chmod(directory, 0o755)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(repositoryDirectory)/ovu.topology.json"))
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let base = try TempProject.freeBlock(size: 300)  // shared with the other suites of this target (Support.swift)
        var servers = json["servers"] as! [String: [String: Any]]
        for (i, name) in servers.keys.sorted().enumerated() { servers[name]!["port"] = base + i * 10 }
        json["servers"] = servers
        if let tenants {
            json["tenants"] = tenants
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios[scenario]!["portStride"] = 10
            json["scenarios"] = scenarios
        }
        edit(&json)
        let bytes = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try bytes.write(to: URL(fileURLWithPath: "\(directory)/ovu.topology.json"))
        let topology = try TopologyLoader.parse(Array(bytes), file: "ovu.topology.json")
        plan = try resolve(topology, scenario: scenario)
        secrets = Dictionary(uniqueKeysWithValues: plan.secretRefs.map { ($0.variable, SecretStore.generatePassword()) })
        paths = StackPaths(root: "\(directory)/.ovu/\(scenario)")
    }

    var postgresServers: [PlannedServer] { plan.servers.filter { $0.engine == .postgres } }

    /// The plan with only its PostgreSQL servers: what the engine starts here (no Redis needed).
    var postgresOnlyPlan: Plan {
        var p = plan
        p.servers = postgresServers
        return p
    }

    var engine: NativeEngine { NativeEngine(plan: postgresOnlyPlan, paths: paths, secrets: secrets) }
    var statePath: String { "\(paths.root)/provisioned.json" }

    /// As `ovudev up` makes it: superuser connections over the clusters' sockets (peer).
    func provisioner() -> Provisioner {
        var provisioner = Provisioner(plan: plan, secrets: secrets, stateDirectory: paths.root)
        provisioner.adminSockets = engine.adminSockets()
        return provisioner
    }

    func start() throws { _ = try engine.start() }

    func restartFresh() throws {
        _ = try engine.stop(removeData: true)
        try? FileManager.default.removeItem(atPath: statePath)
        _ = try engine.start()
    }

    func close() {
        _ = try? engine.stop(removeData: true)
        try? FileManager.default.removeItem(atPath: directory)
    }

    func admin(server: PlannedServer? = nil, database: String) throws -> PGConnection {
        let server = server ?? postgresServers[0]
        return try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres",
                                                       password: secrets[server.superuserSecret!.variable], database: database))
    }

    /// psql -v ON_ERROR_STOP=1 -f init/<server>/init-db.sql, rendered with these secrets, as the
    /// superuser over 127.0.0.1.
    func runRenderedInit() throws {
        try runRenderedInit(psqlOutput: nil)
    }

    func runRenderedInit(psqlOutput: String?) throws {
        let options = RenderOptions(topologyFile: "ovu.topology.json", bundleDirectory: "\(directory)/render", projectFromBundle: "..",
                                    backupsDirectory: "\(directory)/backups")
        let files = try BundleRenderer(plan: plan, secrets: Secrets(values: secrets), templates: try TemplateSet.builtin(), options: options).render()
        for server in postgresServers {
            let file = try #require(files.first { $0.path == "init/\(server.name)/init-db.sql" })
            let path = "\(directory)/\(server.name)-init-db.sql"
            try file.contents.write(toFile: path, atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            environment["PGPASSWORD"] = secrets[server.superuserSecret!.variable]
            let r = try Subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(server.port),
                                        "-U", server.superuser ?? "postgres", "-d", "postgres", "-f", path], environment: environment, log: psqlOutput)
            #expect(r.status == 0, "psql -f \(path): \(r.output)")
        }
    }

    /// The catalog of every PostgreSQL server, OIDs as names. ACLs: whether the column is NULL
    /// (the built-in default), and their items as a sorted `grantor>grantee:privilege` list.
    func snapshot() throws -> CatalogSnapshot {
        var s = CatalogSnapshot()
        for server in postgresServers {
            let p = "\(server.name) "
            let admin = try admin(server: server, database: "postgres")
            s.roles += try admin.exec("""
                SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil,
                       rolpassword IS NOT NULL AND rolpassword LIKE 'SCRAM-SHA-256$%'
                FROM pg_authid WHERE rolname !~ '^pg_' ORDER BY 1
                """).rows.map { p + line($0) }
            s.databases += try admin.exec("""
                SELECT datname, pg_get_userbyid(datdba), datistemplate, datallowconn, datconnlimit, pg_encoding_to_char(encoding), datcollate,
                       datacl IS NULL, (SELECT string_agg(item, ' ' ORDER BY item) FROM (SELECT format('%s>%s:%s%s', CASE WHEN a.grantor = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantor) END,
                                                                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                                                                  a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END) AS item
                                        FROM aclexplode(datacl) a) items)
                FROM pg_database ORDER BY 1
                """).rows.map { p + line($0) }
            s.settings += try admin.exec("""
                SELECT coalesce(d.datname, '*'), coalesce(r.rolname, '*'), s.setconfig
                FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole ORDER BY 1, 2
                """).rows.map { p + line($0) }
            let databases = try admin.exec("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1").rows.compactMap { $0[0] }
            for database in databases {
                let conn = try self.admin(server: server, database: database)
                let q = "\(p)\(database) "
                s.schemas += try conn.exec("""
                    SELECT nspname, pg_get_userbyid(nspowner), nspacl IS NULL,
                           (SELECT string_agg(item, ' ' ORDER BY item) FROM (SELECT format('%s>%s:%s%s', pg_get_userbyid(a.grantor), CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                                                     a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END) AS item
                            FROM aclexplode(nspacl) a) items)
                    FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY 1
                    """).rows.map { q + line($0) }
                s.extensions += try conn.exec("""
                    SELECT e.extname, e.extversion, n.nspname, pg_get_userbyid(e.extowner), e.extrelocatable
                    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1
                    """).rows.map { q + line($0) }
                s.defaultACLs += try conn.exec("""
                    SELECT pg_get_userbyid(d.defaclrole), coalesce(n.nspname, '*'), d.defaclobjtype,
                           (SELECT string_agg(item, ' ' ORDER BY item) FROM (SELECT format('%s>%s:%s', pg_get_userbyid(a.grantor), pg_get_userbyid(a.grantee), a.privilege_type) AS item
                            FROM aclexplode(d.defaclacl) a) items)
                    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 1, 2, 3
                    """).rows.map { q + line($0) }
                s.tables += try conn.exec("""
                    SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner), c.relacl IS NULL,
                           (SELECT string_agg(item, ' ' ORDER BY item) FROM (SELECT format('%s>%s:%s', pg_get_userbyid(a.grantor), CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type) AS item
                            FROM aclexplode(c.relacl) a) items)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1, 2
                    """).rows.map { q + line($0) }
            }
        }
        return s
    }

    private func line(_ row: [String?]) -> String { row.map { $0 ?? "∅" }.joined(separator: " | ") }
}

/// Catalog rows as text, per category; compared as sorted lists.
private struct CatalogSnapshot: Equatable {
    var roles: [String] = []
    var databases: [String] = []
    var settings: [String] = []
    var schemas: [String] = []
    var extensions: [String] = []
    var defaultACLs: [String] = []
    var tables: [String] = []

    /// "- only here" / "+ only there" lines, per category.
    func differences(from other: CatalogSnapshot) -> [String] {
        let pairs: [(String, [String], [String])] = [
            ("role", roles, other.roles), ("database", databases, other.databases), ("setting", settings, other.settings),
            ("schema", schemas, other.schemas), ("extension", extensions, other.extensions), ("default ACL", defaultACLs, other.defaultACLs),
            ("table", tables, other.tables),
        ]
        var out: [String] = []
        for (name, mine, theirs) in pairs {
            let a = Set(mine), b = Set(theirs)
            out += a.subtracting(b).sorted().map { "- \(name): \($0)" }
            out += b.subtracting(a).sorted().map { "+ \(name): \($0)" }
        }
        return out
    }
}
