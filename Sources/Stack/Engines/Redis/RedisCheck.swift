import Foundation
import Statements
import Topology

extension RedisEngine {
    /// Every instance's index keeps its own key and sees none of the other indexes' keys.
    func check(_ server: PlannedServer, by checker: Checker, progress: (String) -> Void) throws -> [CheckFinding] {
        let slots = checker.plan.instances.compactMap { i in i.redis.flatMap { $0.server == server.name ? (i.name, $0.index) : nil } }
        guard !slots.isEmpty else { return [] }
        let acl = checkACL(server, by: checker)
        do {
            let conn = try RedisConnection.admin(server, secrets: checker.secrets)
            let token = "ovudev-check-\(getpid())-\(Int(Date().timeIntervalSince1970))"
            for (instance, index) in slots {
                try conn.select(index)
                try conn.command(["SET", "ovudev:probe:\(instance)", token, "EX", "60"])
            }
            var findings: [CheckFinding] = []
            for (instance, index) in slots {
                try conn.select(index)
                let own = try conn.command(["GET", "ovudev:probe:\(instance)"])
                // One EXISTS for all the other keys sampled; only a hit is looked at key by key.
                let others = slots.filter { $0.0 != instance }.prefix(checker.loginSample * 4)
                var foreign: [(String, Int)] = []
                if !others.isEmpty, try conn.command(["EXISTS"] + others.map { "ovudev:probe:\($0.0)" }) != .integer(0) {
                    foreign = try others.filter { try conn.command(["EXISTS", "ovudev:probe:\($0.0)"]) == .integer(1) }
                }
                if own != .string(token) {
                    findings.append(CheckFinding(subject: instance, check: "redis", status: .fail, kind: .redisKeyLost(instance: instance, index: index)))
                } else if !foreign.isEmpty {
                    findings.append(CheckFinding(subject: instance, check: "redis", status: .leak,
                                                 kind: .redisSeesKeys(instance: instance, index: index, others: foreign.map(\.0))))
                } else {
                    findings.append(CheckFinding(subject: instance, check: "redis", status: .ok, kind: .redisSlot(instance: instance, server: server.name, index: index)))
                }
            }
            for (instance, index) in slots {
                try conn.select(index)
                try conn.command(["DEL", "ovudev:probe:\(instance)"])
            }
            return findings + acl
        } catch {
            return [CheckFinding(subject: server.name, check: "redis", status: .fail, kind: .redisFailed(server: server.name, error: "\(error)"))]
        }
    }
}

extension RedisEngine {
    /// `ovudev docs`: the keys of the instance's index, and of those under its prefix.
    static func keyCatalog(_ instance: ServiceInstance, slot: RedisSlot, on server: PlannedServer, secrets: [String: String]) throws -> [CatalogTable] {
        let conn = try RedisConnection.admin(server, secrets: secrets)
        try conn.select(slot.index)
        guard case let .integer(total) = try conn.command(["DBSIZE"]) else { return [] }
        var tables = [CatalogTable(instance: instance.name, name: "\(server.name) db \(slot.index)", rows: Int64(total), bytes: nil, indexes: [])]
        if let prefix = slot.keyPrefix {
            var cursor = "0", count: Int64 = 0
            repeat {
                guard case let .array(page) = try conn.command(["SCAN", cursor, "MATCH", "\(prefix)*", "COUNT", "1000"]), page.count == 2,
                      let next = page[0].text, case let .array(keys) = page[1] else { break }
                cursor = next
                count += Int64(keys.count)
            } while cursor != "0"
            tables.append(CatalogTable(instance: instance.name, name: "\(server.name) db \(slot.index) keys \(prefix)*", rows: count, bytes: nil, indexes: []))
        }
        return tables
    }
}
