import Foundation
import Statements
import Topology
import Workspace

/// What a provisioning run changed, one line per change ("role aam_user created",
/// "database ovu_db: revoked CONNECT, TEMPORARY from PUBLIC"). Empty when the servers already
/// matched the Plan.
public struct ProvisionReport: Sendable, Codable, Equatable {
    public var changes: [String] = []
    /// What was not done and why (servers that need the docker engine), and warnings (a table
    /// that `reads` names but the migrations did not create). Not changes.
    public var notes: [String] = []

    public init(changes: [String] = [], notes: [String] = []) {
        self.changes = changes
        self.notes = notes
    }

    public var isEmpty: Bool { changes.isEmpty }
    public var summary: String {
        changes.isEmpty ? "nothing to change: the servers match the plan" : "\(changes.count) change\(changes.count == 1 ? "" : "s")"
    }
}

public struct ProvisionError: Error, CustomStringConvertible, Sendable {
    public var server: String
    public var database: String?
    public var message: String

    public var description: String {
        "provisioning \(server)\(database.map { " (database \($0))" } ?? ""): \(message)"
    }
}

/// Applies, through libpq as each PostgreSQL server's superuser, what the rendered init-db.sql
/// would create (roles, databases, schemas, extensions, grants, `REVOKE … FROM PUBLIC`), and
/// after migrations what post-migrate/grants.sql grants — idempotently: it reads the catalogs
/// first and applies only what is missing or wrong, so a second run changes nothing.
///
/// The statements come from `PostgresSQL` (Renderers), the same builders the SQL renderer uses.
///
/// Passwords: a role gets its password when it is created. To converge a changed secret without
/// resetting every password on every run, `<stateDirectory>/provisioned.json` (mode 0600) keeps,
/// per server and role, a SHA-256 of the role, its password and the SCRAM verifier PostgreSQL
/// stored for it; the password is set again only when that fingerprint differs (the secret
/// changed, someone changed the password, or the cluster is new).
///
/// Many databases (per-tenant): the catalogs are read once per server, statements are batched
/// (one round trip and one commit for all roles, all database grants), new databases that need
/// extensions are cloned from a per-shape template database, and databases are created and
/// provisioned inside over `parallelism` connections at once.
public struct Provisioner: Sendable {
    public let plan: Plan
    public let secrets: [String: String]
    public let stateDirectory: String
    /// Connections used at once to create databases and to provision inside them.
    public var parallelism = 4
    /// Databases to create with the same extensions that make a template worth it; nil: never.
    public var templateThreshold: Int? = 3
    /// Databases to create at once from which `STRATEGY FILE_COPY` is used (PostgreSQL 15+):
    /// over several connections its checkpoints are shared, and it writes each database once
    /// instead of into the WAL and again at the next checkpoint (measured: 100 databases over 4
    /// connections 1.3–1.5 s with FILE_COPY, 4.4–5.3 s with WAL_LOG counting its checkpoint).
    /// Below it, WAL_LOG (no checkpoint) is faster. nil: the server's default always.
    public var fileCopyThreshold: Int? = 8
    /// Server name → socket folder where the superuser logs in by peer authentication (native engine).
    public var adminSockets: [String: String] = [:]
    /// MySQL server name → ovudev's maintenance login (native engine) and the server's rendered
    /// init SQL (`BundleRenderer.mysqlInitSQL`). A MySQL server without both is skipped with a note.
    public var mysqlAdmins: [String: MySQLLogin] = [:]
    public var mysqlInitSQL: [String: String] = [:]

    /// Superuser connections to the plan's databases kept between `provision` and
    /// `applyPostMigrate` of one `up`: each database is logged into once, not once per step.
    let idle = IdleConnections(limit: 16)

    public init(plan: Plan, secrets: [String: String], stateDirectory: String) {
        self.plan = plan
        self.secrets = secrets
        self.stateDirectory = stateDirectory
    }

    public var statePath: String { (stateDirectory as NSString).appendingPathComponent("provisioned.json") }

