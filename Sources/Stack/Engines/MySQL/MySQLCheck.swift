import Foundation
import Statements
import Topology

extension Checker {

    func mysqlLogins(_ server: PlannedServer, role: PlannedRole, access: DatabaseAccess) -> [CheckFinding] {
        let login = MySQLLogin(route: .tcp(port: server.port), user: role.name, password: secrets[role.secret.variable])
        // A table grant (`reads`) lets USE into its database: those are probed by mysqlReaderLogins.
        let others = server.databases.filter { db in
            !db.connect.contains(role.name) && db.owner != role.name && !db.tableReads.contains { $0.role == role.name }
        }.map(\.name)
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
            return [CheckFinding(subject: role.name, check: "own-data", status: .fail, kind: .probeFailed(role: role.name, database: access.database, error: "\(error)"))]
        }
        if let failed = result.errors.first(where: { $0.line == nil }) {
            return [CheckFinding(subject: role.name, check: "own-data", status: .fail,
                                 kind: .loginFailed(role: role.name, database: access.database, port: server.port, error: failed.message))]
        }
        var findings: [CheckFinding] = []
        let errorAt = Dictionary(result.errors.compactMap { e in e.line.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
        if let failed = (1...5).compactMap({ errorAt[$0] }).first {
            findings.append(CheckFinding(subject: role.name, check: "own-data", status: .fail,
                                         kind: .probeTableFailed(role: role.name, database: access.database, error: failed.message)))
        } else if !result.rows.contains(where: { $0 == ["probe", "ovudev check"] }) {
            findings.append(CheckFinding(subject: role.name, check: "own-data", status: .fail, kind: .probeNotReadBack(role: role.name, database: access.database)))
        } else {
            findings.append(CheckFinding(subject: role.name, check: "own-data", status: .ok,
                                         kind: .connectsOverTCP(role: role.name, database: access.database, port: server.port)))
        }
        var leaked: [String] = []
        for (i, other) in others.enumerated() {
            switch errorAt[6 + i] {
            case let error? where error.isAccessDenied: continue
            case let error?: findings.append(CheckFinding(subject: role.name, check: "isolation", status: .fail,
                                                     kind: .useFailed(role: role.name, database: other, error: error.message)))
            case nil: leaked.append(other)
            }
        }
        if !leaked.isEmpty {
            findings.append(CheckFinding(subject: role.name, check: "isolation", status: .leak, kind: .usedDatabases(role: role.name, server: server.name, databases: leaked)))
        } else if !others.isEmpty {
            findings.append(CheckFinding(subject: role.name, check: "isolation", status: .ok, kind: .accessDenied(role: role.name, server: server.name, databases: others.count)))
        }
        return findings
    }
}

extension MySQLEngine {
    /// The catalog through the maintenance login (no anonymous accounts, no global privileges
    /// for service users, database privileges exactly the plan's), then for every service user
    /// a real login over TCP 127.0.0.1 with its password: a probe table in its own database, and
    /// `USE` of every other database of the server, which must fail with access denied.
    func check(_ server: PlannedServer, by checker: Checker, progress: (String) -> Void) throws -> [CheckFinding] {
        guard MySQLTools.client != nil else {
            return [CheckFinding(subject: server.name, check: "server", status: .skipped,
                                 kind: .clientMissing(server: server.name, install: MySQLTools.installCommand))]
        }
        let admin = checker.mysqlAdmins[server.name] ?? Superuser(server, secrets: checker.secrets).tcpLogin()
        var findings: [CheckFinding] = []
        let roles = Set(server.roles.map(\.name))
        let catalog: [[String]]
        do {
            catalog = try admin.exec("""
                SELECT 'anonymous', CONCAT(User, '@', Host), '' FROM mysql.global_priv WHERE User = '';
                SELECT 'global', GRANTEE, PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE <> 'USAGE';
                SELECT 'schema', GRANTEE, TABLE_SCHEMA FROM information_schema.SCHEMA_PRIVILEGES;
                SELECT 'table', GRANTEE, CONCAT(TABLE_SCHEMA, '.', TABLE_NAME, ' ', PRIVILEGE_TYPE) FROM information_schema.TABLE_PRIVILEGES;
                """).rows
        } catch {
            return [CheckFinding(subject: server.name, check: "own-data", status: .fail, kind: .catalogUnreadable(server: server.name, error: "\(error)"))]
        }
        // GRANTEE is 'user'@'host'.
        let userOf = { (grantee: String) -> String in
            let parts = grantee.split(separator: "'", omittingEmptySubsequences: false)
            return parts.count > 1 ? String(parts[1]) : grantee
        }
        let anonymous = catalog.filter { $0.first == "anonymous" }.map { $0[1] }
        findings.append(CheckFinding(subject: "PUBLIC", check: "public", status: anonymous.isEmpty ? .ok : .leak,
                                     kind: .anonymousAccounts(server: server.name, accounts: anonymous)))
        var global: [String: [String]] = [:]
        var reach: [String: Set<String>] = [:]
        var tableReach: [String: Set<String>] = [:]  // "db.table PRIVILEGE"
        for row in catalog where row.count == 3 {
            let user = userOf(row[1])
            guard roles.contains(user) else { continue }
            switch row[0] {
            case "global": global[user, default: []].append(row[2])
            case "schema": reach[user, default: []].insert(row[2])
            case "table": tableReach[user, default: []].insert(row[2])
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
                findings.append(CheckFinding(subject: role, check: "role", status: .leak,
                                             kind: .globalPrivileges(role: role, server: server.name, privileges: privileges.sorted())))
            }
            // Table privileges: exactly SELECT on the planned `reads`.
            let tables = Set(server.databases.flatMap { db in db.tableReads.filter { $0.role == role }.map { "\(db.name).\($0.table) SELECT" } })
            for extra in (tableReach[role] ?? []).subtracting(tables).sorted() {
                let parts = extra.split(separator: " ", maxSplits: 1).map(String.init)
                let name = parts[0].split(separator: ".", maxSplits: 1).map(String.init)
                let kind: FindingKind = parts.count > 1 && parts[1] == "SELECT" ? .mayRead(role: role, database: name[0], table: name.count > 1 ? name[1] : "")
                    : .mysqlPrivileges(role: role, server: server.name, patterns: [extra])
                findings.append(CheckFinding(subject: role, check: "isolation", status: .leak, kind: kind))
            }
            let expected = planned[role] ?? [], actual = reach[role] ?? []
            let extra = actual.subtracting(expected).sorted(), missing = expected.subtracting(actual).sorted()
            if !extra.isEmpty {
                findings.append(CheckFinding(subject: role, check: "isolation", status: .leak, kind: .mysqlPrivileges(role: role, server: server.name, patterns: extra)))
            }
            if !missing.isEmpty {
                findings.append(CheckFinding(subject: role, check: "own-data", status: .fail, kind: .mysqlPrivilegesMissing(role: role, server: server.name, patterns: missing)))
            }
            if extra.isEmpty && missing.isEmpty && global[role] == nil {
                findings.append(CheckFinding(subject: role, check: "isolation", status: .ok,
                                             kind: .mysqlPrivilegesExactly(role: role, server: server.name, count: expected.count, of: server.databases.count)))
            }
        }
        // Real logins, each user in one client run: lines 1–5 the probe, then one USE per other database.
        let owners = checker.serviceRoles(of: server)
        let logins = (try? concurrently(owners, workers: checker.parallelism) { role, _ in
            checker.mysqlLogins(server, role: role, access: checker.plan.instance(role.instance!)!.database!)
        }) ?? []
        return findings + logins.flatMap { $0 } + checker.mysqlReaderLogins(server, admin: admin)
    }
}
