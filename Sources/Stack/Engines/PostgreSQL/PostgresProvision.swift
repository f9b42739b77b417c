import Foundation
import Statements
import Topology

/// Provisioning of one PostgreSQL server: owns the maintenance connection; not Sendable.
final class ServerRun {
    let provisioner: Provisioner
    let server: PlannedServer
    let password: String
    let admin: PGConnection
    let prefix: String
    private(set) var changes: [String] = []
    private(set) var notes: [String] = []

    init(provisioner: Provisioner, server: PlannedServer, labelled: Bool) throws {
        self.provisioner = provisioner
        self.server = server
        password = try provisioner.superuserPassword(server)
        admin = try provisioner.connect(server, password: password, database: "postgres")
        prefix = labelled ? "\(server.name): " : ""
    }

    /// The admin it provisions as (an existing server: the user of its admin URL).
    var superuser: String { Superuser(server, secrets: provisioner.secrets).name }

    func change(_ line: String) { changes.append(prefix + line) }

    func fail(_ message: String, database: String? = nil) -> ProvisionError {
        ProvisionError(server: server.name, database: database, message: message)
    }

    /// Statements in one round trip and one transaction (none may be CREATE DATABASE).
    func execute(_ statements: [String], what: String, database: String? = nil) throws {
        try admin.execute(statements) { fail("\(what) failed (nothing of this step was applied): \($0)", database: database) }
    }

    func provision(state: inout ProvisionState, saveState: (ProvisionState) throws -> Void, progress: (String) -> Void) throws {
        progress("provision \(server.name): \(server.roles.count) roles, \(server.databases.count) databases")
        try provisionRoles(state: &state, saveState: saveState)
        let created = try provisionDatabases(progress: progress)
        try provisionInside(created: created, progress: progress)
    }

    // MARK: Roles

    func rolePassword(_ role: PlannedRole) throws -> String {
        guard let value = provisioner.secrets[role.secret.variable] else {
            throw fail("no password for role \(role.name) (\(role.secret.variable)); external secrets: export it")
        }
        return value
    }

    static func fingerprint(role: String, password: String, verifier: String) -> String {
        SHA256.hex(Array("ovudev-role-password\u{0}\(role)\u{0}\(password)\u{0}\(verifier)".utf8))
    }

    func provisionRoles(state: inout ProvisionState, saveState: (ProvisionState) throws -> Void) throws {
        let columns = PostgresSQL.roleAttributeColumns
        let rows = try admin.query("""
            SELECT rolname, \(columns.map(\.column).joined(separator: ", ")), coalesce(rolpassword, ''), rolconnlimit::text
            FROM pg_catalog.pg_authid WHERE rolname = ANY($1::text[])
            """, [pgArray(server.roles.map(\.name))])
        var existing: [String: [String?]] = [:]
        for row in rows.rows { existing[row[0]!] = row }
        var recorded = state.servers[server.name]?.roles ?? [:]
        var statements: [String] = []
        var passwordsSet: [String] = []
        for role in server.roles {
            let password = try rolePassword(role)
            let literal = Escape.sqlLiteral(password)
            guard let row = existing[role.name] else {
                statements.append(PostgresSQL.createRole(role.name, passwordSQL: literal, connectionLimit: role.connectionLimit))
                change("role \(role.name) created")
                passwordsSet.append(role.name)
                continue
            }
            var wrong: [String] = []
            for (i, attribute) in columns.enumerated() {
                let want = PostgresSQL.roleAttributes.contains(attribute.whenTrue)
                if (row[1 + i] == "t") != want { wrong.append(want ? attribute.whenTrue : attribute.whenFalse) }
            }
            if !wrong.isEmpty {
                statements.append(PostgresSQL.alterRoleAttributes(role.name))
                change("role \(role.name): set \(wrong.joined(separator: " "))")
            }
            if row[columns.count + 2] != String(role.connectionLimit ?? -1) {
                statements.append(PostgresSQL.alterConnectionLimit(role))
                change("role \(role.name): connection limit \(role.connectionLimit.map(String.init) ?? "none")")
            }
            let verifier = row[columns.count + 1] ?? ""
            if recorded[role.name] != Self.fingerprint(role: role.name, password: password, verifier: verifier) {
                statements.append(PostgresSQL.alterRolePassword(role.name, passwordSQL: literal))
                change("role \(role.name): password set\(recorded[role.name] == nil ? "" : " (the secret or the stored password changed)")")
                passwordsSet.append(role.name)
            }
        }
        try execute(statements, what: "roles")
        if !passwordsSet.isEmpty {
            let verifiers = try admin.query("SELECT rolname, coalesce(rolpassword, '') FROM pg_catalog.pg_authid WHERE rolname = ANY($1::text[])",
                                            [pgArray(passwordsSet)])
            for row in verifiers.rows {
                guard let name = row[0], let role = server.role(name) else { continue }
                recorded[name] = Self.fingerprint(role: name, password: try rolePassword(role), verifier: row[1] ?? "")
            }
        }
        // Only this server's planned roles are remembered.
        let planned = Set(server.roles.map(\.name))
        recorded = recorded.filter { planned.contains($0.key) }
        if state.servers[server.name]?.roles != recorded {
            state.servers[server.name] = ProvisionState.Server(roles: recorded)
            try saveState(state)
        }
    }

