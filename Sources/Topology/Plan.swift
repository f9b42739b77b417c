/// A topology resolved under one scenario: the concrete servers, databases, schemas, roles,
/// grants, Redis slots and service instances. Renderers print it; the runtime applies it.
/// Secrets appear only by reference (`SecretRef`), never by value.
public struct Plan: Sendable, Codable, Equatable {
    public var project: String
    public var scenario: String
    public var layout: Layout
    /// Only for single-db.
    public var isolation: Isolation?
    public var secrets: SecretsMode
    public var analytics: Bool
    /// Sorted by name; only the servers this scenario uses.
    public var servers: [PlannedServer]
    /// In start order (dependencies first), ties by name.
    public var instances: [ServiceInstance]
    public var backups: BackupPlan

    public func server(_ name: String) -> PlannedServer? { servers.first { $0.name == name } }
    public func instance(_ name: String) -> ServiceInstance? { instances.first { $0.name == name } }

    /// Every secret the plan needs, sorted by variable.
    public var secretRefs: [SecretRef] {
        var all = Set<SecretRef>()
        for s in servers { all.formUnion(s.secretRefs) }
        return all.sorted { $0.variable < $1.variable }
    }
}

/// A password by name: the variable that holds it (`SAM_DB_PASSWORD`). Generated secrets are
/// stored under this name in `.ovu/secrets.json`; external ones are read from the environment.
public struct SecretRef: Sendable, Codable, Hashable {
    public var variable: String
    public init(variable: String) { self.variable = variable }
}

public struct PlannedServer: Sendable, Codable, Equatable {
    public var name: String
    public var engine: Engine
    public var version: String
    public var image: String
    /// Published on 127.0.0.1 for processes on the host.
    public var port: Int
    /// Inside the compose network.
    public var containerPort: Int
    /// The administrative account that runs provisioning (`postgres`, `root`); nil for Redis.
    public var superuser: String?
    public var superuserSecret: SecretRef?
    /// Redis: how many logical databases the server must offer.
    public var redisDatabases: Int?
    /// Sorted by name.
    public var roles: [PlannedRole]
    /// Sorted by name.
    public var databases: [PlannedDatabase]
    /// Instances that use this server (own data, reads or Redis), sorted.
    public var clients: [String]
    /// An existing server ovudev does not start (`servers.<s>.host`): its host; `port` is its port.
    public var host: String? = nil
    /// The environment variable with the admin URL that provisions an existing server
    /// (`OVU_<SERVER>_ADMIN_URL`); never written into a bundle.
    public var adminURLVariable: String? = nil
    /// Query parameters added to every URL of the server; nil when none.
    public var params: [String: String]? = nil
    /// PostgreSQL/MySQL `max_connections`: at least the roles' connection limits and ovudev's own.
    public var maxConnections: Int? = nil
    /// Redis with `acl`: one user per instance, sorted by name (ovudev's own is the superuser);
    /// nil without ACL.
    public var redisUsers: [RedisUser]? = nil

    public func role(_ name: String) -> PlannedRole? { roles.first { $0.name == name } }

    /// The secrets of this server: superuser, roles, Redis users.
    public var secretRefs: [SecretRef] {
        [superuserSecret].compactMap { $0 } + roles.map(\.secret) + (redisUsers ?? []).map(\.secret)
    }
}

/// A Redis ACL user of one instance: its keys and channels under `keyPrefix`, its index fixed.
public struct RedisUser: Sendable, Codable, Equatable {
    /// ovudev's own users: every command (provisioning, checks, backups), and PING only (health).
    public static let admin = "ovudev.admin"
    public static let health = "ovudev.health"

    /// The instance's name (`sam`, `sam-acme`).
    public var name: String
    public var secret: SecretRef
    public var keyPrefix: String
    public var index: Int
}

public struct PlannedRole: Sendable, Codable, Equatable {
    public var name: String
    public var secret: SecretRef
    /// The instance this role belongs to; nil for the analytics role.
    public var instance: String?
    /// Read-only roles (analytics) may not own anything.
    public var readOnly: Bool
    /// `CONNECTION LIMIT` (MySQL `MAX_USER_CONNECTIONS`): the instance's pool size + maxOverflow.
    public var connectionLimit: Int? = nil
}

public struct PlannedDatabase: Sendable, Codable, Equatable {
    public var name: String
    /// The role that owns the database; nil when the superuser owns it (single-db).
    public var owner: String?
    /// The instances whose data lives here, sorted.
    public var instances: [String]
    public var tenant: String?
    /// Roles granted CONNECT (PUBLIC has none), sorted. Those that write there (the owner, schema
    /// owners, `publicCreate`) also get TEMPORARY; readers (`reads`, analytics) only CONNECT.
    public var connect: [String]
    public var extensions: [String]
    /// Service schemas (single-db, schema isolation), sorted.
    public var schemas: [PlannedSchema]
    /// Roles that may create tables in `public` (single-db, prefix isolation), sorted.
    public var publicCreate: [String]
    /// `ALTER ROLE … IN DATABASE … SET search_path`.
    public var searchPaths: [RoleSearchPath]
    /// Read-only access to whole schemas (the analytics role).
    public var schemaReaders: [SchemaReader]
    /// `reads`: USAGE on the schema at init, SELECT on each table after migrations.
    public var tableReads: [TableRead]
    /// Declared tables and the role that owns each (`ALTER TABLE … OWNER` after migrations);
    /// nil when no service of the database declares tables.
    public var tableOwners: [TableOwner]? = nil
}

