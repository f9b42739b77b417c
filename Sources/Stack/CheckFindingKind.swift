import Foundation
import Statements

/// What a finding of `ovudev check` found, with the names involved. The sentence of the matrix
/// (`CheckFinding.detail`) is written from it here, and nowhere else; `check --json` adds it as
/// `{"case": "mayConnect", "role": …, "databases": […]}`.
public enum FindingKind: Sendable, Equatable, Codable {
    public enum SchemaPrivilege: String, Sendable, Codable { case usage = "USAGE", create = "CREATE" }

    // MARK: Server-wide (catalog)

    /// The role may connect to every database the plan gives it, and to no other.
    case connectsExactly(role: String, server: String, count: Int, of: Int)
    /// A leak: the role may connect to `databases`, which the plan does not give it.
    case mayConnect(role: String, databases: [String])
    /// The role may not connect to `databases`, which the plan gives it.
    case cannotConnect(role: String, databases: [String])
    /// A leak: the role has superuser, createdb, createrole or bypassrls.
    case roleAttributes(role: String, server: String)
    /// A leak: PUBLIC holds `privilege` on `database`.
    case publicHas(database: String, privilege: String)
    /// PUBLIC holds nothing on the `databases` service databases of `server`.
    case publicHasNothing(server: String, databases: Int)
    /// Not probed for real: the catalog shows the role's own access (`sampled` of `roles` roles are).
    case catalogOwnData(role: String, database: String, sampled: Int, roles: Int)

    // MARK: Inside a database

    /// The role lacks USAGE or CREATE on its own schema.
    case lacksOwnSchema(role: String, database: String, schema: String)
    /// A leak: the role holds `privilege` on another service's schema.
    case schemaPrivilege(role: String, database: String, schema: String, privilege: SchemaPrivilege)
    /// A leak: the role may write a table another role owns.
    case mayWrite(role: String, database: String, table: String, owner: String)
    /// A leak: the role may read a table no `reads` grants it.
    case mayRead(role: String, database: String, table: String)
    /// A `reads` grant: SELECT on `database.schema.table` (held when ok, missing when failed).
    case reads(role: String, database: String, table: String)
    /// A `reads` grant on a table that does not exist yet (migrations).
    case readsMissing(role: String, database: String, table: String)

    // MARK: Real logins

    /// A real login created, wrote and read a probe table in its own database (and schema).
    case connects(role: String, database: String, schema: String?)
    /// A real login over TCP created, wrote, read and dropped a probe table (MySQL).
    case connectsOverTCP(role: String, database: String, port: Int)
    /// The probe row written was not read back.
    case probeNotReadBack(role: String, database: String)
    /// The probe in its own database failed: `error` as the server or client said it.
    case probeFailed(role: String, database: String, error: String)
    /// A statement on the probe table failed (MySQL: the login worked).
    case probeTableFailed(role: String, database: String, error: String)
    /// The real login over TCP failed (MySQL).
    case loginFailed(role: String, database: String, port: Int, error: String)
    /// A leak: a real login as the role got into another service's database.
    case loggedIn(role: String, database: String)
    /// A login to another database failed for another reason than a refusal.
    case loginFailedUnexpectedly(role: String, database: String, error: String)

    // MARK: MySQL

    /// The catalog could not be read through the maintenance login.
    case catalogUnreadable(server: String, error: String)
    /// Anonymous accounts (a leak when there are any).
    case anonymousAccounts(server: String, accounts: [String])
    /// A leak: a service user holds global privileges.
    case globalPrivileges(role: String, server: String, privileges: [String])
    /// A leak: database privileges the plan does not give (grant patterns).
    case mysqlPrivileges(role: String, server: String, patterns: [String])
    /// Database privileges the plan gives that are missing (grant patterns).
    case mysqlPrivilegesMissing(role: String, server: String, patterns: [String])
    /// Privileges on exactly the planned databases.
    case mysqlPrivilegesExactly(role: String, server: String, count: Int, of: Int)
    /// A leak: a real login used other databases.
    case usedDatabases(role: String, server: String, databases: [String])
    /// A real login was refused every other database.
    case accessDenied(role: String, server: String, databases: Int)
    /// `USE` of another database failed for another reason than a refusal.
    case useFailed(role: String, database: String, error: String)

    // MARK: Redis, health, engines not checked

