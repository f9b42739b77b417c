import Foundation

/// The graph as a standalone SVG, drawn by ovudev itself (the dashboard's topology; no Graphviz):
/// a layered layout with the services in the left column (in the Plan's start order) and the
/// servers in the right one, each server a box listing its databases, schemas and Redis indexes.
/// Edges go from a service's right side to the item's left side: solid own, blue Redis, dashed
/// `reads`; `dependsOn` arcs on the services' left side. Every name is XML-escaped; the output
/// depends on the graph only (fixed sizes, no measuring of text), so it is byte-identical
/// between runs. Services carry `id="svc-<name>"` so that a page can color them by health.
public enum GraphSVG {
    static let serviceX = 60, serviceWidth = 190, serviceHeight = 46, serviceGap = 24
    static let serverX = 470, serverWidth = 300, rowHeight = 24, headerHeight = 34, serverGap = 24
    static let top = 50

    public static func render(_ graph: TopologyGraph) -> String {
        var serviceY: [String: Int] = [:]
        for (i, service) in graph.services.enumerated() { serviceY[service.name] = top + i * (serviceHeight + serviceGap) }
        var itemY: [String: Int] = [:]
        var boxes: [(server: TopologyGraph.Server, y: Int, height: Int)] = []
        var y = top
        for server in graph.servers {
            let height = headerHeight + max(1, server.items.count) * rowHeight + 8
            for (i, item) in server.items.enumerated() { itemY[item.id] = y + headerHeight + i * rowHeight + rowHeight / 2 }
            boxes.append((server, y, height))
            y += height + serverGap
        }
        let servicesBottom = top + graph.services.count * (serviceHeight + serviceGap)
        let height = max(y, servicesBottom) + 10
        let width = serverX + serverWidth + 30

        var out: [String] = []
        out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"topology\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">")
        var title = "\(graph.project): scenario \(graph.scenario) (\(graph.layout))"
        if graph.tenants > 0 { title += ", each service × \(graph.tenants) tenants\(graph.sharedNote)" }
        out.append("<title>\(escape(title))</title>")
        out.append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>")
        out.append("<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>")

        // Edges first, so that boxes are drawn over their ends.
        for (n, edge) in graph.edges.enumerated() {
            guard let sy = serviceY[edge.from] else { continue }
            let fromY = sy + serviceHeight / 2
            if edge.kind == .dependsOn {
                guard let ty = serviceY[edge.to] else { continue }
                let toY = ty + serviceHeight / 2
                let bend = serviceX - 20 - (n % 3) * 12
                out.append("<path class=\"edge dependsOn\" d=\"M\(serviceX),\(fromY) C\(bend),\(fromY) \(bend),\(toY) \(serviceX),\(toY)\" fill=\"none\" stroke=\"#888\" stroke-width=\"2\" marker-end=\"url(#arrow)\"><title>\(escape("\(edge.from) starts after \(edge.to)"))</title></path>")
                continue
            }
            guard let ty = itemY[edge.to] else { continue }
            let x1 = serviceX + serviceWidth, x2 = serverX + 8
            let mid = (x1 + x2) / 2
            let style: String
            switch edge.kind {
            case .owns: style = "stroke=\"#2e7d32\" stroke-width=\"2\""
            case .redis: style = "stroke=\"#c62828\" stroke-width=\"1.5\""
            case .reads: style = "stroke=\"#1565c0\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\""
            case .dependsOn: style = ""
            }
            var tip = "\(edge.from) \(edge.kind == .owns ? "owns" : edge.kind == .redis ? "uses" : "reads") \(graph.item(edge.to)?.label ?? edge.to)"
            if let label = edge.label { tip += " (\(label))" }
            out.append("<path class=\"edge \(edge.kind.rawValue)\" d=\"M\(x1),\(fromY) C\(mid),\(fromY) \(mid),\(ty) \(x2),\(ty)\" fill=\"none\" \(style) marker-end=\"url(#arrow)\"><title>\(escape(tip))</title></path>")
        }

        for service in graph.services {
            let sy = serviceY[service.name]!
            var second = service.port.map { ":\($0)" } ?? "no port"
            if graph.tenants > 0 { second += service.shared ? " shared by all tenants" : " × \(graph.tenants) tenants" }
            out.append("<g class=\"service\" id=\"svc-\(escape(service.name))\" data-service=\"\(escape(service.name))\">")
            out.append("<rect x=\"\(serviceX)\" y=\"\(sy)\" width=\"\(serviceWidth)\" height=\"\(serviceHeight)\" rx=\"10\" fill=\"#e3f2fd\" stroke=\"#1565c0\" stroke-width=\"2\"/>")
            out.append("<text x=\"\(serviceX + 12)\" y=\"\(sy + 20)\" font-weight=\"bold\">\(escape(service.name))</text>")
            out.append("<text x=\"\(serviceX + 12)\" y=\"\(sy + 37)\" fill=\"#555\" font-size=\"12\">\(escape(second))</text>")
            out.append("</g>")
        }

        for (server, by, bh) in boxes {
            out.append("<g class=\"server\" id=\"srv-\(escape(server.name))\" data-server=\"\(escape(server.name))\">")
            out.append("<rect x=\"\(serverX)\" y=\"\(by)\" width=\"\(serverWidth)\" height=\"\(bh)\" rx=\"6\" fill=\"#fafafa\" stroke=\"#444\" stroke-width=\"1.5\"/>")
            out.append("<text x=\"\(serverX + 10)\" y=\"\(by + 22)\" font-weight=\"bold\">\(escape(server.name))</text>")
            out.append("<text x=\"\(serverX + serverWidth - 10)\" y=\"\(by + 22)\" text-anchor=\"end\" fill=\"#555\" font-size=\"12\">\(escape("\(server.engine) \(server.version) · :\(server.port)"))</text>")
            for item in server.items {
                let iy = itemY[item.id]!
                var text = item.label
                if item.copies > 1 && graph.tenants > 0 && item.kind != .redis { text += " × \(item.copies)" }
                let owners = item.owners.isEmpty ? "" : " — " + item.owners.joined(separator: ", ")
                let fill = item.kind == .redis ? "#ffebee" : item.kind == .schema ? "#f1f8e9" : "#e8f5e9"
                out.append("<rect x=\"\(serverX + 8)\" y=\"\(iy - rowHeight / 2 + 2)\" width=\"\(serverWidth - 16)\" height=\"\(rowHeight - 4)\" rx=\"3\" fill=\"\(fill)\"/>")
                out.append("<text x=\"\(serverX + 16)\" y=\"\(iy + 4)\" font-size=\"12\">\(escape(text + owners))</text>")
            }
            out.append("</g>")
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// Text and attribute values: `&`, `<`, `>`, `"` and `'` as entities.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