    // MARK: Databases

    /// Creates the missing databases, fixes owners, PUBLIC and role privileges, search paths.
    /// Returns the databases created in this run.
    func provisionDatabases(progress: (String) -> Void) throws -> Set<String> {
        let names = server.databases.map(\.name)
        let rows = try admin.query("SELECT datname, pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = ANY($1::text[])",
                                   [pgArray(names)])
        var owners: [String: String] = [:]
        for row in rows.rows { owners[row[0]!] = row[1]! }

        try dropLeftoverTemplates()
        let missing = server.databases.filter { owners[$0.name] == nil }
        if !missing.isEmpty {
            progress("provision \(server.name): creating \(missing.count) database\(missing.count == 1 ? "" : "s")")
            try createDatabases(missing)
            for db in missing { change("database \(db.name) created\(db.owner.map { ", owned by \($0)" } ?? "")") }
        }
        let created = Set(missing.map(\.name))

        // Owners first: changing one rewrites the database's ACL.
        var ownerStatements: [String] = []
        for db in server.databases where !created.contains(db.name) {
            if let want = db.owner, let actual = owners[db.name], actual != want {
                ownerStatements.append(PostgresSQL.alterOwner(.database(db.name), to: want))
                change("database \(db.name): owner set to \(want) (was \(actual))")
            }
        }
        try execute(ownerStatements, what: "database owners")

        var statements: [String] = []
        let acl = try admin.query("""
            SELECT d.datname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END, a.privilege_type
            FROM pg_catalog.pg_database d CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
            WHERE d.datname = ANY($1::text[])
            """, [pgArray(names)])
        var privileges: [String: [String: Set<String>]] = [:]
        for row in acl.rows { privileges[row[0]!, default: [:]][row[1]!, default: []].insert(row[2]!) }
        let planRoles = server.roles.map(\.name)
        for db in server.databases {
            let isNew = created.contains(db.name)
            let have = privileges[db.name] ?? [:]
            if let publicHas = have["PUBLIC"], !publicHas.isEmpty {
                statements.append(PostgresSQL.revokeAllFromPublic(.database(db.name)))
                if !isNew { change("database \(db.name): revoked \(ordered(publicHas, PostgresSQL.databasePrivilegeOrder)) from PUBLIC") }
            }
            let want = PostgresSQL.databasePrivileges(db)
            let owner = db.owner ?? owners[db.name] ?? superuser
            var grants: [Set<String>: [String]] = [:], revokes: [Set<String>: [String]] = [:]
            for role in planRoles {
                let has = have[role] ?? [], wanted = want[role] ?? []
                let missingPrivileges = wanted.subtracting(has)
                // The owner keeps what ownership gives it; others hold exactly what the plan says.
                let extra = role == owner ? [] : has.subtracting(wanted)
                if !missingPrivileges.isEmpty { grants[missingPrivileges, default: []].append(role) }
                if !extra.isEmpty { revokes[extra, default: []].append(role) }
            }
            for (set, roles) in revokes.sorted(by: { groupOrder($0.key, $1.key) }) {
                statements.append(PostgresSQL.revoke(set, on: .database(db.name), from: roles))
                if !isNew { for role in roles { change("database \(db.name): revoked \(ordered(set, PostgresSQL.databasePrivilegeOrder)) from \(role)") } }
            }
            for (set, roles) in grants.sorted(by: { groupOrder($0.key, $1.key) }) {
                statements.append(PostgresSQL.grant(set, on: .database(db.name), to: roles))
                if !isNew { for role in roles { change("database \(db.name): granted \(ordered(set, PostgresSQL.databasePrivilegeOrder)) to \(role)") } }
            }
        }

        // search_path per role and database (pg_db_role_setting is shared by the cluster).
        let settings = try admin.query("""
            SELECT d.datname, r.rolname, substr(c, length('search_path=') + 1)
            FROM pg_catalog.pg_db_role_setting s
            JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
            JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
            CROSS JOIN LATERAL unnest(s.setconfig) c
            WHERE c LIKE 'search_path=%' AND d.datname = ANY($1::text[])
            """, [pgArray(names)])
        var searchPaths: [String: [String]] = [:]
        for row in settings.rows { searchPaths["\(row[0]!) \(row[1]!)"] = Self.parseSearchPath(row[2] ?? "") }
        for db in server.databases {
            for sp in db.searchPaths where searchPaths["\(db.name) \(sp.role)"] != sp.schemas {
                statements.append(PostgresSQL.setSearchPath(role: sp.role, database: db.name, schemas: sp.schemas))
                if !created.contains(db.name) { change("database \(db.name): search_path of \(sp.role) set to \(sp.schemas.joined(separator: ", "))") }
            }
        }
        try execute(statements, what: "database privileges and settings")
        return created
    }

