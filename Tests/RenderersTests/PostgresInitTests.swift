import Foundation
import Renderers
import Testing
import TestSupport
import Topology

/// The rendered PostgreSQL init files, executed on a real PostgreSQL 15 (see Support/PostgresServer):
/// each runs twice with `ON_ERROR_STOP=1` and changes nothing the second time, then catalog
/// queries and real password logins over 127.0.0.1 prove that every role reaches exactly its own
/// data, `reads` give SELECT on the named tables only, and the analytics role only reads.
///
/// Bundles are rendered in memory with fresh random secrets; nothing is written to the repository.
@Suite(.ownThread) struct PostgresInitTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    // MARK: - What the design says each scenario of the example topology must create

    static let expectedDatabases: [String: [String: [String]]] = [
        "dev": ["postgres": ["ovu_db"]],
        "lean": ["postgres": ["ovu_db"]],
        "stage": ["postgres": ["aam_db", "sam_db", "smm_db", "ulm_db"]],
        "saas": ["postgres": ["acme_aam_db", "acme_sam_db", "acme_smm_db", "acme_ulm_db",
                              "globex_aam_db", "globex_sam_db", "globex_smm_db", "globex_ulm_db"]],
        // sam runs on MySQL and smm on MongoDB: only ulm and aam have PostgreSQL databases.
        "hybrid": ["postgres": ["aam_db", "ulm_db"]],
        "prod": ["postgres-aam": ["aam_db"], "postgres-sam": ["sam_db"], "postgres-smm": ["smm_db"], "postgres-ulm": ["ulm_db"]],
    ]

    static let expectedRoles: [String: [String: [String]]] = [
        "dev": ["postgres": ["aam_user", "analytics", "sam_user", "smm_user", "ulm_user"]],
        "lean": ["postgres": ["aam_user", "sam_user", "smm_user", "ulm_user"]],
        "stage": ["postgres": ["aam_user", "analytics", "sam_user", "smm_user", "ulm_user"]],
        "saas": ["postgres": ["acme_aam_user", "acme_sam_user", "acme_smm_user", "acme_ulm_user",
                              "globex_aam_user", "globex_sam_user", "globex_smm_user", "globex_ulm_user"]],
        // sam_user exists on PostgreSQL only to read ulm's tables.
        "hybrid": ["postgres": ["aam_user", "sam_user", "ulm_user"]],
        // aam and sam read ulm's tables, so their roles also exist on ulm's dedicated server.
        "prod": ["postgres-aam": ["aam_user"], "postgres-sam": ["sam_user"], "postgres-smm": ["smm_user"],
                 "postgres-ulm": ["aam_user", "sam_user", "ulm_user"]],
    ]

    // MARK: - Tests

    /// Generated secrets: `init/<server>/init-db.sql` run with psql as the superuser.
    @Test("init-db.sql runs twice, changes nothing the second time, and isolates every role",
          arguments: ["dev", "lean", "stage", "saas", "hybrid"])
    func generatedSecretsInitSQL(scenario: String) throws {
        let bundle = try InitBundle(scenario: scenario)
        #expect(bundle.plan.secrets == .generated)
        let servers = bundle.plan.servers.filter { $0.engine == .postgres }
        #expect(servers.map(\.name) == Self.expectedDatabases[scenario]!.keys.sorted())
        for server in servers {
            let cluster = try PostgresServer.start()
            defer { cluster.stop() }
            let sql = try bundle.write("init/\(server.name)/init-db.sql", into: cluster.root)
            let target = ServerUnderTest(bundle: bundle, server: server, cluster: cluster)
            try target.verify(scenario: scenario) { try cluster.runFile(sql) }
        }
    }

    /// External secrets: each dedicated server's `init/<server>/init-db.sh` on its own cluster,
    /// with the passwords in the environment as a deployer (or the postgres image) sets them.
    @Test("prod: a dedicated server's init-db.sh runs twice from environment passwords and isolates every role",
          arguments: ["postgres-aam", "postgres-sam", "postgres-smm", "postgres-ulm"])
    func externalSecretsInitScript(serverName: String) throws {
        let bundle = try InitBundle(scenario: "prod")
        #expect(bundle.plan.secrets == .external)
        // The arguments above are every PostgreSQL server of the plan: one cluster each.
        #expect(bundle.plan.servers.filter { $0.engine == .postgres }.map(\.name) == Self.expectedDatabases["prod"]!.keys.sorted())
        let server = try #require(bundle.plan.server(serverName))
        #expect(bundle.files["init/\(server.name)/init-db.sql"] == nil, "external secrets must not render a .sql with passwords")
        // No password value may appear in the script: they are only in the environment.
        let script = try #require(bundle.files["init/\(server.name)/init-db.sh"])
        for value in bundle.passwords.values { #expect(!script.contains(value)) }

        let cluster = try PostgresServer.start()
        defer { cluster.stop() }
        let path = try bundle.write("init/\(server.name)/init-db.sh", into: cluster.root)
        var environment = bundle.passwords
        environment["POSTGRES_USER"] = cluster.superuser
        let clientEnvironment = cluster.clientEnvironment(user: cluster.superuser, password: cluster.superuserPassword, extra: environment)
        let target = ServerUnderTest(bundle: bundle, server: server, cluster: cluster)
        try target.verify(scenario: "prod") { try cluster.runScript(path, environment: clientEnvironment) }
    }

    /// A missing external password stops the script before psql runs.
    @Test("prod: init-db.sh refuses to run without its password variables")
    func externalSecretsInitScriptNeedsItsVariables() throws {
        let bundle = try InitBundle(scenario: "prod")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ovudev-pginit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try bundle.write("init/postgres-ulm/init-db.sh", into: dir)
        var environment = bundle.passwords
        environment["ULM_DB_PASSWORD"] = nil
        // Nothing listens on port 1: if psql ran anyway it would fail with another message.
        environment["PGHOST"] = "127.0.0.1"
        environment["PGPORT"] = "1"
        environment["PATH"] = "\(PostgresServer.binDirectory):/usr/bin:/bin"
        let outcome = try PostgresServer.spawn(["/bin/sh", path], environment: environment, outputIn: dir)
        #expect(!outcome.succeeded)
        #expect(outcome.stderr.contains("ULM_DB_PASSWORD must be set"), "\(outcome)")
        #expect(!outcome.stderr.contains("connection"), "psql must not have run: \(outcome)")
    }
}

