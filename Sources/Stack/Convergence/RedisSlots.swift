import Foundation
import Topology

/// Redis slots between the recorded stack and a new Plan. Implicit indexes are positional, so
/// adding `"redis": {}` to one service can shift another's: its keys would then be read by a
/// service they do not belong to. `handovers` finds every such slot that holds keys;
/// `moveKeys` carries each moved owner's keys to its new slot.
struct RedisSlots {
    let applied: AppliedState
    let plan: Plan
    /// Counts the keys of one index of a server (DBSIZE).
    let keys: (_ server: String, _ index: Int) throws -> Int64

    struct Slot: Hashable { var server: String; var index: Int }

    /// Where a slot's keys live (server and index): its ACL user and prefix do not move keys.
    static func place(_ slot: RedisSlot?) -> Slot? { slot.map { Slot(server: $0.server, index: $0.index) } }

    func owner(of slot: Slot, except instance: String? = nil) -> String? {
        applied.redisSlots.sorted { $0.key < $1.key }.first { $0.value.server == slot.server && $0.value.index == slot.index && $0.key != instance }?.key
    }

    func service(of instance: String) -> String {
        plan.instance(instance)?.service ?? instance.split(separator: "-").first.map(String.init) ?? instance
    }

    /// Slots that hold keys and would change hands: given to another instance, or left behind
    /// by an owner that moved (nobody would read them again).
    func handovers() throws -> [RedisHandover] {
        var found: [RedisHandover] = []
        var seen = Set<Slot>()
        for (instance, old) in applied.redisSlots.sorted(by: { $0.key < $1.key }) {
            let now = plan.instance(instance)?.redis
            if Self.place(now) == Self.place(old) { continue }
            let slot = Slot(server: old.server, index: old.index)
            guard plan.server(old.server) != nil, !seen.contains(slot) else { continue }
            let taker = plan.instances.first { Self.place($0.redis) == Self.place(old) }?.name
            // An owner that went away with its slot free again is not a handover (its data stays).
            if taker == nil && now == nil { continue }
            let count = try keys(old.server, old.index)
            guard count > 0 else { continue }
            seen.insert(slot)
            found.append(RedisHandover(server: old.server, index: old.index, keys: count,
                                       previous: .init(instance: instance, service: service(of: instance)),
                                       next: taker ?? "nobody", previousMovesTo: now?.server == old.server ? now?.index : nil))
        }
        return found
    }

    /// One owner's keys from its recorded slot to its new one.
    struct Move: Equatable { var instance: String; var from: Slot; var to: Slot }

    /// The moves that give every moved owner its keys back, in an order where each target is
    /// empty when its turn comes; a cycle goes through a spare index. Throws when a slot holds
    /// keys of an owner that has no slot any more (nothing to move them to).
    func moves(spare: (_ server: String) throws -> Int?) throws -> [Move] {
        var pending: [Move] = []
        for (instance, old) in applied.redisSlots.sorted(by: { $0.key < $1.key }) {
            let from = Slot(server: old.server, index: old.index)
            guard let now = plan.instance(instance)?.redis else {
                if plan.instances.contains(where: { Self.place($0.redis) == Self.place(old) }), try keys(old.server, old.index) > 0 {
                    throw ConvergenceError.redisMoveImpossible(
                        "\(old.server) DB \(old.index) holds keys of \(instance), which has no Redis slot any more; delete them (`redis-cli -p <port> -n \(old.index) FLUSHDB`) or keep its slot")
                }
                continue
            }
            if Self.place(now) == Self.place(old) || plan.server(old.server) == nil { continue }
            if try keys(old.server, old.index) > 0 { pending.append(Move(instance: instance, from: from, to: Slot(server: now.server, index: now.index))) }
        }
        // Occupancy as the moves run: a target is free when it is empty or is the source of a move still to come.
        var ordered: [Move] = []
        var occupied = Set(try pending.flatMap { m in [m.from, m.to] }.filter { try keys($0.server, $0.index) > 0 })
        while !pending.isEmpty {
            if let i = pending.firstIndex(where: { !occupied.contains($0.to) }) {
                let m = pending.remove(at: i)
                ordered.append(m)
                occupied.remove(m.from)
                occupied.insert(m.to)
                continue
            }
            // Every target is still full: a cycle. Park the first owner's keys on a spare index.
            let m = pending[0]
            guard let index = try spare(m.from.server) else {
                throw ConvergenceError.redisMoveImpossible("the moves form a cycle on \(m.from.server) and it has no empty index left to pass through")
            }
            let parked = Slot(server: m.from.server, index: index)
            ordered.append(Move(instance: m.instance, from: m.from, to: parked))
            occupied.remove(m.from)
            occupied.insert(parked)
            pending[0].from = parked
        }
        return ordered
    }
}

