/// The validated topology: names checked, defaults applied, references resolved, Redis indexes
/// assigned. It cannot exist in an invalid state, so nothing downstream re-checks it.
public struct Topology: Sendable, Equatable {
    public var project: String
    /// Sorted by name.
    public var servers: [Server]
    /// Sorted by name.
    public var services: [Service]
    public var tenants: [String]
    public var backups: Backups
    /// Sorted by name.
    public var scenarios: [Scenario]
    public var defaultScenario: String?
    /// What validation found valid but fragile; `ovudev validate` prints them.
    public var warnings: [TopologyWarning] = []

    public func server(_ name: String) -> Server? { Self.find(name, in: servers, \.name) }
    public func service(_ name: String) -> Service? { Self.find(name, in: services, \.name) }

    /// Binary search in an array sorted by name (as the loader makes them), then a scan for a
    /// miss (an array built unsorted still answers right). A lookup per instance through every
    /// service was quadratic in the topology's size.
    static func find<T>(_ name: String, in items: [T], _ key: (T) -> String) -> T? {
        var low = 0, high = items.count
        while low < high {
            let mid = (low + high) / 2
            if key(items[mid]) < name { low = mid + 1 } else { high = mid }
        }
        if low < items.count, key(items[low]) == name { return items[low] }
        return items.first { key($0) == name }
    }
    public func scenario(_ name: String) -> Scenario? { scenarios.first { $0.name == name } }

    /// `defaultScenario`, else the only scenario, else `dev`, else nil.
    public var implicitScenario: String? {
        if let defaultScenario { return defaultScenario }
        if scenarios.count == 1 { return scenarios[0].name }
        if scenario("dev") != nil { return "dev" }
        return nil
    }
}

public enum Engine: String, Sendable, Codable, CaseIterable, Comparable {
    case postgres, redis, mysql, mongodb

    public static func < (a: Engine, b: Engine) -> Bool { a.rawValue < b.rawValue }

    /// The port the engine listens on inside a container.
    public var containerPort: Int {
        switch self {
        case .postgres: return 5432
        case .redis: return 6379
        case .mysql: return 3306
        case .mongodb: return 27017
        }
    }

    public var defaultVersion: String {
        switch self {
        case .postgres: return "15"
        case .redis: return "7"
        case .mysql: return "8.0"
        case .mongodb: return "7.0"
        }
    }

    var defaultImage: String {
        switch self {
        case .postgres: return "postgres"
        case .redis: return "redis"
        case .mysql: return "mysql"
        case .mongodb: return "mongo"
        }
    }

    var holdsDatabases: Bool { self != .redis }
}

public struct Server: Sendable, Equatable {
    public var name: String
    public var engine: Engine
    public var version: String
    public var port: Int
    /// Container image, e.g. `postgres:15`.
    public var image: String
    /// An existing server ovudev does not start (`servers.<s>.host`); nil for the servers it runs.
    public var host: String? = nil
    /// Query parameters added to every URL of the server.
    public var params: [String: String] = [:]
    /// `max_connections` as written; nil: 100, or what the pools need when that is more.
    public var maxConnections: Int? = nil
    /// Redis: one ACL user per service, the default user off (`servers.<s>.acl`).
    public var acl: Bool = false
}

public struct Pool: Sendable, Equatable, Codable {
    public var size: Int
    public var maxOverflow: Int
    public var timeout: Int
    /// `DB_POOL_PRE_PING`, when the topology sets it.
    public var prePing: Bool? = nil
    /// `DB_POOL_RECYCLE` (seconds), when the topology sets it.
    public var recycle: Int? = nil
    public static let standard = Pool(size: 5, maxOverflow: 10, timeout: 30)
}

public struct DatabaseNeed: Sendable, Equatable {
    /// A named server, or nil for "the only server of the engine the scenario needs".
    public var server: String?
    public var name: String?
    public var extensions: [String]
    public var pool: Pool
    public var urlScheme: String?
    /// The role's name as written (`madansara_user`); nil for `<svc>_user`.
    public var role: String? = nil
    /// The schema's name as written, where the layout gives schemas; nil for `<svc>`.
    public var schema: String? = nil
    /// Query parameters added to the service's URLs; they override the server's.
    public var params: [String: String] = [:]
    /// `urlScheme` per engine (`{"postgres": "postgresql+asyncpg", "mysql": "mysql+aiomysql"}`).
    public var urlSchemes: [Engine: String] = [:]
}

