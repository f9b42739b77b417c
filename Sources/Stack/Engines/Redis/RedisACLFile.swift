import Foundation
import Statements
import Topology
import Workspace

extension RedisConnection {
    /// A connection as ovudev's own user on a server with ACL (as the default user otherwise).
    /// A server still running without the ACL (started before `acl` was set) refuses the login:
    /// the connection stays unauthenticated, which such a server allows.
    static func admin(_ server: PlannedServer, secrets: [String: String], timeoutSeconds: Int = 5) throws -> RedisConnection {
        let conn = try RedisConnection(port: server.port, timeoutSeconds: timeoutSeconds)
        if server.redisUsers != nil, let ref = server.superuserSecret, let password = secrets[ref.variable] {
            _ = try? conn.command(["AUTH", RedisUser.admin, password])
        }
        return conn
    }

    /// Whether a reply error is a refusal of the ACL (and not a failure).
    static func isRefusal(_ error: Error) -> Bool {
        guard let e = error as? RedisError else { return false }
        return e.message.hasPrefix("NOPERM") || e.message.hasPrefix("NOAUTH") || e.message.hasPrefix("WRONGPASS")
    }
}

extension NativeEngine {
    func redisACLPath(_ server: PlannedServer) -> String { "\(paths.redisDir(server.name))/users.acl" }

    /// The server's ACL file (0600, its account's): the default user off, ovudev's users, one
    /// user per instance; passwords as SHA-256 hashes.
    func writeRedisACL(_ server: PlannedServer, account: String?) throws {
        let text = try RedisACL.lines(server) { ref in
            guard let password = secrets[ref.variable] else {
                throw EngineError("no password for the Redis user of \(ref.variable) on \(server.name); external secrets: export it")
            }
            let hash = SHA256()
            hash.update(Array(password.utf8))
            return "#" + hash.finalize()
        }.joined(separator: "\n") + "\n"
        let path = redisACLPath(server)
        try writeFileAtomically(path: path, data: Data(text.utf8), mode: 0o600)
        try chown(path, to: account)
    }

    /// A running server with ACL: the file written again and loaded (`ACL LOAD` replaces every
    /// user, so a user changed by hand is taken back). A server started before `acl` was set has
    /// no ACL file to load: it is restarted with one.
    func convergeRedisACL(_ server: PlannedServer, account: String?) throws -> Bool {
        try writeRedisACL(server, account: account)
        let conn = try RedisConnection.admin(server, secrets: secrets)
        do {
            try conn.command(["ACL", "LOAD"])
            return true
        } catch let error as RedisError where error.message.contains("ACL file") {
            progress("restart \(server.name): it runs without an ACL file")
            try stopRedis(server)
            return false
        }
    }
}