public struct TableOwner: Sendable, Codable, Equatable {
    public var schema: String
    public var table: String
    public var owner: String

    public init(schema: String, table: String, owner: String) {
        self.schema = schema
        self.table = table
        self.owner = owner
    }
}

public struct PlannedSchema: Sendable, Codable, Equatable {
    public var name: String
    public var owner: String
}

public struct RoleSearchPath: Sendable, Codable, Equatable {
    public var role: String
    public var schemas: [String]
}

public struct SchemaReader: Sendable, Codable, Equatable {
    public var role: String
    public var schema: String
    /// Roles whose future tables in the schema the reader may select from (default privileges).
    public var owners: [String]
}

public struct TableRead: Sendable, Codable, Equatable {
    public var role: String
    public var schema: String
    public var table: String
}

public struct ServiceInstance: Sendable, Codable, Equatable {
    /// `sam`, or `sam-acme` per tenant: the compose service name and the process name.
    public var name: String
    public var service: String
    public var tenant: String?
    public var port: Int?
    public var path: String?
    public var image: String?
    public var command: String?
    public var migrate: String?
    public var health: String?
    public var seed: [String]
    public var database: DatabaseAccess?
    public var redis: RedisSlot?
    /// Instance names, sorted.
    public var dependsOn: [String]
    public var reads: [ReadAccess]
    /// `env/sam.env`, `env/sam.acme.env`.
    public var envFile: String
    public var environment: [EnvVar]
}

public struct DatabaseAccess: Sendable, Codable, Equatable {
    public var server: String
    public var engine: Engine
    public var database: String
    /// single-db with schema isolation.
    public var schema: String?
    /// single-db with prefix isolation.
    public var tablePrefix: String?
    public var role: String
    public var secret: SecretRef
    public var urlScheme: String
    public var pool: Pool
    public var extensions: [String]
    /// The tables the service declares (`tables`), as named in the database (prefixed in prefix
    /// isolation); nil when it declares none.
    public var tables: [String]? = nil
}

public struct RedisSlot: Sendable, Codable, Equatable {
    public var server: String
    public var index: Int
    /// On an ACL server: the instance's user (its password in `secret`).
    public var user: String? = nil
    public var secret: SecretRef? = nil
    /// `REDIS_KEY_PREFIX`: on an ACL server, or when `redis.prefix` is set.
    public var keyPrefix: String? = nil
}

public struct ReadAccess: Sendable, Codable, Equatable {
    /// The service (and instance) whose tables are read.
    public var service: String
    public var instance: String
    public var server: String
    public var database: String
    public var schema: String
    /// Table names as they exist in the database (prefixed in prefix isolation).
    public var tables: [String]
    public var role: String
    public var secret: SecretRef
}

/// One environment variable with its value for a process on the host and inside compose.
public struct EnvVar: Sendable, Codable, Equatable {
    public var key: String
    public var host: EnvValue
    public var network: EnvValue
}

/// Text with secrets by reference, so that each renderer decides how a secret is written.
public struct EnvValue: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case text(String)
        /// A password; inside URLs it is percent-encoded.
        case secret(SecretRef, inURL: Bool)
    }
    public var parts: [Part]

    public init(_ parts: [Part]) { self.parts = parts }
    public static func text(_ s: String) -> EnvValue { EnvValue([.text(s)]) }

    public var hasSecret: Bool { parts.contains { if case .secret = $0 { return true }; return false } }
}

/// In JSON an env value is one string: secrets appear as `${VAR}`, or `${VAR:url}` where the
/// value is percent-encoded (inside a URL). Plain text has no `${` (names are validated).
extension EnvValue: Codable {
    public init(from decoder: Decoder) throws {
        var text = try decoder.singleValueContainer().decode(String.self)[...]
        var parts: [Part] = []
        while let open = text.range(of: "${") {
            if open.lowerBound > text.startIndex { parts.append(.text(String(text[..<open.lowerBound]))) }
            guard let close = text[open.upperBound...].firstIndex(of: "}") else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unterminated ${ in env value"))
            }
            let reference = text[open.upperBound..<close]
            let inURL = reference.hasSuffix(":url")
            parts.append(.secret(SecretRef(variable: String(inURL ? reference.dropLast(4) : reference)), inURL: inURL))
            text = text[text.index(after: close)...]
        }
        if !text.isEmpty { parts.append(.text(String(text))) }
        self.parts = parts
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(parts.map { part -> String in
            switch part {
            case let .text(t): return t
            case let .secret(ref, inURL): return "${\(ref.variable)\(inURL ? ":url" : "")}"
            }
        }.joined())
    }
}

public struct BackupPlan: Sendable, Codable, Equatable {
    public var schedule: String
    public var keepDays: Int
    public var dir: String
    public var targets: [BackupTarget]
    /// A shell command run after each successful dump; `{file}` stands for the dump's path.
    public var upload: String? = nil
}

public struct BackupTarget: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case pgDump = "pg_dump", redisRDB = "redis-rdb", mysqldump, mongodump
    }
    public var kind: Kind
    public var server: String
    /// Name of the dump files and their folder under `<backups>/<server>/`.
    public var name: String
    public var database: String?
    /// single-db schema isolation: `pg_dump -n`.
    public var schema: String?
    public var fileExtension: String
}
