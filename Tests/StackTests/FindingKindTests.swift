import Foundation
import Stack
import Testing
import TestSupport

/// `check --json`: every finding keeps its fields (`subject`, `check`, `status`, `detail`) and
/// adds `kind`, an object with the case's name and its names; every kind reads back as it was.
@Suite(.ownThread) struct FindingKindTests {
    static let kinds: [FindingKind] = [
        .connectsExactly(role: "r", server: "pg", count: 1, of: 3), .mayConnect(role: "r", databases: ["a", "b"]),
        .cannotConnect(role: "r", databases: ["a"]), .roleAttributes(role: "r", server: "pg"),
        .publicHas(database: "d", privilege: "CONNECT"), .publicHasNothing(server: "pg", databases: 4),
        .catalogOwnData(role: "r", database: "d", sampled: 12, roles: 300), .lacksOwnSchema(role: "r", database: "d", schema: "s"),
        .schemaPrivilege(role: "r", database: "d", schema: "s", privilege: .create), .mayWrite(role: "r", database: "d", table: "s.t", owner: "o"),
        .mayRead(role: "r", database: "d", table: "s.t"), .reads(role: "r", database: "d", table: "s.t"),
        .readsMissing(role: "r", database: "d", table: "s.t"), .connects(role: "r", database: "d", schema: nil),
        .connects(role: "r", database: "d", schema: "s"), .connectsOverTCP(role: "r", database: "d", port: 3306),
        .probeNotReadBack(role: "r", database: "d"), .probeFailed(role: "r", database: "d", error: "e"),
        .probeTableFailed(role: "r", database: "d", error: "e"),
        .loginFailed(role: "r", database: "d", port: 3306, error: "e"), .loggedIn(role: "r", database: "d"),
        .loginFailedUnexpectedly(role: "r", database: "d", error: "e"), .catalogUnreadable(server: "my", error: "e"),
        .anonymousAccounts(server: "my", accounts: []), .globalPrivileges(role: "r", server: "my", privileges: ["SUPER"]),
        .mysqlPrivileges(role: "r", server: "my", patterns: ["a\\_b"]), .mysqlPrivilegesMissing(role: "r", server: "my", patterns: ["d"]),
        .mysqlPrivilegesExactly(role: "r", server: "my", count: 1, of: 2), .usedDatabases(role: "r", server: "my", databases: ["d"]),
        .accessDenied(role: "r", server: "my", databases: 2), .useFailed(role: "r", database: "d", error: "e"),
        .redisSlot(instance: "i", server: "redis", index: 2), .redisKeyLost(instance: "i", index: 2),
        .redisSeesKeys(instance: "i", index: 2, others: ["j"]), .redisFailed(server: "redis", error: "e"),
        .redisACLHolds(user: "i", server: "redis", prefix: "i:", others: 2), .redisACLReached(user: "i", server: "redis", reached: ["GET j:x"]),
        .redisACLLoginFailed(user: "i", server: "redis", error: "e"), .redisDefaultUserOff(server: "redis"),
        .redisDefaultUserReads(server: "redis"), .redisUnknownUsers(server: "redis", users: ["x"]),
        .health(instance: "i", url: "http://127.0.0.1:1/h", status: 503), .healthUnanswered(instance: "i", url: "u", error: "e"),
        .notChecked(server: "mongodb", engine: "mongodb"), .clientMissing(server: "my", install: "apt-get install x"),
    ]

    @Test func everyKindReadsBackAsItWasWritten() throws {
        for kind in Self.kinds {
            let finding = CheckFinding(subject: "r", check: "isolation", status: .leak, kind: kind)
            let data = try JSONEncoder().encode(finding)
            #expect(try JSONDecoder().decode(CheckFinding.self, from: data) == finding, "\(String(decoding: data, as: UTF8.self))")
        }
    }

    @Test func theJSONKeepsTheSentenceAndAddsTheKindWithItsNames() throws {
        let finding = CheckFinding(subject: "smm_user", check: "isolation", status: .leak, kind: .mayConnect(role: "smm_user", databases: ["ulm_db", "aam_db"]))
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(finding)) as? [String: Any])
        #expect(Set(object.keys) == ["subject", "check", "status", "detail", "kind"])
        #expect(object["subject"] as? String == "smm_user" && object["check"] as? String == "isolation" && object["status"] as? String == "leak")
        #expect(object["detail"] as? String == "may connect to ulm_db, aam_db")
        let kind = try #require(object["kind"] as? [String: Any])
        #expect(kind["case"] as? String == "mayConnect")
        #expect(kind["role"] as? String == "smm_user")
        #expect(kind["databases"] as? [String] == ["ulm_db", "aam_db"])
        let schema = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(
            FindingKind.schemaPrivilege(role: "r", database: "d", schema: "s", privilege: .usage))) as? [String: Any])
        #expect(schema["privilege"] as? String == "USAGE")
    }
}
