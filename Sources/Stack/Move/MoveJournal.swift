import Foundation
import Topology

/// Where a service's tables live under one scenario: a PostgreSQL server, database, schema and
/// table prefix.
public struct MoveLocation: Codable, Equatable, Sendable, CustomStringConvertible {
    public var server: String
    public var port: Int
    public var database: String
    public var schema: String
    public var prefix: String

    public var description: String { "\(server)/\(database)\(schema == "public" ? "" : " schema \(schema)")\(prefix.isEmpty ? "" : " prefix \(prefix)")" }
    func sameDatabase(_ other: MoveLocation) -> Bool { port == other.port && database == other.database }
}

/// One table of a moved service: its name at the source and at the target, and what the copy
/// and the verification found.
public struct MoveTable: Codable, Equatable, Sendable {
    public var service: String
    public var source: String
    public var target: String
    public var copied = false
    public var rows: Int?
    public var checksum: String?
}

/// One service of the move: where its data is and where it goes; `stays` when both are the same.
public struct MoveService: Codable, Equatable, Sendable {
    public var service: String
    public var role: String
    public var sourceRole: String
    public var from: MoveLocation
    public var to: MoveLocation
    public var stays: Bool
    /// The whole schema is the service's (`pg_dump -n`), not a list of tables (`-t`).
    public var wholeSchema: Bool
    /// Steps of the copy done for this service: `pre-data`, `sequences`, `post-data`, `placed`.
    public var done: [String] = []
}

/// A dependency that crosses the new boundaries, with the way out.
public struct MoveBlocker: Codable, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable { case foreignKey = "foreign key", view, sequence, engine }
    public var kind: Kind
    /// `web.tools.tools_user_id_fkey`, `web.user_emails`.
    public var object: String
    public var service: String
    /// The other service's object it depends on.
    public var dependsOn: String
    public var otherService: String
    public var wayOut: String
    /// Dropped with `--drop-cross-fks` (foreign keys only).
    public var dropped = false
    /// A MySQL foreign key: where it is and how to make it again (nil for PostgreSQL's).
    public var mysql: MoveMySQLForeignKey? = nil

    public var description: String {
        "\(kind.rawValue) \(object) (\(service)) → \(dependsOn) (\(otherService))\(dropped ? ": dropped (--drop-cross-fks; the application validates)" : ": \(wayOut)")"
    }
}

/// A MySQL foreign key across the new servers. `inMoved`: it is in the moved database's table
/// (dropped from the copy); else in another database's table on the source server (dropped there
/// at the switch, made again by a rollback with `restore`).
public struct MoveMySQLForeignKey: Codable, Equatable, Sendable {
    public var server: String
    public var database: String
    public var table: String
    public var name: String
    public var inMoved: Bool
    /// `ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY … REFERENCES … ON DELETE … ON UPDATE …`.
    public var restore: String
}

/// A database or schema on a server, for what the move created, made read-only or drops.
public struct MoveObject: Codable, Equatable, Sendable, Hashable {
    public var server: String
    public var port: Int
    public var database: String
    public var schema: String?
    public var table: String?
    public var role: String?
}

/// `.ovu/move.json`: what a move decided and how far it got, rewritten after every step, so that
/// the next `ovudev move` (or `--rollback`) continues after a kill -9.
public struct MoveJournal: Codable, Equatable, Sendable {
    public enum Step: String, Codable, Sendable, Comparable {
        case planned, provisioned, copied, verified
        /// The switch begun: what it makes read-only is recorded first (write-ahead), then
        /// done (`sourceLocked`), then shared servers' folders handed over, then `switched`.
        case switching
        case switched
        /// `--rollback --copy-back` copying the target's rows back to the source.
        case copyingBack = "copying-back"

        static let order: [Step] = [.planned, .provisioned, .copied, .verified, .switching, .switched, .copyingBack]
        public static func < (a: Step, b: Step) -> Bool { order.firstIndex(of: a)! < order.firstIndex(of: b)! }
    }
    public var source: String
    public var target: String
    public var only: [String]
    public var dropCrossForeignKeys: Bool
    public var step: Step
    public var services: [MoveService]
    public var tables: [MoveTable]
    public var blockers: [MoveBlocker]
    /// Server names that are one server in both scenarios (same name and port): the move
    /// happens inside it, and its folder goes to the target scenario at the switch.
    public var sharedServers: [String]
    /// Target server → the source server it is (when their names differ: same port and engine).
    public var sharedSources: [String: String] = [:]
    public var createdDatabases: [MoveObject] = []
    public var createdSchemas: [MoveObject] = []
    /// Source databases set `default_transaction_read_only` at the switch.
    public var readOnlyDatabases: [MoveObject] = []
    /// Source tables in a database the target still uses: write privileges revoked at the switch.
    public var revokedTables: [MoveObject] = []
    /// During `switching`: the source made read-only (true), so shared servers' folders may be
    /// the target's already and the source's servers must not start. Nil before (and in a
    /// journal of an older ovudev).
    public var sourceLocked: Bool?
    /// MySQL databases and Redis slots of the move (MoveEngines.swift); nil when there are none.
    public var engines: MoveEngines?

