import Foundation
import Topology

/// The shape of a scenario's data a snapshot fits: which servers (and engines), databases and
/// their owners, roles, instances and Redis slots. Ports are left out: the servers' configs are
/// rewritten on every start, so a snapshot restores across a port change.
public struct SnapshotTopology: Codable, Equatable, Sendable {
    public var servers: [String: String]
    public var databases: [String: [String]]
    public var roles: [String: [String]]
    public var instances: [String]
    public var redisSlots: [String: String]

    public init(plan: Plan) {
        servers = Dictionary(uniqueKeysWithValues: plan.servers.map { ($0.name, $0.engine.rawValue) })
        var databases: [String: [String]] = [:], roles: [String: [String]] = [:]
        for server in plan.servers {
            for db in server.databases { databases["\(server.name)/\(db.name)"] = db.instances.sorted() }
            roles[server.name] = server.roles.map(\.name).sorted()
        }
        self.databases = databases
        self.roles = roles
        instances = plan.instances.map(\.name).sorted()
        redisSlots = Dictionary(uniqueKeysWithValues: plan.instances.compactMap { i in i.redis.map { (i.name, "\($0.server)/\($0.index)") } })
    }

    /// What differs from `now`, one line each, as "snapshot … / now …".
    public func differences(from now: SnapshotTopology) -> [String] {
        var lines: [String] = []
        func compare<V: Equatable>(_ what: String, _ before: [String: V], _ after: [String: V], _ show: (V) -> String) {
            for key in Set(before.keys).union(after.keys).sorted() {
                switch (before[key], after[key]) {
                case let (b?, nil): lines.append("\(what) \(key): in the snapshot (\(show(b))), not in the topology now")
                case let (nil, a?): lines.append("\(what) \(key): in the topology now (\(show(a))), not in the snapshot")
                case let (b?, a?) where b != a: lines.append("\(what) \(key): \(show(b)) in the snapshot, \(show(a)) now")
                default: break
                }
            }
        }
        let list = { (names: [String]) in names.isEmpty ? "none" : names.joined(separator: ", ") }
        compare("server", servers, now.servers) { $0 }
        compare("database", databases, now.databases) { "owned by \(list($0))" }
        compare("roles of server", roles, now.roles, list)
        let before = Set(instances), after = Set(now.instances)
        for name in before.subtracting(after).sorted() { lines.append("instance \(name): in the snapshot, not in the topology now") }
        for name in after.subtracting(before).sorted() { lines.append("instance \(name): in the topology now, not in the snapshot") }
        compare("redis slot of", redisSlots, now.redisSlots) { $0 }
        return lines
    }
}

/// `snapshots/<name>/manifest.json`: what the snapshot holds and how it was taken.
public struct SnapshotManifest: Codable, Sendable {
    public struct Part: Codable, Sendable {
        public var server: String
        public var engine: String
        /// Path inside the snapshot folder.
        public var path: String
        public var bytes: Int64
        /// How it was taken, e.g. "CHECKPOINT, pg_ctl stop -m fast, cp -a".
        public var method: String
        public var seconds: Double
        /// Databases (PostgreSQL, MySQL) or indexes with keys (Redis) it holds, for `list`.
        public var holds: [String]
    }

    public var version = 1
    public var name: String
    public var project: String
    public var scenario: String
    public var created: Date
    public var topology: SnapshotTopology
    public var parts: [Part]
    /// applied.json, state.json, provisioned.json: those that existed.
    public var stateFiles: [String]
    /// SHA-256 over every seed file (path and checksum) when it was taken: `up` takes `seeded` again when it changes.
    public var seedFingerprint: String?
    public var seconds: Double
    /// Services stopped while the servers were copied (and started again).
    public var servicesStopped: [String]

    public var bytes: Int64 { parts.reduce(0) { $0 + $1.bytes } }

    static func load(_ folder: String) throws -> SnapshotManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(SnapshotManifest.self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/manifest.json")))
        } catch {
            throw EngineError("\(folder)/manifest.json cannot be read (\(error)); the snapshot is incomplete: `ovudev snapshot rm \((folder as NSString).lastPathComponent)`")
        }
    }

    func save(_ folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try (try encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: "\(folder)/manifest.json"), options: .atomic)
    }
}

/// One line of `ovudev snapshot list`.
public struct SnapshotSummary: Codable, Sendable {
    public var name: String
    public var scenario: String
    public var created: Date
    public var bytes: Int64
    public var ageSeconds: Double
    public var holds: [String]
    public var path: String
    /// A ready copy (as large again) is kept for the next restore (SnapshotReady).
    public var ready: Bool = false
}