// MARK: - A rendered bundle

/// One scenario of the example topology, rendered through the library with fresh random secrets.
struct InitBundle {
    let plan: Plan
    /// Secret variable → value (also for external secrets: what the deployer would set).
    let passwords: [String: String]
    /// Relative path → contents.
    let files: [String: String]

    init(scenario: String) throws {
        let project = try Project.load(topologyPath: PostgresInitTests.repositoryRoot + "/ovu.topology.json")
        plan = try resolve(project.topology, scenario: scenario)
        var values: [String: String] = [:]
        for ref in plan.secretRefs { values[ref.variable] = SecretStore.generatePassword() }
        passwords = values
        let secrets = plan.secrets == .external ? Secrets.external : Secrets(values: values)
        let bundleDirectory = "/nonexistent/ovudev-test-bundle"
        let options = RenderOptions(topologyFile: "ovu.topology.json", bundleDirectory: bundleDirectory,
                                    projectFromBundle: relativePath(from: bundleDirectory, to: project.directory),
                                    backupsDirectory: bundleDirectory + "/backups")
        let rendered = try BundleRenderer(plan: plan, secrets: secrets, templates: TemplateSet.builtin(), options: options).render()
        files = Dictionary(uniqueKeysWithValues: rendered.map { ($0.path, $0.contents) })
    }

    /// Writes one rendered file under `directory` and returns its path.
    func write(_ path: String, into directory: String) throws -> String {
        let contents = try #require(files[path], "the bundle has no \(path); it has \(files.keys.sorted())")
        let target = directory + "/bundle/" + path
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try contents.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }
}