    static func path(projectDirectory: String) -> String { (projectDirectory as NSString).appendingPathComponent(".ovu/move.json") }

    public static func load(projectDirectory: String) throws -> MoveJournal? {
        let path = path(projectDirectory: projectDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(MoveJournal.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw EngineError("cannot read the move journal \(path): \(error)")
        }
    }

    func save(projectDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = Self.path(projectDirectory: projectDirectory)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func remove(projectDirectory: String) {
        try? FileManager.default.removeItem(atPath: path(projectDirectory: projectDirectory))
    }

    /// Why `up` of `scenario` must wait, or nil: during the switch and a copy-back, either
    /// scenario's servers or services could start on the wrong data (a shared server's folder
    /// may be the other scenario's, and a service started during a copy-back writes behind it);
    /// after the switch, the source's shared servers are the target's.
    public func refusesUp(of scenario: String) -> EngineError? {
        switch step {
        case .switching, .copyingBack:
            return EngineError("\(inProgress); `up` waits until then")
        case .switched where scenario == source:
            return EngineError("scenario \(source) was moved to \(target) (its shared servers' data is \(target)'s now): `ovudev move --rollback` brings \(source) back, `ovudev up --scenario \(target)` runs the target")
        default:
            return nil
        }
    }

    /// The sentence `up` and `move` print while a move is unfinished.
    public var inProgress: String {
        switch step {
        case .copyingBack:
            return "a rollback with --copy-back of the move from \(source) to \(target) stopped while copying back: `ovudev move --rollback` continues it"
        case .switching:
            return "a move from scenario \(source) to \(target) stopped during its switch: `ovudev move` finishes it, `ovudev move --rollback` goes back to \(source)"
        case .switched:
            return "scenario \(source) was moved to \(target) and is kept read-only: `ovudev move --finish` drops it, `ovudev move --rollback` goes back"
        default:
            return "a move from scenario \(source) to \(target) stopped at step \"\(step.rawValue)\" (the source is unchanged): `ovudev move` continues it"
        }
    }
}

/// Why a move stopped; nothing of the source was changed when one is thrown before the switch.
public enum MoveError: Error, Equatable, Sendable, CustomStringConvertible {
    case noRunningScenario
    case sameScenario(String)
    case blocked([MoveBlocker])
    case otherMoveInProgress(source: String, target: String)
    case nothingToRollBack
    case alreadySwitched(source: String, target: String)
    case targetWritten(tables: [String])
    case differs(table: String, source: String, target: String)
    case targetHasData(server: String, folder: String)
    case notPostgres(service: String, engine: String)
    case notIncluded(services: [String])

    public var description: String {
        switch self {
        case .noRunningScenario: return "no scenario is running here (`ovudev up` first): a move starts from the running one"
        case let .sameScenario(s): return "scenario \(s) is the running one already"
        case let .blocked(blockers):
            return "the move is blocked; nothing was changed:\n" + blockers.map { "  \($0)" }.joined(separator: "\n")
        case let .otherMoveInProgress(source, target): return "a move from \(source) to \(target) is in progress: `ovudev move` continues it, `ovudev move --rollback` undoes it"
        case .nothingToRollBack: return "no switched move to roll back or finish"
        case let .alreadySwitched(source, target):
            return "the move from \(source) to \(target) is switched already: `ovudev up` runs \(target), `ovudev move --finish` drops the kept \(source), `ovudev move --rollback` goes back"
        case let .targetWritten(tables):
            return "rows were written on the target since the switch (\(tables.joined(separator: ", "))); refusing to roll back, which would lose them (`ovudev move --rollback --copy-back` copies them back first)"
        case let .differs(table, source, target):
            return "table \(table) differs after the copy (source \(source), target \(target)); the move stopped before the switch, the source is unchanged (`ovudev move --rollback` drops the copies)"
        case let .targetHasData(server, folder):
            return "the target scenario already has data of its own for server \(server) (\(folder)): `ovudev down --volumes --scenario <target>` first"
        case let .notIncluded(services):
            return "the target scenario moves \(services.joined(separator: ", ")) too: name \(services.count == 1 ? "it" : "them") in --only as well, or leave --only out"
        case let .notPostgres(service, engine):
            return "service \(service) would change engine (its data to \(engine)): moves between engines are not built"
        }
    }
}
