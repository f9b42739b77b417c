import Foundation
import Statements
import Topology
import Workspace

/// One finding of `ovudev check`.
public struct CheckFinding: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case ok, leak, fail, skipped }
    /// The instance (or `PUBLIC`, or a server) the finding is about.
    public var subject: String
    /// `own-data`, `isolation`, `reads`, `public`, `redis`, `health`, `analytics`.
    public var check: String
    public var status: Status
    public var detail: String
}

public struct CheckReport: Sendable, Codable {
    public var findings: [CheckFinding]
    public var leaks: Int { findings.filter { $0.status == .leak }.count }
    public var failures: Int { findings.filter { $0.status == .fail }.count }
    public var passed: Bool { leaks == 0 && failures == 0 }
}

/// `ovudev check`: proves every service reaches its own data and nothing else. The full
/// privilege matrix comes from catalog functions (`has_database_privilege`, …) in one query
/// per server and database; real logins and probes confirm it for a sample.
public struct Checker: Sendable {
    public let plan: Plan
    public let secrets: [String: String]
    /// Real cross-database login attempts per sampled role (the catalog matrix covers every pair).
    public var loginSample = 3
    /// Roles whose cross-database logins are tried: all up to this many, else this many spread
    /// evenly over them (per-tenant plans have hundreds; the catalog matrix covers the rest).
    public var loginSampleRoles = 12
    /// Connections used at once for the checks inside databases and the real logins (they
    /// wait on connection setup more than on the CPU).
    /// Server name → socket folder where the superuser logs in by peer authentication (native engine).
    public var adminSockets: [String: String] = [:]
    /// MySQL server name → ovudev's maintenance login (native engine); without one, the
    /// server's superuser logs in over TCP with its password (docker engine).
    public var mysqlAdmins: [String: MySQLLogin] = [:]
    public var parallelism = Int(ProcessInfo.processInfo.environment["OVUDEV_CHECK_PARALLELISM"] ?? "") ?? 8
    public var checkHealth = true

    public init(plan: Plan, secrets: [String: String]) {
        self.plan = plan
        self.secrets = secrets
    }

    /// `progress` is called on this thread only.
    public func run(progress: (String) -> Void = { _ in }) throws -> CheckReport {
        var findings: [CheckFinding] = []
        // Redis is another server and its probes wait on round trips, not on CPU: they run
        // while PostgreSQL is checked.
        let redisServers = plan.servers.filter { $0.engine == .redis }
        let checker = self
        let redis = OnThread { redisServers.flatMap(checker.checkRedis) }
        for server in plan.servers where server.engine == .postgres {
            findings += try checkPostgres(server, progress: progress)
        }
        if !redisServers.isEmpty { progress("check redis: \(redisServers.map(\.name).joined(separator: ", "))") }
        findings += redis.wait()
        for server in plan.servers where server.engine == .mysql {
            findings += checkMySQL(server)
        }
        for server in plan.servers where server.engine == .mongodb {
            findings.append(CheckFinding(subject: server.name, check: "server", status: .skipped, detail: "mongodb is not checked by ovudev"))
        }
        if checkHealth {
            for instance in plan.instances where instance.health != nil && instance.port != nil {
                findings.append(checkHealth(instance))
            }
        }
        return CheckReport(findings: findings)
    }

    private func superuser(_ server: PlannedServer, database: String) throws -> PGConnection {
        guard let ref = server.superuserSecret, let password = secrets[ref.variable] else {
            throw EngineError("no password for the superuser of \(server.name)")
        }
        return try adminConnection(port: server.port, user: server.superuser ?? "postgres", password: password, database: database, socket: adminSockets[server.name])
    }

    private func login(_ server: PlannedServer, role: PlannedRole, database: String) throws -> PGConnection {
        try PGConnection(PGConnectionParameters(port: server.port, user: role.name, password: secrets[role.secret.variable], database: database))
    }

    // MARK: - PostgreSQL

