/// What each scenario of the example topology (`ovu.topology.json`) must look like in the real
/// catalogs, written by hand from the README's rules ("The topology file", "Scenarios") and the
/// example's services, NOT from the Plan:
///
/// - services ulm, aam, sam, smm; aam and sam `reads` ulm's `users` and `roles`; smm reads nothing.
/// - tables (examples/*/migrate.py): ulm: roles, users, secrets; aam: accounts; sam: sessions;
///   smm: messages; and `ovudev_seeds` (the seeder's record, in the service's own schema or with its
///   prefix) for the services with seeds: ulm and aam.
/// - roles `<svc>_user` (per tenant `<tenant>_<svc>_user`), databases `<project>_db` = `ovu_db`,
///   `<svc>_db`, `<tenant>_<svc>_db`; the README's read-only role is named `analytics`.
/// - a service owns its data (all of SELECT/INSERT/UPDATE/DELETE, CONNECT and TEMPORARY on its
///   database); a reader gets CONNECT, USAGE on the schema, and SELECT on exactly the named tables;
///   analytics gets CONNECT, USAGE and SELECT on every service's tables and nothing else; PUBLIC has
///   no CONNECT or TEMPORARY on any service database.
///
/// A line is `<kind> <object> <PRIV,…>: role, role`; kind `db` (object `ulm_db`), `schema`
/// (`ulm_db.public`) or `table` (`ulm_db.public.users`). OWNER is listed only for a non-superuser
/// owner. `*` = every LOGIN role of the server. `PUBLIC` = the PUBLIC pseudo-role (aclexplode
/// grantee 0).
struct ExpectedScenario: Sendable {
    /// PostgreSQL server → every privilege that must hold there, and nothing more.
    var grants: [String: [String]]
    /// PostgreSQL server → its non-superuser LOGIN roles.
    var roles: [String: [String]]
    /// Service instance → Redis database index in its REDIS_URL.
    var redis: [String: Int]
    /// Real logins with the role's own password.
    var logins: [ExpectedLogin]
}

/// A real login: `sqlstate` nil = the statement must succeed; else login or statement must fail with it.
struct ExpectedLogin: Sendable, CustomStringConvertible {
    var server: String, role: String, password: String, database: String, sql: String, sqlstate: String?
    var description: String { "\(role)@\(server)/\(database): \(sql) → \(sqlstate ?? "ok")" }
}

/// All four of a table's owner privileges.
private let own = "OWNER,SELECT,INSERT,UPDATE,DELETE"

/// PostgreSQL's own maintenance database `postgres` is not a service database: the README makes
/// no rule for it. What is written here is PostgreSQL's default for it (PUBLIC: CONNECT and
/// TEMPORARY, USAGE on its public schema), kept visible so that a change shows up.
let maintenance = [
    "db postgres CONNECT,TEMPORARY: *, PUBLIC",
    "schema postgres.public USAGE: *",
]

/// A database's `public` schema keeps PUBLIC's USAGE (PostgreSQL's default; the README forbids
/// only CONNECT and TEMPORARY to PUBLIC, CONNECT is the gate, and extensions live there).
func publicUsage(_ db: String) -> String { "schema \(db).public USAGE: *" }

/// db-per-service and per-tenant: one service's database `db` owned by `owner`, read by `readers`
/// (its users/roles only, for ulm), every table readable by `analytics` when given.
func serviceDB(_ db: String, owner: String, tables: [String], readers: [String] = [], analytics: [String] = []) -> [String] {
    var lines = [
        "db \(db) OWNER,CONNECT,TEMPORARY: \(owner)",
        "schema \(db).public OWNER,USAGE,CREATE: \(owner)",
        publicUsage(db),
    ]
    if !(readers + analytics).isEmpty { lines.append("db \(db) CONNECT: \((readers + analytics).joined(separator: ", "))") }
    for table in tables {
        lines.append("table \(db).public.\(table) \(own): \(owner)")
        let select = (["users", "roles"].contains(table) ? readers : []) + analytics
        if !select.isEmpty { lines.append("table \(db).public.\(table) SELECT: \(select.joined(separator: ", "))") }
    }
    return lines
}

