// Malformed `scenarios.<s>.redis` (a service's Redis slot in one scenario). Compiled into
// TopologyTests and CLITests (Tests/CLITests/MalformedCases+ScenarioRedis.swift is a symbolic link).
import Testing

extension MalformedCase {
    static let scenarioRedis: [MalformedCase] = [
        .init(name: "scenario redis unknown service", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "redis": { "auht": { "index": 5 } } } }"#),
              path: "scenarios.dev.redis.auht", fragment: #"unknown service "auht"; did you mean "auth""#),
        .init(name: "scenario redis service without redis", json: F.topology(services: F.services(("auth", #"{ "database": {} }"#)),
                                                                             scenarios: #"{ "dev": { "layout": "single-db", "redis": { "auth": { "index": 5 } } } }"#),
              path: "scenarios.dev.redis.auth", fragment: "uses no Redis"),
        .init(name: "scenario redis server not redis", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "redis": { "auth": { "server": "postgres" } } } }"#),
              path: "scenarios.dev.redis.auth.server", fragment: "is a postgres server, not redis"),
        .init(name: "scenario redis negative index", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "redis": { "auth": { "index": -1 } } } }"#),
              path: "scenarios.dev.redis.auth.index", fragment: "is negative"),
        .init(name: "scenario redis unknown key", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "redis": { "auth": { "prefix": "a:" } } } }"#),
              path: "scenarios.dev.redis.auth.prefix", fragment: "unknown"),
        .init(name: "scenario redis two services on one slot", json: F.topology(scenarios: #"{ "dev": { "layout": "single-db", "redis": { "auth": { "index": 1 } } } }"#),
              path: "scenarios.dev.redis", fragment: "auth and cart would share redis DB 1"),
    ]
}