    private func checkPostgres(_ server: PlannedServer, progress: (String) -> Void) throws -> [CheckFinding] {
        var findings: [CheckFinding] = []
        let admin = try superuser(server, database: "postgres")
        let roles = server.roles.map(\.name)
        let databases = server.databases.map(\.name)
        progress("check \(server.name): catalog, \(roles.count) roles × \(databases.count) databases")

        // Every role's OID: the checks inside databases name roles by OID.
        let oids = try admin.exec("SELECT oid, rolname FROM pg_catalog.pg_roles").rows.map { ($0[0]!, $0[1]!) }
        let roleOids = Dictionary(oids.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let roleNames = Dictionary(oids, uniquingKeysWith: { a, _ in a })
        // Roles are plain logins.
        let attrs = try admin.exec("SELECT rolname FROM pg_roles WHERE rolname = ANY(\(textArray(roles))) AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls)")
        for row in attrs.rows {
            findings.append(CheckFinding(subject: row[0] ?? "?", check: "role", status: .leak, detail: "has superuser, createdb, createrole or bypassrls"))
        }
        // PUBLIC holds nothing on service databases.
        let publicGrants = try admin.exec("""
            SELECT d.datname, a.privilege_type FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
            WHERE a.grantee = 0 AND d.datname = ANY(\(textArray(databases))) ORDER BY 1, 2
            """)
        for row in publicGrants.rows {
            findings.append(CheckFinding(subject: "PUBLIC", check: "public", status: .leak, detail: "\(row[1] ?? "?") on database \(row[0] ?? "?")"))
        }
        if publicGrants.rows.isEmpty {
            findings.append(CheckFinding(subject: "PUBLIC", check: "public", status: .ok, detail: "no privileges on \(databases.count) databases of \(server.name)"))
        }
        // The CONNECT matrix: every role × every database, from the catalog.
        let matrix = try admin.exec("""
            SELECT r.rolname, d.datname FROM pg_catalog.pg_roles r CROSS JOIN pg_catalog.pg_database d
            WHERE r.rolname = ANY(\(textArray(roles))) AND d.datname = ANY(\(textArray(databases))) AND has_database_privilege(r.oid, d.oid, 'CONNECT')
            """)
        var connect: [String: Set<String>] = [:]
        for row in matrix.rows { connect[row[0]!, default: []].insert(row[1]!) }
        var planned: [String: Set<String>] = [:]
        for db in server.databases {
            for role in db.connect { planned[role, default: []].insert(db.name) }
            if let owner = db.owner { planned[owner, default: []].insert(db.name) }
        }
        for role in server.roles {
            let expected = planned[role.name] ?? []
            let actual = connect[role.name] ?? []
            let extra = actual.subtracting(expected).sorted()
            let missing = expected.subtracting(actual).sorted()
            if !extra.isEmpty {
                findings.append(CheckFinding(subject: role.name, check: "isolation", status: .leak, detail: "may connect to \(extra.joined(separator: ", "))"))
            }
            if !missing.isEmpty {
                findings.append(CheckFinding(subject: role.name, check: "own-data", status: .fail, detail: "cannot connect to \(missing.joined(separator: ", "))"))
            }
            if extra.isEmpty && missing.isEmpty {
                findings.append(CheckFinding(subject: role.name, check: "isolation", status: .ok,
                                             detail: "connects to exactly \(expected.count) of \(databases.count) databases on \(server.name)"))
            }
        }
        // Real logins: every service role's own data works (probe table in a rolled-back
        // transaction); for a sample of roles, other databases refuse the login.
        let owners = serviceRoles(of: server)
        // Many roles (per-tenant): the catalog checks cover every role; real logins a sample
        // spread over them.
        let sampled = Set(Self.spread(owners.map(\.name), count: loginSampleRoles))
        // Schema and table privileges inside each database and the sampled logins share one
        // pool of connections, so that neither waits for the other's last jobs.
        enum Job: Sendable { case inside(PlannedDatabase), logins(PlannedRole) }
        let jobs = server.databases.map(Job.inside) + owners.filter { sampled.contains($0.name) }.map(Job.logins)
        progress("check \(server.name): inside \(server.databases.count) database\(server.databases.count == 1 ? "" : "s"), real logins of \(sampled.count) role\(sampled.count == 1 ? "" : "s"), \(min(parallelism, jobs.count)) connections")
        let checker = self
        let results = try concurrently(jobs, workers: parallelism) { job, _ in
            switch job {
            case let .inside(db): return try checker.checkInside(db, server: server, roleOids: roleOids, roleNames: roleNames)
            case let .logins(role): return checker.realLogins(server, role: role)
            }
        }
        findings += results.prefix(server.databases.count).flatMap { $0 }
        for role in owners where !sampled.contains(role.name) {
            let access = plan.instance(role.instance!)!.database!
            findings.append(CheckFinding(subject: role.name, check: "own-data", status: .ok,
                                         detail: "catalog: CONNECT on \(access.database), USAGE and CREATE on its schema (real logins probe \(sampled.count) of \(owners.count) roles)"))
        }
        findings += results.dropFirst(server.databases.count).flatMap { $0 }
        return findings
    }

    /// The role's probe in its own data, and login attempts to a spread of the databases it may not enter.
    private func realLogins(_ server: PlannedServer, role: PlannedRole) -> [CheckFinding] {
        let access = plan.instance(role.instance!)!.database!
        var found = [probeOwnData(server, role: role, access: access)]
        let others = server.databases.filter { !$0.connect.contains(role.name) && $0.owner != role.name }
        for other in Self.spread(others.map(\.name), count: loginSample) {
            do {
                _ = try login(server, role: role, database: other)
                found.append(CheckFinding(subject: role.name, check: "isolation", status: .leak, detail: "logged in to \(other)"))
            } catch let error as PGError where error.isPermissionDenied {
                continue
            } catch {
                found.append(CheckFinding(subject: role.name, check: "isolation", status: .fail, detail: "login to \(other) failed unexpectedly: \(error)"))
            }
        }
        return found
    }

    /// The roles a service instance logs in as on `server` (its own data there), not readers.
    private func serviceRoles(of server: PlannedServer) -> [PlannedRole] {
        server.roles.filter { role in
            guard !role.readOnly, let access = role.instance.flatMap(plan.instance)?.database else { return false }
            return access.server == server.name && access.role == role.name
        }
    }

    /// A SQL `text[]` literal of `items`: `ARRAY['a','b']::text[]`.
    private func textArray(_ items: [String]) -> String {
        "ARRAY[" + items.map(Escape.sqlLiteral).joined(separator: ",") + "]::text[]"
    }

    /// Up to `count` items spread evenly over `items` (all of them when there are no more).
    static func spread(_ items: [String], count: Int) -> [String] {
        guard items.count > count, count > 0 else { return count > 0 ? items : [] }
        return (0..<count).map { items[$0 * items.count / count] }
    }

    /// Schema and table privileges inside one database, on a new connection (per-tenant plans:
    /// hundreds of databases). A new backend pays for every catalog entry its first statements
    /// touch, in that database's own catalogs, so the statements name roles and schemas by OID
    /// (`has_*_privilege(oid, oid, text)`, exact types, nothing to resolve or coerce) and have no
    /// joins to plan: about half the server CPU of the same checks by name.
    private func checkInside(_ db: PlannedDatabase, server: PlannedServer, roleOids: [String: String], roleNames: [String: String]) throws -> [CheckFinding] {
        var findings: [CheckFinding] = []
        // Only the roles the plan lets connect here: any other role's CONNECT is a leak the
        // server-wide matrix reports, and without it nothing inside is reachable. (Per-tenant
        // plans: a handful of roles per database instead of every role of the server.) A role
        // that does not exist is reported by the matrix too.
        let roles = server.roles.map(\.name).filter { (db.connect.contains($0) || db.owner == $0) && roleOids[$0] != nil }
        if roles.isEmpty { return findings }
        let conn = try superuser(server, database: db.name)
        // Which schemas hold service data here, and whose they are.
        var schemaOwner: [String: String] = [:]
        for s in db.schemas { schemaOwner[s.name] = s.owner }
        if db.schemas.isEmpty { schemaOwner["public"] = db.owner ?? "" }
        let readers = Set(db.tableReads.map(\.role)).union(db.schemaReaders.map(\.role))
        let roleValues = "(VALUES " + roles.map { "(\(roleOids[$0]!)::oid)" }.joined(separator: ", ") + ") r(r)"

        // Role × schema (every schema of the database; only the service schemas are looked at).
        let schemaRows = try conn.exec("""
            SELECT n.oid, n.nspname, r.r, has_schema_privilege(r.r, n.oid, 'USAGE'), has_schema_privilege(r.r, n.oid, 'CREATE')
            FROM pg_namespace n, \(roleValues)
            """).rows.filter { schemaOwner[$0[1]!] != nil }
        for row in schemaRows {
            let schema = row[1]!, role = roleNames[row[2]!] ?? row[2]!, usage = row[3] == "t", create = row[4] == "t"
            let owner = schemaOwner[schema] == role || db.publicCreate.contains(role)
            if owner && !(usage && create) {
                findings.append(CheckFinding(subject: role, check: "own-data", status: .fail, detail: "lacks USAGE/CREATE on its schema \(db.name).\(schema)"))
            } else if !owner && create {
                findings.append(CheckFinding(subject: role, check: "isolation", status: .leak, detail: "may CREATE in \(db.name).\(schema)"))
            } else if !owner && usage && !readers.contains(role) && schema != "public" {
                findings.append(CheckFinding(subject: role, check: "isolation", status: .leak, detail: "has USAGE on \(db.name).\(schema)"))
            }
        }
        // Role × table (tables, views, foreign tables) of the service schemas that exist. Not
        // looked at where one role may connect and owns every service schema (db-per-service,
        // per-tenant): every table there is that service's own data, nobody else gets in (the
        // matrix proves it), so the only thing left to find would be a table of its own schema
        // that another role owns, which is not a leak. Half the cost of the visit.
        let ownerOnly = roles.count == 1 && schemaOwner.values.allSatisfy { $0 == roles[0] } && db.tableReads.isEmpty && db.schemaReaders.isEmpty
        let schemaOids = Dictionary(schemaRows.map { ($0[0]!, $0[1]!) }, uniquingKeysWith: { a, _ in a })
        let privileges: [[String?]] = schemaOids.isEmpty || ownerOnly ? [] : try conn.exec("""
            SELECT c.relnamespace, c.relname, r.r, c.relowner, has_table_privilege(r.r, c.oid, 'SELECT'),
                   has_table_privilege(r.r, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
            FROM pg_class c, \(roleValues)
            WHERE c.relnamespace = ANY('{\(schemaOids.keys.sorted().joined(separator: ","))}'::oid[]) AND c.relkind = ANY('{r,p,v,m,f}'::"char"[])
            """).rows.map { row in
                // As [kind, schema, table, role, owner, select, write], names instead of OIDs.
                ["t", schemaOids[row[0]!], row[1], roleNames[row[2]!] ?? row[2], roleNames[row[3]!] ?? row[3], row[4], row[5]]
            }
        if !privileges.isEmpty {
            let owners = Dictionary(privileges.map { ("\($0[1]!).\($0[2]!)", $0[4]!) }, uniquingKeysWith: { a, _ in a })
            var granted = Set<String>()
            for read in db.tableReads { granted.insert("\(read.role) \(read.schema).\(read.table)") }
            let analytics = Set(db.schemaReaders.map { "\($0.role) \($0.schema)" })
            for row in privileges {
                let role = row[3]!, table = "\(row[1]!).\(row[2]!)", select = row[5] == "t", write = row[6] == "t"
                if owners[table] == role { continue }
                if write {
                    findings.append(CheckFinding(subject: role, check: "isolation", status: .leak, detail: "may write \(db.name).\(table) (owned by \(owners[table] ?? "?"))"))
                } else if select && !granted.contains("\(role) \(table)") && !analytics.contains("\(role) \(row[1]!)") {
                    findings.append(CheckFinding(subject: role, check: "reads", status: .leak, detail: "may read \(db.name).\(table), which no `reads` grants"))
                }
            }
            for read in db.tableReads {
                let ok = privileges.contains { $0[3] == read.role && $0[1] == read.schema && $0[2] == read.table && $0[5] == "t" }
                let exists = owners["\(read.schema).\(read.table)"] != nil
                findings.append(CheckFinding(subject: read.role, check: "reads", status: ok ? .ok : (exists ? .fail : .skipped),
                                             detail: exists ? "SELECT on \(db.name).\(read.schema).\(read.table)" : "\(db.name).\(read.schema).\(read.table) does not exist yet (migrations)"))
            }
        }
        return findings
    }

    private func probeOwnData(_ server: PlannedServer, role: PlannedRole, access: DatabaseAccess) -> CheckFinding {
        do {
            let conn = try login(server, role: role, database: access.database)
            let schema = access.schema ?? "public"
            let table = "\(Escape.sqlIdentifier(schema)).\(Escape.sqlIdentifier((access.tablePrefix ?? "") + "ovudev_probe"))"
            try conn.exec("BEGIN")
            defer { _ = try? conn.exec("ROLLBACK") }
            try conn.exec("CREATE TABLE \(table) (id int PRIMARY KEY, note text)")
            try conn.exec("INSERT INTO \(table) VALUES (1, 'ovudev check')")
            let read = try conn.exec("SELECT note FROM \(table) WHERE id = 1")
            guard read.rows.first?.first == "ovudev check" else {
                return CheckFinding(subject: role.name, check: "own-data", status: .fail, detail: "probe row not read back")
            }
            return CheckFinding(subject: role.name, check: "own-data", status: .ok, detail: "create, write, read in \(access.database)\(access.schema.map { ".\($0)" } ?? "")")
        } catch {
            return CheckFinding(subject: role.name, check: "own-data", status: .fail, detail: "\(error)")
        }
    }

    // MARK: - MySQL

    /// The catalog through the maintenance login (no anonymous accounts, no global privileges
    /// for service users, database privileges exactly the plan's), then for every service user
    /// a real login over TCP 127.0.0.1 with its password: a probe table in its own database, and
    /// `USE` of every other database of the server, which must fail with access denied.
    private func checkMySQL(_ server: PlannedServer) -> [CheckFinding] {
        guard MySQLTools.client != nil else {
            return [CheckFinding(subject: server.name, check: "server", status: .skipped,
                                 detail: "the mariadb client is not installed (\(MySQLTools.installCommand)): MySQL not checked")]
        }
        let admin = mysqlAdmins[server.name] ?? MySQLLogin(route: .tcp(port: server.port), user: server.superuser ?? "root",
                                                            password: server.superuserSecret.flatMap { secrets[$0.variable] })
        var findings: [CheckFinding] = []
        let roles = Set(server.roles.map(\.name))
        let catalog: [[String]]
        do {
            catalog = try admin.exec("""
                SELECT 'anonymous', CONCAT(User, '@', Host), '' FROM mysql.global_priv WHERE User = '';
                SELECT 'global', GRANTEE, PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE <> 'USAGE';
                SELECT 'schema', GRANTEE, TABLE_SCHEMA FROM information_schema.SCHEMA_PRIVILEGES;
                SELECT 'table', GRANTEE, TABLE_SCHEMA FROM information_schema.TABLE_PRIVILEGES;
                """).rows
        } catch {
            return [CheckFinding(subject: server.name, check: "own-data", status: .fail, detail: "cannot read the catalog of \(server.name): \(error)")]
        }
        // GRANTEE is 'user'@'host'.
        let userOf = { (grantee: String) -> String in
            let parts = grantee.split(separator: "'", omittingEmptySubsequences: false)
            return parts.count > 1 ? String(parts[1]) : grantee
        }
        let anonymous = catalog.filter { $0.first == "anonymous" }.map { $0[1] }
        findings.append(anonymous.isEmpty
            ? CheckFinding(subject: "PUBLIC", check: "public", status: .ok, detail: "no anonymous accounts on \(server.name)")
            : CheckFinding(subject: "PUBLIC", check: "public", status: .leak, detail: "anonymous accounts on \(server.name): \(anonymous.joined(separator: ", "))"))
        var global: [String: [String]] = [:]
        var reach: [String: Set<String>] = [:]
        for row in catalog where row.count == 3 {
            let user = userOf(row[1])
            guard roles.contains(user) else { continue }
            switch row[0] {
            case "global": global[user, default: []].append(row[2])
            case "schema", "table": reach[user, default: []].insert(row[2])
            default: break
            }
        }
        var planned: [String: Set<String>] = [:]
        for db in server.databases {
            for role in db.connect { planned[role, default: []].insert(Escape.mysqlGrantPattern(db.name)) }
            if let owner = db.owner { planned[owner, default: []].insert(Escape.mysqlGrantPattern(db.name)) }
        }
        for role in server.roles.map(\.name) {
            if let privileges = global[role] {
                findings.append(CheckFinding(subject: role, check: "role", status: .leak, detail: "has global privileges on \(server.name): \(privileges.sorted().joined(separator: ", "))"))
            }
            let expected = planned[role] ?? [], actual = reach[role] ?? []
            let extra = actual.subtracting(expected).sorted(), missing = expected.subtracting(actual).sorted()
            if !extra.isEmpty {
                findings.append(CheckFinding(subject: role, check: "isolation", status: .leak, detail: "has privileges on \(extra.joined(separator: ", ")) (\(server.name))"))
            }
            if !missing.isEmpty {
                findings.append(CheckFinding(subject: role, check: "own-data", status: .fail, detail: "has no privileges on \(missing.joined(separator: ", ")) (\(server.name))"))
            }
            if extra.isEmpty && missing.isEmpty && global[role] == nil {
                findings.append(CheckFinding(subject: role, check: "isolation", status: .ok,
                                             detail: "privileges on exactly \(expected.count) of \(server.databases.count) databases on \(server.name)"))
            }
        }
        // Real logins, each user in one client run: lines 1–5 the probe, then one USE per other database.
        let owners = serviceRoles(of: server)
        let checker = self
        let logins = (try? concurrently(owners, workers: parallelism) { role, _ in
            checker.mysqlLogins(server, role: role, access: checker.plan.instance(role.instance!)!.database!)
        }) ?? []
        return findings + logins.flatMap { $0 }
    }

    private func mysqlLogins(_ server: PlannedServer, role: PlannedRole, access: DatabaseAccess) -> [CheckFinding] {
        let login = MySQLLogin(route: .tcp(port: server.port), user: role.name, password: secrets[role.secret.variable])
        let others = server.databases.filter { !$0.connect.contains(role.name) && $0.owner != role.name }.map(\.name)
        let probe = Escape.mysqlIdentifier((access.tablePrefix ?? "") + "ovudev_probe")
        let sql = ([
            "DROP TABLE IF EXISTS \(probe);",
            "CREATE TABLE \(probe) (id INT PRIMARY KEY, note VARCHAR(40));",
            "INSERT INTO \(probe) VALUES (1, 'ovudev check');",
            "SELECT 'probe', note FROM \(probe) WHERE id = 1;",
            "DROP TABLE \(probe);",
        ] + others.map { "USE \(Escape.mysqlIdentifier($0));" }).joined(separator: "\n") + "\n"
        let result: MySQLLogin.Result
        do {
            result = try login.run(sql, database: access.database, force: true)
        } catch {
            return [CheckFinding(subject: role.name, check: "own-data", status: .fail, detail: "\(error)")]
        }
        if let failed = result.errors.first(where: { $0.line == nil }) {
            return [CheckFinding(subject: role.name, check: "own-data", status: .fail, detail: "login over 127.0.0.1:\(server.port) to \(access.database) failed: \(failed.message)")]
        }
        var findings: [CheckFinding] = []
        let errorAt = Dictionary(result.errors.compactMap { e in e.line.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
        if let failed = (1...5).compactMap({ errorAt[$0] }).first {
            findings.append(CheckFinding(subject: role.name, check: "own-data", status: .fail, detail: "probe table in \(access.database): \(failed.message)"))
        } else if !result.rows.contains(where: { $0 == ["probe", "ovudev check"] }) {
            findings.append(CheckFinding(subject: role.name, check: "own-data", status: .fail, detail: "probe row not read back in \(access.database)"))
        } else {
            findings.append(CheckFinding(subject: role.name, check: "own-data", status: .ok, detail: "login over 127.0.0.1:\(server.port); create, write, read, drop in \(access.database)"))
        }
        var leaked: [String] = []
        for (i, other) in others.enumerated() {
            switch errorAt[6 + i] {
            case let error? where error.isAccessDenied: continue
            case let error?: findings.append(CheckFinding(subject: role.name, check: "isolation", status: .fail, detail: "USE \(other) failed unexpectedly: \(error.message)"))
            case nil: leaked.append(other)
            }
        }
        if !leaked.isEmpty {
            findings.append(CheckFinding(subject: role.name, check: "isolation", status: .leak, detail: "logged in as \(role.name) and used \(leaked.joined(separator: ", ")) on \(server.name)"))
        } else if !others.isEmpty {
            findings.append(CheckFinding(subject: role.name, check: "isolation", status: .ok, detail: "access denied to \(others.count) other database\(others.count == 1 ? "" : "s") on \(server.name)"))
        }
        return findings
    }

    // MARK: - Redis

    private func checkRedis(_ server: PlannedServer) -> [CheckFinding] {
        let slots = plan.instances.compactMap { i in i.redis.flatMap { $0.server == server.name ? (i.name, $0.index) : nil } }
        guard !slots.isEmpty else { return [] }
        do {
            let conn = try RedisConnection(port: server.port)
            let token = "ovudev-check-\(getpid())-\(Int(Date().timeIntervalSince1970))"
            for (instance, index) in slots {
                try conn.select(index)
                try conn.command(["SET", "ovudev:probe:\(instance)", token, "EX", "60"])
            }
            var findings: [CheckFinding] = []
            for (instance, index) in slots {
                try conn.select(index)
                let own = try conn.command(["GET", "ovudev:probe:\(instance)"])
                // One EXISTS for all the other keys sampled; only a hit is looked at key by key.
                let others = slots.filter { $0.0 != instance }.prefix(loginSample * 4)
                var foreign: [(String, Int)] = []
                if !others.isEmpty, try conn.command(["EXISTS"] + others.map { "ovudev:probe:\($0.0)" }) != .integer(0) {
                    foreign = try others.filter { try conn.command(["EXISTS", "ovudev:probe:\($0.0)"]) == .integer(1) }
                }
                if own != .string(token) {
                    findings.append(CheckFinding(subject: instance, check: "redis", status: .fail, detail: "index \(index) did not keep a key"))
                } else if !foreign.isEmpty {
                    findings.append(CheckFinding(subject: instance, check: "redis", status: .leak, detail: "index \(index) sees keys of \(foreign.map(\.0).joined(separator: ", "))"))
                } else {
                    findings.append(CheckFinding(subject: instance, check: "redis", status: .ok, detail: "\(server.name) index \(index) answers; other indexes' keys invisible"))
                }
            }
            for (instance, index) in slots {
                try conn.select(index)
                try conn.command(["DEL", "ovudev:probe:\(instance)"])
            }
            return findings
        } catch {
            return [CheckFinding(subject: server.name, check: "redis", status: .fail, detail: "\(error)")]
        }
    }

    // MARK: - Health

    private func checkHealth(_ instance: ServiceInstance) -> CheckFinding {
        let url = "http://127.0.0.1:\(instance.port!)\(instance.health!)"
        switch HTTPProbe.get(port: instance.port!, path: instance.health!) {
        case let .success(status) where status == 200:
            return CheckFinding(subject: instance.name, check: "health", status: .ok, detail: "\(url) → 200")
        case let .success(status):
            return CheckFinding(subject: instance.name, check: "health", status: .fail, detail: "\(url) → \(status)")
        case let .failure(error):
            return CheckFinding(subject: instance.name, check: "health", status: .fail, detail: "\(url): \(error.message)")
        }
    }
}

/// A minimal HTTP/1.1 GET over a loopback socket: the status code only.
public enum HTTPProbe {
    public struct ProbeError: Error { public var message: String }

    public static func get(port: Int, path: String, timeoutSeconds: Int = 5) -> Result<Int, ProbeError> {
        let fd: Int32
        switch Loopback.connect(port: port, timeoutSeconds: timeoutSeconds) {
        case let .success(connected): fd = connected
        case let .failure(error) where error.code == ECONNREFUSED: return .failure(ProbeError(message: "connection refused (not running?)"))
        case let .failure(error): return .failure(ProbeError(message: "connect: \(error.message)"))
        }
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nUser-Agent: ovudev\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 512)
        var received = [UInt8]()
        while !received.contains(UInt8(ascii: "\n")) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        let line = String(decoding: received.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            return .failure(ProbeError(message: "no HTTP answer"))
        }
        return .success(status)
    }
}

/// A body run on a thread of its own from now on; `wait` returns its result.
final class OnThread<Output: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var output: Output?  // written once by the thread, read after `done`

    init(_ body: @escaping @Sendable () -> Output) {
        Thread.detachNewThread { [self] in
            output = body()
            done.signal()
        }
    }

    func wait() -> Output {
        done.wait()
        done.signal()  // a second wait returns at once
        return output!
    }
}
