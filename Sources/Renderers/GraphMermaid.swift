import Foundation
/// The graph as a Mermaid `flowchart LR`: a subgraph per server holding its databases (cylinders),
/// schemas and Redis indexes; services outside; `-->` owns, `-.->` reads, `==>` depends on.
/// Mermaid ids allow little, so each is derived from the name ([A-Za-z0-9_] only, a kind prefix
/// that also keeps keywords like `end` out) and made unique; every label is quoted, with the
/// characters Mermaid would read as syntax written as `#…;` entities.
public enum GraphMermaid {
    public static func render(_ graph: TopologyGraph) -> String {
        var ids = MermaidIDs()
        var out = ["flowchart LR"]
        for server in graph.servers {
            out.append("  subgraph \(ids.id("server:" + server.name, prefix: "srv_", name: server.name))[\"\(label("\(server.name) · \(server.engine) \(server.version) · :\(server.port)"))\"]")
            out.append("    direction TB")
            for item in server.items {
                let id = ids.id("item:" + item.id, prefix: "data_", name: item.id)
                var text = item.label
                if item.copies > 1 && graph.tenants > 0 && item.kind != .redis { text += " × \(item.copies)" }
                switch item.kind {
                case .database: out.append("    \(id)[(\"\(label(text))\")]")
                case .schema, .redis: out.append("    \(id)[\"\(label(text))\"]")
                }
            }
            out.append("  end")
        }
        for service in graph.services {
            var text = service.name + (service.port.map { " :\($0)" } ?? "")
            if graph.tenants > 0 { text += service.shared ? " shared by all tenants" : " × \(graph.tenants) tenants" }
            out.append("  \(ids.id("service:" + service.name, prefix: "svc_", name: service.name))([\"\(label(text))\"])")
        }
        for edge in graph.edges {
            let from = ids.id("service:" + edge.from, prefix: "svc_", name: edge.from)
            let to = edge.kind == .dependsOn ? ids.id("service:" + edge.to, prefix: "svc_", name: edge.to)
                : ids.id("item:" + edge.to, prefix: "data_", name: edge.to)
            let text: String?
            let arrow: String
            switch edge.kind {
            case .owns: arrow = "-->"; text = edge.label
            case .redis: arrow = "-->"; text = nil
            case .reads: arrow = "-.->"; text = "reads " + (edge.label ?? "")
            case .dependsOn: arrow = "==>"; text = "after"
            }
            out.append("  \(from) \(arrow)\(text.map { "|\"\(label($0))\"|" } ?? "") \(to)")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// TOPOLOGY.md in the compose bundle: the diagram, which GitHub and most editors draw.
    public static func document(_ graph: TopologyGraph, header: String) -> String {
        var text = "# \(graph.project): scenario \(graph.scenario)\n\n\(header)\n\n"
        text += "Layout: \(graph.layout)"
        if graph.tenants > 0 { text += "; each service runs once per tenant (× \(graph.tenants))\(graph.sharedNote), drawn once" }
        text += ". Arrows: `-->` owns, `-.->` reads (SELECT on the tables named), `==>` starts after.\n\n"
        return text + "```mermaid\n" + render(graph) + "```\n"
    }

    /// Quoted-label text: `#`, `"`, `<`, `>` as entities (Mermaid decodes `#quot;`, `#35;`, …).
    public static func label(_ s: String) -> String {
        // `#` first: the entities written after it start with `#` and must stay as they are.
        s.replacingOccurrences(of: "#", with: "#35;").replacingOccurrences(of: "\"", with: "#quot;")
            .replacingOccurrences(of: "<", with: "#lt;").replacingOccurrences(of: ">", with: "#gt;")
            .replacingOccurrences(of: "\n", with: " ")
    }
}

/// Stable, unique Mermaid ids: the same key always gets the same id; two keys that sanitize to
/// the same text (`a-b`, `a_b`) get `_2`, `_3`… in the order they are first asked for.
struct MermaidIDs {
    private var byKey: [String: String] = [:]
    private var taken: Set<String> = []

    mutating func id(_ key: String, prefix: String, name: String) -> String {
        if let known = byKey[key] { return known }
        let base = prefix + String(name.map { c in c.isASCII && (c.isLetter || c.isNumber || c == "_") ? c : "_" })
        var candidate = base
        var n = 2
        while taken.contains(candidate) { candidate = "\(base)_\(n)"; n += 1 }
        taken.insert(candidate)
        byKey[key] = candidate
        return candidate
    }
}
