import Foundation
@testable import Stack
import Testing
import TestSupport
import Topology

extension MoveRedisTests {
    /// A key added at the target after the switch refuses a plain rollback (the rollback would
    /// lose it); `--rollback --copy-back` brings the target's keys (one added, one changed, one
    /// deleted) back to the source's index, TTLs kept, and deletes every copy.
    @Test func aRollbackCopiesTheTargetsKeysBack() throws {
        if MySQLTools.missing() != nil { throw EngineError("MariaDB is not installed") }
        let project = try TempProject(topology: F.topology)
        defer { project.close() }
        let shared = try F.up(project)
        let db1 = try redis(shared, index: 1)
        try db1.command(["SET", "shop:a", "1"])
        try db1.command(["SET", "shop:ttl", "soon", "EX", "3600"])
        try db1.command(["HSET", "shop:h", "f1", "v1"])
        _ = try Mover(project: project.project).run(to: "tenants")
        let tenants = try project.stack("tenants")
        try tenants.loadSecrets()
        let moved = try redis(tenants, index: 2)
        try moved.command(["SET", "shop:new", "n"])
        #expect(throws: MoveError.targetWritten(tables: ["shop: redis cache DB 2"])) { try Mover(project: project.project).rollback() }
        try moved.command(["SET", "shop:a", "2"])
        try moved.command(["DEL", "shop:h"])
        let written = try Mover.contentDigests(moved, try keys(moved))

        let back = try Mover(project: project.project).rollback(copyBack: true)
        #expect(back.done.contains { $0.hasPrefix("copied back to cache DB 1 (redis): shop, 3 keys equal") }, "\(back.done)")
        let again = try project.stack("shared")
        try again.loadSecrets()
        let source = try redis(again, index: 1)
        #expect(try Mover.contentDigests(source, try keys(source)) == written)
        guard case let .integer(ttl) = try source.command(["TTL", "shop:ttl"]) else { Issue.record("no TTL reply"); return }
        #expect(ttl > 3000 && ttl <= 3600)
        #expect(try keys(redis(again, index: 2)).isEmpty, "the copies (shop:new too) are deleted")
    }
}
