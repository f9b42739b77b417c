import Foundation
import Stack
import Testing
import TestSupport
import Topology
import Workspace

/// `servers.<redis>.acl`: a real redis-server with one ACL user per service. A service's client
/// is refused (NOPERM) another's keys and channels and the admin commands; `check` proves it and
/// reports a user widened by hand; the next `up` loads the ACL file again and takes it back.
@Suite(.ownThread) struct RedisACLTests {
    /// Only the Redis server (no databases, no processes): the example's four services, ACL on.
    static func project() throws -> TempProject {
        try TempProject { json in
            var servers = json["servers"] as! [String: [String: Any]]
            servers = ["redis": servers["redis"]!.merging(["acl": true]) { $1 }]
            json["servers"] = servers
            var services = json["services"] as! [String: [String: Any]]
            for name in services.keys {
                services[name] = ["port": services[name]!["port"]!, "redis": services[name]!["redis"]!]
            }
            services["smm"]!["redis"] = ["prefix": "social/"]
            json["services"] = services
            json["scenarios"] = ["dev": ["layout": "single-db"]]
        }
    }

    func login(_ stack: NativeStack, _ instance: String) throws -> RedisConnection {
        let slot = try #require(stack.plan.instance(instance)?.redis)
        let server = try #require(stack.plan.server(slot.server))
        let conn = try RedisConnection(port: server.port)
        try conn.command(["AUTH", try #require(slot.user), try #require(stack.secrets[slot.secret!.variable])])
        try conn.select(slot.index)
        return conn
    }

    func refused(_ conn: RedisConnection, _ command: [String]) -> Bool {
        do { try conn.command(command); return false } catch { return (error as? RedisError)?.message.hasPrefix("NOPERM") == true }
    }

    @Test func eachServiceHasItsOwnPrefixAndNothingElse() throws {
        let project = try Self.project()
        defer { project.close() }
        let stack = try project.stack("dev")
        let report = try #require(try stack.up().check)
        #expect(report.passed, "\(report.findings.filter { $0.status != .ok }.map(\.detail))")
        let server = try #require(stack.plan.server("redis"))
        #expect(report.findings.filter { if case .redisACLHolds = $0.kind { return true }; return false }.count == 4)
        #expect(report.findings.contains { $0.kind == .redisDefaultUserOff(server: "redis") })

        // The environment a service gets: its user in the URL, its prefix.
        let smm = try #require(stack.plan.instance("smm"))
        #expect(smm.environment.first { $0.key == "REDIS_KEY_PREFIX" }?.host == .text("social/"))
        #expect(smm.redis?.user == "smm" && smm.redis?.keyPrefix == "social/")

        // The ACL file: private to the server's account.
        var info = stat()
        #expect(stat("\(stack.paths.redisDir("redis"))/users.acl", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        if geteuid() == 0 { #expect(info.st_uid != 0) }

        // A service's own client: its prefix works; another's keys and channels, another index
        // and the admin commands are refused.
        let ulm = try login(stack, "ulm")
        try ulm.command(["SET", "ulm:session", "1"])
        #expect(try ulm.command(["GET", "ulm:session"]) == .string("1"))
        let aam = try login(stack, "aam")
        try aam.command(["SET", "aam:secret", "x"])
        #expect(refused(ulm, ["GET", "aam:secret"]))
        #expect(refused(ulm, ["PUBLISH", "aam:events", "hi"]))
        #expect(refused(ulm, ["SUBSCRIBE", "social/events"]))
        #expect(refused(ulm, ["FLUSHALL"]) && refused(ulm, ["FLUSHDB"]) && refused(ulm, ["KEYS", "*"]) && refused(ulm, ["CONFIG", "GET", "*"]))
        #expect(refused(ulm, ["SELECT", "1"]))
        #expect(try aam.command(["GET", "aam:secret"]) == .string("x"))
        // `ovudev docs`: the keys under the instance's prefix.
        #expect(try stack.liveCatalog(service: "aam").contains { $0.name == "redis db 1 keys aam:*" && $0.rows == 1 })
        // Without a login: nothing.
        let anonymous = try RedisConnection(port: server.port)
        #expect(throws: RedisError.self) { try anonymous.command(["GET", "aam:secret"]) }
    }

    @Test func aUserWidenedByHandIsReportedAndTakenBackByUp() throws {
        let project = try Self.project()
        defer { project.close() }
        let stack = try project.stack("dev")
        #expect(try stack.up().check?.passed == true)
        let server = try #require(stack.plan.server("redis"))
        let admin = try RedisConnection(port: server.port)
        try admin.command(["AUTH", RedisUser.admin, try #require(stack.secrets[server.superuserSecret!.variable])])
        try admin.command(["ACL", "SETUSER", "ulm", "~*", "&*", "+flushall"])
        try admin.command(["ACL", "SETUSER", "intruder", "on", ">pw", "~*", "+@all"])

        let report = try stack.checker().run()
        #expect(!report.passed)
        let leaks = report.findings.filter { $0.status == .leak }
        #expect(leaks.contains { $0.kind == .redisUnknownUsers(server: "redis", users: ["intruder"]) })
        let reached = leaks.compactMap { f -> [String]? in if case let .redisACLReached("ulm", _, reached) = f.kind { return reached }; return nil }.first
        #expect(reached?.contains("GET aam:ovudev:probe") == true && reached?.contains("FLUSHALL") == true, "\(leaks.map(\.detail))")
        // The CLI: exit 1 on the leak.
        let cli = try ovudev(["check", "--scenario", "dev"], directory: project.directory)
        #expect(cli.status == 1, "\(cli.output)")

        #expect(try stack.up().check?.passed == true)
        #expect(refused(try login(stack, "ulm"), ["GET", "aam:x"]))
    }

    /// `ovudev backup` dumps as ovudev's own user (the default user is off) and verifies the keys.
    @Test func theBackupLogsInAsOvudevsUser() throws {
        let project = try Self.project()
        defer { project.close() }
        let stack = try project.stack("dev")
        _ = try stack.up(check: false)
        try login(stack, "sam").command(["SET", "sam:k", "v"])
        let runner = BackupRunner(stack: stack)
        let target = try #require(runner.targets(matching: "redis")?.first)
        let (file, report) = try runner.backupAndVerify(target)
        #expect(report.error == nil && report.tables.allSatisfy { $0.status == .same }, "\(report)")
        #expect(file.bytes > 0)
    }

    /// `acl` set on a server that runs without it: the next `up` restarts it with the ACL file
    /// (its data kept); taken off again: restarted without, the default user back.
    @Test func turningACLOnAndOffOnARunningServer() throws {
        let project = try Self.project()
        defer { project.close() }
        let path = "\(project.directory)/ovu.topology.json"
        func stack(acl: Bool) throws -> NativeStack {
            var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            var servers = json["servers"] as! [String: [String: Any]]
            servers["redis"]!["acl"] = acl
            json["servers"] = servers
            try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: path))
            let reloaded = try Project.load(topologyPath: path)
            return NativeStack(project: reloaded, plan: try reloaded.plan(scenario: "dev"))
        }
        let open = try stack(acl: false)
        #expect(try open.up().check?.passed == true)
        let port = try #require(open.plan.server("redis")).port
        let plain = try RedisConnection(port: port)
        try plain.command(["SET", "ulm:kept", "1"])

        let closed = try stack(acl: true)
        let report = try #require(try closed.up().check)
        #expect(report.passed, "\(report.findings.filter { $0.status != .ok }.map(\.detail))")
        #expect(report.findings.contains { $0.kind == .redisDefaultUserOff(server: "redis") })
        #expect(try login(closed, "ulm").command(["GET", "ulm:kept"]) == .string("1"))

        let reopened = try stack(acl: false)
        #expect(try reopened.up().check?.passed == true)
        #expect(try RedisConnection(port: port).command(["GET", "ulm:kept"]) == .string("1"))
    }
}
