import Foundation
import Topology

/// A MySQL service's database moved to another server or renamed: every table copied on its
/// own (mysqldump of the table into the mariadb client), then compared by row count and
/// `CHECKSUM TABLE … EXTENDED` on both sides.
public struct MoveMySQLService: Codable, Equatable, Sendable {
    public var service: String
    /// The service's user at the target and at the source.
    public var user: String
    public var sourceUser: String
    public var from: MoveLocation
    public var to: MoveLocation
    /// Base tables (copied and verified); `rows`/`checksum` are the source's at the verification.
    public var tables: [MoveTable]
    /// Views, copied after the tables (not verified: they hold no rows of their own).
    public var views: [String]
}

/// A service's Redis slot that changes between the scenarios: its keys copied (COPY … DB on
/// one server, MIGRATE … COPY between servers: TTLs kept), the source's kept until `--finish`.
public struct MoveRedisSlot: Codable, Equatable, Sendable, CustomStringConvertible {
    public var service: String
    public var fromServer: String
    public var fromPort: Int
    public var fromIndex: Int
    public var toServer: String
    public var toPort: Int
    public var toIndex: Int
    /// Keys copied (their names are in `.ovu/move/redis-<service>.keys.json`) and the digest of
    /// their contents, set by the verification.
    public var copied = false
    public var keys: Int?
    public var digest: String?

    public var description: String { "\(fromServer) DB \(fromIndex) → \(toServer) DB \(toIndex)" }
}

/// What a move does besides PostgreSQL: MySQL databases and Redis slots.
public struct MoveEngines: Codable, Equatable, Sendable {
    public var mysql: [MoveMySQLService] = []
    /// MySQL databases the move created on the target side (dropped by a rollback).
    public var mysqlCreated: [MoveObject] = []
    /// Source databases whose user lost its write privileges at the switch (`role`: the user).
    public var mysqlReadOnly: [MoveObject] = []
    public var redis: [MoveRedisSlot] = []

    public init() {}
    public var isEmpty: Bool { mysql.isEmpty && redis.isEmpty }
}

extension Mover {
    var engines: MoveEngines { journal.engines ?? MoveEngines() }

    func updateEngines(_ change: (inout MoveEngines) -> Void) throws {
        try update { j in
            var e = j.engines ?? MoveEngines()
            change(&e)
            j.engines = e
        }
    }

    /// The plan's MySQL and Redis part, with a line per service for the report.
    func planEngines(source: Plan, target: Plan, only: [String], report: inout MoveReport) throws {
        var e = MoveEngines()
        e.mysql = try mysqlPlan(source: source, target: target, only: only, report: &report)
        e.redis = try redisPlan(source: source, target: target, only: only)
        for m in e.mysql {
            report.notes.append("\(m.service) (mysql): \(m.from.server)/\(m.from.database) → \(m.to.server)/\(m.to.database), \(m.tables.count) table\(m.tables.count == 1 ? "" : "s")"
                                + (m.views.isEmpty ? "" : " and \(m.views.count) view\(m.views.count == 1 ? "" : "s")") + ", user \(m.user)")
            report.notes.append("  " + (m.tables.map(\.source) + m.views).joined(separator: ", "))
        }
        for r in e.redis { report.notes.append("\(r.service) (redis): keys \(r)") }
        report.journal.blockers += try mysqlBlockers(e.mysql, source: source, target: target, dropCrossFKs: report.journal.dropCrossForeignKeys)
        report.journal.engines = e.isEmpty ? nil : e
    }

    /// The Redis slots that change: same service, another server (by port) or index.
    func redisPlan(source: Plan, target: Plan, only: [String]) throws -> [MoveRedisSlot] {
        var slots: [MoveRedisSlot] = []
        var left: [String] = []
        for instance in target.instances {
            guard let to = instance.redis, let from = source.instance(instance.name)?.redis,
                  let fromServer = source.server(from.server), let toServer = target.server(to.server) else { continue }
            if fromServer.port == toServer.port && from.index == to.index { continue }
            if !only.isEmpty && !only.contains(instance.service) { left.append(instance.name); continue }
            slots.append(MoveRedisSlot(service: instance.name, fromServer: from.server, fromPort: fromServer.port, fromIndex: from.index,
                                       toServer: to.server, toPort: toServer.port, toIndex: to.index))
        }
        if !left.isEmpty { throw MoveError.notIncluded(services: left) }
        return slots
    }
}
