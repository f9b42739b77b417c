// The table of malformed topologies, shared by TopologyTests (through the library) and CLITests
// (through the `ovudev` binary): Tests/CLITests/MalformedCases.swift is a symbolic link to this file.
// Each case starts from the valid `Fixture.topology()` and breaks one thing. It must import nothing
// but Testing, since it is compiled into both test targets.
import Testing

/// A topology that must be rejected, with the JSON path and message fragment of the issue that
/// says why, and (for JSON syntax errors, where no path exists) the line and column.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var json: String
    /// The `TopologyIssue.path` expected; "" for the document itself (syntax errors).
    var path: String
    var fragment: String
    var line: Int? = nil
    var column: Int? = nil

    var testDescription: String { name }
}

/// A small valid topology to break, one piece at a time. Every parameter is raw JSON text.
enum Fixture {
    static let servers = #"""
        {
            "postgres": { "engine": "postgres", "port": 5432 },
            "redis": { "engine": "redis", "port": 6379 }
          }
        """#
    static let auth = #"{ "port": 8001, "database": {}, "redis": {} }"#
    static let cart = #"{ "port": 8002, "database": {}, "redis": {}, "dependsOn": ["auth"], "reads": { "auth": ["users"] } }"#
    static let dev = #"{ "dev": { "layout": "single-db" } }"#

    /// A `services` object from (name, body) pairs, in the given order.
    static func services(_ entries: (String, String)...) -> String {
        "{\n" + entries.map { "    \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n  }"
    }

    static func topology(
        project: String? = #""shop""#,
        servers: String? = Fixture.servers,
        services: String? = Fixture.services(("auth", Fixture.auth), ("cart", Fixture.cart)),
        tenants: String? = #"["acme", "globex"]"#,
        backups: String? = nil,
        scenarios: String? = Fixture.dev,
        extra: [String] = []
    ) -> String {
        var members: [String] = []
        if let project { members.append("\"project\": \(project)") }
        if let servers { members.append("\"servers\": \(servers)") }
        if let services { members.append("\"services\": \(services)") }
        if let tenants { members.append("\"tenants\": \(tenants)") }
        if let backups { members.append("\"backups\": \(backups)") }
        if let scenarios { members.append("\"scenarios\": \(scenarios)") }
        members += extra
        return "{\n" + members.map { "  " + $0 }.joined(separator: ",\n") + "\n}\n"
    }

    static let forty = String(repeating: "a", count: 40)
    static let fortyOne = String(repeating: "b", count: 41)
}

extension MalformedCase {
    typealias F = Fixture

    static let all: [MalformedCase] = unknownKeys + names + collisions + ports + redis + references + access
        + engines + scenarios + types + backups + identifiers + syntax + tables
        + scenarioServices + existingServers + namesAndEnv + params + env + schemesAndPools + budget + scenarioRedis

    static let unknownKeys: [MalformedCase] = [
        .init(name: "unknown top-level key", json: F.topology(extra: [#""projct": "x""#]),
              path: "projct", fragment: #"did you mean "project""#, line: 13, column: 3),
        .init(name: "unknown top-level key, nothing close", json: F.topology(extra: [#""colour": "red""#]),
              path: "colour", fragment: "unknown key"),
        .init(name: "unknown server key", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "prot": 5432 } }"#),
              path: "servers.postgres.prot", fragment: #"did you mean "port""#, line: 3, column: 52),
        .init(name: "unknown service key", json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "port": 8002, "dependOn": ["auth"] }"#))),
              path: "services.cart.dependOn", fragment: #"did you mean "dependsOn""#),
        .init(name: "unknown database key", json: F.topology(services: F.services(("auth", #"{ "database": { "extension": ["pg_trgm"] } }"#))),
              path: "services.auth.database.extension", fragment: #"did you mean "extensions""#),
        .init(name: "unknown pool key", json: F.topology(services: F.services(("auth", #"{ "database": { "pool": { "sise": 5 } } }"#))),
              path: "services.auth.database.pool.sise", fragment: #"did you mean "size""#),
        .init(name: "unknown redis key", json: F.topology(services: F.services(("auth", #"{ "redis": { "indx": 1 } }"#))),
              path: "services.auth.redis.indx", fragment: #"did you mean "index""#),
        .init(name: "unknown backups key", json: F.topology(backups: #"{ "keepdays": 3 }"#),
              path: "backups.keepdays", fragment: #"did you mean "keepDays""#),
        .init(name: "unknown scenario key", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "isolaton": "schema" } }"#),
              path: "scenarios.dev.isolaton", fragment: #"did you mean "isolation""#),
        .init(name: "$schema is only allowed at the top level", json: F.topology(servers: #"{ "postgres": { "$schema": "x", "engine": "postgres" } }"#),
              path: "servers.postgres.$schema", fragment: "unknown key"),
    ]

    static let names: [MalformedCase] = [
        .init(name: "project uppercase", json: F.topology(project: #""Shop""#),
              path: "project", fragment: #"project name "Shop" is invalid"#, line: 2, column: 14),
        .init(name: "project starts with a digit", json: F.topology(project: #""1shop""#),
              path: "project", fragment: "starting with a letter"),
        .init(name: "project too long", json: F.topology(project: "\"\(F.fortyOne)\""),
              path: "project", fragment: "longer than 40 characters"),
        .init(name: "project missing", json: F.topology(project: nil),
              path: "project", fragment: "missing"),
        .init(name: "service uppercase", json: F.topology(services: F.services(("Auth", "{}"))),
              path: "services.Auth", fragment: #"service name "Auth" is invalid"#),
        .init(name: "service starts with a digit", json: F.topology(services: F.services(("9lives", "{}"))),
              path: "services.9lives", fragment: "is invalid"),
        .init(name: "service too long", json: F.topology(services: F.services((F.fortyOne, "{}"))),
              path: "services.\(F.fortyOne)", fragment: "longer than 40 characters"),
        .init(name: "service name with a space", json: F.topology(services: F.services(("my svc", "{}"))),
              path: #"services."my svc""#, fragment: "is invalid", line: 8, column: 5),
        .init(name: "server uppercase", json: F.topology(servers: #"{ "PG": { "engine": "postgres" }, "redis": { "engine": "redis" } }"#),
              path: "servers.PG", fragment: #"server name "PG" is invalid"#),
        .init(name: "server name with a space", json: F.topology(servers: #"{ "my pg": { "engine": "postgres" }, "redis": { "engine": "redis" } }"#),
              path: #"servers."my pg""#, fragment: "is invalid"),
        .init(name: "tenant uppercase", json: F.topology(tenants: #"["acme", "Globex"]"#),
              path: "tenants[1]", fragment: #"tenant name "Globex" is invalid"#),
        .init(name: "tenant starts with a digit", json: F.topology(tenants: #"["1acme"]"#),
              path: "tenants[0]", fragment: "is invalid"),
        .init(name: "tenant too long", json: F.topology(tenants: "[\"\(F.fortyOne)\"]"),
              path: "tenants[0]", fragment: "longer than 40 characters"),
        .init(name: "tenant listed twice", json: F.topology(tenants: #"["acme", "acme"]"#),
              path: "tenants", fragment: "more than once"),
        .init(name: "scenario uppercase", json: F.topology(scenarios: #"{ "Dev": { "layout": "single-db" } }"#),
              path: "scenarios.Dev", fragment: #"scenario name "Dev" is invalid"#),
        .init(name: "scenario name with a space", json: F.topology(scenarios: #"{ "dev 2": { "layout": "single-db" } }"#),
              path: #"scenarios."dev 2""#, fragment: "is invalid"),
        .init(name: "scenario too long", json: F.topology(scenarios: "{ \"\(F.fortyOne)\": { \"layout\": \"single-db\" } }"),
              path: "scenarios.\(F.fortyOne)", fragment: "longer than 40 characters"),
    ]

    static let collisions: [MalformedCase] = [
        .init(name: "services a-b and a_b", json: F.topology(services: F.services(("a-b", "{}"), ("a_b", "{}"))),
              path: "services.a_b", fragment: #"both become the SQL name "a_b""#),
        .init(name: "tenants a-b and a_b", json: F.topology(tenants: #"["a-b", "a_b"]"#),
              path: "tenants[1]", fragment: #"both become the SQL name "a_b""#),
        .init(name: "servers pg-1 and pg_1", json: F.topology(servers: #"{ "pg-1": { "engine": "postgres", "port": 5432 }, "pg_1": { "engine": "postgres", "port": 5433 } }"#,
                                                               services: F.services(("auth", #"{ "database": { "server": "pg-1" } }"#))),
              path: "servers.pg_1", fragment: #"both become the SQL name "pg_1""#),
        .init(name: "service named like a server", json: F.topology(services: F.services(("auth", F.auth), ("redis", "{}"))),
              path: "services.redis", fragment: "has the name of a server"),
    ]

    static let ports: [MalformedCase] = [
        .init(name: "two services share a port", json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "port": 8001 }"#))),
              path: "services.cart.port", fragment: #"port 8001 of service "cart" is also used by service "auth""#),
        .init(name: "a service takes a server's port", json: F.topology(services: F.services(("auth", #"{ "port": 5432, "database": {} }"#))),
              path: "services.auth.port", fragment: #"is also used by server "postgres""#),
        .init(name: "a service takes a Redis server's port", json: F.topology(services: F.services(("auth", #"{ "port": 6379, "redis": {} }"#))),
              path: "services.auth.port", fragment: #"port 6379 of service "auth" is also used by server "redis""#),
        .init(name: "two servers share a port", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "port": 6379 }, "redis": { "engine": "redis", "port": 6379 } }"#),
              path: "servers.redis.port", fragment: #"port 6379 of server "redis" is also used by server "postgres""#),
        .init(name: "per-tenant instance ports collide through portStride",
              json: F.topology(scenarios: #"{ "saas": { "layout": "per-tenant", "portStride": 1 } }"#),
              path: "scenarios.saas.portStride", fragment: #"port 8002 of service "auth-globex" is also used by service "cart-acme""#),
        .init(name: "per-tenant instance port past 65535",
              json: F.topology(services: F.services(("auth", #"{ "port": 65500 }"#)), scenarios: #"{ "saas": { "layout": "per-tenant" } }"#),
              path: "scenarios.saas.portStride", fragment: "outside 1-65535"),
        .init(name: "service port out of range", json: F.topology(services: F.services(("auth", #"{ "port": 70000 }"#))),
              path: "services.auth.port", fragment: "port 70000 is out of range"),
        .init(name: "service port 0", json: F.topology(services: F.services(("auth", #"{ "port": 0 }"#))),
              path: "services.auth.port", fragment: "out of range"),
        .init(name: "server port negative", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "port": -1 } }"#, services: F.services(("auth", "{}"))),
              path: "servers.postgres.port", fragment: "out of range"),
    ]

    static let redis: [MalformedCase] = [
        .init(name: "duplicate Redis index",
              json: F.topology(services: F.services(("auth", #"{ "redis": { "index": 3 } }"#), ("cart", #"{ "redis": { "index": 3 } }"#))),
              path: "services.cart.redis.index", fragment: "3 is already used by services.auth", line: 9, column: 35),
        .init(name: "negative Redis index", json: F.topology(services: F.services(("auth", #"{ "redis": { "index": -1 } }"#))),
              path: "services.auth.redis.index", fragment: "negative"),
        .init(name: "redis used without a redis server",
              json: F.topology(servers: #"{ "postgres": { "engine": "postgres" } }"#, services: F.services(("auth", #"{ "redis": {} }"#))),
              path: "services.auth.redis", fragment: #"no server has "engine": "redis""#),
        .init(name: "several redis servers, none named",
              json: F.topology(servers: #"{ "cache": { "engine": "redis", "port": 6379 }, "queue": { "engine": "redis", "port": 6380 } }"#,
                               services: F.services(("auth", #"{ "redis": {} }"#))),
              path: "services.auth.redis", fragment: "several Redis servers"),
        .init(name: "redis.server unknown", json: F.topology(services: F.services(("auth", #"{ "redis": { "server": "rediss" } }"#))),
              path: "services.auth.redis.server", fragment: #"unknown server "rediss"; did you mean "redis""#),
        .init(name: "redis.server is not redis", json: F.topology(services: F.services(("auth", #"{ "redis": { "server": "postgres" } }"#))),
              path: "services.auth.redis.server", fragment: "not redis"),
    ]

    static let references: [MalformedCase] = [
        .init(name: "dependsOn an unknown service",
              json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "dependsOn": ["auht"] }"#))),
              path: "services.cart.dependsOn[0]", fragment: #"unknown service "auht"; did you mean "auth""#),
        .init(name: "dependsOn itself", json: F.topology(services: F.services(("auth", #"{ "dependsOn": ["auth"] }"#))),
              path: "services.auth.dependsOn[0]", fragment: "cannot depend on itself"),
        .init(name: "dependency cycle of 2",
              json: F.topology(services: F.services(("auth", #"{ "dependsOn": ["cart"] }"#), ("cart", #"{ "dependsOn": ["auth"] }"#))),
              path: "services.cart.dependsOn", fragment: "dependency cycle: auth → cart → auth"),
        .init(name: "dependency cycle of 3",
              json: F.topology(services: F.services(("auth", #"{ "dependsOn": ["cart"] }"#), ("cart", #"{ "dependsOn": ["pay"] }"#), ("pay", #"{ "dependsOn": ["auth"] }"#))),
              path: "services.pay.dependsOn", fragment: "dependency cycle: auth → cart → pay → auth"),
        .init(name: "reads an unknown service",
              json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "database": {}, "reads": { "auht": ["users"] } }"#))),
              path: "services.cart.reads.auht", fragment: #"unknown service "auht"; did you mean "auth""#),
        .init(name: "reads a service without database",
              json: F.topology(services: F.services(("auth", #"{ "port": 8001 }"#), ("cart", #"{ "database": {}, "reads": { "auth": ["users"] } }"#))),
              path: "services.cart.reads.auth", fragment: "owns no database"),
        .init(name: "reads a bad table name",
              json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "database": {}, "reads": { "auth": ["users", "Roles"] } }"#))),
              path: "services.cart.reads.auth[1]", fragment: #"table name "Roles" is invalid"#),
        .init(name: "reads a table with a quote",
              json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "database": {}, "reads": { "auth": ["users\"; drop"] } }"#))),
              path: "services.cart.reads.auth[0]", fragment: "table name"),
        .init(name: "reads no tables",
              json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "database": {}, "reads": { "auth": [] } }"#))),
              path: "services.cart.reads.auth", fragment: "lists no tables"),
        .init(name: "database.server unknown", json: F.topology(services: F.services(("auth", #"{ "database": { "server": "postgre" } }"#))),
              path: "services.auth.database.server", fragment: #"unknown server "postgre"; did you mean "postgres""#),
        .init(name: "database.server is a redis server", json: F.topology(services: F.services(("auth", #"{ "database": { "server": "redis" } }"#))),
              path: "services.auth.database.server", fragment: "is a redis server"),
        .init(name: "engines names an unknown service",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "engines": { "crat": "postgres" } } }"#),
              path: "scenarios.dev.engines.crat", fragment: #"unknown service "crat"; did you mean "cart""#),
        .init(name: "engines names an unknown engine",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "engines": { "cart": "oracle" } } }"#),
              path: "scenarios.dev.engines.cart", fragment: #"unknown database engine "oracle""#),
        .init(name: "engines moves a service without database",
              json: F.topology(services: F.services(("auth", "{}")), scenarios: #"{ "dev": { "layout": "single-db", "engines": { "auth": "postgres" } } }"#),
              path: "scenarios.dev.engines.auth", fragment: "owns no database"),
        .init(name: "defaultScenario unknown", json: F.topology(extra: [#""defaultScenario": "prod""#]),
              path: "defaultScenario", fragment: #"unknown scenario "prod""#),
    ]

    static let engines: [MalformedCase] = [
        .init(name: "engines moves a service to mysql, no mysql server",
              json: F.topology(scenarios: #"{ "hybrid": { "layout": "mixed", "engines": { "cart": "mysql" } } }"#),
              path: "scenarios.hybrid.engines.cart", fragment: #"needs a mysql server, but no server has "engine": "mysql""#),
        .init(name: "database without any postgres server",
              json: F.topology(servers: #"{ "redis": { "engine": "redis" } }"#, services: F.services(("auth", #"{ "database": {} }"#))),
              path: "services.auth.database", fragment: "needs a postgres server"),
        .init(name: "several postgres servers, none named",
              json: F.topology(servers: #"{ "pg1": { "engine": "postgres", "port": 5432 }, "pg2": { "engine": "postgres", "port": 5433 } }"#,
                               services: F.services(("auth", #"{ "database": {} }"#))),
              path: "services.auth.database", fragment: "several postgres servers (pg1, pg2)"),
        .init(name: "unknown server engine",
              json: F.topology(servers: #"{ "postgres": { "engine": "postgresql" } }"#, services: F.services(("auth", "{}"))),
              path: "servers.postgres.engine", fragment: #"unknown engine "postgresql"; did you mean "postgres""#),
        .init(name: "server without engine", json: F.topology(servers: #"{ "postgres": { "port": 5432 } }"#, services: F.services(("auth", "{}"))),
              path: "servers.postgres.engine", fragment: "missing"),
        .init(name: "no servers", json: F.topology(servers: "{}", services: F.services(("auth", "{}"))),
              path: "servers", fragment: "declare at least one server"),
        .init(name: "extensions on a mysql service",
              json: F.topology(servers: #"{ "postgres": { "engine": "postgres" }, "mysql": { "engine": "mysql" } }"#,
                               services: F.services(("auth", #"{ "database": { "extensions": ["pg_trgm"] } }"#)),
                               scenarios: #"{ "hybrid": { "layout": "mixed", "engines": { "auth": "mysql" } } }"#),
              path: "services.auth.database.extensions", fragment: "extensions are PostgreSQL's"),
    ]

    static let scenarios: [MalformedCase] = [
        .init(name: "unknown layout", json: F.topology(scenarios: #"{ "dev": { "layout": "single_db" } }"#),
              path: "scenarios.dev.layout", fragment: #"unknown layout "single_db"; did you mean "single-db""#),
        .init(name: "missing layout", json: F.topology(scenarios: #"{ "dev": { "analytics": true } }"#),
              path: "scenarios.dev.layout", fragment: "missing"),
        .init(name: "unknown isolation", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "isolation": "schemas" } }"#),
              path: "scenarios.dev.isolation", fragment: #"did you mean "schema""#),
        .init(name: "unknown servers mode", json: F.topology(scenarios: #"{ "prod": { "layout": "db-per-service", "servers": "dedicate" } }"#),
              path: "scenarios.prod.servers", fragment: #"did you mean "dedicated""#),
        .init(name: "unknown secrets mode", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "secrets": "extern" } }"#),
              path: "scenarios.dev.secrets", fragment: #"unknown value "extern""#),
        .init(name: "isolation on db-per-service", json: F.topology(scenarios: #"{ "prod": { "layout": "db-per-service", "isolation": "schema" } }"#),
              path: "scenarios.prod.isolation", fragment: "applies only to the single-db layout"),
        .init(name: "servers mode on single-db", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "servers": "dedicated" } }"#),
              path: "scenarios.dev.servers", fragment: "applies only to the db-per-service and mixed layouts"),
        .init(name: "per-tenant without tenants", json: F.topology(tenants: nil, scenarios: #"{ "saas": { "layout": "per-tenant" } }"#),
              path: "scenarios.saas.layout", fragment: "per-tenant needs tenants"),
        .init(name: "mixed without engines", json: F.topology(scenarios: #"{ "hybrid": { "layout": "mixed" } }"#),
              path: "scenarios.hybrid.engines", fragment: "moves at least one service to mysql or mongodb"),
        .init(name: "portStride outside per-tenant", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "portStride": 10 } }"#),
              path: "scenarios.dev.portStride", fragment: "applies only to the per-tenant layout"),
        .init(name: "no scenarios", json: F.topology(scenarios: "{}"),
              path: "scenarios", fragment: "declare at least one scenario"),
    ]

    static let types: [MalformedCase] = [
        .init(name: "port is a string", json: F.topology(services: F.services(("auth", #"{ "port": "8001" }"#))),
              path: "services.auth.port", fragment: "expected an integer, found a string", line: 8, column: 23),
        .init(name: "port is a fraction", json: F.topology(services: F.services(("auth", #"{ "port": 8001.5 }"#))),
              path: "services.auth.port", fragment: "expected an integer, found a number"),
        .init(name: "tenants is an object", json: F.topology(tenants: #"{ "acme": 1 }"#),
              path: "tenants", fragment: "expected an array of strings, found an object"),
        .init(name: "tenant is a number", json: F.topology(tenants: #"["acme", 2]"#),
              path: "tenants[1]", fragment: "expected a string, found an integer"),
        .init(name: "project is a number", json: F.topology(project: "42"),
              path: "project", fragment: "expected a string, found an integer"),
        .init(name: "services is an array", json: F.topology(services: #"["auth"]"#),
              path: "services", fragment: "expected an object, found an array"),
        .init(name: "service is a string", json: F.topology(services: F.services(("auth", #""postgres""#))),
              path: "services.auth", fragment: "expected an object, found a string"),
        .init(name: "dependsOn is a string", json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "dependsOn": "auth" }"#))),
              path: "services.cart.dependsOn", fragment: "expected an array of strings, found a string"),
        .init(name: "reads lists a string", json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "reads": { "auth": "users" } }"#))),
              path: "services.cart.reads.auth", fragment: "expected an array of table names"),
        .init(name: "analytics is a string", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "analytics": "yes" } }"#),
              path: "scenarios.dev.analytics", fragment: "expected true or false, found a string"),
        .init(name: "redis is null", json: F.topology(services: F.services(("auth", #"{ "redis": null }"#))),
              path: "services.auth.redis", fragment: "expected an object, found null"),
        .init(name: "document is an array", json: "[]",
              path: "", fragment: "expected an object, found an array", line: 1, column: 1),
        .init(name: "pool size 0", json: F.topology(services: F.services(("auth", #"{ "database": { "pool": { "size": 0 } } }"#))),
              path: "services.auth.database.pool.size", fragment: "out of range"),
    ]

    static let backups: [MalformedCase] = [
        .init(name: "cron schedule with 4 fields", json: F.topology(backups: #"{ "schedule": "0 2 * *" }"#),
              path: "backups.schedule", fragment: "expected 5 fields"),
        .init(name: "cron minute out of range", json: F.topology(backups: #"{ "schedule": "61 2 * * *" }"#),
              path: "backups.schedule", fragment: "minute \"61\" is out of range"),
        .init(name: "cron unknown macro", json: F.topology(backups: #"{ "schedule": "@sometimes" }"#),
              path: "backups.schedule", fragment: "unknown macro"),
        .init(name: "keepDays 0", json: F.topology(backups: #"{ "keepDays": 0 }"#),
              path: "backups.keepDays", fragment: "0 is out of range"),
        .init(name: "backups dir with a space", json: F.topology(backups: #"{ "dir": "my backups" }"#),
              path: "backups.dir", fragment: "relative path"),
        .init(name: "backups dir escapes the project", json: F.topology(backups: #"{ "dir": "../backups" }"#),
              path: "backups.dir", fragment: "relative path"),
    ]

    static let identifiers: [MalformedCase] = [
        .init(name: "extension with a space", json: F.topology(services: F.services(("auth", #"{ "database": { "extensions": ["pg trgm"] } }"#))),
              path: "services.auth.database.extensions[0]", fragment: #"extension name "pg trgm" is invalid"#),
        .init(name: "extension with a quote", json: F.topology(services: F.services(("auth", #"{ "database": { "extensions": ["uuid\"ossp"] } }"#))),
              path: "services.auth.database.extensions[0]", fragment: "extension name"),
        .init(name: "extension listed twice", json: F.topology(services: F.services(("auth", #"{ "database": { "extensions": ["pg_trgm", "pg_trgm"] } }"#))),
              path: "services.auth.database.extensions", fragment: "twice"),
        .init(name: "database name with a dash", json: F.topology(services: F.services(("auth", #"{ "database": { "name": "auth-db" } }"#))),
              path: "services.auth.database.name", fragment: #"database name "auth-db" is invalid"#),
        .init(name: "two services share a database name",
              json: F.topology(services: F.services(("auth", #"{ "database": { "name": "legacy" } }"#), ("cart", #"{ "database": { "name": "legacy" } }"#)),
                               scenarios: #"{ "prod": { "layout": "db-per-service" } }"#),
              path: "services.cart.database.name", fragment: "also owned by auth_user"),
        .init(name: "40-char tenant × 40-char service exceeds 63 bytes",
              json: F.topology(services: F.services((F.forty, #"{ "database": {} }"#)), tenants: "[\"\(String(repeating: "t", count: 40))\"]",
                               scenarios: #"{ "saas": { "layout": "per-tenant" } }"#),
              path: "services.\(F.forty)", fragment: "is longer than 63 bytes, the postgres limit"),
        .init(name: "service pg gives a pg_ role", json: F.topology(services: F.services(("pg", #"{ "database": {} }"#))),
              path: "services.pg", fragment: #"the role name "pg_user" starts with "pg_""#),
        .init(name: "per-tenant tenant-service pairs give one role",
              json: F.topology(services: F.services(("a", #"{ "database": {} }"#), ("b_c", #"{ "database": {} }"#), ("c", #"{ "database": {} }"#)),
                               tenants: #"["a_b", "a"]"#, scenarios: #"{ "saas": { "layout": "per-tenant" } }"#),
              path: "tenants[1]", fragment: #"tenant "a" with service "b_c" and tenant "a_b" with service "c" both give"#),
        .init(name: "service public gets the public schema", json: F.topology(services: F.services(("public", #"{ "database": {} }"#))),
              path: "services.public", fragment: #"would get the schema "public""#, line: 8, column: 5),
        .init(name: "database.name takes a system database",
              json: F.topology(services: F.services(("auth", #"{ "database": { "name": "template1" } }"#)), scenarios: #"{ "prod": { "layout": "db-per-service" } }"#),
              path: "services.auth.database.name", fragment: #""template1" is a system database"#),
        .init(name: "health without port", json: F.topology(services: F.services(("auth", #"{ "health": "/health" }"#))),
              path: "services.auth.health", fragment: "needs the service's \"port\""),
        .init(name: "seed path escapes the project", json: F.topology(services: F.services(("auth", #"{ "seed": ["../../etc"] }"#))),
              path: "services.auth.seed[0]", fragment: "relative path inside the project"),
    ]

    /// JSON syntax errors: the issue has no path, and the line and column of the problem.
    static let syntax: [MalformedCase] = [
        .init(name: "trailing comma in an object", json: "{\n  \"project\": \"shop\",\n}\n",
              path: "", fragment: "trailing comma", line: 3, column: 1),
        .init(name: "trailing comma in an array", json: "{\n  \"tenants\": [\"acme\", ]\n}",
              path: "", fragment: "trailing comma", line: 2, column: 23),
        .init(name: "key without quotes", json: "{\n  project: \"shop\"\n}",
              path: "", fragment: "expected a key in double quotes", line: 2, column: 3),
        .init(name: "missing opening quote of a value", json: "{\n  \"project\": shop\"\n}",
              path: "", fragment: "expected a value", line: 2, column: 14),
        .init(name: "missing closing quote before the next key", json: "{\n  \"project\": \"shop,\n  \"tenants\": []\n}",
              path: "", fragment: "control character in string", line: 2, column: 20),
        .init(name: "unterminated string", json: "{\n  \"project\": \"shop",
              path: "", fragment: "unterminated string", line: 2, column: 19),
        .init(name: "duplicate key", json: "{\n  \"project\": \"shop\",\n  \"tenants\": [],\n    \"project\": \"other\"\n}",
              path: "", fragment: #"duplicate key "project""#, line: 4, column: 5),
        .init(name: "empty file", json: "",
              path: "", fragment: "unexpected end of file", line: 1, column: 1),
        .init(name: "only whitespace", json: "\n\n   ",
              path: "", fragment: "unexpected end of file", line: 3, column: 4),
        .init(name: "missing comma between members", json: "{\n  \"project\": \"shop\"\n  \"tenants\": []\n}",
              path: "", fragment: "expected ',' or '}'", line: 3, column: 3),
        .init(name: "single-quoted string", json: "{ \"project\": 'shop' }",
              path: "", fragment: "expected a value", line: 1, column: 14),
        .init(name: "unclosed object", json: "{\n  \"project\": \"shop\"\n",
              path: "", fragment: "unexpected end of file", line: 3, column: 1),
        .init(name: "text after the document", json: "{}\n}",
              path: "", fragment: "after the end of the document", line: 2, column: 1),
        .init(name: "leading zero", json: "{\n  \"servers\": { \"pg\": { \"port\": 05432 } }\n}",
              path: "", fragment: "leading zeros", line: 2, column: 33),
        .init(name: "column counts characters, not bytes", json: "{\n  \"project\": \"ünï\" x\n}",
              path: "", fragment: "expected ',' or '}'", line: 2, column: 20),
    ]
}

extension MalformedCase {
    /// `tables`, `separate` and `isolation: none` (issue 11).
    static let tables: [MalformedCase] = [
        .init(name: "a table declared by two services",
              json: F.topology(services: F.services(("auth", #"{ "database": {}, "tables": ["users"] }"#), ("cart", #"{ "database": {}, "tables": ["carts", "users"] }"#))),
              path: "services.cart.tables[1]", fragment: #"also declared by service "auth""#),
        .init(name: "separate names an unknown service",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "separate": ["aut"] } }"#),
              path: "scenarios.dev.separate[0]", fragment: #"unknown service "aut"; did you mean "auth"?"#),
        .init(name: "separate outside single-db",
              json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "separate": ["auth"] } }"#),
              path: "scenarios.dev.separate", fragment: "applies only to the single-db layout"),
        .init(name: "isolation none without tables",
              json: F.topology(services: F.services(("auth", #"{ "database": {}, "tables": ["users"] }"#), ("cart", #"{ "database": {} }"#)),
                               scenarios: #"{ "dev": { "layout": "single-db", "isolation": "none" } }"#),
              path: "services.cart.tables", fragment: #"has "isolation": "none""#),
        .init(name: "reads a table its owner does not declare",
              json: F.topology(services: F.services(("auth", #"{ "database": {}, "tables": ["users"] }"#), ("cart", #"{ "database": {}, "reads": { "auth": ["user"] } }"#))),
              path: "services.cart.reads.auth[0]", fragment: #"declares no table "user""#),
        .init(name: "tables of a service without a database",
              json: F.topology(services: F.services(("auth", #"{ "port": 8001, "tables": ["users"] }"#))),
              path: "services.auth.tables", fragment: "owns no database"),
    ]
}