// MARK: - Checks on one server

/// One planned PostgreSQL server, converged on a test cluster.
struct ServerUnderTest {
    let bundle: InitBundle
    let server: PlannedServer
    let cluster: PostgresServer

    var plan: Plan { bundle.plan }
    var roles: [String] { server.roles.map(\.name) }

    func password(_ role: String) -> String {
        bundle.passwords[server.role(role)!.secret.variable]!
    }

    func database(_ name: String) -> PlannedDatabase { server.databases.first { $0.name == name }! }

    /// Roles that write in a database: its owner, its schemas' owners, the prefix-isolation roles.
    func writers(_ db: PlannedDatabase) -> Set<String> {
        Set([db.owner].compactMap { $0 } + db.schemas.map(\.owner) + db.publicCreate)
    }

    /// Roles that read (part of) a schema without owning it: analytics and `reads`.
    func readers(_ db: PlannedDatabase, schema: String) -> Set<String> {
        Set(db.schemaReaders.filter { $0.schema == schema }.map(\.role) + db.tableReads.filter { $0.schema == schema }.map(\.role))
    }

    /// Everything, in order: init twice with equal catalogs, the catalog, logins, isolation,
    /// then `reads` through post-migrate/grants.sql (also twice).
    func verify(scenario: String, runInit: () throws -> PostgresServer.Outcome) throws {
        let first = try runInit()
        try #require(first.succeeded, "first init run on \(server.name) failed: \(first)")
        let afterFirst = try catalogSnapshot()
        for db in server.databases {
            #expect(afterFirst.contains { $0.hasPrefix("database|\(db.name)|") }, "the catalog snapshot must list \(db.name)")
        }
        let second = try runInit()
        try #require(second.succeeded, "second init run on \(server.name) failed: \(second)")
        expectUnchanged(afterFirst, try catalogSnapshot(), "a second init run on \(server.name) changed the catalog")

        checkDesign(scenario: scenario)
        try checkRoles()
        try checkDatabases()
        try checkSchemasAndExtensions()
        try checkLogins()
        try checkIsolation()
        try checkReads()
    }

    // MARK: Plan against the design

    func checkDesign(scenario: String) {
        #expect(server.databases.map(\.name) == PostgresInitTests.expectedDatabases[scenario]?[server.name], "databases of \(server.name)")
        #expect(roles == PostgresInitTests.expectedRoles[scenario]?[server.name], "roles of \(server.name)")
        // dev and stage ask for the analytics role: it connects everywhere and reads every schema.
        #expect(plan.analytics == ["dev", "stage"].contains(scenario))
        for db in server.databases {
            #expect(db.connect.contains("analytics") == plan.analytics, "analytics' CONNECT on \(db.name)")
            let readable = Set(db.schemaReaders.filter { $0.role == "analytics" }.map(\.schema))
            #expect(readable == (plan.analytics ? Set(db.schemas.isEmpty ? ["public"] : db.schemas.map(\.name)) : []), "schemas analytics reads in \(db.name)")
        }
        // aam and sam read ulm's users and roles (per tenant in saas), wherever they run.
        for ulm in plan.instances where ulm.service == "ulm" && ulm.database?.server == server.name {
            let readers = plan.instances.filter { ["aam", "sam"].contains($0.service) && $0.tenant == ulm.tenant }
            #expect(readers.count == 2)
            for reader in readers {
                #expect(reader.reads.map(\.instance) == [ulm.name], "\(reader.name) reads \(ulm.name)")
            }
        }
    }

    // MARK: Catalog

    func checkRoles() throws {
        let rows = try cluster.queries([
            """
            SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolinherit
            FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname
            """,
            "SELECT m.roleid::regrole, m.member::regrole FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname !~ '^pg_'",
        ])
        let expected = (["postgres|t|t|t|t|t|t|t"] + roles.map { "\($0)|t|f|f|f|f|f|t" }).sorted()
        #expect(rows[0] == expected, "roles on \(server.name): login, nothing else")
        #expect(rows[1] == [], "no role is a member of another on \(server.name)")
    }

