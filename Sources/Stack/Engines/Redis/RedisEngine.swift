import Foundation
import Statements
import Topology

/// Redis: a redis-server per server (Server.swift), one index per service instance checked
/// for isolation (Check.swift), redis-cli --rdb dumps verified by redis-check-rdb (Backup.swift).
/// Nothing to provision, no seeds, restored by hand.
struct RedisEngine: EngineModule {
    var engine: Engine { .redis }
    var serverAccounts: [String] { ["redis", "postgres", "nobody"] }
    var dumpKind: BackupTarget.Kind { .redisRDB }
    var checksAlongside: Bool { true }

    func start(_ server: PlannedServer, on host: NativeEngine) throws -> ServerState { try host.startRedis(server) }
    func stop(_ server: PlannedServer, on host: NativeEngine) throws { try host.stopRedis(server) }
    func isRunning(_ server: PlannedServer, on host: NativeEngine) -> Bool { host.isRedisRunning(server) }

    func check(_ server: PlannedServer, by checker: Checker, progress: (String) -> Void) throws -> [CheckFinding] {
        checker.checkRedis(server)
    }

    func backupAndVerify(_ target: BackupTarget, by runner: BackupRunner) throws -> (BackupFile, VerifyReport) {
        try runner.backupAndVerifyRedis(target)
    }

    func verify(file: String, target: BackupTarget, by runner: BackupRunner, expected: [String: Fingerprint]?, expectedKeys: Int64?) throws -> VerifyReport {
        try runner.verifyRDB(file: file, target: target, expectedKeys: expectedKeys)
    }
}
