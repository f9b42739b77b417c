import Foundation
import Statements
import Topology

/// Why a Redis slot cannot move; nothing was switched.
public struct MoveRedisConflict: Error, Equatable, Sendable, CustomStringConvertible {
    public var service: String
    public var slot: String
    /// Keys that exist at the target with another value (REPLACE is never used).
    public var keys: [String]
    public var description: String {
        "\(service): \(keys.count) key\(keys.count == 1 ? "" : "s") already exist\(keys.count == 1 ? "s" : "") at the target (\(slot)) with other values: \(keys.prefix(10).joined(separator: ", "))\(keys.count > 10 ? ", …" : ""); the move stopped before the switch (delete them there, or `ovudev move --rollback`)"
    }
}

/// Redis slots of a move: the service's keys copied to its new index or server (`COPY … DB` on
/// one server, `MIGRATE … COPY` between two: TTLs kept, an existing key never replaced), then
/// verified by count and a digest of every key's type and contents on both sides. The source's keys
/// stay until `--finish`; a rollback deletes the copies.
extension Mover {
    /// The admin connection to the Redis server on `port` (the ACL's admin user when it has one).
    func redisAdmin(port: Int, index: Int) throws -> RedisConnection {
        guard let server = source.plan.servers.first(where: { $0.port == port && $0.engine == .redis })
                ?? target.plan.servers.first(where: { $0.port == port && $0.engine == .redis }) else {
            throw EngineError("no Redis server on port \(port) in either scenario")
        }
        let conn = try RedisConnection.admin(server, secrets: source.plan.server(server.name) != nil ? source.secrets : target.secrets)
        try conn.select(index)
        return conn
    }

    func redisKeysFile(_ slot: MoveRedisSlot) -> String { "\(moveFolder)/redis-\(slot.service).keys.json" }

    /// The names a rollback deletes at the target (written before the first copy).
    func saveKeys(_ keys: [String], of slot: MoveRedisSlot) throws {
        try FileManager.default.createDirectory(atPath: moveFolder, withIntermediateDirectories: true)
        try JSONEncoder().encode(keys).write(to: URL(fileURLWithPath: redisKeysFile(slot)), options: .atomic)
    }

    /// DEL of `keys`, 500 at a time.
    static func delete(_ keys: [String], on conn: RedisConnection) throws {
        for start in stride(from: 0, to: keys.count, by: 500) { try conn.command(["DEL"] + Array(keys[start..<min(start + 500, keys.count)])) }
    }

