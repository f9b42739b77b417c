// Malformed topologies for the keys that name things (database, role, schema, dedicated servers)
// and the env contract (params, env, urlScheme per engine, pool, connection budget). Compiled into
// TopologyTests and CLITests (Tests/CLITests/MalformedCases+Names.swift is a symbolic link).
import Testing

extension MalformedCase {
    static let namesAndEnv: [MalformedCase] = [
        // scenarios.<s>.database
        .init(name: "scenario database outside single-db", json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "database": "engarde" } }"#),
              path: "scenarios.dev.database", fragment: "applies only to the single-db layout"),
        .init(name: "scenario database invalid", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "database": "En-garde" } }"#),
              path: "scenarios.dev.database", fragment: #"database name "En-garde" is invalid"#),
        .init(name: "scenario database is a system database", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "database": "postgres" } }"#),
              path: "scenarios.dev.database", fragment: "system database"),
        .init(name: "scenario database not a string", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "database": 3 } }"#),
              path: "scenarios.dev.database", fragment: "expected a string"),
        // services.<svc>.database.role / .schema
        .init(name: "role invalid", json: F.topology(services: F.services(("auth", #"{ "database": { "role": "Auth-User" } }"#))),
              path: "services.auth.database.role", fragment: #"role name "Auth-User" is invalid"#),
        .init(name: "role reserved", json: F.topology(services: F.services(("auth", #"{ "database": { "role": "postgres" } }"#))),
              path: "services.auth.database.role", fragment: "reserves"),
        .init(name: "role pg_ prefix", json: F.topology(services: F.services(("auth", #"{ "database": { "role": "pg_auth" } }"#))),
              path: "services.auth.database.role", fragment: "reserves"),
        .init(name: "role of two services", json: F.topology(services: F.services(("auth", #"{ "database": { "role": "app" } }"#), ("cart", #"{ "database": { "role": "app" } }"#))),
              path: "services.cart.database.role", fragment: #"the role "app" is also service "auth"'s"#),
        .init(name: "role taking another service's default", json: F.topology(services: F.services(("auth", F.auth), ("cart", #"{ "database": { "role": "auth_user" } }"#))),
              path: "services.cart.database.role", fragment: #"the role "auth_user" is also service "auth"'s"#),
        .init(name: "roles sharing a password variable", json: F.topology(services: F.services(("auth", #"{ "database": { "role": "app" } }"#), ("cart", #"{ "database": { "role": "app_user" } }"#))),
              path: "services.cart.database.role", fragment: "APP_DB_PASSWORD"),
        .init(name: "schema invalid", json: F.topology(services: F.services(("auth", #"{ "database": { "schema": "my schema" } }"#))),
              path: "services.auth.database.schema", fragment: #"schema name "my schema" is invalid"#),
        .init(name: "schema public", json: F.topology(services: F.services(("auth", #"{ "database": { "schema": "public" } }"#))),
              path: "services.auth.database.schema", fragment: "already has"),
        .init(name: "schema of two services", json: F.topology(services: F.services(("auth", #"{ "database": { "schema": "core" } }"#), ("cart", #"{ "database": { "schema": "core" } }"#))),
              path: "services.cart.database.schema", fragment: #"the schema "core" is also service "auth"'s"#),
        // scenarios.<s>.serverNames
        .init(name: "serverNames without dedicated servers", json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "serverNames": { "auth": "auth-db" } } }"#),
              path: "scenarios.dev.serverNames", fragment: #"applies only with "servers": "dedicated""#),
        .init(name: "serverNames unknown service", json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "servers": "dedicated", "serverNames": { "auht": "auth-db" } } }"#),
              path: "scenarios.dev.serverNames.auht", fragment: #"unknown service "auht"; did you mean "auth""#),
        .init(name: "serverNames invalid name", json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "servers": "dedicated", "serverNames": { "auth": "Auth DB" } } }"#),
              path: "scenarios.dev.serverNames.auth", fragment: #"server name "Auth DB" is invalid"#),
        .init(name: "serverNames duplicate", json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "servers": "dedicated", "serverNames": { "auth": "db1", "cart": "db1" } } }"#),
              path: "scenarios.dev.serverNames.cart", fragment: #"is also the server name of service "auth""#),
        .init(name: "serverNames a declared server", json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "servers": "dedicated", "serverNames": { "auth": "redis" } } }"#),
              path: "scenarios.dev.serverNames.auth", fragment: "already a server"),
        .init(name: "serverNames taking another's default", json: F.topology(scenarios: #"{ "dev": { "layout": "db-per-service", "servers": "dedicated", "serverNames": { "auth": "postgres-cart" } } }"#),
              path: "scenarios.dev.serverNames", fragment: #"would all get the dedicated server "postgres-cart""#),
    ]
}

extension MalformedCase {
    static let params: [MalformedCase] = [
        .init(name: "server params not an object", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "params": "sslmode=require" }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.params", fragment: "expected an object"),
        .init(name: "server param name invalid", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "params": { "ssl mode": "require" } }, "redis": { "engine": "redis" } }"#),
              path: #"servers.postgres.params."ssl mode""#, fragment: #"parameter name "ssl mode" is invalid"#),
        .init(name: "server param value not a string", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "params": { "connect_timeout": 5 } }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.params.connect_timeout", fragment: "expected a string"),
        .init(name: "service param value with a line break", json: F.topology(services: F.services(("auth", #"{ "database": { "params": { "options": "-c a=b\n-c c=d" } } }"#))),
              path: "services.auth.database.params.options", fragment: "on one line"),
    ]
}

extension MalformedCase {
    static let env: [MalformedCase] = [
        .init(name: "env not an object", json: F.topology(services: F.services(("auth", #"{ "env": ["A=1"] }"#))),
              path: "services.auth.env", fragment: "expected an object"),
        .init(name: "env name invalid", json: F.topology(services: F.services(("auth", #"{ "env": { "1ST": "x" } }"#))),
              path: "services.auth.env.1ST", fragment: #"variable name "1ST" is invalid"#),
        .init(name: "env name OVU_", json: F.topology(services: F.services(("auth", #"{ "env": { "OVU_MINE": "x" } }"#))),
              path: "services.auth.env.OVU_MINE", fragment: "ovudev's"),
        .init(name: "env value with a single quote", json: F.topology(services: F.services(("auth", #"{ "env": { "A": "it's" } }"#))),
              path: "services.auth.env.A", fragment: "single quote"),
        .init(name: "env value unterminated reference", json: F.topology(services: F.services(("auth", #"{ "database": {}, "env": { "A": "${DATABASE_URL" } }"#))),
              path: "services.auth.env.A", fragment: "without a closing"),
        .init(name: "env unknown reference", json: F.topology(services: F.services(("auth", #"{ "database": {}, "env": { "A": "${DATABASE_ULR}" } }"#))),
              path: "services.auth.env.A", fragment: #"unknown reference ${DATABASE_ULR}; did you mean "DATABASE_URL""#),
        .init(name: "env reference absent in a layout", json: F.topology(services: F.services(("auth", #"{ "database": {}, "env": { "A": "${TABLE_PREFIX}" } }"#))),
              path: "services.auth.env.A", fragment: "unknown reference ${TABLE_PREFIX}"),
        .init(name: "env name computed by ovudev", json: F.topology(services: F.services(("auth", #"{ "database": {}, "env": { "DATABASE_URL": "x" } }"#))),
              path: "services.auth.env.DATABASE_URL", fragment: "is a variable ovudev computes"),
    ]
}

extension MalformedCase {
    static let schemesAndPools: [MalformedCase] = [
        .init(name: "urlScheme map with an unknown engine", json: F.topology(services: F.services(("auth", #"{ "database": { "urlScheme": { "postgress": "postgresql+asyncpg" } } }"#))),
              path: "services.auth.database.urlScheme.postgress", fragment: #"unknown database engine "postgress"; did you mean "postgres""#),
        .init(name: "urlScheme map with redis", json: F.topology(services: F.services(("auth", #"{ "database": { "urlScheme": { "redis": "rediss" } } }"#))),
              path: "services.auth.database.urlScheme.redis", fragment: "unknown database engine"),
        .init(name: "urlScheme map with a bad scheme", json: F.topology(services: F.services(("auth", #"{ "database": { "urlScheme": { "mysql": "mysql aiomysql" } } }"#))),
              path: "services.auth.database.urlScheme.mysql", fragment: "is not a URL scheme"),
        .init(name: "urlScheme map value not a string", json: F.topology(services: F.services(("auth", #"{ "database": { "urlScheme": { "mysql": 1 } } }"#))),
              path: "services.auth.database.urlScheme.mysql", fragment: "expected a string"),
        .init(name: "pool prePing not a boolean", json: F.topology(services: F.services(("auth", #"{ "database": { "pool": { "prePing": "yes" } } }"#))),
              path: "services.auth.database.pool.prePing", fragment: "expected true or false"),
        .init(name: "pool recycle zero", json: F.topology(services: F.services(("auth", #"{ "database": { "pool": { "recycle": 0 } } }"#))),
              path: "services.auth.database.pool.recycle", fragment: "out of range"),
    ]
}

extension MalformedCase {
    static let budget: [MalformedCase] = [
        .init(name: "pools over maxConnections", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "maxConnections": 40 }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.maxConnections", fragment: #"the pools on server "postgres" need 50 connections (auth 15, cart 15, and 20 for ovudev), more than its maxConnections 40"#),
        .init(name: "pools over maxConnections per tenant", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "maxConnections": 60 }, "redis": { "engine": "redis" } }"#,
                                                                            scenarios: #"{ "dev": { "layout": "per-tenant" } }"#),
              path: "servers.postgres.maxConnections", fragment: "need 80 connections (auth-acme 15, auth-globex 15, cart-acme 15, cart-globex 15"),
        .init(name: "maxConnections on redis", json: F.topology(servers: #"{ "postgres": { "engine": "postgres" }, "redis": { "engine": "redis", "maxConnections": 50 } }"#),
              path: "servers.redis.maxConnections", fragment: "applies to postgres and mysql servers"),
        .init(name: "maxConnections out of range", json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "maxConnections": 5 }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.maxConnections", fragment: "out of range"),
    ]
}
