import Foundation
import Testing
import TestSupport
@testable import Topology
@testable import Scaffold

/// A scratch folder per test, removed at the end.
struct Scratch: ~Copyable {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "ovudev-init-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { "\(path)/\(name)" }
}

/// What `ovudev init` wrote, read back as the file's own model (values, not prose).
func decodeSpec(_ path: String) throws -> TopologySpec {
    try JSONDecoder().decode(TopologySpec.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
}

@Suite(.ownThread) struct NewProjectTests {
    @Test func writesAValidTopologyWithFreePorts() throws {
        let scratch = try Scratch()
        // 5432 and 8001 are taken here; so is 6379's neighbour, which must not matter.
        let busy: Set<Int> = [5432, 8001, 6380]
        let draft = try NewProject.draft(project: "shop", services: ["orders", "billing"], layout: .dbPerService, redis: true,
                                         isFree: { !busy.contains($0) })
        let path = scratch.file("ovu.topology.json")
        try TopologyFile.write(draft, to: path, force: false)
        let spec = try decodeSpec(path)
        #expect(spec.schema == "./Templates/topology.schema.json")
        #expect(spec.project == "shop")
        #expect(spec.defaultScenario == "dev")
        #expect(spec.servers == ["postgres": ServerSpec(engine: "postgres", version: "15", port: 5433),
                                 "redis": ServerSpec(engine: "redis", version: "7", port: 6379)])
        #expect(spec.services?["orders"]?.port == 8002)
        #expect(spec.services?["billing"]?.port == 8003)
        #expect(spec.services?["orders"]?.database == DatabaseSpec())
        #expect(spec.services?["billing"]?.redis == RedisSpec())
        #expect(spec.scenarios?.mapValues { $0.layout } == ["dev": "db-per-service", "stage": "db-per-service", "prod": "db-per-service"])
        #expect(spec.scenarios?["prod"]?.servers == "dedicated" && spec.scenarios?["prod"]?.secrets == "external")
        let topology = try TopologyLoader.load(path: path)
        #expect(topology.services.map(\.name) == ["billing", "orders"])
    }

    @Test(arguments: [Layout.singleDB, .perTenant])
    func layoutsGiveTheirScenarios(layout: Layout) throws {
        let scratch = try Scratch()
        // Per tenant the second tenant's copy (port + 100) must be free too: 8101 is taken.
        let draft = try NewProject.draft(project: "shop", services: ["orders"], layout: layout, redis: false, isFree: { $0 != 8101 })
        let path = scratch.file("t.json")
        let topology = try TopologyFile.write(draft, to: path, force: false)
        let spec = try decodeSpec(path)
        #expect(Set(spec.scenarios?.values.map(\.layout) ?? []) == [layout.rawValue])
        #expect(spec.servers?["redis"] == nil)
        if layout == .perTenant {
            #expect(spec.tenants == NewProject.exampleTenants)
            #expect(spec.services?["orders"]?.port == 8002)
            for scenario in topology.scenarios { _ = try resolve(topology, scenario: scenario.name) }
        } else {
            #expect(spec.tenants == nil)
            #expect(spec.services?["orders"]?.port == 8001)
        }
    }

    @Test(arguments: ["Orders", "9lives", "has space", String(repeating: "a", count: 41), ""])
    func badServiceNamesExit2(name: String) {
        #expect {
            try NewProject.draft(project: "shop", services: ["billing", name], layout: .dbPerService, redis: false, isFree: { _ in true })
        } throws: { error in
            guard let e = error as? InitError else { return false }
            return e.exitStatus == 2 && e.description.hasPrefix("--services: \"\(name)\"")
        }
    }

    @Test func namesThatCollideInSQLAreRefused() {
        #expect(throws: InitError.self) {
            try NewProject.draft(project: "shop", services: ["a-b", "a_b"], layout: .dbPerService, redis: false, isFree: { _ in true })
        }
        #expect(throws: InitError.self) {
            try NewProject.draft(project: "Shop", services: ["a"], layout: .dbPerService, redis: false, isFree: { _ in true })
        }
    }

    @Test func anExistingFileIsKeptWithoutForce() throws {
        let scratch = try Scratch()
        let path = scratch.file("ovu.topology.json")
        try "{ \"mine\": true }\n".write(toFile: path, atomically: true, encoding: .utf8)
        let draft = try NewProject.draft(project: "shop", services: ["orders"], layout: .dbPerService, redis: false, isFree: { _ in true })
        #expect(throws: InitError.self) { try TopologyFile.write(draft, to: path, force: false) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{ \"mine\": true }\n")
        try TopologyFile.write(draft, to: path, force: true)
        #expect(try decodeSpec(path).project == "shop")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["ovu.topology.json"], "a staging file was left")
    }

    /// The probe sees a port that a listener holds right now.
    @Test func probeSeesAListeningPort() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        #expect(listen(fd, 1) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        #expect(!PortProbe.isFree(port))
        #expect(PortProbe.firstFree(from: port, taken: []) != port)
    }
}
