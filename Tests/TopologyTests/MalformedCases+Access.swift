// Cases for issue 13's access keys (Redis ACL, analytics scope, reads on MySQL, backups.upload),
// next to MalformedCases.swift and shared the same way: Tests/CLITests/MalformedCases+Access.swift
// is a symbolic link to this file. It must import nothing but Testing.
import Testing

extension MalformedCase {
    static var access: [MalformedCase] { redisACL + analytics + engineReads + upload }

    static let redisACL: [MalformedCase] = [
        .init(name: "acl on a postgres server",
              json: F.topology(servers: #"{ "postgres": { "engine": "postgres", "acl": true }, "redis": { "engine": "redis" } }"#),
              path: "servers.postgres.acl", fragment: "is a postgres server"),
        .init(name: "acl not a boolean",
              json: F.topology(servers: #"{ "postgres": { "engine": "postgres" }, "redis": { "engine": "redis", "acl": "yes" } }"#),
              path: "servers.redis.acl", fragment: "expected true or false"),
        .init(name: "redis prefix with a glob character", json: F.topology(services: F.services(("auth", #"{ "redis": { "prefix": "auth*" } }"#))),
              path: "services.auth.redis.prefix", fragment: #"prefix "auth*" is invalid"#),
        .init(name: "redis prefix empty", json: F.topology(services: F.services(("auth", #"{ "redis": { "prefix": "" } }"#))),
              path: "services.auth.redis.prefix", fragment: "is invalid"),
        .init(name: "redis prefix that starts another's on an ACL server",
              json: F.topology(servers: #"{ "postgres": { "engine": "postgres" }, "redis": { "engine": "redis", "acl": true } }"#,
                               services: F.services(("auth", #"{ "redis": { "prefix": "a" } }"#), ("cart", #"{ "redis": { "prefix": "ab:" } }"#))),
              path: "services.cart.redis.prefix", fragment: #"starts with "a", the prefix of service "auth""#),
    ]

    static let analytics: [MalformedCase] = [
        .init(name: "analytics names an unknown service",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "analytics": { "services": ["auht"] } } }"#),
              path: "scenarios.dev.analytics.services[0]", fragment: #"unknown service "auht"; did you mean "auth""#),
        .init(name: "analytics role name invalid",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "analytics": { "role": "Analytics-RO" } } }"#),
              path: "scenarios.dev.analytics.role", fragment: #"role name "Analytics-RO" is invalid"#),
        .init(name: "analytics role is a service's role",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "analytics": { "role": "auth_user" } } }"#),
              path: "scenarios.dev.analytics.role", fragment: "is a service's role"),
        .init(name: "analytics services empty",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "analytics": { "services": [] } } }"#),
              path: "scenarios.dev.analytics.services", fragment: "is empty"),
        .init(name: "analytics reads a service without a database",
              json: F.topology(services: F.services(("auth", F.auth), ("web", #"{ "port": 8003 }"#)),
                               scenarios: #"{ "dev": { "layout": "single-db", "analytics": { "services": ["web"] } } }"#),
              path: "scenarios.dev.analytics.services[0]", fragment: "owns no database"),
        .init(name: "analytics unknown key",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "analytics": { "roles": "x" } } }"#),
              path: "scenarios.dev.analytics.roles", fragment: #"did you mean "role""#),
        .init(name: "analytics services under prefix isolation",
              json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "isolation": "prefix", "analytics": { "services": ["auth"] } } }"#),
              path: "scenarios.dev.analytics.services", fragment: "share schema public"),
    ]

    static let engineReads: [MalformedCase] = [
        .init(name: "reads into a service on MongoDB",
              json: F.topology(servers: #"{ "postgres": { "engine": "postgres" }, "redis": { "engine": "redis" }, "mongodb": { "engine": "mongodb" } }"#,
                               scenarios: #"{ "dev": { "layout": "mixed", "engines": { "auth": "mongodb" } } }"#),
              path: "services.cart.reads.auth", fragment: "granted on PostgreSQL and MySQL only"),
    ]

    static let upload: [MalformedCase] = [
        .init(name: "backups.upload without {file}", json: F.topology(backups: #"{ "upload": "aws s3 sync . s3://b/" }"#),
              path: "backups.upload", fragment: "does not name the dump"),
        .init(name: "backups.upload with {file} quoted", json: F.topology(backups: #"{ "upload": "cp '{file}' /x/" }"#),
              path: "backups.upload", fragment: "without quotes"),
        .init(name: "backups.upload empty", json: F.topology(backups: #"{ "upload": "  " }"#),
              path: "backups.upload", fragment: "is empty"),
        .init(name: "backups.upload on two lines", json: F.topology(backups: #"{ "upload": "cp {file} /x/\nrm {file}" }"#),
              path: "backups.upload", fragment: "must be one line"),
        .init(name: "backups.upload not a string", json: F.topology(backups: #"{ "upload": true }"#),
              path: "backups.upload", fragment: "expected a string"),
    ]
}