    /// The instance's index keeps its own key and sees no other instance's.
    case redisSlot(instance: String, server: String, index: Int)
    /// The instance's index did not keep its key.
    case redisKeyLost(instance: String, index: Int)
    /// A leak: the instance's index sees the keys of `others`.
    case redisSeesKeys(instance: String, index: Int, others: [String])
    /// The Redis server could not be probed.
    case redisFailed(server: String, error: String)
    /// ACL: the user's real login used its own prefix and was refused `others` instances' keys
    /// and channels, another index and the denied commands.
    case redisACLHolds(user: String, server: String, prefix: String, others: Int)
    /// A leak: the user's login ran what its ACL must refuse.
    case redisACLReached(user: String, server: String, reached: [String])
    /// The user's login or its own prefix failed.
    case redisACLLoginFailed(user: String, server: String, error: String)
    /// A connection without login is refused data (the default user is off).
    case redisDefaultUserOff(server: String)
    /// A leak: a connection without login read data.
    case redisDefaultUserReads(server: String)
    /// A leak: users the plan does not have.
    case redisUnknownUsers(server: String, users: [String])
    /// The health endpoint answered `status`.
    case health(instance: String, url: String, status: Int)
    /// The health endpoint did not answer.
    case healthUnanswered(instance: String, url: String, error: String)
    /// The engine's servers are not checked by ovudev (MongoDB).
    case notChecked(server: String, engine: String)
    /// The client needed to check the server is not installed (MySQL).
    case clientMissing(server: String, install: String)

    /// The sentence of the matrix and of `check --json`'s `detail`.
    public var detail: String {
        switch self {
        case let .connectsExactly(_, server, count, of): "connects to exactly \(count) of \(of) databases on \(server)"
        case let .mayConnect(_, databases): "may connect to \(databases.joined(separator: ", "))"
        case let .cannotConnect(_, databases): "cannot connect to \(databases.joined(separator: ", "))"
        case .roleAttributes: "has superuser, createdb, createrole or bypassrls"
        case let .publicHas(database, privilege): "\(privilege) on database \(database)"
        case let .publicHasNothing(server, databases): "no privileges on \(databases) databases of \(server)"
        case let .catalogOwnData(_, database, sampled, roles):
            "catalog: CONNECT on \(database), USAGE and CREATE on its schema (real logins probe \(sampled) of \(roles) roles)"
        case let .lacksOwnSchema(_, database, schema): "lacks USAGE/CREATE on its schema \(database).\(schema)"
        case let .schemaPrivilege(_, database, schema, .create): "may CREATE in \(database).\(schema)"
        case let .schemaPrivilege(_, database, schema, .usage): "has USAGE on \(database).\(schema)"
        case let .mayWrite(_, database, table, owner): "may write \(database).\(table) (owned by \(owner))"
        case let .mayRead(_, database, table): "may read \(database).\(table), which no `reads` grants"
        case let .reads(_, database, table): "SELECT on \(database).\(table)"
        case let .readsMissing(_, database, table): "\(database).\(table) does not exist yet (migrations)"
        case let .connects(_, database, schema): "create, write, read in \(database)\(schema.map { ".\($0)" } ?? "")"
        case let .connectsOverTCP(_, database, port): "login over 127.0.0.1:\(port); create, write, read, drop in \(database)"
        case let .probeNotReadBack(_, database): "probe row not read back in \(database)"
        case let .probeFailed(_, _, error): error
        case let .probeTableFailed(_, database, error): "probe table in \(database): \(error)"
        case let .loginFailed(_, database, port, error): "login over 127.0.0.1:\(port) to \(database) failed: \(error)"
        case let .loggedIn(_, database): "logged in to \(database)"
        case let .loginFailedUnexpectedly(_, database, error): "login to \(database) failed unexpectedly: \(error)"
        case let .catalogUnreadable(server, error): "cannot read the catalog of \(server): \(error)"
        case let .anonymousAccounts(server, accounts) where accounts.isEmpty: "no anonymous accounts on \(server)"
        case let .anonymousAccounts(server, accounts): "anonymous accounts on \(server): \(accounts.joined(separator: ", "))"
        case let .globalPrivileges(_, server, privileges): "has global privileges on \(server): \(privileges.joined(separator: ", "))"
        case let .mysqlPrivileges(_, server, patterns): "has privileges on \(patterns.joined(separator: ", ")) (\(server))"
        case let .mysqlPrivilegesMissing(_, server, patterns): "has no privileges on \(patterns.joined(separator: ", ")) (\(server))"
        case let .mysqlPrivilegesExactly(_, server, count, of): "privileges on exactly \(count) of \(of) databases on \(server)"
        case let .usedDatabases(role, server, databases): "logged in as \(role) and used \(databases.joined(separator: ", ")) on \(server)"
        case let .accessDenied(_, server, databases): "access denied to \(databases) other database\(databases == 1 ? "" : "s") on \(server)"
        case let .useFailed(_, database, error): "USE \(database) failed unexpectedly: \(error)"
        case let .redisSlot(_, server, index): "\(server) index \(index) answers; other indexes' keys invisible"
        case let .redisKeyLost(_, index): "index \(index) did not keep a key"
        case let .redisSeesKeys(_, index, others): "index \(index) sees keys of \(others.joined(separator: ", "))"
        case let .redisFailed(_, error): error
        case let .redisACLHolds(_, server, prefix, others):
            "ACL on \(server): reads and writes \(prefix)*; NOPERM on \(others) other users' keys and channels, other indexes, \((RedisACL.deniedProbes + RedisACL.deniedDryRuns).map { (c: [String]) in c[0] }.joined(separator: ", "))"
        case let .redisACLReached(_, server, reached): "ACL on \(server) let it run \(reached.joined(separator: "; "))"
        case let .redisACLLoginFailed(_, server, error): "ACL login on \(server): \(error)"
        case let .redisDefaultUserOff(server): "\(server): the default user is off (no data without a login)"
        case let .redisDefaultUserReads(server): "\(server): a connection without login reads data (the default user is on)"
        case let .redisUnknownUsers(server, users): "\(server) has users the plan does not: \(users.joined(separator: ", "))"
        case let .health(_, url, status): "\(url) → \(status)"
        case let .healthUnanswered(_, url, error): "\(url): \(error)"
        case let .notChecked(_, engine): "\(engine) is not checked by ovudev"
        case let .clientMissing(_, install): "the mariadb client is not installed (\(install)): MySQL not checked"
        }
    }
}

