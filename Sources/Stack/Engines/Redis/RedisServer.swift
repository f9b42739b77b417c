import Foundation
import Statements
import Topology

/// A redis-server per server, daemonized with its own config, AOF and RDB in its folder.
extension NativeEngine {
    func redisPid(_ server: PlannedServer) -> pid_t? {
        guard let text = try? String(contentsOfFile: "\(paths.redisDir(server.name))/redis.pid", encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), Subprocess.isAlive(pid, running: ["redis-server"]) else { return nil }
        return pid
    }

    public func isRedisRunning(_ server: PlannedServer) -> Bool {
        guard redisPid(server) != nil else { return false }
        return Self.redisAnswers(server.port, timeoutSeconds: 2)
    }

    /// PONG, or a refusal of the ACL: a server answers (the default user may be off).
    static func redisAnswers(_ port: Int, timeoutSeconds: Int) -> Bool {
        guard let conn = try? RedisConnection(port: port, timeoutSeconds: timeoutSeconds) else { return false }
        do { return try conn.ping() } catch { return RedisConnection.isRefusal(error) }
    }

    func startRedis(_ server: PlannedServer) throws -> ServerState {
        guard Subprocess.which("redis-server") != nil else {
            throw EngineError("redis-server not found: install it with `apt-get install redis-server`")
        }
        let account = Self.serverAccount(for: .redis)
        if isRedisRunning(server) {
            let conf = (try? String(contentsOfFile: "\(paths.redisDir(server.name))/redis.conf", encoding: .utf8)) ?? ""
            if server.redisUsers == nil && conf.contains("\naclfile ") {
                progress("restart \(server.name): its ACL is no longer wanted")
                try stopRedis(server)
            } else if try server.redisUsers == nil || convergeRedisACL(server, account: account) {
                return ServerState(name: server.name, engine: .redis, port: server.port, action: .running, running: true)
            }
        }
        let dir = paths.redisDir(server.name)
        let created = !FileManager.default.fileExists(atPath: "\(dir)/redis.conf")
        try makeDirectory(dir, owner: account)
        try checkTraversable(dir, by: account)
        let log = paths.serverLog(server.name)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        try chown(log, to: account)
        let conf = """
            # Written by ovudev for server \(server.name); rewritten on every start.
            bind 127.0.0.1
            port \(server.port)
            protected-mode yes
            daemonize yes
            pidfile \(dir)/redis.pid
            logfile \(log)
            dir \(dir)
            databases \(server.redisDatabases ?? 16)
            appendonly yes
            save 60 1000
            \(server.redisUsers == nil ? "" : "aclfile \(redisACLPath(server))\n")
            """
        try conf.write(toFile: "\(dir)/redis.conf", atomically: true, encoding: .utf8)
        try chown("\(dir)/redis.conf", to: account)
        if server.redisUsers != nil { try writeRedisACL(server, account: account) }
        try ensurePortFree(server.port, for: server.name)
        // A pid file naming no live redis-server (a zombie, a recycled pid) is stale; redis-server,
        // running as its own account, could not overwrite one another account wrote, and `down`
        // would then read the stale pid and leave the new server running.
        if redisPid(server) == nil { try? FileManager.default.removeItem(atPath: "\(dir)/redis.pid") }
        progress("start \(server.name) on 127.0.0.1:\(server.port)")
        let r = try Subprocess.run(["redis-server", "\(dir)/redis.conf"], user: account)
        guard r.status == 0 else { throw EngineError("redis-server \(server.name) did not start:\n\(r.output)") }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if Self.redisAnswers(server.port, timeoutSeconds: 1) {
                return ServerState(name: server.name, engine: .redis, port: server.port, action: created ? .created : .started, running: true)
            }
            usleep(10_000)
        }
        let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(8).joined(separator: "\n")
        throw EngineError("Redis \(server.name) does not answer PING on 127.0.0.1:\(server.port)\n\(tail)")
    }

    func stopRedis(_ server: PlannedServer, signal: Int32 = SIGTERM) throws {
        if let pid = redisPid(server) {
            progress("stop \(server.name)")
            try terminate(pid, signal: signal, within: 30, or: "redis-server \(server.name) (pid \(pid)) did not stop")
        }
    }
}
