import Foundation
import Statements
import Topology

/// A server with `acl`: real logins as each instance's user prove that it reads and writes its
/// own prefix and is refused (NOPERM) every other instance's keys and channels, another index
/// and the denied commands; the default user is off; no user exists that the plan does not have.
extension RedisEngine {
    func checkACL(_ server: PlannedServer, by checker: Checker) -> [CheckFinding] {
        guard let users = server.redisUsers else { return [] }
        var findings: [CheckFinding] = []
        func add(_ subject: String, _ status: CheckFinding.Status, _ kind: FindingKind) {
            findings.append(CheckFinding(subject: subject, check: "redis-acl", status: status, kind: kind))
        }
        do {
            let anonymous = try RedisConnection(port: server.port)
            do {
                try anonymous.command(["GET", "ovudev:probe"])
                add(server.name, .leak, .redisDefaultUserReads(server: server.name))
            } catch where RedisConnection.isRefusal(error) {
                add(server.name, .ok, .redisDefaultUserOff(server: server.name))
            }
            let admin = try RedisConnection.admin(server, secrets: checker.secrets)
            guard case let .array(listed) = try admin.command(["ACL", "USERS"]) else { throw RedisError(message: "unexpected ACL USERS reply") }
            let known = Set(["default", RedisUser.admin, RedisUser.health] + users.map(\.name))
            let unknown = listed.compactMap(\.text).filter { !known.contains($0) }.sorted()
            if !unknown.isEmpty { add(server.name, .leak, .redisUnknownUsers(server: server.name, users: unknown)) }
            for user in users {
                findings.append(probe(user, among: users, on: server, admin: admin, by: checker))
            }
        } catch {
            add(server.name, .fail, .redisFailed(server: server.name, error: "\(error)"))
        }
        return findings
    }

    /// One user's real login: its own key and channel work; everything else is refused.
    private func probe(_ user: RedisUser, among users: [RedisUser], on server: PlannedServer, admin: RedisConnection, by checker: Checker) -> CheckFinding {
        func finding(_ status: CheckFinding.Status, _ kind: FindingKind) -> CheckFinding {
            CheckFinding(subject: user.name, check: "redis-acl", status: status, kind: kind)
        }
        do {
            let conn = try RedisConnection(port: server.port)
            try conn.command(["AUTH", user.name, checker.secrets[user.secret.variable] ?? ""])
            try conn.select(user.index)
            let key = "\(user.keyPrefix)ovudev:probe", token = "ovudev-check-\(getpid())"
            try conn.command(["SET", key, token, "EX", "60"])
            guard try conn.command(["GET", key]) == .string(token) else {
                return finding(.fail, .redisACLLoginFailed(user: user.name, server: server.name, error: "its own key \(key) was not read back"))
            }
            try conn.command(["PUBLISH", "\(user.keyPrefix)ovudev:probe", token])
            try conn.command(["DEL", key])
            var reached: [String] = []
            func refused(_ command: [String]) throws {
                do { try conn.command(command); reached.append(command.joined(separator: " ")) } catch where RedisConnection.isRefusal(error) {}
            }
            let others = users.filter { $0.name != user.name }.prefix(checker.loginSample * 4)
            for other in others {
                try refused(["GET", "\(other.keyPrefix)ovudev:probe"])
                try refused(["PUBLISH", "\(other.keyPrefix)ovudev:probe", token])
            }
            try refused(["SELECT", String(user.index == 0 ? 1 : 0)])
            for command in RedisACL.deniedProbes { try refused(command) }
            // Destructive commands are asked about, not run.
            for command in RedisACL.deniedDryRuns where try admin.command(["ACL", "DRYRUN", user.name] + command) == .status("OK") {
                reached.append(command.joined(separator: " "))
            }
            if !reached.isEmpty { return finding(.leak, .redisACLReached(user: user.name, server: server.name, reached: reached)) }
            return finding(.ok, .redisACLHolds(user: user.name, server: server.name, prefix: user.keyPrefix, others: others.count))
        } catch {
            return finding(.fail, .redisACLLoginFailed(user: user.name, server: server.name, error: "\(error)"))
        }
    }
}
