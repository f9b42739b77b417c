// Malformed topologies for `scenarios.<s>.services`, `scenarios.<s>.shared` and `servers.<s>.host`,
// shared like MalformedCases.swift: Tests/CLITests/MalformedCases+Services.swift links to this file.
import Testing

extension MalformedCase {
    /// `scenarios.<s>.services` and `scenarios.<s>.shared`. The fixture: `cart` depends on and
    /// reads `auth`.
    static let scenarioServices: [MalformedCase] = [
        .init(name: "scenario services: unknown service", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "services": ["auth", "crat"] } }"#),
              path: "scenarios.dev.services[1]", fragment: #"unknown service "crat"; did you mean "cart""#),
        .init(name: "scenario services: listed twice", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "services": ["auth", "auth"] } }"#),
              path: "scenarios.dev.services[1]", fragment: #""auth" is listed twice"#),
        .init(name: "scenario services: empty", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "services": [] } }"#),
              path: "scenarios.dev.services", fragment: "lists no service"),
        .init(name: "scenario services: not an array", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "services": "auth" } }"#),
              path: "scenarios.dev.services", fragment: "expected an array of strings, found a string"),
        .init(name: "scenario services: reads from a service left out",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "services": ["cart"] } }"#),
              path: "services.cart.reads.auth", fragment: #"in scenario "dev": service "cart" reads "auth", which the scenario leaves out (scenarios.dev.services)"#),
        .init(name: "scenario services: depends on a service left out",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "services": ["cart"] } }"#),
              path: "services.cart.dependsOn[0]", fragment: #"in scenario "dev": service "cart" depends on "auth", which the scenario leaves out"#),
        .init(name: "shared outside per-tenant", json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "shared": ["auth"] } }"#),
              path: "scenarios.dev.shared", fragment: "applies only to the per-tenant layout, not db-per-service"),
        .init(name: "shared: unknown service", json: F.topology(scenarios: #"{ "saas": { "layout": "per-tenant", "shared": ["aut"] } }"#),
              path: "scenarios.saas.shared[0]", fragment: #"unknown service "aut"; did you mean "auth""#),
        .init(name: "shared: a service the scenario leaves out",
              json: F.topology(services: F.services(("auth", F.auth), ("cart", F.cart), ("mail", "{}")),
                               scenarios: #"{ "saas": { "layout": "per-tenant", "services": ["auth", "cart"], "shared": ["auth", "mail"] } }"#),
              path: "scenarios.saas.shared[1]", fragment: #"service "mail" is not one of the scenario's "services""#),
        .init(name: "shared service reads a per-tenant one",
              json: F.topology(services: F.services(("auth", #"{ "database": {}, "reads": { "cart": ["orders"] } }"#), ("cart", #"{ "database": {} }"#)),
                               scenarios: #"{ "saas": { "layout": "per-tenant", "shared": ["auth"] } }"#),
              path: "services.auth.reads.cart", fragment: #"the shared service "auth" reads "cart", which runs once per tenant"#),
        .init(name: "shared service depends on a per-tenant one",
              json: F.topology(services: F.services(("auth", #"{ "dependsOn": ["cart"] }"#), ("cart", "{}")),
                               scenarios: #"{ "saas": { "layout": "per-tenant", "shared": ["auth"] } }"#),
              path: "services.auth.dependsOn[0]", fragment: #"the shared service "auth" depends on "cart", which runs once per tenant"#),
    ]

    /// `servers.<s>.host`: an existing server ovudev does not start.
    static let existingServers: [MalformedCase] = [
        .init(name: "host: not a host name", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "host": "db.example.com/x" }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.host", fragment: #""db.example.com/x" is not a host name or IPv4 address"#),
        .init(name: "host: a URL instead of a host", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "host": "postgresql://db:5432" }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.host", fragment: "is not a host name"),
        .init(name: "host on a redis server", json: F.topology(servers: #"{ "postgres": { "engine": "postgres" }, "redis": { "engine": "redis", "host": "cache.internal" } }"#),
              path: "servers.redis.host", fragment: "an existing server is supported for PostgreSQL only"),
        .init(name: "host with an image", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "host": "db.internal", "image": "postgres:15" }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.image", fragment: "is an existing server (\"host\"): ovudev runs no container for it"),
        .init(name: "host is a number", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "host": 10 }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.host", fragment: "expected a string, found an integer"),
        .init(name: "host: dedicated servers from an existing one",
              json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "host": "db.internal" }, "redis": { "engine": "redis" } }"#,
                               scenarios: #"{ "prod": { "layout": "db-per-service", "servers": "dedicated" } }"#),
              path: "scenarios.prod.servers", fragment: #"server "postgres" is an existing server (host db.internal); ovudev cannot make dedicated servers from it"#),
    ]
}