    func savedKeys(_ slot: MoveRedisSlot) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: redisKeysFile(slot))))
    }

    /// MIGRATE's `AUTH2 admin password` for the Redis server `name` (of either scenario) when it
    /// has ACL users; nothing otherwise.
    func migrateAuth(_ name: String) -> [String] {
        let server = target.plan.server(name) ?? source.plan.server(name)
        guard let s = server, s.redisUsers != nil, let ref = s.superuserSecret,
              let password = target.secrets[ref.variable] ?? source.secrets[ref.variable] else { return [] }
        return ["AUTH2", RedisUser.admin, password]
    }

    /// Every key of the connection's index (SCAN).
    static func scanKeys(_ conn: RedisConnection) throws -> [String] {
        var keys: [String] = [], cursor = "0"
        repeat {
            guard case let .array(page) = try conn.command(["SCAN", cursor, "COUNT", "1000"]), page.count == 2,
                  let next = page[0].text, case let .array(found) = page[1] else { throw RedisError(message: "unexpected SCAN reply") }
            cursor = next
            keys += found.compactMap(\.text)
        } while cursor != "0"
        return Array(Set(keys)).sorted()
    }

    /// SHA-1 of each key's type and contents, computed by the server ("" for a missing key):
    /// members of sets and fields of hashes sorted, so that two servers agree whatever their
    /// hash tables' order (a DUMP payload of a hashtable-encoded set differs after RESTORE).
    static let digestScript = """
        local r = {}
        for i, k in ipairs(KEYS) do
          local t = redis.call('TYPE', k).ok
          local out = {t}
          local function add(v) out[#out + 1] = #v .. ':' .. v end
          local function addAll(list) for _, v in ipairs(list) do add(v) end end
          if t == 'string' then add(redis.call('GET', k))
          elseif t == 'list' then addAll(redis.call('LRANGE', k, 0, -1))
          elseif t == 'set' then local m = redis.call('SMEMBERS', k) table.sort(m) addAll(m)
          elseif t == 'zset' then addAll(redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'))
          elseif t == 'hash' then
            local h = redis.call('HGETALL', k) local f = {} local v = {}
            for j = 1, #h, 2 do f[#f + 1] = h[j] v[h[j]] = h[j + 1] end
            table.sort(f)
            for _, name in ipairs(f) do add(name) add(v[name]) end
          elseif t == 'stream' then
            for _, e in ipairs(redis.call('XRANGE', k, '-', '+')) do add(e[1]) addAll(e[2]) end
          end
          if t == 'none' then r[i] = '' else r[i] = redis.sha1hex(table.concat(out, '|')) end
        end
        return r
        """

    static func contentDigests(_ conn: RedisConnection, _ keys: [String]) throws -> [String: String] {
        let script = digestScript
        var digests: [String: String] = [:]
        for start in stride(from: 0, to: keys.count, by: 500) {
            let batch = Array(keys[start..<min(start + 500, keys.count)])
            guard case let .array(items) = try conn.command(["EVAL", script, String(batch.count)] + batch), items.count == batch.count else {
                throw RedisError(message: "unexpected EVAL reply")
            }
            for (key, item) in zip(batch, items) { digests[key] = item.text ?? "" }
        }
        return digests
    }

    /// One digest over every key and its payload's hash, in key order.
    static func slotDigest(_ digests: [String: String]) -> String {
        let h = SHA256()
        for key in digests.keys.sorted() { h.update(Array("\(key)\t\(digests[key]!)\n".utf8)) }
        return h.finalize()
    }

    func copyRedis() throws {
        for slot in engines.redis where !slot.copied {
            progress("redis: \(slot.service) \(slot)")
            let from = try redisAdmin(port: slot.fromPort, index: slot.fromIndex)
            let to = try redisAdmin(port: slot.toPort, index: slot.toIndex)
            let keys = try Self.scanKeys(from)
            // Keys already at the target: the same value is a copy of a killed move, another a conflict.
            var present: [String] = []
            for key in keys where try to.command(["EXISTS", key]) == .integer(1) { present.append(key) }
            let mine = try Self.contentDigests(from, present), theirs = try Self.contentDigests(to, present)
            let conflicts = present.filter { mine[$0] != theirs[$0] }
            if !conflicts.isEmpty { throw MoveRedisConflict(service: slot.service, slot: "\(slot.toServer) DB \(slot.toIndex)", keys: conflicts) }
            let todo = keys.filter { !present.contains($0) }
            // The names are written before the first copy: a rollback deletes exactly these at the target.
            try saveKeys(keys, of: slot)
            if slot.fromPort == slot.toPort {
                for key in todo where try from.command(["COPY", key, key, "DB", String(slot.toIndex)]) == .integer(0) {
                    if try to.command(["EXISTS", key]) == .integer(1) { throw MoveRedisConflict(service: slot.service, slot: "\(slot.toServer) DB \(slot.toIndex)", keys: [key]) }
                }
            } else {
                let auth = migrateAuth(slot.toServer)
                for start in stride(from: 0, to: todo.count, by: 100) {
                    let batch = Array(todo[start..<min(start + 100, todo.count)])
                    do {
                        try from.command(["MIGRATE", "127.0.0.1", String(slot.toPort), "", String(slot.toIndex), "10000", "COPY"] + auth + ["KEYS"] + batch)
                    } catch let error as RedisError where error.message.hasPrefix("BUSYKEY") {
                        throw MoveRedisConflict(service: slot.service, slot: "\(slot.toServer) DB \(slot.toIndex)", keys: batch.filter { (try? to.command(["EXISTS", $0])) == .integer(1) })
                    }
                }
            }
            try updateEngines { e in
                if let i = e.redis.firstIndex(where: { $0.service == slot.service }) { e.redis[i].copied = true }
            }
            progress("redis: \(keys.count) key\(keys.count == 1 ? "" : "s") of \(slot.service) copied")
        }
    }

    /// The source's keys now (its services stopped) against the copies: the same names, and the
    /// same contents for each; the count and digest are recorded for a rollback's check.
    func verifyRedis() throws {
        for slot in engines.redis {
            progress("verify \(slot.service) (redis): keys and their contents on both sides")
            let from = try redisAdmin(port: slot.fromPort, index: slot.fromIndex)
            let to = try redisAdmin(port: slot.toPort, index: slot.toIndex)
            let copied = Set(try savedKeys(slot))
            let now = try Self.scanKeys(from)
            let late = now.filter { !copied.contains($0) }
            // Copied keys gone from the source count too (only a key expired on both sides is equal).
            let all = Array(copied.union(now)).sorted()
            let mine = try Self.contentDigests(from, all), theirs = try Self.contentDigests(to, all)
            let differing = all.filter { mine[$0] != theirs[$0] }
            if !late.isEmpty || !differing.isEmpty {
                throw MoveError.differs(table: "\(slot.service): redis \(slot)", source: "\(now.count) keys, digest \(Self.slotDigest(mine))",
                                        target: "\(all.count - differing.count) equal; differing: \(Array(Set(differing + late)).sorted().prefix(10).joined(separator: ", "))")
            }
            try updateEngines { e in
                guard let i = e.redis.firstIndex(where: { $0.service == slot.service }) else { return }
                e.redis[i].keys = now.count
                e.redis[i].digest = Self.slotDigest(mine)
            }
        }
    }

    /// Slots whose copies changed since the switch (a rollback would lose the writes): a copied
    /// key changed or gone, or a key added (the index is the service's).
    func redisTargetChanged() throws -> [String] {
        try engines.redis.compactMap { slot in
            let to = try redisAdmin(port: slot.toPort, index: slot.toIndex)
            let saved = try savedKeys(slot)
            let digests = try Self.contentDigests(to, saved)
            let added = try Self.scanKeys(to).contains { !Set(saved).contains($0) }
            return !added && Self.slotDigest(digests) == slot.digest ? nil : "\(slot.service): redis \(slot.toServer) DB \(slot.toIndex)"
        }
    }

    /// `--copy-back`: each slot's keys at the target now replace the source's (deleted, then
    /// copied with REPLACE, so a killed copy-back can run again; the target is untouched until
    /// the rollback deletes its copies), then compared by name and contents on both sides. The
    /// keys file then lists the target's keys, so that the rollback deletes every copy.
    func copyBackRedis() throws -> [String] {
        var lines: [String] = []
        for slot in engines.redis {
            let to = try redisAdmin(port: slot.toPort, index: slot.toIndex)
            let from = try redisAdmin(port: slot.fromPort, index: slot.fromIndex)
            let keys = try Self.scanKeys(to)
            progress("copy back \(slot.service) (redis): \(keys.count) keys, \(slot.toServer) DB \(slot.toIndex) → \(slot.fromServer) DB \(slot.fromIndex)")
            let old = try Self.scanKeys(from)
            try Self.delete(old, on: from)
            if slot.fromPort == slot.toPort {
                for key in keys { try to.command(["COPY", key, key, "DB", String(slot.fromIndex), "REPLACE"]) }
            } else {
                let auth = migrateAuth(slot.fromServer)
                for start in stride(from: 0, to: keys.count, by: 100) {
                    let batch = Array(keys[start..<min(start + 100, keys.count)])
                    try to.command(["MIGRATE", "127.0.0.1", String(slot.fromPort), "", String(slot.fromIndex), "10000", "COPY", "REPLACE"] + auth + ["KEYS"] + batch)
                }
            }
            let now = try Self.scanKeys(from)
            let mine = try Self.contentDigests(to, keys), theirs = try Self.contentDigests(from, keys)
            if now != keys || mine != theirs {
                throw MoveError.differs(table: "\(slot.service): redis \(slot.toServer) DB \(slot.toIndex) → \(slot.fromServer) DB \(slot.fromIndex) (copied back)",
                                        source: "\(now.count) keys, digest \(Self.slotDigest(theirs))", target: "\(keys.count) keys, digest \(Self.slotDigest(mine))")
            }
            try saveKeys(Array(Set(keys).union(try savedKeys(slot))).sorted(), of: slot)
            lines.append("copied back to \(slot.fromServer) DB \(slot.fromIndex) (redis): \(slot.service), \(keys.count) keys equal on both sides")
        }
        return lines
    }

    /// The copies deleted (a rollback), or the source's keys (`--finish`).
    func deleteRedisKeys(_ j: MoveJournal, source side: Bool) throws -> [String] {
        var lines: [String] = []
        for slot in j.engines?.redis ?? [] {
            guard let keys = try? savedKeys(slot), !keys.isEmpty else { continue }
            let conn = side ? try redisAdmin(port: slot.fromPort, index: slot.fromIndex) : try redisAdmin(port: slot.toPort, index: slot.toIndex)
            try Self.delete(keys, on: conn)
            lines.append(side ? "deleted \(slot.service)'s \(keys.count) kept keys in \(slot.fromServer) DB \(slot.fromIndex)"
                              : "deleted the copies of \(slot.service)'s \(keys.count) keys in \(slot.toServer) DB \(slot.toIndex)")
        }
        return lines
    }

    func redisFinishList(_ j: MoveJournal) -> [String] {
        (j.engines?.redis ?? []).map { "keys of \($0.service) in \($0.fromServer) DB \($0.fromIndex) (redis)" }
    }
}