let ulmTables = ["roles", "users", "secrets", "ovudev_seeds"]
let aamTables = ["accounts", "ovudev_seeds"]

enum Expected {
    static let scenarios: [String: ExpectedScenario] = ["dev": dev, "lean": lean, "stage": stage, "prod": prod, "saas": saas]

    /// single-db, schema isolation, analytics.
    static let dev = ExpectedScenario(
        grants: ["postgres": maintenance + [
            "db ovu_db CONNECT,TEMPORARY: ulm_user, aam_user, sam_user, smm_user",
            "db ovu_db CONNECT: analytics",
            publicUsage("ovu_db"),
            "schema ovu_db.ulm OWNER,USAGE,CREATE: ulm_user",
            "schema ovu_db.ulm USAGE: aam_user, sam_user, analytics",
            "schema ovu_db.aam OWNER,USAGE,CREATE: aam_user",
            "schema ovu_db.aam USAGE: analytics",
            "schema ovu_db.sam OWNER,USAGE,CREATE: sam_user",
            "schema ovu_db.sam USAGE: analytics",
            "schema ovu_db.smm OWNER,USAGE,CREATE: smm_user",
            "schema ovu_db.smm USAGE: analytics",
            "table ovu_db.ulm.roles \(own): ulm_user",
            "table ovu_db.ulm.roles SELECT: aam_user, sam_user, analytics",
            "table ovu_db.ulm.users \(own): ulm_user",
            "table ovu_db.ulm.users SELECT: aam_user, sam_user, analytics",
            "table ovu_db.ulm.secrets \(own): ulm_user",
            "table ovu_db.ulm.secrets SELECT: analytics",
            "table ovu_db.ulm.ovudev_seeds \(own): ulm_user",
            "table ovu_db.ulm.ovudev_seeds SELECT: analytics",
            "table ovu_db.aam.accounts \(own): aam_user",
            "table ovu_db.aam.accounts SELECT: analytics",
            "table ovu_db.aam.ovudev_seeds \(own): aam_user",
            "table ovu_db.aam.ovudev_seeds SELECT: analytics",
            "table ovu_db.sam.sessions \(own): sam_user",
            "table ovu_db.sam.sessions SELECT: analytics",
            "table ovu_db.smm.messages \(own): smm_user",
            "table ovu_db.smm.messages SELECT: analytics",
        ]],
        roles: ["postgres": ["aam_user", "analytics", "sam_user", "smm_user", "ulm_user"]],
        redis: ["ulm": 0, "aam": 1, "sam": 2, "smm": 3],
        logins: [
            .init(server: "postgres", role: "aam_user", password: "AAM_DB_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM accounts", sqlstate: nil),
            .init(server: "postgres", role: "aam_user", password: "AAM_DB_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM ulm.users", sqlstate: nil),
            .init(server: "postgres", role: "aam_user", password: "AAM_DB_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM ulm.secrets", sqlstate: "42501"),
            .init(server: "postgres", role: "smm_user", password: "SMM_DB_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM ulm.users", sqlstate: "42501"),
            .init(server: "postgres", role: "smm_user", password: "SMM_DB_PASSWORD", database: "ovu_db", sql: "CREATE TABLE aam.intruder (id int)", sqlstate: "42501"),
            .init(server: "postgres", role: "analytics", password: "ANALYTICS_ROLE_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM ulm.secrets", sqlstate: nil),
            .init(server: "postgres", role: "analytics", password: "ANALYTICS_ROLE_PASSWORD", database: "ovu_db", sql: "DELETE FROM smm.messages", sqlstate: "42501"),
        ])

