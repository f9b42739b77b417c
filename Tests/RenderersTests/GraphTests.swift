import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// `ovudev graph` and the bundle's TOPOLOGY.md: Graphviz accepts the DOT of every scenario,
/// the Mermaid is well formed (checked line by line, below), the text fits 100 columns and names
/// everything, and per-tenant scenarios draw each service once.
@Suite(.ownThread) struct GraphTests {
    static func graph(_ scenario: String) throws -> TopologyGraph { TopologyGraph(plan: try Bundles.plan(scenario)) }

    /// Names no topology can hold (validation forbids them), so the escaping is what is tested:
    /// quotes, a backslash, `#`, `<>`, two names that sanitize alike, and Mermaid's keyword `end`.
    static let hostile = TopologyGraph(
        project: "p\"q", scenario: "s\\n", layout: "single-db", tenants: 0,
        servers: [TopologyGraph.Server(name: "pg\"1\\x", engine: "postgres", version: "15", port: 5432, items: [
            .init(id: "pg\"1\\x/db \"q\" #1 <a>", kind: .database, label: "db \"q\" #1 <a>", owners: ["a-b"], copies: 1),
            .init(id: "pg\"1\\x/end", kind: .schema, label: "end", owners: ["a_b"], copies: 1),
        ])],
        services: [
            .init(name: "a-b", port: 1, dependsOn: [], reads: []),
            .init(name: "a_b", port: nil, dependsOn: ["a-b"], reads: [(service: "a-b", tables: ["t\"1", "#2"])]),
            .init(name: "end", port: 2, dependsOn: [], reads: []),
        ],
        edges: [
            .init(from: "a-b", to: "pg\"1\\x/db \"q\" #1 <a>", kind: .owns, label: "prefix \"x\"_"),
            .init(from: "a_b", to: "pg\"1\\x/end", kind: .owns, label: nil),
            .init(from: "a_b", to: "pg\"1\\x/db \"q\" #1 <a>", kind: .reads, label: "t\"1, #2"),
            .init(from: "a_b", to: "a-b", kind: .dependsOn, label: nil),
            .init(from: "end", to: "a_b", kind: .dependsOn, label: nil),
        ])

    // MARK: - DOT

    static func requireDot() throws {
        guard Tools.find("dot") != nil else {
            throw ToolMissing(description: "Graphviz's `dot` is not installed; install it with: apt-get install graphviz (or: sh scripts/install-deps.sh)")
        }
    }

    @Test(arguments: try Bundles.scenarioNames())
    func graphvizAcceptsTheDot(scenario: String) throws {
        try Self.requireDot()
        let dot = GraphDot.render(try Self.graph(scenario))
        let r = try Tools.run(["dot", "-Tsvg"], stdin: dot)
        #expect(r.status == 0 && r.stderr.isEmpty, "dot -Tsvg rejected scenario \(scenario):\n\(r.stderr)\n\(dot)")
        #expect(r.stdout.contains("<svg"))
    }

    @Test func graphvizAcceptsHostileNamesAndKeepsThem() throws {
        try Self.requireDot()
        let dot = GraphDot.render(Self.hostile)
        // -Tcanon prints the graph back as Graphviz read it: the names survive, quotes and all.
        let r = try Tools.run(["dot", "-Tcanon"], stdin: dot)
        #expect(r.status == 0 && r.stderr.isEmpty, "dot rejected escaped names:\n\(r.stderr)\n\(dot)")
        #expect(r.stdout.contains(#""item:pg\"1\\x/db \"q\" #1 <a>""#), "the item id did not survive:\n\(r.stdout)")
        #expect(r.stdout.contains(#"label="reads\nt\"1, #2""#), "the reads label did not survive:\n\(r.stdout)")
    }

    // MARK: - Mermaid

    @Test(arguments: try Bundles.scenarioNames())
    func mermaidIsWellFormed(scenario: String) throws {
        let text = GraphMermaid.render(try Self.graph(scenario))
        #expect(MermaidCheck.problems(text) == [], "\(scenario):\n\(text)")
    }

