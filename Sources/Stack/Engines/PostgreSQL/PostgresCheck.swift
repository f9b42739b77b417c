import Foundation
import Statements
import Topology

/// The privilege matrix from the catalog, the schemas and tables inside every database, and real
/// logins of a sample of the service roles.
extension Checker {
    func superuserConnection(_ server: PlannedServer, database: String) throws -> PGConnection {
        let superuser = Superuser(server, secrets: secrets)
        _ = try superuser.requirePassword()
        return try superuser.connect(database: database, socket: adminSockets[server.name])
    }

    func login(_ server: PlannedServer, role: PlannedRole, database: String) throws -> PGConnection {
        try PGConnection(PGConnectionParameters(host: server.hostAddress, port: server.port, user: role.name, password: secrets[role.secret.variable], database: database))
    }

    /// The role's probe in its own data, and login attempts to a spread of the databases it may not enter.
    func realLogins(_ server: PlannedServer, role: PlannedRole) -> [CheckFinding] {
        let access = plan.instance(role.instance!)!.database!
        var found = [probeOwnData(server, role: role, access: access)]
        let others = server.databases.filter { !$0.connect.contains(role.name) && $0.owner != role.name }
        for other in Self.spread(others.map(\.name), count: loginSample) {
            do {
                _ = try login(server, role: role, database: other)
                found.append(CheckFinding(subject: role.name, check: "isolation", status: .leak, kind: .loggedIn(role: role.name, database: other)))
            } catch let error as PGError where error.isPermissionDenied {
                continue
            } catch {
                found.append(CheckFinding(subject: role.name, check: "isolation", status: .fail,
                                          kind: .loginFailedUnexpectedly(role: role.name, database: other, error: "\(error)")))
            }
        }
        return found
    }

    /// A SQL `text[]` literal of `items`: `ARRAY['a','b']::text[]`.
    func textArray(_ items: [String]) -> String {
        "ARRAY[" + items.map(Escape.sqlLiteral).joined(separator: ",") + "]::text[]"
    }

    /// Schema and table privileges inside one database, on a new connection (per-tenant plans:
    /// hundreds of databases). A new backend pays for every catalog entry its first statements
    /// touch, in that database's own catalogs, so the statements name roles and schemas by OID
    /// (`has_*_privilege(oid, oid, text)`, exact types, nothing to resolve or coerce) and have no
    /// joins to plan: about half the server CPU of the same checks by name.
    func checkInside(_ db: PlannedDatabase, server: PlannedServer, roleOids: [String: String], roleNames: [String: String]) throws -> [CheckFinding] {
        var findings: [CheckFinding] = []
        // Only the roles the plan lets connect here: any other role's CONNECT is a leak the
        // server-wide matrix reports, and without it nothing inside is reachable. (Per-tenant
        // plans: a handful of roles per database instead of every role of the server.) A role
        // that does not exist is reported by the matrix too.
        let roles = server.roles.map(\.name).filter { (db.connect.contains($0) || db.owner == $0) && roleOids[$0] != nil }
        if roles.isEmpty { return findings }
        let conn = try superuserConnection(server, database: db.name)
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
                findings.append(CheckFinding(subject: role, check: "own-data", status: .fail, kind: .lacksOwnSchema(role: role, database: db.name, schema: schema)))
            } else if !owner && create {
                findings.append(CheckFinding(subject: role, check: "isolation", status: .leak,
                                            kind: .schemaPrivilege(role: role, database: db.name, schema: schema, privilege: .create)))
            } else if !owner && usage && !readers.contains(role) && schema != "public" {
                findings.append(CheckFinding(subject: role, check: "isolation", status: .leak,
                                            kind: .schemaPrivilege(role: role, database: db.name, schema: schema, privilege: .usage)))
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
                    findings.append(CheckFinding(subject: role, check: "isolation", status: .leak,
                                                kind: .mayWrite(role: role, database: db.name, table: table, owner: owners[table] ?? "?")))
                } else if select && !granted.contains("\(role) \(table)") && !analytics.contains("\(role) \(row[1]!)") {
                    findings.append(CheckFinding(subject: role, check: "reads", status: .leak, kind: .mayRead(role: role, database: db.name, table: table)))
                }
            }
            for read in db.tableReads {
                let ok = privileges.contains { $0[3] == read.role && $0[1] == read.schema && $0[2] == read.table && $0[5] == "t" }
                let exists = owners["\(read.schema).\(read.table)"] != nil
                let table = "\(read.schema).\(read.table)"
                findings.append(CheckFinding(subject: read.role, check: "reads", status: ok ? .ok : (exists ? .fail : .skipped),
                                             kind: exists ? .reads(role: read.role, database: db.name, table: table)
                                                 : .readsMissing(role: read.role, database: db.name, table: table)))
            }
        }
        return findings
    }

    func probeOwnData(_ server: PlannedServer, role: PlannedRole, access: DatabaseAccess) -> CheckFinding {
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
                return CheckFinding(subject: role.name, check: "own-data", status: .fail, kind: .probeNotReadBack(role: role.name, database: access.database))
            }
            return CheckFinding(subject: role.name, check: "own-data", status: .ok, kind: .connects(role: role.name, database: access.database, schema: access.schema))
        } catch {
            return CheckFinding(subject: role.name, check: "own-data", status: .fail, kind: .probeFailed(role: role.name, database: access.database, error: "\(error)"))
        }
    }
}