extension NativeStack {
    func redisSlots(_ applied: AppliedState) -> RedisSlots {
        RedisSlots(applied: applied, plan: plan) { [plan, secrets] server, index in
            guard let server = plan.server(server) else { return 0 }
            let conn = try RedisConnection.admin(server, secrets: secrets)
            try conn.select(index)
            guard case let .integer(n) = try conn.command(["DBSIZE"]) else { return 0 }
            return Int64(n)
        }
    }

    /// Moves each moved owner's keys to its new index (`up --move-redis-keys`): MOVE within a
    /// server, MIGRATE between servers; both refuse to overwrite a key, so nothing is lost.
    func moveRedisKeys(_ applied: AppliedState) throws -> [String] {
        let slots = redisSlots(applied)
        let used = Set(applied.redisSlots.values.map { "\($0.server)/\($0.index)" } + plan.instances.compactMap { $0.redis.map { "\($0.server)/\($0.index)" } })
        let moves = try slots.moves { [plan, secrets] server in
            guard let server = plan.server(server) else { return nil }
            let conn = try RedisConnection.admin(server, secrets: secrets)
            let reply = try conn.command(["CONFIG", "GET", "databases"])
            guard case let .array(items) = reply, items.count == 2, let count = items[1].text.flatMap(Int.init) else { return nil }
            return try (0..<count).reversed().first { index in
                guard !used.contains("\(server.name)/\(index)") else { return false }
                return try slots.keys(server.name, index) == 0
            }
        }
        var done: [String] = []
        for move in moves {
            guard let source = plan.server(move.from.server), let target = plan.server(move.to.server) else { continue }
            progress("redis: \(move.instance) \(move.from.server) DB \(move.from.index) → \(move.to.server) DB \(move.to.index)")
            let conn = try RedisConnection.admin(source, secrets: secrets)
            try conn.select(move.from.index)
            var moved = 0
            var cursor = "0"
            // Until the index is empty: SCAN returns every key present for the whole scan, and a
            // second pass picks up what a late writer added.
            while try slots.keys(move.from.server, move.from.index) > 0 { repeat {
                guard case let .array(page) = try conn.command(["SCAN", cursor, "COUNT", "1000"]), page.count == 2,
                      let next = page[0].text, case let .array(keys) = page[1] else { throw RedisError(message: "unexpected SCAN reply") }
                cursor = next
                for key in keys.compactMap(\.text) {
                    let reply = source.name == target.name
                        ? try conn.command(["MOVE", key, String(move.to.index)])
                        : try conn.command(["MIGRATE", "127.0.0.1", String(target.port), key, String(move.to.index), "5000"])
                    if reply == .integer(0) {
                        throw ConvergenceError.redisMoveImpossible("\(key) exists in both \(move.from.server) DB \(move.from.index) and \(move.to.server) DB \(move.to.index)")
                    }
                    moved += 1
                }
            } while cursor != "0" }
            done.append("redis: \(moved) key\(moved == 1 ? "" : "s") of \(move.instance) moved from \(move.from.server) DB \(move.from.index) to \(move.to.server) DB \(move.to.index)")
        }
        return done
    }
}