// MARK: - JSON: {"case": name, <label>: <value>, …}

extension FindingKind {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The case's name and its labelled values, in declaration order.
    var fields: (name: String, values: [(label: String, value: Any)]) {
        guard let payload = Mirror(reflecting: self).children.first, let name = payload.label else {
            return (String(describing: self), [])
        }
        return (name, Mirror(reflecting: payload.value).children.map { ($0.label ?? "", $0.value) })
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let (name, values) = fields
        try container.encode(name, forKey: Key("case"))
        for (label, value) in values {
            let key = Key(label)
            switch value {
            case let text as String: try container.encode(text, forKey: key)
            case let number as Int: try container.encode(number, forKey: key)
            case let list as [String]: try container.encode(list, forKey: key)
            case let privilege as SchemaPrivilege: try container.encode(privilege, forKey: key)
            case let text as String?: try container.encode(text, forKey: key)
            default: preconditionFailure("FindingKind.\(name).\(label): \(type(of: value)) has no JSON form")
            }
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        func s(_ key: String) throws -> String { try c.decode(String.self, forKey: Key(key)) }
        func i(_ key: String) throws -> Int { try c.decode(Int.self, forKey: Key(key)) }
        func a(_ key: String) throws -> [String] { try c.decode([String].self, forKey: Key(key)) }
        switch try s("case") {
        case "connectsExactly": self = .connectsExactly(role: try s("role"), server: try s("server"), count: try i("count"), of: try i("of"))
        case "mayConnect": self = .mayConnect(role: try s("role"), databases: try a("databases"))
        case "cannotConnect": self = .cannotConnect(role: try s("role"), databases: try a("databases"))
        case "roleAttributes": self = .roleAttributes(role: try s("role"), server: try s("server"))
        case "publicHas": self = .publicHas(database: try s("database"), privilege: try s("privilege"))
        case "publicHasNothing": self = .publicHasNothing(server: try s("server"), databases: try i("databases"))
        case "catalogOwnData": self = .catalogOwnData(role: try s("role"), database: try s("database"), sampled: try i("sampled"), roles: try i("roles"))
        case "lacksOwnSchema": self = .lacksOwnSchema(role: try s("role"), database: try s("database"), schema: try s("schema"))
        case "schemaPrivilege":
            self = .schemaPrivilege(role: try s("role"), database: try s("database"), schema: try s("schema"),
                                    privilege: try c.decode(SchemaPrivilege.self, forKey: Key("privilege")))
        case "mayWrite": self = .mayWrite(role: try s("role"), database: try s("database"), table: try s("table"), owner: try s("owner"))
        case "mayRead": self = .mayRead(role: try s("role"), database: try s("database"), table: try s("table"))
        case "reads": self = .reads(role: try s("role"), database: try s("database"), table: try s("table"))
        case "readsMissing": self = .readsMissing(role: try s("role"), database: try s("database"), table: try s("table"))
        case "connects": self = .connects(role: try s("role"), database: try s("database"), schema: try c.decodeIfPresent(String.self, forKey: Key("schema")))
        case "connectsOverTCP": self = .connectsOverTCP(role: try s("role"), database: try s("database"), port: try i("port"))
        case "probeNotReadBack": self = .probeNotReadBack(role: try s("role"), database: try s("database"))
        case "probeFailed": self = .probeFailed(role: try s("role"), database: try s("database"), error: try s("error"))
        case "probeTableFailed": self = .probeTableFailed(role: try s("role"), database: try s("database"), error: try s("error"))
        case "loginFailed": self = .loginFailed(role: try s("role"), database: try s("database"), port: try i("port"), error: try s("error"))
        case "loggedIn": self = .loggedIn(role: try s("role"), database: try s("database"))
        case "loginFailedUnexpectedly": self = .loginFailedUnexpectedly(role: try s("role"), database: try s("database"), error: try s("error"))
        case "catalogUnreadable": self = .catalogUnreadable(server: try s("server"), error: try s("error"))
        case "anonymousAccounts": self = .anonymousAccounts(server: try s("server"), accounts: try a("accounts"))
        case "globalPrivileges": self = .globalPrivileges(role: try s("role"), server: try s("server"), privileges: try a("privileges"))
        case "mysqlPrivileges": self = .mysqlPrivileges(role: try s("role"), server: try s("server"), patterns: try a("patterns"))
        case "mysqlPrivilegesMissing": self = .mysqlPrivilegesMissing(role: try s("role"), server: try s("server"), patterns: try a("patterns"))
        case "mysqlPrivilegesExactly": self = .mysqlPrivilegesExactly(role: try s("role"), server: try s("server"), count: try i("count"), of: try i("of"))
        case "usedDatabases": self = .usedDatabases(role: try s("role"), server: try s("server"), databases: try a("databases"))
        case "accessDenied": self = .accessDenied(role: try s("role"), server: try s("server"), databases: try i("databases"))
        case "useFailed": self = .useFailed(role: try s("role"), database: try s("database"), error: try s("error"))
        case "redisSlot": self = .redisSlot(instance: try s("instance"), server: try s("server"), index: try i("index"))
        case "redisKeyLost": self = .redisKeyLost(instance: try s("instance"), index: try i("index"))
        case "redisSeesKeys": self = .redisSeesKeys(instance: try s("instance"), index: try i("index"), others: try a("others"))
        case "redisFailed": self = .redisFailed(server: try s("server"), error: try s("error"))
        case "redisACLHolds": self = .redisACLHolds(user: try s("user"), server: try s("server"), prefix: try s("prefix"), others: try i("others"))
        case "redisACLReached": self = .redisACLReached(user: try s("user"), server: try s("server"), reached: try a("reached"))
        case "redisACLLoginFailed": self = .redisACLLoginFailed(user: try s("user"), server: try s("server"), error: try s("error"))
        case "redisDefaultUserOff": self = .redisDefaultUserOff(server: try s("server"))
        case "redisDefaultUserReads": self = .redisDefaultUserReads(server: try s("server"))
        case "redisUnknownUsers": self = .redisUnknownUsers(server: try s("server"), users: try a("users"))
        case "health": self = .health(instance: try s("instance"), url: try s("url"), status: try i("status"))
        case "healthUnanswered": self = .healthUnanswered(instance: try s("instance"), url: try s("url"), error: try s("error"))
        case "notChecked": self = .notChecked(server: try s("server"), engine: try s("engine"))
        case "clientMissing": self = .clientMissing(server: try s("server"), install: try s("install"))
        case let other: throw DecodingError.dataCorruptedError(forKey: Key("case"), in: c, debugDescription: "no finding kind \(other)")
        }
    }
}