    /// `aam, public` or `"my schema", public` as stored by ALTER ROLE … SET search_path.
    static func parseSearchPath(_ value: String) -> [String] {
        value.split(separator: ",").map { part in
            var s = part.trimmingCharacters(in: .whitespaces)
            if s.hasPrefix("\""), s.hasSuffix("\""), s.count >= 2 {
                s = String(s.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
            }
            return s
        }
    }

    static let templatePrefix = "ovudev_template_"

    func dropDatabase(_ name: String) -> String { PostgresSQL.dropDatabase(name, force: admin.serverVersion >= 130000) }

    /// Template databases an interrupted run left behind are dropped (they are not in the plan).
    func dropLeftoverTemplates() throws {
        let rows = try admin.query("SELECT datname FROM pg_catalog.pg_database WHERE starts_with(datname, $1) ORDER BY 1", [Self.templatePrefix])
        for name in rows.rows.compactMap({ $0[0] }) {
            try execute([dropDatabase(name)], what: "dropping the leftover template database \(name)")
            notes.append("\(prefix)dropped the template database \(name) an interrupted run left behind")
        }
    }

    /// Creates databases over several connections; those with the same extensions are cloned
    /// from a template database that has them (made here, dropped at the end).
    func createDatabases(_ databases: [PlannedDatabase]) throws {
        var templates: [String: [String]] = [:]  // template name → extensions
        var templateOf: [String: String] = [:]   // database → template name
        if let threshold = provisioner.templateThreshold {
            let groups = Dictionary(grouping: databases.filter { !$0.extensions.isEmpty }, by: \.extensions)
            for (extensions, group) in groups where group.count >= threshold {
                let name = Self.templatePrefix + SHA256.hex(Array(extensions.joined(separator: ",").utf8)).prefix(16)
                templates[name] = extensions
                for db in group { templateOf[db.name] = name }
            }
        }
        defer {
            for name in templates.keys.sorted() {
                do { try admin.exec(dropDatabase(name)) } catch { notes.append("\(prefix)template database \(name) could not be dropped: \(error)") }
            }
        }
        for (name, extensions) in templates.sorted(by: { $0.key < $1.key }) {
            do {
                try admin.exec(dropDatabase(name))
                try admin.exec(PostgresSQL.createDatabase(name, owner: nil))
                // Connected only while it is filled: nobody may be connected to a template being cloned.
                let conn = try provisioner.connect(server, password: password, database: name)
                try conn.exec(([PostgresSQL.revokeCreateOnPublicSchema] + extensions.map(PostgresSQL.createExtension)).joined(separator: "\n"))
            } catch let error as ProvisionError {
                throw error
            } catch {
                throw fail("template database \(name) for extensions \(extensions.joined(separator: ", ")): \(error)")
            }
        }
        var strategy: String?
        if let threshold = provisioner.fileCopyThreshold, databases.count >= threshold, admin.serverVersion >= 150000 { strategy = "FILE_COPY" }
        let server = server, password = password, provisioner = provisioner
        let jobs = databases.map { (db: $0.name, sql: PostgresSQL.createDatabase($0.name, owner: $0.owner, template: templateOf[$0.name], strategy: strategy)) }
        _ = try concurrently(jobs, workers: provisioner.parallelism) { job, worker in
            if worker.connection == nil { worker.connection = try provisioner.connect(server, password: password, database: "postgres") }
            do {
                try worker.connection!.exec(job.sql)
            } catch {
                throw ProvisionError(server: server.name, database: job.db, message: "CREATE DATABASE failed: \(error)")
            }
        }
    }

    // MARK: Inside each database

    func provisionInside(created: Set<String>, progress: (String) -> Void) throws {
        let databases = server.databases
        if databases.count > 1 { progress("provision \(server.name): schemas, extensions and privileges in \(databases.count) databases") }
        let server = server, password = password, provisioner = provisioner
        let roles = server.roles.map(\.name)
        let superuser = superuser
        let outcomes = try concurrently(databases, workers: provisioner.parallelism) { db, _ in
            let conn = try provisioner.connect(server, password: password, database: db.name)
            defer { provisioner.idle.keep(conn, "\(server.port)/\(db.name)") }
            return try InsideDatabase(db: db, planRoles: roles, superuser: superuser).converge(conn, server: server.name)
        }
        for (db, lines) in zip(databases, outcomes) where !created.contains(db.name) {
            for line in lines { change("database \(db.name): \(line)") }
        }
    }
}
