import Foundation
import Statements
import Topology

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

    mutating func add(_ other: ProvisionReport) {
        changes += other.changes
        notes += other.notes
    }
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
    /// MySQL server name → ovudev's maintenance login (native engine) and the server's init SQL
    /// (`MySQLInit.script`). A MySQL server without both is skipped with a note. `Maintenance`
    /// builds provisioners with both.
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

    func servers(of engine: Engine) -> [PlannedServer] { plan.servers.filter { $0.engine == engine } }

    /// Converges every server of the plan, each by its engine: PostgreSQL servers, every MySQL
    /// server with a maintenance login and init SQL; MongoDB servers are skipped with a note.
    public func provision(progress: (String) -> Void = { _ in }) throws -> ProvisionReport {
        var report = ProvisionReport()
        var state = ProvisionState.load(statePath)
        for server in plan.servers {
            report.add(try EngineModules.module(server.engine).provision(server, by: self, state: &state, progress: progress))
        }
        progress("provision: \(report.summary)")
        return report
    }

    /// What post-migrate/grants.sql grants: SELECT on each `reads` table that exists (a missing
    /// one is reported in `notes`), and the analytics role's SELECT on tables created since.
    public func applyPostMigrate(progress: (String) -> Void = { _ in }) throws -> ProvisionReport {
        var report = ProvisionReport()
        for server in plan.servers {
            report.add(try EngineModules.module(server.engine).applyPostMigrate(server, by: self, progress: progress))
        }
        for note in report.notes { progress("warning: \(note)") }
        progress("post-migrate grants: \(report.summary)")
        return report
    }

    // MARK: - Shared helpers

    /// Why `server` was not provisioned, and who needs the docker engine for it.
    func dockerOnlyNote(_ server: PlannedServer, why: String) -> String {
        let users = plan.instances.filter { $0.database?.server == server.name }.map(\.name)
        return "server \(server.name) (\(server.engine.rawValue)) was not provisioned: \(why); \(users.isEmpty ? "it" : users.joined(separator: ", ")) need\(users.count == 1 ? "s" : "") the docker engine (`ovudev render` and `docker compose up`)"
    }

    func superuserPassword(_ server: PlannedServer) throws -> String {
        do {
            return try Superuser(server, secrets: secrets).requirePassword()
        } catch let error as EngineError {
            throw ProvisionError(server: server.name, message: error.message)
        }
    }

    /// A kept connection to that database when there is one, else a new one.
    func connect(_ server: PlannedServer, password: String, database: String) throws -> PGConnection {
        if let kept = idle.take("\(server.port)/\(database)") { return kept }
        do {
            let superuser = Superuser(server, secrets: secrets)
            return try superuser.connect(database: database, socket: adminSockets[server.name])
        } catch {
            let superuser = Superuser(server, secrets: secrets)
            throw ProvisionError(server: server.name, database: database,
                                 message: "cannot connect to \(superuser.host):\(superuser.port) as \(superuser.name): \(error) (is the server running? `ovudev up` starts it)")
        }
    }
}
