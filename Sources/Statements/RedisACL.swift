import Topology

/// The ACL of a Redis server with `acl`: the same users and rules for the native ACL file, the
/// compose command and the Kubernetes container, built once here.
public enum RedisACL {
    /// What a service's user may not run: server administration and the commands that reach
    /// every key or another index (FLUSHALL, FLUSHDB, KEYS, CONFIG, DEBUG, … are @dangerous or
    /// @admin); SELECT only of its own index; MOVE (into another index) not at all.
    public static func serviceRules(_ user: RedisUser) -> String {
        "resetkeys ~\(user.keyPrefix)* resetchannels &\(user.keyPrefix)* nocommands +@all -@dangerous -@admin -select +select|\(user.index) -move"
    }

    /// One `user` line per user, ovudev's two users and the default user (off, nothing) first;
    /// `password` gives the rule that sets each password (`#<sha256>` in the native file,
    /// `>$VAR` where a shell fills it in).
    public static func lines(_ server: PlannedServer, password: (SecretRef) throws -> String) rethrows -> [String] {
        var lines = ["user default off nopass resetkeys resetchannels nocommands"]
        if let admin = server.superuserSecret {
            lines.append("user \(RedisUser.admin) on \(try password(admin)) ~* &* +@all")
        }
        lines.append("user \(RedisUser.health) on nopass resetkeys resetchannels nocommands +ping")
        for user in server.redisUsers ?? [] {
            lines.append("user \(user.name) on \(try password(user.secret)) \(serviceRules(user))")
        }
        return lines
    }

    /// The commands a service's user must be refused (`check` runs each and expects NOPERM).
    public static let deniedProbes: [[String]] = [["KEYS", "*"], ["CONFIG", "GET", "maxmemory"]]
    /// Denied commands too destructive to run: `check` asks `ACL DRYRUN` about them.
    public static let deniedDryRuns: [[String]] = [["FLUSHALL"], ["FLUSHDB"], ["SWAPDB", "0", "1"], ["DEBUG", "SLEEP", "0"]]
}
