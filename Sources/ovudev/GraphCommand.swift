import ArgumentParser
import Renderers

enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
    case text, mermaid, dot
}

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw a scenario: servers and what they hold, services, their data, reads and dependencies.",
        discussion: """
            text (default) draws boxes for a terminal, 100 columns wide; mermaid prints a flowchart \
            (the bundle's TOPOLOGY.md holds the same); dot prints a Graphviz digraph: \
            `ovudev graph --format dot | dot -Tsvg > topology.svg`. Per-tenant scenarios show each \
            service once, "× N tenants".
            """)

    @OptionGroup var options: TopologyOptions

    @Option(name: .long, help: "The scenario (default: the topology's defaultScenario).")
    var scenario: String?

    @Option(name: .long, help: "text, mermaid or dot.")
    var format: GraphFormat = .text

    func run() throws {
        let graph = TopologyGraph(plan: try options.load().plan(scenario: scenario))
        switch format {
        case .text: print(GraphText.render(graph), terminator: "")
        case .mermaid: print(GraphMermaid.render(graph), terminator: "")
        case .dot: print(GraphDot.render(graph), terminator: "")
        }
    }
}