public struct Service: Sendable, Equatable {
    public var name: String
    public var port: Int?
    public var path: String?
    public var image: String?
    public var database: DatabaseNeed?
    /// The assigned Redis index (explicit or the next free one) and server, when the service uses Redis.
    public var redisIndex: Int?
    public var redisServer: String?
    /// Sorted by name.
    public var dependsOn: [String]
    /// Target service → table names, sorted.
    public var reads: [(service: String, tables: [String])]
    public var migrate: String?
    public var command: String?
    public var health: String?
    public var seed: [String]
    /// The tables the service declares it owns, sorted; empty when none are declared.
    public var tables: [String] = []
    /// `env`: extra variables by name, their values as written (with `${NAME}` references).
    public var env: [String: String] = [:]
    /// `redis.prefix`: the key and channel prefix of its ACL user (default `<service>:`).
    public var redisPrefix: String? = nil

    public static func == (a: Service, b: Service) -> Bool {
        a.name == b.name && a.port == b.port && a.path == b.path && a.image == b.image && a.database == b.database
            && a.redisIndex == b.redisIndex && a.redisServer == b.redisServer && a.dependsOn == b.dependsOn
            && a.reads.map(\.service) == b.reads.map(\.service) && a.reads.map(\.tables) == b.reads.map(\.tables)
            && a.migrate == b.migrate && a.command == b.command && a.health == b.health && a.seed == b.seed
            && a.tables == b.tables && a.env == b.env && a.redisPrefix == b.redisPrefix
    }
}

public struct Backups: Sendable, Equatable {
    public var schedule: String
    public var keepDays: Int
    public var dir: String
    /// `backups.upload`: a shell command run after each dump, `{file}` standing for its path.
    public var upload: String? = nil
    public static let standard = Backups(schedule: "0 2 * * *", keepDays: 7, dir: "backups")
}

public enum Layout: String, Sendable, Codable, CaseIterable {
    case singleDB = "single-db"
    case dbPerService = "db-per-service"
    case perTenant = "per-tenant"
    case mixed
}

public enum Isolation: String, Sendable, Codable, CaseIterable {
    case schema, prefix
    /// `none`: one schema (`public`) for every service, as a monolith has; each role owns the
    /// tables it declares. (Not `none`, which `Isolation?` would confuse with nil.)
    case shared = "none"
}

public enum ServerMode: String, Sendable, Codable, CaseIterable {
    case shared, dedicated
}

public enum SecretsMode: String, Sendable, Codable, CaseIterable {
    case generated, external
}

public struct Scenario: Sendable, Equatable {
    public var name: String
    public var layout: Layout
    public var isolation: Isolation
    public var servers: ServerMode
    public var secrets: SecretsMode
    /// Service → engine overrides, sorted by service.
    public var engines: [String: Engine]
    public var analytics: Bool
    /// Per-tenant: instance ports are the service port + tenant index × stride.
    public var portStride: Int
    /// single-db: services with a database of their own on the same server, sorted.
    public var separate: [String] = []
    /// The services the scenario runs, sorted; nil: every service.
    public var services: [String]? = nil
    /// Per-tenant: services that run once for all tenants (one instance, one database), sorted.
    public var shared: [String] = []
    /// single-db: the shared database's name, when the topology names it.
    public var database: String? = nil
    /// `servers: dedicated`: service → its server's name, when the topology names it.
    public var serverNames: [String: String] = [:]
    /// The analytics role's name and the services it may read (nil: every service).
    public var analyticsRole: String = "analytics"
    public var analyticsServices: [String]? = nil
    /// Service → its Redis slot in this scenario where it differs from the service's own.
    public var redis: [String: RedisSlotOverride] = [:]

    /// Whether the scenario runs `service`.
    public func runs(_ service: String) -> Bool { services?.contains(service) ?? true }
    /// Whether `service` runs once for all tenants.
    public func isShared(_ service: String) -> Bool { shared.contains(service) }
}