    func checkDatabases() throws {
        let names = server.databases.map { "'\($0.name)'" }.joined(separator: ", ")
        let rows = try cluster.queries([
            "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1') ORDER BY datname",
            // has_database_privilege also sees a NULL datacl, which means PUBLIC's defaults.
            """
            SELECT datname, has_database_privilege('public', oid, 'CONNECT'), has_database_privilege('public', oid, 'TEMPORARY'),
                   has_database_privilege('public', oid, 'CREATE')
            FROM pg_database WHERE datname IN (\(names)) ORDER BY datname
            """,
            // Every role × every database: exactly its own, and what `reads`/analytics need.
            """
            SELECT r.rolname, d.datname, has_database_privilege(r.oid, d.oid, 'CONNECT'),
                   has_database_privilege(r.oid, d.oid, 'TEMPORARY'), has_database_privilege(r.oid, d.oid, 'CREATE')
            FROM pg_roles r CROSS JOIN pg_database d
            WHERE r.rolname IN (\(roles.map { "'\($0)'" }.joined(separator: ", "))) AND d.datname NOT IN ('postgres', 'template0', 'template1')
            ORDER BY 1, 2
            """,
        ])
        #expect(rows[0] == server.databases.map { "\($0.name)|\($0.owner ?? "postgres")" }, "databases and owners on \(server.name)")
        #expect(rows[1] == server.databases.map { "\($0.name)|f|f|f" }, "PUBLIC must hold nothing on the service databases (database|CONNECT|TEMPORARY|CREATE)")
        var expected: [String] = []
        for role in roles {
            for db in server.databases {
                let connect = db.connect.contains(role), temp = writers(db).contains(role), create = db.owner == role
                expected.append("\(role)|\(db.name)|\(flag(connect))|\(flag(temp))|\(flag(create))")
            }
        }
        #expect(rows[2] == expected, "database privileges (role|database|CONNECT|TEMPORARY|CREATE) on \(server.name)")
    }

    func checkSchemasAndExtensions() throws {
        for db in server.databases {
            let names = ["public"] + db.schemas.map(\.name)
            let quotedNames = names.map { "'\($0)'" }.joined(separator: ", ")
            let rows = try cluster.queries([
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname",
                """
                SELECT r.rolname, n.nspname, has_schema_privilege(r.oid, n.oid, 'USAGE'), has_schema_privilege(r.oid, n.oid, 'CREATE')
                FROM pg_roles r CROSS JOIN pg_namespace n
                WHERE r.rolname IN (\(roles.map { "'\($0)'" }.joined(separator: ", "))) AND n.nspname IN (\(quotedNames))
                ORDER BY 1, 2
                """,
                "SELECT nspname, has_schema_privilege('public', oid, 'USAGE'), has_schema_privilege('public', oid, 'CREATE') FROM pg_namespace WHERE nspname IN (\(quotedNames)) ORDER BY 1",
                "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname",
                """
                SELECT pg_get_userbyid(s.setrole), unnest(s.setconfig) FROM pg_db_role_setting s
                JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = '\(db.name)' ORDER BY 1
                """,
            ], database: db.name)

            let expectedSchemas = (["public|\(db.owner ?? "pg_database_owner")"] + db.schemas.map { "\($0.name)|\($0.owner)" }).sorted()
            #expect(rows[0] == expectedSchemas, "schemas and owners in \(db.name)")

            var expected: [String] = []
            for role in roles.sorted() {
                for schema in names.sorted() {
                    let usage: Bool, create: Bool
                    if schema == "public" {
                        usage = true // PUBLIC keeps USAGE on `public` (extension functions live there)
                        create = db.owner == role || db.publicCreate.contains(role)
                    } else {
                        let owner = db.schemas.first { $0.name == schema }!.owner
                        usage = owner == role || readers(db, schema: schema).contains(role)
                        create = owner == role
                    }
                    expected.append("\(role)|\(schema)|\(flag(usage))|\(flag(create))")
                }
            }
            #expect(rows[1] == expected, "schema privileges (role|schema|USAGE|CREATE) in \(db.name)")
            #expect(rows[2] == names.sorted().map { $0 == "public" ? "public|t|f" : "\($0)|f|f" }, "PUBLIC's schema privileges (schema|USAGE|CREATE) in \(db.name)")

            #expect(rows[3] == db.extensions.sorted(), "extensions in \(db.name)")
            // The design's example: ulm asks for pg_trgm and uuid-ossp, nobody else for anything.
            let services = Set(db.instances.compactMap { plan.instance($0)?.service })
            #expect(rows[3] == (services.contains("ulm") ? ["pg_trgm", "uuid-ossp"] : []), "extensions in \(db.name) (instances \(db.instances))")

            #expect(rows[4] == db.searchPaths.map { "\($0.role)|search_path=\($0.schemas.joined(separator: ", "))" }, "search_path settings in \(db.name)")
            if plan.isolation == .schema {
                #expect(db.searchPaths.count == db.schemas.count && !db.schemas.isEmpty, "single-db schema isolation sets a search_path per service")
            }
        }
    }

