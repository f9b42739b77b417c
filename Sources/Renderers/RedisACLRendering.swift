import Statements
import Topology

/// A Redis server with `acl` in a container: a shell writes the ACL file from the passwords in
/// its environment (so external secrets stay out of the bundle) into the data folder, then the
/// image's entrypoint starts redis-server with it (as the redis account, which it gives /data).
enum RedisACLContainer {
    static let file = "/data/users.acl"

    /// The container's script; `$VAR` stands for each password.
    static func script(_ server: PlannedServer) -> String {
        let lines = RedisACL.lines(server) { ">$\($0.variable)" }.map { "\"\($0)\"" }.joined(separator: " ")
        return "umask 077 && printf '%s\\n' \(lines) > \(file) && exec docker-entrypoint.sh redis-server --aclfile \(file) --databases \(server.redisDatabases ?? 16) --appendonly yes"
    }

    /// Every password the script reads, sorted.
    static func secrets(_ server: PlannedServer) -> [SecretRef] {
        Array(Set(([server.superuserSecret].compactMap { $0 }) + (server.redisUsers ?? []).map(\.secret))).sorted { $0.variable < $1.variable }
    }

    /// Health as ovudev's PING-only user (the default user is off).
    static let probe = ["redis-cli", "--user", RedisUser.health, "--pass", "health", "--no-auth-warning", "ping"]

    /// The backup CronJob's dump as ovudev's own user (`OVU_ADMIN_PASSWORD` from its Secret).
    static let dump = "REDISCLI_AUTH=\"$OVU_ADMIN_PASSWORD\" redis-cli --no-auth-warning --user \(RedisUser.admin) -h \"$OVU_HOST\" -p \"$OVU_PORT\" --rdb"
}
