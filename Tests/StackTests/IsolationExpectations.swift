import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// An oracle for isolation that does not ask the Plan what is planned: each scenario's stack is
/// brought up on real servers, the real catalogs are read as the superuser with this file's own
/// SQL (every LOGIN role × every database, schema and table), and the whole observed matrix is
/// compared with the hand-written expectation in IsolationExpectedData.swift. The Plan is used
/// only to find ports and passwords (how to connect), never for what to expect.
@Suite(.ownThread) struct IsolationExpectations {
    /// One cell of the matrix that holds: `role` has `privilege` on `object` of `server`.
    struct Cell: Hashable, Comparable, CustomStringConvertible {
        var server: String, role: String, object: String, privilege: String
        static func < (a: Cell, b: Cell) -> Bool { (a.server, a.object, a.role, a.privilege) < (b.server, b.object, b.role, b.privilege) }
        var description: String { "server \(server)  object \(object)  role \(role)  privilege \(privilege)" }
    }

    @Test(arguments: ["dev", "lean", "stage", "prod", "saas"])
    func realCatalogMatchesTheREADMERules(scenario: String) throws {
        let project = try TempProject()
        defer { project.close() }
        try verify(scenario, in: project, expected: try #require(Expected.scenarios[scenario]))
    }

    /// Brings `scenario` of `project` up and compares the observed catalogs, logins and Redis
    /// indexes with `expected`.
    func verify(_ scenario: String, in project: TempProject, expected: ExpectedScenario) throws {
        let stack = try project.stack(scenario)
        if stack.plan.secrets == .external {
            // As UpTests.externalSecrets: the deployer's variables, generated here.
            stack.useSecrets(Dictionary(uniqueKeysWithValues: stack.plan.secretRefs.map { ($0.variable, SecretStore.generatePassword()) }))
        }
        _ = try stack.up(check: false)  // the Checker is what this suite must not lean on

        // Servers: the expectation names them; the Plan only says where they listen.
        let servers = stack.plan.servers.filter { $0.engine == .postgres }
        #expect(Set(servers.map(\.name)) == Set(expected.grants.keys), "PostgreSQL servers")

        var observed = Set<Cell>()
        var wanted = Set<Cell>()
        for server in servers {
            let found = try observe(server, secrets: stack.secrets)
            observed.formUnion(found.cells)
            // Login roles: exactly the expected ones, none with an attribute beyond LOGIN.
            #expect(found.superusers.count == 1, "\(server.name): superusers \(found.superusers)")
            let roles = Set(expected.roles[server.name] ?? [])
            wanted.formUnion(roles.map { Cell(server: server.name, role: $0, object: "(cluster)", privilege: "LOGIN") })
            wanted.formUnion(try expand(expected.grants[server.name] ?? [], server: server.name, everyRole: roles))
        }
        let diff = difference(expected: wanted, observed: observed)
        #expect(diff.isEmpty, "\(scenario): the catalog differs from the README's rules (\(diff.count) cells)\n\(diff.joined(separator: "\n"))")

        // Real logins with each role's own password.
        for login in expected.logins {
            let server = try #require(servers.first { $0.name == login.server }, "\(login)")
            let password = try #require(stack.secrets[login.password], "no secret \(login.password)")
            var outcome: String
            do {
                let conn = try PGConnection(PGConnectionParameters(port: server.port, user: login.role, password: password, database: login.database))
                _ = try conn.exec(login.sql)
                outcome = "ok"
            } catch let error as PGError {
                outcome = error.sqlstate ?? "no SQLSTATE: \(error.message)"
            }
            #expect(outcome == (login.sqlstate ?? "ok"), "\(scenario) login \(login): got \(outcome)")
        }

        // Redis: each running instance's REDIS_URL, from its process environment.
        var indexes: [String: Int] = [:]
        for instance in stack.status().instances {
            let pid = try #require(instance.pid, "\(instance.instance) is not running")
            let url = try #require(Self.processEnvironment(pid)["REDIS_URL"], "\(instance.instance) has no REDIS_URL")
            indexes[instance.instance] = Int(url.split(separator: "/").last ?? "")
        }
        #expect(indexes == expected.redis, "\(scenario) Redis indexes: \(indexes.sorted { $0.key < $1.key })")
        #expect(Set(indexes.values).count == indexes.count, "\(scenario): two instances share a Redis index")
    }

    // MARK: - The observed matrix

    /// Every LOGIN role × every database (CONNECT, TEMPORARY) of `server`, PUBLIC's database
    /// grants, and inside every database that takes connections every role × every non-system
    /// schema (USAGE, CREATE) and table (SELECT, INSERT, UPDATE, DELETE), plus non-superuser owners.
    func observe(_ server: PlannedServer, secrets: [String: String]) throws -> (cells: Set<Cell>, superusers: [String]) {
        let admin = try superuser(server, secrets: secrets, database: "postgres")
        var cells = Set<Cell>()
        func add(_ rows: PGRows) { for r in rows.rows { cells.insert(Cell(server: server.name, role: r[0]!, object: r[1]!, privilege: r[2]!)) } }

        let superusers = try admin.exec("SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolsuper ORDER BY 1").rows.map { $0[0]! }
        add(try admin.exec("""
            SELECT rolname, '(cluster)', 'LOGIN' FROM pg_roles WHERE rolcanlogin AND NOT rolsuper
            UNION ALL SELECT rolname, '(cluster)', a FROM pg_roles,
                LATERAL (VALUES ('CREATEDB', rolcreatedb), ('CREATEROLE', rolcreaterole), ('BYPASSRLS', rolbypassrls), ('REPLICATION', rolreplication)) v(a, yes)
                WHERE rolcanlogin AND NOT rolsuper AND yes
            """))
        add(try admin.exec("""
            SELECT r.rolname, d.datname, p.priv FROM pg_roles r CROSS JOIN pg_database d
                CROSS JOIN (VALUES ('CONNECT'), ('TEMPORARY')) p(priv)
                WHERE r.rolcanlogin AND NOT r.rolsuper AND NOT d.datistemplate AND has_database_privilege(r.oid, d.oid, p.priv)
            UNION ALL SELECT 'PUBLIC', d.datname, a.privilege_type FROM pg_database d,
                aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                WHERE a.grantee = 0 AND NOT d.datistemplate AND a.privilege_type IN ('CONNECT', 'TEMPORARY')
            UNION ALL SELECT r.rolname, d.datname, 'OWNER' FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
                WHERE NOT r.rolsuper AND NOT d.datistemplate
            """))
        let databases = try admin.exec("SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY 1").rows.map { $0[0]! }
        for database in databases {
            let conn = try superuser(server, secrets: secrets, database: database)
            let db = "'" + database.replacingOccurrences(of: "'", with: "''") + "'"
            add(try conn.exec("""
                WITH roles AS (SELECT oid, rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper),
                     schemas AS (SELECT oid, nspname, nspowner FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'),
                     tables AS (SELECT c.oid, s.nspname || '.' || c.relname AS name, c.relowner FROM pg_class c JOIN schemas s ON s.oid = c.relnamespace
                                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f'))
                SELECT r.rolname, \(db) || '.' || s.nspname, p.priv FROM roles r CROSS JOIN schemas s
                    CROSS JOIN (VALUES ('USAGE'), ('CREATE')) p(priv) WHERE has_schema_privilege(r.oid, s.oid, p.priv)
                UNION ALL SELECT r.rolname, \(db) || '.' || s.nspname, 'OWNER' FROM schemas s JOIN roles r ON r.oid = s.nspowner
                UNION ALL SELECT r.rolname, \(db) || '.' || t.name, p.priv FROM roles r CROSS JOIN tables t
                    CROSS JOIN (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE')) p(priv) WHERE has_table_privilege(r.oid, t.oid, p.priv)
                UNION ALL SELECT coalesce(r.rolname, 'superuser'), \(db) || '.' || t.name, 'OWNER' FROM tables t LEFT JOIN roles r ON r.oid = t.relowner
                """))
        }
        return (cells, superusers)
    }

    /// The superuser over TCP with its password (as CheckTests does).
    func superuser(_ server: PlannedServer, secrets: [String: String], database: String) throws -> PGConnection {
        try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres",
                                                password: server.superuserSecret.flatMap { secrets[$0.variable] }, database: database))
    }

    // MARK: - The expected matrix

    /// `<kind> <object> <PRIV,…>: role, role` → cells; `*` = every role in `everyRole`.
    func expand(_ lines: [String], server: String, everyRole: Set<String>) throws -> Set<Cell> {
        var cells = Set<Cell>()
        for line in lines {
            let halves = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let head = halves[0].split(separator: " ").map(String.init)
            guard halves.count == 2, head.count == 3, ["db", "schema", "table"].contains(head[0]) else {
                throw EngineError("bad expectation line: \(line)")
            }
            var roles = Set<String>()
            for role in halves[1].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if role == "*" { roles.formUnion(everyRole) } else { roles.insert(role) }
            }
            for role in roles {
                for privilege in head[2].split(separator: ",") {
                    cells.insert(Cell(server: server, role: role, object: head[1], privilege: String(privilege)))
                }
            }
        }
        return cells
    }

    /// One line per differing cell: object, role, privilege, expected, observed.
    func difference(expected: Set<Cell>, observed: Set<Cell>) -> [String] {
        let missing = expected.subtracting(observed).map { ($0, "expected yes, observed no ") }
        let extra = observed.subtracting(expected).map { ($0, "expected no,  observed yes") }
        return (missing + extra).sorted { $0.0 < $1.0 }.map { "  \($0.1)  \($0.0)" }
    }

    /// A process's environment from /proc/<pid>/environ (NUL-separated `KEY=value`).
    static func processEnvironment(_ pid: Int32) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        var environment: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let eq = text.firstIndex(of: "=") else { continue }
            environment[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        return environment
    }
}
