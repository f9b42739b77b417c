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
    public var acl: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable { case engine, version, port, image, acl }
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case port, path, image, database, redis, dependsOn, reads, migrate, command, health, seed
    }
}

public struct DatabaseSpec: Codable, Sendable, Equatable {
    public var server: String?
    public var name: String?
    public var extensions: [String]?
    public var pool: PoolSpec?
    public var urlScheme: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case server, name, extensions, pool, urlScheme }
}

public struct PoolSpec: Codable, Sendable, Equatable {
    public var size: Int?
    public var maxOverflow: Int?
    public var timeout: Int?

    enum CodingKeys: String, CodingKey, CaseIterable { case size, maxOverflow, timeout }
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
    /// `analytics` written as an object (then `analytics` is true).
    public var analyticsAccess: AnalyticsSpec? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case layout, isolation, servers, secrets, engines, analytics, portStride
    }
}

/// `"analytics": { "role": "analytics_readonly", "services": ["a", "b"] }`.
public struct AnalyticsSpec: Codable, Sendable, Equatable {
    public var role: String?
    public var services: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable { case role, services }
}
