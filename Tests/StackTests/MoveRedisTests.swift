import Foundation
@testable import Stack
import Testing
import TestSupport
import Topology

/// `ovudev move` of Redis slots on a real redis-server: shop's index goes from 1 (`shared`) to 2
/// (`tenants`: index × 2 tenants). A key already at the target stops the move before the switch;
/// the keys are copied with their TTLs and verified by content digests; the source's stay until
/// `--finish`, and a rollback deletes the copies.
@Suite(.serialized, .ownThread) struct MoveRedisTests {
    typealias F = MoveOtherFixture

    func redis(_ stack: NativeStack, index: Int) throws -> RedisConnection {
        let server = try #require(stack.plan.servers.first { $0.engine == .redis })
        let conn = try RedisConnection.admin(server, secrets: stack.secrets)
        try conn.select(index)
        return conn
    }

    func keys(_ conn: RedisConnection) throws -> [String] { try Mover.scanKeys(conn) }

    @Test func shopsKeysMoveToTheirNewIndexAndBack() throws {
        if MySQLTools.missing() != nil { throw EngineError("MariaDB is not installed") }
        let project = try TempProject(topology: F.topology)
        defer { project.close() }
        let shared = try F.up(project)
        let db1 = try redis(shared, index: 1), db0 = try redis(shared, index: 0), db2 = try redis(shared, index: 2)
        try db1.command(["SET", "shop:a", "1"])
        try db1.command(["SET", "shop:ttl", "soon", "EX", "3600"])
        try db1.command(["HSET", "shop:h", "f1", "v1", "f2", "v2"])
        try db1.command(["RPUSH", "shop:l", "x", "y", "z"])
        try db0.command(["SET", "blog:a", "stays"])
        let before = try Mover.contentDigests(db1, try keys(db1))
        // A key of the same name at the target, with another value: a conflict.
        try db2.command(["SET", "shop:a", "someone else's"])

        let plan = try Mover(project: project.project).plan(to: "tenants")
        #expect(plan.journal.engines?.redis.map(\.description) == ["cache DB 1 → cache DB 2"] && plan.journal.engines?.mysql.isEmpty == true)
        #expect(throws: MoveRedisConflict(service: "shop", slot: "cache DB 2", keys: ["shop:a"])) { try Mover(project: project.project).run(to: "tenants") }
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "shared")
        #expect(try keys(db2) == ["shop:a"] && db2.command(["GET", "shop:a"]) == .string("someone else's"))