    var postgresServers: [PlannedServer] { plan.servers.filter { $0.engine == .postgres } }

    /// Converges every PostgreSQL server of the plan, and every MySQL server with a maintenance
    /// login and init SQL; MongoDB servers are skipped with a note.
    public func provision(progress: (String) -> Void = { _ in }) throws -> ProvisionReport {
        var report = ProvisionReport()
        var state = ProvisionState.load(statePath)
        let labelled = postgresServers.count > 1
        for server in plan.servers {
            switch server.engine {
            case .postgres:
                let run = try ServerRun(provisioner: self, server: server, labelled: labelled)
                try run.provision(state: &state, saveState: { try $0.save(statePath) }, progress: progress)
                report.changes += run.changes
                report.notes += run.notes
            case .mysql:
                guard let admin = mysqlAdmins[server.name], let sql = mysqlInitSQL[server.name] else {
                    report.notes.append(dockerOnlyNote(server))
                    continue
                }
                progress("provision \(server.name): \(server.roles.count) users, \(server.databases.count) databases")
                let password = server.superuserSecret.flatMap { secrets[$0.variable] }
                let changes = try MySQLProvisioning(server: server, admin: admin, sql: sql, superuserPassword: password).run()
                report.changes += changes.map { "\(server.name): \($0)" }
            case .mongodb:
                report.notes.append(dockerOnlyNote(server))
            case .redis:
                break
            }
        }
        progress("provision: \(report.summary)")
        return report
    }

    /// What post-migrate/grants.sql grants: SELECT on each `reads` table that exists (a missing
    /// one is reported in `notes`), and the analytics role's SELECT on tables created since.
    public func applyPostMigrate(progress: (String) -> Void = { _ in }) throws -> ProvisionReport {
        var report = ProvisionReport()
        let labelled = postgresServers.count > 1
        for server in postgresServers {
            let databases = server.databases.filter { !$0.tableReads.isEmpty || !$0.schemaReaders.isEmpty }
            if databases.isEmpty { continue }
            progress("post-migrate grants: \(server.name), \(databases.count) database\(databases.count == 1 ? "" : "s")")
            let password = try superuserPassword(server)
            let prefix = labelled ? "\(server.name): " : ""
            let outcomes = try concurrently(databases, workers: parallelism) { db, _ in
                let conn = try connect(server, password: password, database: db.name)
                defer { idle.keep(conn, "\(server.port)/\(db.name)") }
                return try Self.postMigrate(db, conn: conn, server: server.name)
            }
            for outcome in outcomes {
                report.changes += outcome.changes.map { prefix + $0 }
                report.notes += outcome.notes.map { prefix + $0 }
            }
        }
        for note in report.notes { progress("warning: \(note)") }
        progress("post-migrate grants: \(report.summary)")
        return report
    }

    // MARK: - Shared helpers

    func dockerOnlyNote(_ server: PlannedServer) -> String {
        let users = plan.instances.filter { $0.database?.server == server.name }.map(\.name)
        let why = server.engine == .mysql ? "no MySQL server of the native engine was given to provision" : "the native engine does not run MongoDB"
        return "server \(server.name) (\(server.engine.rawValue)) was not provisioned: \(why); \(users.isEmpty ? "it" : users.joined(separator: ", ")) need\(users.count == 1 ? "s" : "") the docker engine (`ovudev render` and `docker compose up`)"
    }

    func superuserPassword(_ server: PlannedServer) throws -> String {
        guard let ref = server.superuserSecret, let value = secrets[ref.variable] else {
            throw ProvisionError(server: server.name, message: "no password for the superuser (\(server.superuserSecret?.variable ?? "?")); external secrets: export it")
        }
        return value
    }

    /// A kept connection to that database when there is one, else a new one.
    func connect(_ server: PlannedServer, password: String, database: String) throws -> PGConnection {
        if let kept = idle.take("\(server.port)/\(database)") { return kept }
        do {
            return try adminConnection(port: server.port, user: server.superuser ?? "postgres", password: password, database: database, socket: adminSockets[server.name])
        } catch {
            throw ProvisionError(server: server.name, database: database,
                                 message: "cannot connect to 127.0.0.1:\(server.port) as \(server.superuser ?? "postgres"): \(error) (is the server running? `ovudev up` starts it)")
        }
    }

