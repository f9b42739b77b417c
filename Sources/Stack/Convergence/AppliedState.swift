import Foundation
import Topology

/// What `up` applied to a scenario's native stack, recorded in `.ovu/<scenario>/applied.json`
/// after every successful `up`: the next `up` compares it with the new Plan and applies exactly
/// the difference. Environment values are kept as hashes only (they hold passwords).
public struct AppliedState: Codable, Equatable, Sendable {
    public var project: String
    public var scenario: String
    /// Instance name → what its process was started with.
    public var instances: [String: AppliedInstance]
    /// Instance name → its Redis slot.
    public var redisSlots: [String: RedisSlot]
    /// `<server>/<database>` → the instances whose data lives there.
    public var databases: [String: [String]]
    /// `<server>/<database>` → the `reads` grants (SELECT on one table) made there.
    public var reads: [String: [TableRead]]
    /// Every host port of the stack (servers and services): what another scenario must not take.
    public var ports: [Int]

    public init(plan: Plan, environment: (ServiceInstance) -> [String: String]) {
        project = plan.project
        scenario = plan.scenario
        instances = Dictionary(uniqueKeysWithValues: plan.instances.map { ($0.name, AppliedInstance($0, environment: environment($0))) })
        redisSlots = Dictionary(uniqueKeysWithValues: plan.instances.compactMap { i in i.redis.map { (i.name, $0) } })
        var databases: [String: [String]] = [:], reads: [String: [TableRead]] = [:]
        for server in plan.servers {
            for db in server.databases {
                databases["\(server.name)/\(db.name)"] = db.instances
                if !db.tableReads.isEmpty { reads["\(server.name)/\(db.name)"] = db.tableReads }
            }
        }
        self.databases = databases
        self.reads = reads
        ports = Self.ports(of: plan)
    }

    public static func ports(of plan: Plan) -> [Int] {
        Array(Set(plan.servers.filter { $0.host == nil }.map(\.port) + plan.instances.compactMap(\.port))).sorted()
    }

    public static func load(_ path: String) throws -> AppliedState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(AppliedState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw EngineError("\(path) is not a state ovudev can read (\(error)); `ovudev down` and delete it to start afresh")
        }
    }

    public func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try (try encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// A service process as `up` started it. A change of any field means a restart.
public struct AppliedInstance: Codable, Equatable, Sendable {
    public var command: String?
    public var path: String?
    public var port: Int?
    public var health: String?
    /// Variable → SHA-256 of its value (never the value: passwords are in it).
    public var environment: [String: String]

    public init(_ instance: ServiceInstance, environment: [String: String]) {
        command = instance.command
        path = instance.path
        port = instance.port
        health = instance.health
        self.environment = environment.mapValues { SHA256.hex(Array($0.utf8)) }
    }

    /// What differs from `before`, as the user knows the fields: variables by name, then
    /// `command`, `path`, `health` (a changed `port` shows as the `PORT` variable too).
    public func changes(since before: AppliedInstance) -> [String] {
        var changed = Set(environment.keys).union(before.environment.keys).filter { environment[$0] != before.environment[$0] }.sorted()
        if command != before.command { changed.append("command") }
        if path != before.path { changed.append("path") }
        if health != before.health { changed.append("health") }
        if port != before.port && !changed.contains("PORT") { changed.append("port") }
        return changed
    }
}

/// One line of `up`'s change list.
public struct InstanceChange: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case added, changed, removed }
    public var instance: String
    public var kind: Kind
    /// For `changed`: the variables and fields that differ.
    public var fields: [String]
    /// What `up` did: `started`, `restarted`, `stopped` (data kept), or `none` (no command to run).
    public var action: String

    public init(instance: String, kind: Kind, fields: [String], action: String) {
        self.instance = instance
        self.kind = kind
        self.fields = fields
        self.action = action
    }

    public var line: String {
        switch kind {
        case .added: return "+ \(instance): added → \(action)"
        case .removed: return "- \(instance): removed → \(action)"
        case .changed: return "~ \(instance): \(fields.joined(separator: ", ")) changed → \(action)"
        }
    }
}
