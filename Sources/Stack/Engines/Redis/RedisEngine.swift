import Foundation
import Statements
import Topology

/// Redis: a redis-server per server (RedisServer.swift), one index per service instance checked
/// for isolation (RedisCheck), redis-cli --rdb dumps verified by redis-check-rdb (RedisBackup);
/// the hiredis wrapper in RedisConnection.
/// Nothing to provision, no seeds, restored by hand.
struct RedisEngine: EngineModule {
    var engine: Engine { .redis }
    var serverAccounts: [String] { ["redis", "postgres", "nobody"] }
    var dumpKind: BackupTarget.Kind { .redisRDB }
    var checksAlongside: Bool { true }

    func start(_ server: PlannedServer, on host: NativeEngine) throws -> ServerState { try host.startRedis(server) }
    func stop(_ server: PlannedServer, on host: NativeEngine) throws { try host.stopRedis(server) }
    func discard(_ server: PlannedServer, on host: NativeEngine) throws { try host.stopRedis(server, signal: SIGKILL) }
    func isRunning(_ server: PlannedServer, on host: NativeEngine) -> Bool { host.isRedisRunning(server) }
}
