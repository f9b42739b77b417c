import Foundation
import Topology

/// Which scenario of a project folder runs: `up` writes `.ovu/active`, `down` of that scenario
/// removes it, and the runtime commands act on it when no `--scenario` is given.
public struct ActiveStack: Sendable {
    /// The project's `.ovu` folder.
    public let directory: String

    public init(projectDirectory: String) {
        directory = (projectDirectory as NSString).appendingPathComponent(".ovu")
    }

    var pointer: String { "\(directory)/active" }

    /// The scenario `up` last brought up and no `down` has stopped since.
    public var scenario: String? {
        guard let text = try? String(contentsOfFile: pointer, encoding: .utf8) else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }

    public func activate(_ scenario: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("\(scenario)\n".utf8).write(to: URL(fileURLWithPath: pointer), options: .atomic)
    }

    public func deactivate(_ scenario: String) {
        if self.scenario == scenario { try? FileManager.default.removeItem(atPath: pointer) }
    }

    /// Another scenario of this folder whose recorded ports overlap `ports` and are listened on:
    /// starting now would collide with it. Nil when nothing is in the way.
    public func runningConflict(for scenario: String, ports: [Int]) -> ConvergenceError? {
        let wanted = Set(ports)
        let others = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0 != scenario }.sorted()
        for other in others {
            guard let applied = try? AppliedState.load("\(directory)/\(other)/applied.json") else { continue }
            let busy = applied.ports.filter { wanted.contains($0) && !PortProbe.isFree($0) }
            if !busy.isEmpty { return .scenarioRunning(scenario: other, ports: busy) }
        }
        return nil
    }
}

/// Why `up` refused to change a running stack. Nothing was changed when one is thrown.
public enum ConvergenceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another scenario of the same folder runs on some of the ports this one needs.
    case scenarioRunning(scenario: String, ports: [Int])
    /// Redis indexes that hold keys and would now belong to another service.
    case redisHandover([RedisHandover])
    /// Databases that hold another service's data under the new Plan.
    case databaseHandover([DatabaseHandover])
    /// `--move-redis-keys` cannot move a slot: the reason names it.
    case redisMoveImpossible(String)

    public var description: String {
        switch self {
        case let .scenarioRunning(scenario, ports):
            return "scenario \(scenario) is running on \(ports.map(String.init).joined(separator: ", ")); `ovudev down --scenario \(scenario)` first"
        case let .redisHandover(handovers):
            let lines = handovers.map { "  \($0)" }.joined(separator: "\n")
            let pins = handovers.compactMap { h in h.previous.map { "services.\($0.service).redis.index = \(h.index)" } }
            return """
                this change would hand Redis keys of one service to another; nothing was changed:
                \(lines)
                Either pin the indexes in the topology so nobody moves (\(pins.isEmpty ? "an explicit \"index\"" : pins.joined(separator: ", "))), \
                or move the keys with their owners: `ovudev up --move-redis-keys`
                """
        case let .databaseHandover(handovers):
            return "this change would hand a database to another service; nothing was changed:\n"
                + handovers.map { "  \($0.server)/\($0.database): holds \($0.previous.joined(separator: ", ")), would belong to \($0.next.joined(separator: ", "))" }.joined(separator: "\n")
                + "\nKeep the database's name with its owner (services.<svc>.database.name), or move the data first."
        case let .redisMoveImpossible(reason):
            return "cannot move Redis keys: \(reason); nothing was moved"
        }
    }
}

/// A Redis index whose keys belong to `previous` and that the new Plan gives to `next`.
public struct RedisHandover: Equatable, Sendable, CustomStringConvertible {
    public struct Owner: Equatable, Sendable {
        public var instance: String
        public var service: String
        public init(instance: String, service: String) { self.instance = instance; self.service = service }
    }
    public var server: String
    public var index: Int
    public var keys: Int64
    /// The instance that owned the index (nil when nobody in the recorded stack did).
    public var previous: Owner?
    public var next: String
    /// Where `previous` now lives (nil when it has no Redis slot any more, or was removed).
    public var previousMovesTo: Int?

    public init(server: String, index: Int, keys: Int64, previous: Owner?, next: String, previousMovesTo: Int?) {
        self.server = server
        self.index = index
        self.keys = keys
        self.previous = previous
        self.next = next
        self.previousMovesTo = previousMovesTo
    }

    public var description: String {
        let owner = previous.map { " of \($0.instance)" } ?? ""
        let moved = previous.map { p in previousMovesTo.map { ", while \(p.instance) moves to DB \($0)" } ?? ", and \(p.instance) has no slot there any more" } ?? ""
        return "\(server) DB \(index) holds \(keys) key\(keys == 1 ? "" : "s")\(owner) and would become \(next)'s\(moved)"
    }
}

/// A database that holds `previous`' data and would belong to `next` (no instance in common).
public struct DatabaseHandover: Equatable, Sendable {
    public var server: String
    public var database: String
    public var previous: [String]
    public var next: [String]

    public init(server: String, database: String, previous: [String], next: [String]) {
        self.server = server
        self.database = database
        self.previous = previous
        self.next = next
    }
}