    @Test func mermaidEscapesHostileNames() throws {
        let text = GraphMermaid.render(Self.hostile)
        #expect(MermaidCheck.problems(text) == [], "\(text)")
        #expect(text.contains("#quot;q#quot; #35;1 #lt;a#gt;"))
        // Two names that sanitize alike get two ids; `end` never stands as an id of its own.
        #expect(text.contains("svc_a_b([") && text.contains("svc_a_b_2(["))
        #expect(!text.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("end ") })
    }

    /// The checker catches what it is meant to: an edge to an undeclared node, a stray quote,
    /// an unbalanced subgraph, an id Mermaid would not read.
    @Test func mermaidCheckRejectsBrokenDiagrams() {
        #expect(!MermaidCheck.problems("flowchart LR\n  a[\"x\"]\n  a --> b\n").isEmpty)
        #expect(!MermaidCheck.problems("flowchart LR\n  a[\"say \"hi\"\"]\n").isEmpty)
        #expect(!MermaidCheck.problems("flowchart LR\n  subgraph s[\"x\"]\n  a[\"x\"]\n").isEmpty)
        #expect(!MermaidCheck.problems("flowchart LR\n  a-b[\"x\"]\n").isEmpty)
        #expect(MermaidCheck.problems("flowchart LR\n  a[\"x\"]\n  b[(\"y\")]\n  a -.->|\"r #quot;\"| b\n") == [])
    }

    // MARK: - Text