    struct PostMigrateOutcome: Sendable {
        var changes: [String] = []
        var notes: [String] = []
    }

    static func postMigrate(_ db: PlannedDatabase, conn: PGConnection, server: String) throws -> PostMigrateOutcome {
        var outcome = PostMigrateOutcome()
        var statements: [String] = []
        if !db.tableReads.isEmpty {
            let rows = try conn.query("""
                SELECT t.schema, t.tbl, t.reader, c.oid IS NOT NULL,
                       EXISTS (SELECT FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
                               WHERE a.grantee = r.oid AND a.privilege_type = 'SELECT')
                FROM unnest($1::text[], $2::text[], $3::text[]) AS t(schema, tbl, reader)
                LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema
                LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.tbl AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                LEFT JOIN pg_catalog.pg_roles r ON r.rolname = t.reader
                """, [pgArray(db.tableReads.map(\.schema)), pgArray(db.tableReads.map(\.table)), pgArray(db.tableReads.map(\.role))])
            var missingGrants: [String: (schema: String, table: String, roles: [String])] = [:]
            var missingTables: [String: [String]] = [:]
            for row in rows.rows {
                let schema = row[0]!, table = row[1]!, reader = row[2]!
                let key = "\(schema).\(table)"
                if row[3] != "t" {
                    missingTables[key, default: []].append(reader)
                } else if row[4] != "t" {
                    missingGrants[key, default: (schema, table, [])].roles.append(reader)
                }
            }
            for key in missingGrants.keys.sorted() {
                let grant = missingGrants[key]!
                statements.append(PostgresSQL.grantSelectOnTable(schema: grant.schema, table: grant.table, to: grant.roles))
                for role in grant.roles.sorted() { outcome.changes.append("database \(db.name): granted SELECT on \(key) to \(role)") }
            }
            for key in missingTables.keys.sorted() {
                outcome.notes.append("database \(db.name): table \(key) does not exist, so \(missingTables[key]!.sorted().joined(separator: ", ")) cannot read it: run the migrations, or fix `reads` in the topology")
            }
        }
        for (reader, tables) in try tablesLackingSelect(db.schemaReaders, conn: conn) {
            statements.append(PostgresSQL.grantSelectOnAllTables(schema: reader.schema, to: reader.role))
            outcome.changes.append("database \(db.name): granted SELECT on \(describe(tables)) of schema \(reader.schema) to \(reader.role)")
        }
        if !statements.isEmpty {
            do {
                try conn.exec(statements.joined(separator: "\n"))
            } catch {
                throw ProvisionError(server: server, database: db.name, message: "post-migrate grants failed: \(error)")
            }
        }
        return outcome
    }

    /// For each schema reader: the tables of its schema it may not SELECT yet.
    static func tablesLackingSelect(_ readers: [SchemaReader], conn: PGConnection) throws -> [(SchemaReader, [String])] {
        guard !readers.isEmpty else { return [] }
        let rows = try conn.query("""
            SELECT t.reader, t.schema, c.relname
            FROM unnest($1::text[], $2::text[]) AS t(reader, schema)
            JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema
            JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            LEFT JOIN pg_catalog.pg_roles r ON r.rolname = t.reader
            WHERE NOT EXISTS (SELECT FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) a
                              WHERE a.grantee = r.oid AND a.privilege_type = 'SELECT')
            ORDER BY 1, 2, 3
            """, [pgArray(readers.map(\.role)), pgArray(readers.map(\.schema))])
        var lacking: [String: [String]] = [:]
        for row in rows.rows { lacking["\(row[0]!) \(row[1]!)", default: []].append(row[2]!) }
        return readers.compactMap { reader in lacking["\(reader.role) \(reader.schema)"].map { (reader, $0) } }
    }

