/// The topology file as written: a lenient mirror of `ovu.topology.json` (every field optional).
/// `TopologyLoader` reads it from a position-tracking JSON tree so that every problem names its
/// JSON path and line; `validate` turns it into a `Topology`, which cannot be invalid.
public struct TopologySpec: Codable, Sendable, Equatable {
    public var schema: String?
    public var project: String?
    public var servers: [String: ServerSpec]?
    public var services: [String: ServiceSpec]?
    public var tenants: [String]?
    public var backups: BackupSpec?
    public var scenarios: [String: ScenarioSpec]?
    public var defaultScenario: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case schema = "$schema", project, servers, services, tenants, backups, scenarios, defaultScenario
    }
}

public struct ServerSpec: Codable, Sendable, Equatable {
    public var engine: String?
    public var version: String?
    public var port: Int?
    public var image: String?
    /// An existing server ovudev does not start (managed PostgreSQL, RDS): its host name.
    public var host: String?
    /// Query parameters for every URL of this server.
    public var params: [String: String]?
    /// PostgreSQL/MySQL `max_connections`: the pools of the server's services must fit.
    public var maxConnections: Int?
    public var acl: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case engine, version, port, image, host
        case params, maxConnections, acl
    }
}

public struct ServiceSpec: Codable, Sendable, Equatable {
    public var port: Int?
    public var path: String?
    public var image: String?
    public var database: DatabaseSpec?
    public var redis: RedisSpec?
    public var dependsOn: [String]?
    public var reads: [String: [String]]?
    public var migrate: String?
    public var command: String?
    public var health: String?
    public var seed: [String]?
    /// The tables the service owns (`isolation: none` needs them; `ovudev move` copies them).
    public var tables: [String]?
    /// Extra variables; `${NAME}` refers to a variable ovudev computes.
    public var env: [String: String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case port, path, image, database, redis, dependsOn, reads, migrate, command, health, seed, tables
        case env
    }
}

public struct DatabaseSpec: Codable, Sendable, Equatable {
    public var server: String?
    public var name: String?
    public var extensions: [String]?
    public var pool: PoolSpec?
    public var urlScheme: String?
    public var role: String?
    public var schema: String?
    /// Query parameters for this service's URLs (over the server's).
    public var params: [String: String]?
    /// `urlScheme` written as a map: engine → scheme.
    public var urlSchemes: [String: String]? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case server, name, extensions, pool, urlScheme
        case role, schema, params
    }
}

public struct PoolSpec: Codable, Sendable, Equatable {
    public var size: Int?
    public var maxOverflow: Int?
    public var timeout: Int?
    public var prePing: Bool?
    public var recycle: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case size, maxOverflow, timeout
        case prePing, recycle
    }
}

public struct RedisSpec: Codable, Sendable, Equatable {
    public var index: Int?
    public var server: String?
    public var prefix: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case index, server, prefix }
}

public struct BackupSpec: Codable, Sendable, Equatable {
    public var schedule: String?
    public var keepDays: Int?
    public var dir: String?
    public var upload: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case schedule, keepDays, dir, upload }
}

public struct ScenarioSpec: Codable, Sendable, Equatable {
    public var layout: String?
    public var isolation: String?
    public var servers: String?
    public var secrets: String?
    public var engines: [String: String]?
    public var analytics: Bool?
    public var portStride: Int?
    /// single-db: services that get a database of their own on the same server.
    public var separate: [String]?
    /// The services the scenario runs (nil: all).
    public var services: [String]?
    /// Per-tenant: services that stay one instance for all tenants.
    public var shared: [String]?
    /// single-db: the name of the shared database (default `<project>_db`).
    public var database: String?
    /// `servers: dedicated`: service → the name of its server.
    public var serverNames: [String: String]?
    /// `analytics` written as an object (then `analytics` is true).
    public var analyticsAccess: AnalyticsSpec? = nil
    /// Service → its Redis server and/or index in this scenario (`index`, `server` only).
    public var redis: [String: RedisSpec]? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case layout, isolation, servers, secrets, engines, analytics, portStride, separate, services, shared
        case database, serverNames, redis
    }
}

/// `"analytics": { "role": "analytics_readonly", "services": ["a", "b"] }`.
public struct AnalyticsSpec: Codable, Sendable, Equatable {
    public var role: String?
    public var services: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable { case role, services }
}
