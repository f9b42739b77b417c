import Foundation
import Statements
import Topology

/// redis-cli --rdb through the crontab's command; redis-check-rdb to verify.
extension BackupRunner {

    static func redisKeys(_ server: PlannedServer, secrets: [String: String]) throws -> Int64 {
        let conn = try RedisConnection.admin(server, secrets: secrets)
        let info = try conn.command(["INFO", "keyspace"]).text ?? ""
        // db0:keys=3,expires=0,avg_ttl=0
        return info.split(whereSeparator: \.isNewline).reduce(0) { sum, line in
            guard line.hasPrefix("db"), let keys = line.split(separator: ":").last?.split(separator: ",").first,
                  keys.hasPrefix("keys=") else { return sum }
            return sum + (Int64(keys.dropFirst(5)) ?? 0)
        }
    }

    func redisServer(_ t: BackupTarget) throws -> PlannedServer {
        guard let server = plan.server(t.server), server.engine == .redis else { throw EngineError("\(t.name): \(t.server) is not a Redis server") }
        return server
    }
}

extension RedisEngine {
    /// The keys counted before and after the dump; compared when they did not change.
    func backupAndVerify(_ target: BackupTarget, by runner: BackupRunner) throws -> (BackupFile, VerifyReport) {
        let server = try runner.redisServer(target)
        return try runner.backupComparing(target, source: { try BackupRunner.redisKeys(server, secrets: runner.secrets) },
                                          note: { "keys changed during the dump (\($0) → \($1)): the count is not compared" }) {
            try verify(file: $0, target: target, by: runner, expected: nil, expectedKeys: $1)
        }
    }

    /// redis-check-rdb reads the whole file and checks its CRC64; the keys it read are compared
    /// with the server's when they did not change during the dump.
    func verify(file: String, target: BackupTarget, by runner: BackupRunner, expected: [String: Fingerprint]?, expectedKeys: Int64?) throws -> VerifyReport {
        let r = try Subprocess.run(["redis-check-rdb", file])
        let keys = r.output.split(separator: "\n").first { $0.hasPrefix("[info] ") && $0.hasSuffix(" keys read") }
            .flatMap { Int64($0.dropFirst(7).split(separator: " ").first ?? "") }
        guard r.status == 0, r.output.contains("RDB looks OK"), let keys else {
            let tail = r.output.split(separator: "\n").suffix(4).joined(separator: "\n")
            return VerifyReport(target: target.name, file: file, error: "\(file) is not a valid RDB file (redis-check-rdb):\n\(tail)", tables: [])
        }
        let status: TableCheck.Status = expectedKeys == nil || expectedKeys == keys ? .same : .different
        return VerifyReport(target: target.name, file: file, error: nil, tables: [
            TableCheck(target: target.name, object: "keys (all indexes)", sourceRows: expectedKeys, restoredRows: keys,
                       sourceChecksum: nil, restoredChecksum: "CRC64 ok", status: status),
        ])
    }

    /// A replica's (redis-cli --rdb) diskless sync waits repl-diskless-sync-delay seconds (5 by
    /// default) for more replicas; nobody else is coming, so start at once, then put it back.
    func prepareDump(_ server: PlannedServer, secrets: [String: String]) -> (() -> Void)? {
        guard let conn = try? RedisConnection.admin(server, secrets: secrets),
              case let .array(pair)? = try? conn.command(["CONFIG", "GET", "repl-diskless-sync-delay"]), pair.count == 2,
              let delay = pair[1].text, delay != "0", (try? conn.command(["CONFIG", "SET", "repl-diskless-sync-delay", "0"])) != nil else { return nil }
        return { _ = try? conn.command(["CONFIG", "SET", "repl-diskless-sync-delay", delay]) }
    }
}
