import Foundation
import Renderers
import Testing
import TestSupport
import Topology

/// `.ovu/secrets.json` keeps one password per project, server and variable.
@Suite(.ownThread) struct SecretStoreTests {
    /// The example topology under another project name, in `directory`.
    func plan(project name: String, scenario: String, in directory: String, edit: (inout [String: Any]) -> Void = { _ in }) throws -> Plan {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Bundles.topologyPath))) as! [String: Any]
        json["project"] = name
        edit(&json)
        let path = "\(directory)/\(name).topology.json"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return try Project.load(topologyPath: path).plan(scenario: scenario)
    }

    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ovudev-secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func twoProjectsInOneFolderShareNoPassword() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = SecretStore(topologyDirectory: dir)
        let shop = try plan(project: "shop", scenario: "dev", in: dir), blog = try plan(project: "blog", scenario: "dev", in: dir)
        let (a, savedA) = try store.values(for: shop)
        try store.save(try #require(savedA))
        let (b, savedB) = try store.values(for: blog)
        try store.save(try #require(savedB))
        #expect(Set(a.keys) == Set(b.keys) && !a.isEmpty)
        for variable in a.keys { #expect(a[variable] != b[variable], "\(variable) shared by two projects") }
        // Each project gets its own passwords back, and nothing new is generated.
        let again = try store.values(for: shop)
        #expect(again.values == a && again.updated == nil)
        #expect(try store.load().projects.keys.sorted() == ["blog", "shop"])
    }

    @Test func aVariableOnTwoServersOfOnePlanHasOneValue() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Dedicated servers with the analytics role: ANALYTICS_ROLE_PASSWORD is on every server.
        let prod = try plan(project: "ovu", scenario: "prod", in: dir) { json in
            json["scenarios"] = ["prod": ["layout": "db-per-service", "servers": "dedicated", "analytics": true]]
            json["defaultScenario"] = "prod"
        }
        let analytics = prod.servers.filter { $0.roles.contains { $0.instance == nil } }
        #expect(analytics.count > 1)
        let (values, saved) = try SecretStore(topologyDirectory: dir).values(for: prod)
        let document = try #require(saved)
        #expect(analytics.allSatisfy { document.projects["ovu"]?[$0.name]?["ANALYTICS_ROLE_PASSWORD"] != nil })
        for (server, stored) in try #require(document.projects["ovu"]) {
            for (variable, value) in stored { #expect(values[variable] == value, "\(server) \(variable)") }
        }
    }

    @Test func aStoreFromBeforeIsClaimedByTheFirstProjectThatAsks() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = SecretStore(topologyDirectory: dir)
        let ovu = try plan(project: "ovu", scenario: "dev", in: dir), other = try plan(project: "other", scenario: "dev", in: dir)
        let legacy = Dictionary(uniqueKeysWithValues: ovu.secretRefs.map { ($0.variable, "old-\($0.variable)") })
        try FileManager.default.createDirectory(atPath: "\(dir)/.ovu", withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: legacy).write(to: URL(fileURLWithPath: store.path))

        let (kept, saved) = try store.values(for: ovu)
        #expect(kept == legacy, "a running stack keeps its passwords")
        try store.save(try #require(saved))
        #expect(try store.load().unassigned == nil)
        let (fresh, _) = try store.values(for: other)
        for variable in legacy.keys { #expect(fresh[variable] != legacy[variable]) }
    }
}