    static func describe(_ tables: [String]) -> String {
        tables.count <= 4 ? (tables.count == 1 ? "table " : "tables ") + tables.joined(separator: ", ") : "\(tables.count) tables"
    }
}

/// A text[] parameter: `{"a","b"}`.
func pgArray(_ items: [String]) -> String {
    "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
}

// MARK: - One server

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

    var superuser: String { server.superuser ?? "postgres" }

    func change(_ line: String) { changes.append(prefix + line) }

    func fail(_ message: String, database: String? = nil) -> ProvisionError {
        ProvisionError(server: server.name, database: database, message: message)
    }

    /// Statements in one round trip and one transaction (none may be CREATE DATABASE).
    func execute(_ statements: [String], what: String, database: String? = nil) throws {
        guard !statements.isEmpty else { return }
        do {
            try admin.exec(statements.joined(separator: "\n"))
        } catch {
            throw fail("\(what) failed (nothing of this step was applied): \(error)", database: database)
        }
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
            SELECT rolname, \(columns.map(\.column).joined(separator: ", ")), coalesce(rolpassword, '')
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
                statements.append(PostgresSQL.createRole(role.name, passwordSQL: literal))
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
                ownerStatements.append(PostgresSQL.alterDatabaseOwner(db.name, owner: want))
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
                statements.append(PostgresSQL.revokeDatabaseFromPublic(db.name))
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
                statements.append(PostgresSQL.revokeOnDatabase(db.name, privileges: set, from: roles))
                if !isNew { for role in roles { change("database \(db.name): revoked \(ordered(set, PostgresSQL.databasePrivilegeOrder)) from \(role)") } }
            }
            for (set, roles) in grants.sorted(by: { groupOrder($0.key, $1.key) }) {
                statements.append(PostgresSQL.grantOnDatabase(db.name, privileges: set, to: roles))
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

/// Canonical order for grouped statements: larger privilege sets first, then by name.
func groupOrder(_ a: Set<String>, _ b: Set<String>) -> Bool {
    a.count != b.count ? a.count > b.count : a.sorted().joined(separator: ",") < b.sorted().joined(separator: ",")
}

func ordered(_ privileges: Set<String>, _ order: [String]) -> String {
    (order.filter(privileges.contains) + privileges.subtracting(order).sorted()).joined(separator: ", ")
}

/// Schemas, extensions and schema privileges of one database, diffed against the catalog.
struct InsideDatabase: Sendable {
    let db: PlannedDatabase
    let planRoles: [String]
    let superuser: String

    struct Schema {
        var owner: String
        var privileges: [String: Set<String>] = [:]
    }

    /// Applies what is missing or wrong; returns one line per change (without the database name).
    func converge(_ conn: PGConnection, server: String) throws -> [String] {
        let wanted = PostgresSQL.schemaPrivileges(db)
        let managed = Set(["public"] + db.schemas.map(\.name) + wanted.keys)
        let rows = try conn.query("""
            SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner),
                   CASE WHEN a.grantee IS NULL THEN NULL WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                   a.privilege_type
            FROM pg_catalog.pg_namespace n
            LEFT JOIN LATERAL pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a ON true
            WHERE n.nspname = ANY($1::text[])
            """, [pgArray(managed.sorted())])
        var schemas: [String: Schema] = [:]
        for row in rows.rows {
            let name = row[0]!
            if schemas[name] == nil { schemas[name] = Schema(owner: row[1]!) }
            if let grantee = row[2], let privilege = row[3] { schemas[name]!.privileges[grantee, default: []].insert(privilege) }
        }
        let installed = Set(try conn.exec("SELECT extname FROM pg_catalog.pg_extension").rows.compactMap { $0[0] })

        var statements: [String] = []
        var lines: [String] = []
        guard var publicSchema = schemas["public"] else {
            throw ProvisionError(server: server, database: db.name, message: "the schema public is missing; ovudev puts extensions and shared tables there: recreate it (CREATE SCHEMA public) or drop the database")
        }
        if publicSchema.privileges["PUBLIC"]?.contains("CREATE") == true {
            statements.append(PostgresSQL.revokeCreateOnPublicSchema)
            lines.append("revoked CREATE on schema public from PUBLIC")
        }
        if let owner = db.owner, publicSchema.owner != owner {
            statements.append(PostgresSQL.alterSchemaOwner("public", owner: owner))
            lines.append("schema public owner set to \(owner) (was \(publicSchema.owner))")
            publicSchema.owner = owner
            schemas["public"] = publicSchema
        }
        for ext in db.extensions where !installed.contains(ext) {
            statements.append(PostgresSQL.createExtension(ext))
            lines.append("extension \(ext) created")
        }
        for schema in db.schemas {
            if let actual = schemas[schema.name] {
                if actual.owner != schema.owner {
                    statements.append(PostgresSQL.alterSchemaOwner(schema.name, owner: schema.owner))
                    lines.append("schema \(schema.name) owner set to \(schema.owner) (was \(actual.owner))")
                    schemas[schema.name]!.owner = schema.owner
                }
                if let publicHas = actual.privileges["PUBLIC"], !publicHas.isEmpty {
                    statements.append(PostgresSQL.revokeSchemaFromPublic(schema.name))
                    lines.append("revoked \(ordered(publicHas, PostgresSQL.schemaPrivilegeOrder)) on schema \(schema.name) from PUBLIC")
                }
            } else {
                statements.append(PostgresSQL.createSchema(schema.name, owner: schema.owner))
                statements.append(PostgresSQL.revokeSchemaFromPublic(schema.name))
                lines.append("schema \(schema.name) created, owned by \(schema.owner)")
                schemas[schema.name] = Schema(owner: schema.owner, privileges: [schema.owner: ["USAGE", "CREATE"]])
            }
        }
        // The plan's roles hold exactly the schema privileges the plan gives (owners aside).
        for name in managed.sorted() {
            guard let schema = schemas[name] else {
                throw ProvisionError(server: server, database: db.name, message: "schema \(name) does not exist, but the plan grants privileges on it")
            }
            var grants: [Set<String>: [String]] = [:], revokes: [Set<String>: [String]] = [:]
            for role in planRoles where role != schema.owner {
                let has = schema.privileges[role] ?? [], want = wanted[name]?[role] ?? []
                let missing = want.subtracting(has), extra = has.subtracting(want)
                if !missing.isEmpty { grants[missing, default: []].append(role) }
                if !extra.isEmpty { revokes[extra, default: []].append(role) }
            }
            for (set, roles) in revokes.sorted(by: { groupOrder($0.key, $1.key) }) {
                statements.append(PostgresSQL.revokeOnSchema(name, privileges: set, from: roles))
                for role in roles { lines.append("revoked \(ordered(set, PostgresSQL.schemaPrivilegeOrder)) on schema \(name) from \(role)") }
            }
            for (set, roles) in grants.sorted(by: { groupOrder($0.key, $1.key) }) {
                statements.append(PostgresSQL.grantOnSchema(name, privileges: set, to: roles))
                for role in roles { lines.append("granted \(ordered(set, PostgresSQL.schemaPrivilegeOrder)) on schema \(name) to \(role)") }
            }
        }
        // Read-only schema readers (analytics): SELECT on existing tables and on future ones.
        if !db.schemaReaders.isEmpty {
            for (reader, tables) in try Provisioner.tablesLackingSelect(db.schemaReaders, conn: conn) {
                statements.append(PostgresSQL.grantSelectOnAllTables(schema: reader.schema, to: reader.role))
                lines.append("granted SELECT on \(Provisioner.describe(tables)) of schema \(reader.schema) to \(reader.role)")
            }
            let defaults = try conn.exec("""
                SELECT pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, pg_catalog.pg_get_userbyid(a.grantee)
                FROM pg_catalog.pg_default_acl d
                JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
                CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a
                WHERE d.defaclobjtype = 'r' AND a.privilege_type = 'SELECT'
                """)
            let present = Set(defaults.rows.map { "\($0[0] ?? "") \($0[1] ?? "") \($0[2] ?? "")" })
            for reader in db.schemaReaders {
                for owner in reader.owners where !present.contains("\(owner) \(reader.schema) \(reader.role)") {
                    statements.append(PostgresSQL.defaultSelect(owner: owner, schema: reader.schema, reader: reader.role))
                    lines.append("new tables of \(owner) in schema \(reader.schema): SELECT for \(reader.role) by default")
                }
            }
        }
        if !statements.isEmpty {
            do {
                try conn.exec(statements.joined(separator: "\n"))
            } catch {
                throw ProvisionError(server: server, database: db.name, message: "schemas, extensions and privileges failed (nothing of this database's step was applied): \(error)")
            }
        }
        return lines
    }
}

// MARK: - State: password fingerprints

/// `<stateDirectory>/provisioned.json`: per server and role, the fingerprint of the password
/// last set (never the password).
struct ProvisionState: Codable, Equatable {
    struct Server: Codable, Equatable {
        var roles: [String: String] = [:]
    }
    var version = 1
    var servers: [String: Server] = [:]

    static func load(_ path: String) -> ProvisionState {
        guard let data = FileManager.default.contents(atPath: path),
              let state = try? JSONDecoder().decode(ProvisionState.self, from: data), state.version == 1 else { return ProvisionState() }
        return state
    }

    /// Written to a temp file created 0600, then renamed over the old one.
    func save(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let temp = "\(path).\(getpid()).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw EngineError("cannot write \(temp): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        close(fd)
        guard written == data.count, rename(temp, path) == 0 else {
            unlink(temp)
            throw EngineError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

// MARK: - Parallel work

/// What one worker thread keeps between items (its maintenance connection).
/// Idle connections by key, up to `limit` in all (more are closed: a per-tenant plan must not
/// hold hundreds of server processes between steps). Only idle ones are kept.
final class IdleConnections: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var kept: [String: [PGConnection]] = [:]
    private var count = 0

    init(limit: Int) { self.limit = limit }

    func take(_ key: String) -> PGConnection? {
        lock.lock(); defer { lock.unlock() }
        guard let conn = kept[key]?.popLast() else { return nil }
        count -= 1
        return conn.isIdle ? conn : nil
    }

    func keep(_ conn: PGConnection, _ key: String) {
        guard conn.isIdle else { return }
        lock.lock(); defer { lock.unlock() }
        guard count < limit else { return }
        kept[key, default: []].append(conn)
        count += 1
    }
}

final class WorkerContext {
    var connection: PGConnection?
}

/// Runs `body` for every item on up to `workers` threads — the work waits on the server, not
/// on the CPU, so more threads than cores help. Results in item order; the first error stops
/// the remaining items and is thrown.
func concurrently<Item: Sendable, Output: Sendable>(_ items: [Item], workers: Int,
                                                     _ body: @escaping @Sendable (Item, WorkerContext) throws -> Output) throws -> [Output] {
    if items.isEmpty { return [] }
    let count = max(1, min(workers, items.count))
    if count == 1 {
        let context = WorkerContext()
        return try items.map { try body($0, context) }
    }
    let shared = SharedProgress<Output>(count: items.count)
    let group = DispatchGroup()
    for _ in 0..<count {
        group.enter()
        let thread = Thread {
            let context = WorkerContext()
            while let index = shared.take() {
                do { shared.store(index, try body(items[index], context)) } catch { shared.fail(error) }
            }
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return try shared.results()
}

final class SharedProgress<Output: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var outputs: [Output?]
    private var failure: Error?

    init(count: Int) { outputs = Array(repeating: nil, count: count) }

    func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard failure == nil, next < outputs.count else { return nil }
        next += 1
        return next - 1
    }

    func store(_ index: Int, _ output: Output) {
        lock.lock(); defer { lock.unlock() }
        outputs[index] = output
    }

    func fail(_ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if failure == nil { failure = error }
    }

    func results() throws -> [Output] {
        lock.lock(); defer { lock.unlock() }
        if let failure { throw failure }
        return outputs.map { $0! }
    }
}
