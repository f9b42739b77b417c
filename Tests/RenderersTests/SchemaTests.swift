import Foundation
import Renderers
import Testing
import Workspace

@Suite struct SchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func embeddedSchemaIsTheCommittedFile() throws {
        let file = try String(contentsOfFile: "\(Self.root)/Templates/topology.schema.json", encoding: .utf8)
        #expect(TemplateSet.builtinFile("topology.schema.json") == file)
    }

    /// The example topology passes its own JSON Schema, checked by a real validator; and the schema
    /// rejects what validation rejects at the schema level (unknown keys, bad names).
    @Test func exampleTopologyPassesTheSchema() throws {
        let schema = "\(Self.root)/Templates/topology.schema.json"
        let ok = try run(["check-jsonschema", "--schemafile", schema, "\(Self.root)/ovu.topology.json"])
        #expect(ok.status == 0, "\(ok.output)")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ovudev-schema-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = """
            {"project": "Shop", "servers": {"pg": {"engine": "postgres"}}, "services": {"a": {"databse": {}}},
             "scenarios": {"dev": {"layout": "single-db"}}}
            """
        try bad.write(toFile: "\(dir)/bad.json", atomically: true, encoding: .utf8)
        let rejected = try run(["check-jsonschema", "--schemafile", schema, "\(dir)/bad.json"])
        #expect(rejected.status != 0)
        #expect(rejected.output.contains("databse"))
        #expect(rejected.output.contains("Shop"))
    }

    /// The fixture with every naming and env-contract key passes the schema too.
    @Test func namesFixturePassesTheSchema() throws {
        let schema = "\(Self.root)/Templates/topology.schema.json"
        let ok = try run(["check-jsonschema", "--schemafile", schema, "\(Self.root)/Tests/Fixtures/names/ovu.topology.json"])
        #expect(ok.status == 0, "\(ok.output)")
    }

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let r = try ChildProcess.run(arguments)
        if r.status == 127 {
            Issue.record("\(arguments[0]) not found: install it with `make deps` (check-jsonschema)")
        }
        return (r.status, r.stdout + r.stderr)
    }
}