    /// single-db, prefix isolation: one shared `public`, each role owns its prefixed tables.
    static let lean = ExpectedScenario(
        grants: ["postgres": maintenance + [
            "db ovu_db CONNECT,TEMPORARY: ulm_user, aam_user, sam_user, smm_user",
            publicUsage("ovu_db"),
            "schema ovu_db.public CREATE: ulm_user, aam_user, sam_user, smm_user",
            "table ovu_db.public.ulm_roles \(own): ulm_user",
            "table ovu_db.public.ulm_roles SELECT: aam_user, sam_user",
            "table ovu_db.public.ulm_users \(own): ulm_user",
            "table ovu_db.public.ulm_users SELECT: aam_user, sam_user",
            "table ovu_db.public.ulm_secrets \(own): ulm_user",
            "table ovu_db.public.ulm_ovudev_seeds \(own): ulm_user",
            "table ovu_db.public.aam_accounts \(own): aam_user",
            "table ovu_db.public.aam_ovudev_seeds \(own): aam_user",
            "table ovu_db.public.sam_sessions \(own): sam_user",
            "table ovu_db.public.smm_messages \(own): smm_user",
        ]],
        roles: ["postgres": ["aam_user", "sam_user", "smm_user", "ulm_user"]],
        redis: ["ulm": 0, "aam": 1, "sam": 2, "smm": 3],
        logins: [
            .init(server: "postgres", role: "sam_user", password: "SAM_DB_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM sam_sessions", sqlstate: nil),
            .init(server: "postgres", role: "sam_user", password: "SAM_DB_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM ulm_roles", sqlstate: nil),
            .init(server: "postgres", role: "sam_user", password: "SAM_DB_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM ulm_secrets", sqlstate: "42501"),
            .init(server: "postgres", role: "sam_user", password: "SAM_DB_PASSWORD", database: "ovu_db", sql: "UPDATE ulm_users SET name = name", sqlstate: "42501"),
            .init(server: "postgres", role: "smm_user", password: "SMM_DB_PASSWORD", database: "ovu_db", sql: "SELECT count(*) FROM aam_accounts", sqlstate: "42501"),
        ])