extension PostgreSQLEngine {
    func check(_ server: PlannedServer, by checker: Checker, progress: (String) -> Void) throws -> [CheckFinding] {
        var findings: [CheckFinding] = []
        let admin = try checker.superuserConnection(server, database: "postgres")
        let roles = server.roles.map(\.name)
        let databases = server.databases.map(\.name)
        progress("check \(server.name): catalog, \(roles.count) roles × \(databases.count) databases")

        // Every role's OID: the checks inside databases name roles by OID.
        let oids = try admin.exec("SELECT oid, rolname FROM pg_catalog.pg_roles").rows.map { ($0[0]!, $0[1]!) }
        let roleOids = Dictionary(oids.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let roleNames = Dictionary(oids, uniquingKeysWith: { a, _ in a })
        // Roles are plain logins.
        let attrs = try admin.exec("SELECT rolname FROM pg_roles WHERE rolname = ANY(\(checker.textArray(roles))) AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolbypassrls)")
        for row in attrs.rows {
            findings.append(CheckFinding(subject: row[0] ?? "?", check: "role", status: .leak, kind: .roleAttributes(role: row[0] ?? "?", server: server.name)))
        }
        // PUBLIC holds nothing on service databases.
        let publicGrants = try admin.exec("""
            SELECT d.datname, a.privilege_type FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
            WHERE a.grantee = 0 AND d.datname = ANY(\(checker.textArray(databases))) ORDER BY 1, 2
            """)
        for row in publicGrants.rows {
            findings.append(CheckFinding(subject: "PUBLIC", check: "public", status: .leak, kind: .publicHas(database: row[0] ?? "?", privilege: row[1] ?? "?")))
        }
        if publicGrants.rows.isEmpty {
            findings.append(CheckFinding(subject: "PUBLIC", check: "public", status: .ok, kind: .publicHasNothing(server: server.name, databases: databases.count)))
        }
        // The CONNECT matrix: every role × every database, from the catalog.
        let matrix = try admin.exec("""
            SELECT r.rolname, d.datname FROM pg_catalog.pg_roles r CROSS JOIN pg_catalog.pg_database d
            WHERE r.rolname = ANY(\(checker.textArray(roles))) AND d.datname = ANY(\(checker.textArray(databases))) AND has_database_privilege(r.oid, d.oid, 'CONNECT')
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
                findings.append(CheckFinding(subject: role.name, check: "isolation", status: .leak, kind: .mayConnect(role: role.name, databases: extra)))
            }
            if !missing.isEmpty {
                findings.append(CheckFinding(subject: role.name, check: "own-data", status: .fail, kind: .cannotConnect(role: role.name, databases: missing)))
            }
            if extra.isEmpty && missing.isEmpty {
                findings.append(CheckFinding(subject: role.name, check: "isolation", status: .ok,
                                             kind: .connectsExactly(role: role.name, server: server.name, count: expected.count, of: databases.count)))
            }
        }
        // Real logins: every service role's own data works (probe table in a rolled-back
        // transaction); for a sample of roles, other databases refuse the login.
        let owners = checker.serviceRoles(of: server)
        // Many roles (per-tenant): the catalog checks cover every role; real logins a sample
        // spread over them.
        let sampled = Set(Checker.spread(owners.map(\.name), count: checker.loginSampleRoles))
        // Schema and table privileges inside each database and the sampled logins share one
        // pool of connections, so that neither waits for the other's last jobs.
        enum Job: Sendable { case inside(PlannedDatabase), logins(PlannedRole) }
        let jobs = server.databases.map(Job.inside) + owners.filter { sampled.contains($0.name) }.map(Job.logins)
        progress("check \(server.name): inside \(server.databases.count) database\(server.databases.count == 1 ? "" : "s"), real logins of \(sampled.count) role\(sampled.count == 1 ? "" : "s"), \(min(checker.parallelism, jobs.count)) connections")
        let results = try concurrently(jobs, workers: checker.parallelism) { job, _ in
            switch job {
            case let .inside(db): return try checker.checkInside(db, server: server, roleOids: roleOids, roleNames: roleNames)
            case let .logins(role): return checker.realLogins(server, role: role)
            }
        }
        findings += results.prefix(server.databases.count).flatMap { $0 }
        for role in owners where !sampled.contains(role.name) {
            let access = checker.plan.instance(role.instance!)!.database!
            findings.append(CheckFinding(subject: role.name, check: "own-data", status: .ok,
                                         kind: .catalogOwnData(role: role.name, database: access.database, sampled: sampled.count, roles: owners.count)))
        }
        findings += results.dropFirst(server.databases.count).flatMap { $0 }
        return findings
    }
}