        // The conflict gone, `ovudev move` continues the stopped move.
        try db2.command(["DEL", "shop:a"])
        let report = try Mover(project: project.project).run(to: nil)
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok && $0.status != .skipped }.map(\.detail) ?? [])")
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "tenants")
        let tenants = try project.stack("tenants")
        try tenants.loadSecrets()
        let moved = try redis(tenants, index: 2)
        #expect(try Mover.contentDigests(moved, try keys(moved)) == before)
        guard case let .integer(ttl) = try moved.command(["TTL", "shop:ttl"]) else { Issue.record("no TTL reply"); return }
        #expect(ttl > 3000 && ttl <= 3600)
        // The source's keys are kept; blog's index did not change.
        #expect(try keys(redis(tenants, index: 1)).count == 4)
        #expect(try keys(redis(tenants, index: 0)) == ["blog:a"])

        // Rollback is refused while a copy differs from what was verified…
        try moved.command(["SET", "shop:a", "2"])
        #expect(throws: MoveError.targetWritten(tables: ["shop: redis cache DB 2"])) { try Mover(project: project.project).rollback() }
        try moved.command(["SET", "shop:a", "1"])
        // …then deletes the copies and leaves the source's keys.
        let back = try Mover(project: project.project).rollback()
        #expect(back.done.contains("deleted the copies of shop's 4 keys in cache DB 2"), "\(back.done)")
        let again = try project.stack("shared")
        try again.loadSecrets()
        #expect(try keys(redis(again, index: 2)).isEmpty)
        let source = try redis(again, index: 1)
        #expect(try Mover.contentDigests(source, try keys(source)) == before)

        // Once more, then --finish deletes the source's keys.
        _ = try Mover(project: project.project).run(to: "tenants")
        #expect(try Mover(project: project.project).finishList() == ["keys of shop in cache DB 1 (redis)"])
        _ = try Mover(project: project.project).finish()
        #expect(try keys(redis(tenants, index: 1)).isEmpty)
        let after = try redis(tenants, index: 2)
        #expect(try Mover.contentDigests(after, try keys(after)) == before)
    }

    /// Between two servers with ACLs (the admin logs in on both): MIGRATE … COPY AUTH2 keeps
    /// the TTLs, a key at the target stops the copy naming it, and a key written to the source
    /// after the copy fails the verification. (No two scenarios of one topology put a service's
    /// slot on another Redis server, so the slot is given to the Mover directly.)
    @Test func keysMoveBetweenTwoServersWithACLs() throws {
        if MySQLTools.missing() != nil { throw EngineError("MariaDB is not installed") }
        let project = try TempProject(topology: F.topology) { json in
            var servers = json["servers"] as! [String: [String: Any]]
            servers["cache"]!["acl"] = true
            servers["cache2"] = ["engine": "redis", "port": (servers["cache"]!["port"] as! Int) + 5, "acl": true]
            json["servers"] = servers
            var services = json["services"] as! [String: [String: Any]]
            services["blog"]!["redis"] = ["server": "cache2", "index": 0]
            json["services"] = services
        }
        defer { project.close() }
        let shared = try F.up(project)
        let cache = try #require(shared.plan.server("cache")), cache2 = try #require(shared.plan.server("cache2"))
        #expect(cache.redisUsers != nil && cache2.redisUsers != nil)
        let from = try RedisConnection.admin(cache, secrets: shared.secrets), to = try RedisConnection.admin(cache2, secrets: shared.secrets)
        try from.select(1)
        try to.select(5)
        for i in 0..<250 { try from.command(["SET", "shop:k\(i)", "value \(i)"]) }
        try from.command(["SET", "shop:ttl", "soon", "EX", "3600"])
        try from.command(["SADD", "shop:set", "a", "b", "c"])
        let before = try Mover.contentDigests(from, try keys(from))
        try to.command(["SET", "shop:k7", "taken"])

        let mover = Mover(project: project.project)
        try mover.stacks(source: "shared", target: "shared")
        var engines = MoveEngines()
        engines.redis = [MoveRedisSlot(service: "shop", fromServer: "cache", fromPort: cache.port, fromIndex: 1, toServer: "cache2", toPort: cache2.port, toIndex: 5)]
        mover.journal = MoveJournal(source: "shared", target: "shared", only: [], dropCrossForeignKeys: false, step: .provisioned, services: [], tables: [],
                                    blockers: [], sharedServers: [], engines: engines)
        defer { MoveJournal.remove(projectDirectory: project.directory) }
        #expect(throws: MoveRedisConflict(service: "shop", slot: "cache2 DB 5", keys: ["shop:k7"])) { try mover.copyRedis() }
        #expect(try keys(to) == ["shop:k7"])

        try to.command(["DEL", "shop:k7"])
        try mover.copyRedis()
        try mover.verifyRedis()
        #expect(try Mover.contentDigests(to, try keys(to)) == before)
        #expect(try keys(from).count == 252)
        guard case let .integer(ttl) = try to.command(["TTL", "shop:ttl"]) else { Issue.record("no TTL reply"); return }
        #expect(ttl > 3000 && ttl <= 3600)
        #expect(mover.journal.engines?.redis.first?.keys == 252)
        // A copy that ran again (a kill -9 before its journal line): the keys already there with
        // the same contents are its own, not conflicts, and nothing is doubled.
        try mover.updateEngines { $0.redis[0].copied = false }
        try mover.copyRedis()
        try mover.verifyRedis()
        #expect(try keys(to).count == 252)

        try from.command(["SET", "shop:late", "after the copy"])
        #expect(throws: MoveError.self) { try mover.verifyRedis() }
    }

    /// Scenario `moved` gives shop `"redis": {"server": "cache2", "index": 3}`: `ovudev move`
    /// starts cache2, copies shop's keys there (MIGRATE … COPY), switches, rolls back (the copies
    /// deleted, cache2 stopped) and, moved again, finishes (the source's keys deleted).
    @Test func aScenarioPutsShopsKeysOnAnotherServer() throws {
        if MySQLTools.missing() != nil { throw EngineError("MariaDB is not installed") }
        let project = try TempProject(topology: F.topology)
        defer { project.close() }
        let shared = try F.up(project)
        let db1 = try redis(shared, index: 1)
        for i in 0..<50 { try db1.command(["HSET", "shop:cart:\(i)", "item", "sku-\(i)", "qty", String(i)]) }
        try db1.command(["SET", "shop:session", "s", "EX", "3600"])
        let before = try Mover.contentDigests(db1, try keys(db1))

        let plan = try Mover(project: project.project).plan(to: "moved")
        #expect(plan.journal.engines?.redis.map(\.description) == ["cache DB 1 → cache2 DB 3"])
        let report = try Mover(project: project.project).run(to: "moved")
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok && $0.status != .skipped }.map(\.detail) ?? [])")
        let moved = try project.stack("moved")
        try moved.loadSecrets()
        let cache2 = try #require(moved.plan.server("cache2"))
        let target = try RedisConnection.admin(cache2, secrets: moved.secrets)
        try target.select(3)
        #expect(try Mover.contentDigests(target, try keys(target)) == before)
        let env = ServiceProcesses(plan: moved.plan, paths: moved.paths, projectDirectory: moved.project.directory, secrets: moved.secrets).environment(for: moved.plan.instance("shop")!)
        #expect(env["REDIS_URL"]?.hasSuffix("127.0.0.1:\(cache2.port)/3") == true, "\(env["REDIS_URL"] ?? "")")

        let back = try Mover(project: project.project).rollback()
        #expect(back.done.contains("deleted the copies of shop's 51 keys in cache2 DB 3"), "\(back.done)")
        #expect(back.done.contains("stopped server cache2 (scenario moved)"), "\(back.done)")
        // (The switch and the rollback restarted cache: a new connection.)
        let source = try redis(shared, index: 1)
        #expect(try Mover.contentDigests(source, try keys(source)) == before)

        _ = try Mover(project: project.project).run(to: "moved")
        _ = try Mover(project: project.project).finish()
        #expect(try keys(redis(moved, index: 1)).isEmpty)
        let after = try RedisConnection.admin(cache2, secrets: moved.secrets)
        try after.select(3)
        #expect(try Mover.contentDigests(after, try keys(after)) == before)
    }
}