    /// db-per-service on one shared server, analytics.
    static let stage = ExpectedScenario(
        grants: ["postgres": maintenance
            + serviceDB("ulm_db", owner: "ulm_user", tables: ulmTables, readers: ["aam_user", "sam_user"], analytics: ["analytics"])
            + serviceDB("aam_db", owner: "aam_user", tables: aamTables, analytics: ["analytics"])
            + serviceDB("sam_db", owner: "sam_user", tables: ["sessions"], analytics: ["analytics"])
            + serviceDB("smm_db", owner: "smm_user", tables: ["messages"], analytics: ["analytics"])],
        roles: ["postgres": ["aam_user", "analytics", "sam_user", "smm_user", "ulm_user"]],
        redis: ["ulm": 0, "aam": 1, "sam": 2, "smm": 3],
        logins: [
            .init(server: "postgres", role: "aam_user", password: "AAM_DB_PASSWORD", database: "aam_db", sql: "SELECT count(*) FROM accounts", sqlstate: nil),
            .init(server: "postgres", role: "aam_user", password: "AAM_DB_PASSWORD", database: "ulm_db", sql: "SELECT count(*) FROM users", sqlstate: nil),
            .init(server: "postgres", role: "aam_user", password: "AAM_DB_PASSWORD", database: "ulm_db", sql: "SELECT count(*) FROM secrets", sqlstate: "42501"),
            .init(server: "postgres", role: "aam_user", password: "AAM_DB_PASSWORD", database: "sam_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "smm_user", password: "SMM_DB_PASSWORD", database: "ulm_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "ulm_user", password: "ULM_DB_PASSWORD", database: "aam_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "analytics", password: "ANALYTICS_ROLE_PASSWORD", database: "smm_db", sql: "SELECT count(*) FROM messages", sqlstate: nil),
            .init(server: "postgres", role: "analytics", password: "ANALYTICS_ROLE_PASSWORD", database: "smm_db", sql: "CREATE TEMP TABLE t (id int)", sqlstate: "42501"),
            // No README rule covers `postgres` (see `maintenance`): PostgreSQL's default lets every role in.
            .init(server: "postgres", role: "smm_user", password: "SMM_DB_PASSWORD", database: "postgres", sql: "CREATE TEMP TABLE t (id int)", sqlstate: nil),
        ])

    /// db-per-service, a dedicated server `postgres-<svc>` per service; a reader's role exists
    /// on the server of the database it reads, and only there besides its own.
    static let prod = ExpectedScenario(
        grants: [
            "postgres-ulm": maintenance + serviceDB("ulm_db", owner: "ulm_user", tables: ulmTables, readers: ["aam_user", "sam_user"]),
            "postgres-aam": maintenance + serviceDB("aam_db", owner: "aam_user", tables: aamTables),
            "postgres-sam": maintenance + serviceDB("sam_db", owner: "sam_user", tables: ["sessions"]),
            "postgres-smm": maintenance + serviceDB("smm_db", owner: "smm_user", tables: ["messages"]),
        ],
        roles: ["postgres-ulm": ["aam_user", "sam_user", "ulm_user"], "postgres-aam": ["aam_user"],
                "postgres-sam": ["sam_user"], "postgres-smm": ["smm_user"]],
        redis: ["ulm": 0, "aam": 1, "sam": 2, "smm": 3],
        logins: [
            .init(server: "postgres-aam", role: "aam_user", password: "AAM_DB_PASSWORD", database: "aam_db", sql: "SELECT count(*) FROM accounts", sqlstate: nil),
            .init(server: "postgres-ulm", role: "sam_user", password: "SAM_DB_PASSWORD", database: "ulm_db", sql: "SELECT count(*) FROM roles", sqlstate: nil),
            .init(server: "postgres-ulm", role: "sam_user", password: "SAM_DB_PASSWORD", database: "ulm_db", sql: "SELECT count(*) FROM secrets", sqlstate: "42501"),
            // No role of smm on ulm's server at all: the login itself is refused (28P01).
            .init(server: "postgres-ulm", role: "smm_user", password: "SMM_DB_PASSWORD", database: "ulm_db", sql: "SELECT 1", sqlstate: "28P01"),
            .init(server: "postgres-sam", role: "aam_user", password: "AAM_DB_PASSWORD", database: "sam_db", sql: "SELECT 1", sqlstate: "28P01"),
        ])

    /// per-tenant, tenants acme and globex: each tenant's databases and roles never cross.
    static let saas = ExpectedScenario(
        grants: ["postgres": maintenance + tenant("acme") + tenant("globex")],
        roles: ["postgres": ["acme", "globex"].flatMap { t in ["aam", "sam", "smm", "ulm"].map { "\(t)_\($0)_user" } }],
        // The README says only that each tenant's instance gets its own Redis index (so all eight
        // differ, which the test also checks on its own); it gives no numbering rule for tenants,
        // and ulm's and aam's pinned indexes cannot both hold for two tenants. These numbers are
        // ovudev's rendered ones (service order, then tenant), pinned here, not derived.
        redis: ["ulm-acme": 0, "ulm-globex": 1, "aam-acme": 2, "aam-globex": 3,
                "sam-acme": 4, "sam-globex": 5, "smm-acme": 6, "smm-globex": 7],
        logins: [
            .init(server: "postgres", role: "acme_aam_user", password: "ACME_AAM_DB_PASSWORD", database: "acme_aam_db", sql: "SELECT count(*) FROM accounts", sqlstate: nil),
            .init(server: "postgres", role: "acme_aam_user", password: "ACME_AAM_DB_PASSWORD", database: "acme_ulm_db", sql: "SELECT count(*) FROM users", sqlstate: nil),
            .init(server: "postgres", role: "acme_aam_user", password: "ACME_AAM_DB_PASSWORD", database: "globex_ulm_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "acme_aam_user", password: "ACME_AAM_DB_PASSWORD", database: "globex_aam_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "globex_ulm_user", password: "GLOBEX_ULM_DB_PASSWORD", database: "acme_ulm_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "globex_sam_user", password: "GLOBEX_SAM_DB_PASSWORD", database: "globex_ulm_db", sql: "SELECT count(*) FROM secrets", sqlstate: "42501"),
        ])

    private static func tenant(_ t: String) -> [String] {
        serviceDB("\(t)_ulm_db", owner: "\(t)_ulm_user", tables: ulmTables, readers: ["\(t)_aam_user", "\(t)_sam_user"])
            + serviceDB("\(t)_aam_db", owner: "\(t)_aam_user", tables: aamTables)
            + serviceDB("\(t)_sam_db", owner: "\(t)_sam_user", tables: ["sessions"])
            + serviceDB("\(t)_smm_db", owner: "\(t)_smm_user", tables: ["messages"])
    }
}
