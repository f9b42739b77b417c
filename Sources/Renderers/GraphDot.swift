import Foundation
/// The graph for Graphviz (`ovudev graph --format dot | dot -Tsvg > topology.svg`): a cluster
/// per server, databases as cylinders, services as rounded boxes; solid edges own, dashed read,
/// bold gray start after. Every id and label is a double-quoted string with `\` and `"` escaped,
/// so no name can end a string or start an escape sequence of Graphviz's own.
public enum GraphDot {
    public static func render(_ graph: TopologyGraph) -> String {
        var out = ["digraph \(quote("\(graph.project) \(graph.scenario)")) {"]
        var title = "\(graph.project): scenario \(graph.scenario) (\(graph.layout))"
        if graph.tenants > 0 { title += ", each service × \(graph.tenants) tenants\(graph.sharedNote)" }
        out.append("  graph [rankdir=LR, fontname=\"Helvetica\", labelloc=t, label=\(quote(title))];")
        out.append("  node [shape=box, fontname=\"Helvetica\"];")
        out.append("  edge [fontname=\"Helvetica\", fontsize=10];")
        for server in graph.servers {
            // Graphviz draws a subgraph as a box only when its name starts with "cluster".
            out.append("  subgraph \(quote("cluster_" + server.name)) {")
            out.append("    label=\(quote("\(server.name)", "\(server.engine) \(server.version) · :\(server.port)"));")
            for item in server.items {
                var text = item.label
                if item.copies > 1 && graph.tenants > 0 && item.kind != .redis { text += " × \(item.copies)" }
                let shape = item.kind == .database ? "cylinder" : "box"
                out.append("    \(quote("item:" + item.id)) [label=\(quote(text)), shape=\(shape)];")
            }
            out.append("  }")
        }
        for service in graph.services {
            var lines = [service.name]
            if let port = service.port { lines.append(":\(port)") }
            if graph.tenants > 0 { lines.append(service.shared ? "shared by all tenants" : "× \(graph.tenants) tenants") }
            out.append("  \(quote("service:" + service.name)) [label=\(quote(lines)), style=\"rounded,bold\"];")
        }
        for edge in graph.edges {
            let from = quote("service:" + edge.from)
            let to = quote(edge.kind == .dependsOn ? "service:" + edge.to : "item:" + edge.to)
            var attributes: [String] = []
            switch edge.kind {
            case .owns: if let label = edge.label { attributes.append("label=\(quote(label))") }
            case .redis: break
            case .reads:
                attributes.append("style=dashed")
                attributes.append("label=\(quote("reads", edge.label ?? ""))")
            case .dependsOn:
                attributes += ["style=bold", "color=gray40", "label=\"after\""]
            }
            out.append("  \(from) -> \(to)\(attributes.isEmpty ? "" : " [" + attributes.joined(separator: ", ") + "]");")
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    /// One DOT string; several lines are joined with Graphviz's `\n` after each is escaped.
    public static func quote(_ lines: String...) -> String { quote(lines) }

    public static func quote(_ lines: [String]) -> String {
        "\"" + lines.map { line in
            line.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: " ")
        }.joined(separator: "\\n") + "\""
    }
}