    @Test(arguments: try Bundles.scenarioNames())
    func textNamesEverythingAndFits100Columns(scenario: String) throws {
        let plan = try Bundles.plan(scenario)
        let text = GraphText.render(TopologyGraph(plan: plan))
        for line in text.split(separator: "\n") {
            #expect(line.count <= 100, "\(scenario): a line of \(line.count) columns: \(line)")
        }
        for name in Set(plan.instances.map(\.service)) { #expect(text.contains("┌─ \(name) "), "\(scenario): no box for service \(name)") }
        for server in plan.servers { #expect(text.contains("┌─ \(server.name) · "), "\(scenario): no box for server \(server.name)") }
        // Boxes are closed: as many corners of each kind.
        #expect(text.filter { $0 == "┌" }.count == text.filter { $0 == "┘" }.count)
    }

    @Test func longLinesWrapInsideTheirBox() {
        let tables = (1...40).map { "table_\($0)" }
        let graph = TopologyGraph(
            project: "p", scenario: "s", layout: "db-per-service", tenants: 0,
            servers: [.init(name: "pg", engine: "postgres", version: "15", port: 5432, items: [
                .init(id: "pg/a_db", kind: .database, label: "a_db", owners: ["a"], copies: 1)])],
            services: [.init(name: "b", port: 1, dependsOn: [], reads: [(service: "a", tables: tables)])],
            edges: [.init(from: "b", to: "pg/a_db", kind: .reads, label: tables.joined(separator: ", "))])
        let text = GraphText.render(graph)
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(text)")
        #expect(text.contains("table_40"), "a wrapped line lost its end:\n\(text)")
    }

    // MARK: - Per tenant

    @Test func perTenantDrawsEachServiceOnceTimesTheTenants() throws {
        let plan = try Bundles.plan("saas")
        #expect(plan.layout == .perTenant && plan.instances.count == 8)
        let graph = TopologyGraph(plan: plan)
        #expect(graph.tenants == 2)
        #expect(graph.services.map(\.name) == ["ulm", "aam", "sam", "smm"])
        #expect(graph.servers.first { $0.name == "postgres" }?.items.map(\.label) == ["{tenant}_aam_db", "{tenant}_sam_db", "{tenant}_smm_db", "{tenant}_ulm_db"])

        let text = GraphText.render(graph)
        #expect(text.contains("ulm :8001 × 2 tenants"))
        let mermaid = GraphMermaid.render(graph)
        #expect(mermaid.contains("× 2 tenants"))
        #expect(mermaid.split(separator: "\n").filter { $0.contains("svc_") && $0.contains("([") }.count == 4)
        let dot = GraphDot.render(graph)
        for output in [text, mermaid, dot] {
            for instance in plan.instances { #expect(!output.contains(instance.name), "an instance node \(instance.name)") }
            #expect(!output.contains("acme") && !output.contains("globex"), "a tenant name in:\n\(output)")
        }
    }

    // MARK: - The bundle

    @Test(arguments: try Bundles.scenarioNames())
    func bundleHoldsTheMermaidAsTopologyMD(scenario: String) throws {
        let (plan, files) = try Bundles.render(scenario)
        let file = try #require(files.first { $0.path == "TOPOLOGY.md" })
        #expect(file.mode == 0o644)
        #expect(file.contents.contains("```mermaid\n" + GraphMermaid.render(TopologyGraph(plan: plan)) + "```\n"))
    }

    @Test func renderingIsDeterministic() throws {
        for scenario in try Bundles.scenarioNames() {
            let a = try Self.graph(scenario), b = try Self.graph(scenario)
            #expect(a == b)
            #expect(GraphText.render(a) == GraphText.render(b) && GraphDot.render(a) == GraphDot.render(b))
        }
    }
}

/// A structural check of the Mermaid flowcharts GraphMermaid writes: every line is a header,
/// `subgraph ID["label"]`, `end`, `direction`, a node `ID["label"]` (also `[(…)]`, `([…])`) or
/// an edge `ID --> ID` (`-.->`, `==>`, with an optional `|"label"|`); ids are [A-Za-z0-9_]+;
/// labels hold no raw quote and `#` only in entities; subgraphs close; edges join declared nodes.
enum MermaidCheck {
    static func problems(_ text: String) -> [String] {
        var problems: [String] = []
        var nodes = Set<String>()
        var edges: [(String, String)] = []
        var depth = 0
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.first == "flowchart LR" else { return ["the first line is not `flowchart LR`"] }
        let id = "([A-Za-z0-9_]+)"
        let label = "\"([^\"]*)\""
        let subgraph = try! Regex("subgraph \(id)\\[\(label)\\]")
        let node = try! Regex("\(id)(?:\\[\(label)\\]|\\[\\(\(label)\\)\\]|\\(\\[\(label)\\]\\))")
        let edge = try! Regex("\(id) (?:-->|-\\.->|==>)(?:\\|\(label)\\|)? \(id)")
        func checkLabel(_ s: Substring?, _ line: String) {
            guard let s else { return }
            if s.contains("\"") { problems.append("a raw quote in a label: \(line)") }
            if s.replacing(try! Regex("#(?:quot|lt|gt|amp|[0-9]+);"), with: "").contains("#") {
                problems.append("a # outside an entity: \(line)")
            }
        }
        for line in lines.dropFirst() where !line.isEmpty {
            if line == "end" {
                depth -= 1
                if depth < 0 { problems.append("`end` without a subgraph") }
            } else if line.hasPrefix("direction ") {
                if depth == 0 { problems.append("direction outside a subgraph") }
            } else if let m = try? subgraph.wholeMatch(in: line) {
                depth += 1
                checkLabel(m.output[2].substring, line)
            } else if let m = try? node.wholeMatch(in: line) {
                nodes.insert(String(m.output[1].substring!))
                for i in 2...4 { checkLabel(m.output[i].substring, line) }
            } else if let m = try? edge.wholeMatch(in: line) {
                edges.append((String(m.output[1].substring!), String(m.output[3].substring!)))
                checkLabel(m.output[2].substring, line)
            } else {
                problems.append("not a line of the expected forms: \(line)")
            }
        }
        if depth != 0 { problems.append("\(depth) subgraph(s) without `end`") }
        for (from, to) in edges {
            for end in [from, to] where !nodes.contains(end) { problems.append("edge \(from) → \(to): \(end) is not a declared node") }
        }
        return problems
    }
}