    // MARK: Logins

    /// Real logins over 127.0.0.1 with each role's password: into its own database(s) only.
    func checkLogins() throws {
        for role in roles {
            for db in server.databases {
                let outcome = try cluster.attempt("SELECT current_user || '@' || current_database()", database: db.name, user: role, password: password(role))
                if db.connect.contains(role) {
                    #expect(outcome.succeeded && outcome.stdout == "\(role)@\(db.name)\n", "\(role) must log in to \(db.name): \(outcome)")
                } else {
                    #expect(!outcome.succeeded && outcome.stderr.contains("permission denied for database"), "\(role) must not connect to \(db.name): \(outcome)")
                }
            }
        }
        // Passwords are really checked: a wrong one is refused (the image would trust 127.0.0.1).
        if let role = roles.first, let db = server.databases.first(where: { $0.connect.contains(role) }) {
            let wrong = try cluster.attempt("SELECT 1", database: db.name, user: role, password: password(role) + "x")
            #expect(!wrong.succeeded && wrong.stderr.contains("password authentication failed"), "a wrong password must be refused: \(wrong)")
        }
    }

    /// Runs statements as `role` in `db`; the login must work.
    func session(_ statements: [String], as role: String, in db: String) throws -> [PostgresServer.StatementResult] {
        let session = try cluster.session(statements, database: db, user: role, password: password(role))
        return try #require(session.results, "\(role) must log in to \(db): \(session.outcome)")
    }

    // MARK: Isolation between services

    /// Each service creates a table where its migrations would (unqualified, so search_path
    /// decides); nobody else may read, write or create there, except that analytics reads.
    func checkIsolation() throws {
        struct Probe { var owner: String; var database: String; var schema: String; var table: String; var prefix: String }
        var probes: [Probe] = []
        for instance in plan.instances {
            guard let access = instance.database, access.server == server.name, access.engine == .postgres else { continue }
            let probe = Probe(owner: access.role, database: access.database, schema: access.schema ?? "public",
                              table: (access.tablePrefix ?? "") + "probe", prefix: access.tablePrefix ?? "")
            let created = try session(["CREATE TABLE \(probe.table) (id int)", "INSERT INTO \(probe.table) VALUES (1)"], as: probe.owner, in: probe.database)
            #expect(created.allSatisfy { $0.succeeded }, "\(probe.owner) must create tables in its own space: \(created)")
            probes.append(probe)
        }
        #expect(probes.count == server.databases.reduce(0) { $0 + $1.instances.count }, "one probe per instance with data on \(server.name)")

        for db in server.databases {
            let mine = probes.filter { $0.database == db.name }
            let placed = try cluster.query("SELECT tableowner, schemaname, tablename FROM pg_tables WHERE tablename LIKE '%probe' ORDER BY 1", database: db.name)
            #expect(placed == mine.map { "\($0.owner)|\($0.schema)|\($0.table)" }.sorted(), "unqualified CREATE TABLE lands in each role's own schema in \(db.name)")

            for role in db.connect {
                var statements: [String] = [], expectations: [(allowed: Bool, what: String)] = []
                for probe in mine where probe.owner != role {
                    let isWholeSchemaReader = db.schemaReaders.contains { $0.role == role && $0.schema == probe.schema }
                    statements.append("SELECT count(*) FROM \(probe.schema).\(probe.table)")
                    expectations.append((isWholeSchemaReader, "read \(probe.owner)'s table (analytics reads every table, also ones created after init)"))
                    statements.append("INSERT INTO \(probe.schema).\(probe.table) VALUES (2)")
                    expectations.append((false, "write \(probe.owner)'s table"))
                    // Only prefix isolation shares a schema in which every service creates.
                    statements.append("CREATE TABLE \(probe.schema).\(probe.prefix)intruder_\(role) (id int)")
                    expectations.append((probe.schema == "public" && db.publicCreate.contains(role), "create a table in \(probe.owner)'s schema \(probe.schema)"))
                }
                if !writers(db).contains(role) {
                    // Read-only roles (analytics, `reads`) create nothing: no schema, no temporary table.
                    statements += ["CREATE TEMPORARY TABLE scratch (id int)", "CREATE SCHEMA scratch_\(role)"]
                    expectations += [(false, "create a temporary table (read-only role)"), (false, "create a schema (read-only role)")]
                }
                guard !statements.isEmpty else { continue }
                let results = try session(statements, as: role, in: db.name)
                for (result, expectation) in zip(results, expectations) {
                    if expectation.allowed {
                        #expect(result.succeeded, "\(role) in \(db.name) may \(expectation.what): \(result)")
                        if result.statement.hasPrefix("SELECT") { #expect(result.rows == ["1"], "\(result)") }
                    } else {
                        #expect(result.denied, "\(role) in \(db.name) must not \(expectation.what): \(result)")
                    }
                }
            }
        }
    }

    // MARK: reads

    /// ulm's migrations create users, roles and secrets; post-migrate/grants.sql (twice) lets
    /// the readers select users and roles, and nothing else.
    func checkReads() throws {
        let reads = plan.instances.flatMap { instance in instance.reads.filter { $0.server == server.name } }
        let grantsPath = "init/\(server.name)/post-migrate/grants.sql"
        guard !reads.isEmpty else {
            #expect(server.databases.allSatisfy { $0.tableReads.isEmpty })
            #expect(bundle.files[grantsPath] == nil, "no reads, no \(grantsPath)")
            return
        }
        #expect(Set(reads.map(\.service)) == ["ulm"], "in the example, aam and sam read ulm")

        // The target instances' migrations: as the owner, unqualified (search_path decides).
        struct Target { var owner: String; var database: String; var schema: String; var tables: [String]; var secrets: String }
        var targets: [Target] = []
        for name in Set(reads.map(\.instance)).sorted() {
            let access = try #require(plan.instance(name)?.database)
            let prefix = access.tablePrefix ?? ""
            let tables = Set(reads.filter { $0.instance == name }.flatMap(\.tables)).sorted()
            #expect(tables == ["\(prefix)roles", "\(prefix)users"])
            let target = Target(owner: access.role, database: access.database, schema: access.schema ?? "public", tables: tables, secrets: "\(prefix)secrets")
            let ddl = (tables + [target.secrets]).flatMap { ["CREATE TABLE \($0) (id int PRIMARY KEY, name text)", "INSERT INTO \($0) VALUES (1, 'x')"] }
            let migrated = try session(ddl, as: target.owner, in: target.database)
            try #require(migrated.allSatisfy { $0.succeeded }, "\(target.owner)'s migration: \(migrated)")
            targets.append(target)
        }

        let grants = try bundle.write(grantsPath, into: cluster.root)
        let first = try cluster.runFile(grants)
        try #require(first.succeeded, "first post-migrate grants run: \(first)")
        let afterFirst = try catalogSnapshot()
        let second = try cluster.runFile(grants)
        try #require(second.succeeded, "second post-migrate grants run: \(second)")
        expectUnchanged(afterFirst, try catalogSnapshot(), "a second post-migrate grants run on \(server.name) changed the catalog")

        for target in targets {
            let db = database(target.database)
            let readerRoles = Set(reads.filter { $0.database == target.database && $0.schema == target.schema }.map(\.role))
            for role in db.connect where role != target.owner {
                let all = target.tables + [target.secrets]
                var statements = all.map { "SELECT count(*) FROM \(target.schema).\($0)" }
                statements.append("INSERT INTO \(target.schema).\(target.tables[0]) VALUES (2, 'y')")
                let results = try session(statements, as: role, in: target.database)
                let analytics = server.role(role)?.readOnly == true
                for (table, result) in zip(all, results) {
                    // Readers: the named tables; analytics: every table; anyone else: nothing.
                    let allowed = analytics || (readerRoles.contains(role) && target.tables.contains(table))
                    if allowed {
                        #expect(result.succeeded && result.rows == ["1"], "\(role) must read \(target.schema).\(table) in \(target.database): \(result)")
                    } else {
                        #expect(result.denied, "\(role) must not read \(target.schema).\(table) in \(target.database): \(result)")
                    }
                }
                #expect(results.last!.denied, "\(role) must not write \(target.schema).\(target.tables[0]): \(results.last!)")
            }
            #expect(!readerRoles.isEmpty && readerRoles.isSubset(of: Set(db.connect)), "the readers of \(target.database) may connect there")
        }
    }

    // MARK: Catalog snapshot

    /// Roles (without passwords), databases with ACLs, role settings, memberships, and in every
    /// connectable database: schemas with ACLs, default ACLs, extensions, relations with ACLs.
    func catalogSnapshot() throws -> [String] {
        var lines = try cluster.queries([
            "SELECT 'role', rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolconnlimit, rolvaliduntil, rolbypassrls, rolconfig FROM pg_roles ORDER BY rolname",
            "SELECT 'member', roleid::regrole, member::regrole, admin_option FROM pg_auth_members ORDER BY 2, 3",
            "SELECT 'database', datname, pg_get_userbyid(datdba), datacl, datallowconn, datconnlimit, pg_encoding_to_char(encoding) FROM pg_database ORDER BY datname",
            "SELECT 'setting', coalesce(d.datname, '*'), s.setrole::regrole, s.setconfig FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase ORDER BY 2, 3",
        ]).flatMap { $0 }
        let databases = try cluster.query("SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname")
        for db in databases {
            lines += try cluster.queries([
                "SELECT 'namespace', '\(db)', nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace ORDER BY nspname",
                "SELECT 'default_acl', '\(db)', pg_get_userbyid(a.defaclrole), coalesce(n.nspname, '*'), a.defaclobjtype, a.defaclacl FROM pg_default_acl a LEFT JOIN pg_namespace n ON n.oid = a.defaclnamespace ORDER BY 3, 4, 5",
                "SELECT 'extension', '\(db)', e.extname, e.extversion, n.nspname, pg_get_userbyid(e.extowner) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 3",
                "SELECT 'relation', '\(db)', n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner), c.relacl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 3, 4",
            ], database: db).flatMap { $0 }
        }
        return lines
    }

    func expectUnchanged(_ before: [String], _ after: [String], _ message: String) {
        guard before != after else { return }
        let removed = before.filter { !after.contains($0) }.map { "- \($0)" }, added = after.filter { !before.contains($0) }.map { "+ \($0)" }
        Issue.record("\(message):\n\((removed + added).joined(separator: "\n"))")
    }

    func flag(_ b: Bool) -> String { b ? "t" : "f" }
}
