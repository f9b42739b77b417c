/// The graph drawn for a terminal: each server a box listing what it holds and whose it is, each
/// service a box with arrows to its data, what it reads and what it starts after. Boxes sit side
/// by side while they fit in `width` columns (100 by default: a terminal split in two still
/// shows it whole); a line too long for one box wraps instead of being cut.
public enum GraphText {
    public static func render(_ graph: TopologyGraph, width: Int = 100) -> String {
        var out: [String] = []
        var summary = "\(graph.project) — scenario \(graph.scenario) (\(graph.layout)): "
            + "\(graph.servers.count) server\(graph.servers.count == 1 ? "" : "s"), "
            + "\(graph.services.count) service\(graph.services.count == 1 ? "" : "s")"
        if graph.tenants > 0 { summary += ", each × \(graph.tenants) tenants\(graph.sharedNote)" }
        out += wrap(summary, width: width)
        out.append("")
        out.append("servers")
        out += pack(graph.servers.map { serverBox($0, graph: graph, width: width) }, width: width)
        out.append("")
        out.append("services, in start order")
        out += pack(graph.services.map { serviceBox($0, graph: graph, width: width) }, width: width)
        out.append("")
        out.append("──▶ owns   ╌╌▶ reads (SELECT on the tables named)   after: starts once those are healthy")
        return out.map { trimmedRight($0) }.joined(separator: "\n") + "\n"
    }

    static func serverBox(_ server: TopologyGraph.Server, graph: TopologyGraph, width: Int) -> [String] {
        let rows: [(String, String)] = server.items.enumerated().map { i, item in
            let name: String
            switch item.kind {
            case .database: name = item.label
            case .schema:
                // Schemas follow their database (ids sort that way): a tree, └ on the last one.
                let last = i + 1 == server.items.count || server.items[i + 1].kind != .schema
                name = (last ? "  └ schema " : "  ├ schema ") + (item.id.split(separator: "/").last.map(String.init) ?? item.label)
            case .redis: name = item.label
            }
            var owner = item.owners.joined(separator: ", ")
            if item.copies > 1 && graph.tenants > 0 { owner += owner.isEmpty ? "× \(item.copies)" : " (× \(item.copies))" }
            return (name, owner.isEmpty ? "" : "◀ " + owner)
        }
        let nameWidth = rows.map(\.0.count).max() ?? 0
        let lines = rows.isEmpty ? ["(nothing yet)"] : rows.map { name, owner in
            owner.isEmpty ? name : pad(name, nameWidth) + "  " + owner
        }
        return box(title: "\(server.name) · \(server.engine) \(server.version) · 127.0.0.1:\(server.port)", lines: lines, width: width)
    }

    static func serviceBox(_ service: TopologyGraph.Service, graph: TopologyGraph, width: Int) -> [String] {
        var title = service.name + (service.port.map { " :\($0)" } ?? "")
        if graph.tenants > 0 { title += service.shared ? " shared by all tenants" : " × \(graph.tenants) tenants" }
        func place(_ itemID: String) -> String {
            let server = graph.server(holding: itemID)?.name ?? "?"
            return "\(server): \(graph.item(itemID)?.label ?? itemID)"
        }
        var lines: [String] = []
        for edge in graph.edges(from: service.name) {
            switch edge.kind {
            case .owns: lines.append("──▶ " + place(edge.to) + (edge.label.map { " (\($0))" } ?? ""))
            case .redis: lines.append("──▶ " + place(edge.to))
            case .reads: lines.append("╌╌▶ " + place(edge.to) + " (" + (edge.label ?? "") + ")")
            case .dependsOn: break
            }
        }
        if !service.dependsOn.isEmpty { lines.append("after: " + service.dependsOn.joined(separator: ", ")) }
        if lines.isEmpty { lines.append("(no data, no dependencies)") }
        return box(title: title, lines: lines, width: width)
    }

    /// `┌─ title ──┐ │ line │ └──┘`, lines wrapped to fit `width` columns in all.
    static func box(title: String, lines: [String], width: Int) -> [String] {
        let maxInner = width - 4
        let wrapped = lines.flatMap { wrap($0, width: maxInner, indent: "    ") }
        let inner = min(maxInner, max(wrapped.map(\.count).max() ?? 0, title.count + 2))
        let shownTitle = title.count + 2 > inner ? String(title.prefix(inner - 3)) + "…" : title
        var out = ["┌─ " + shownTitle + " " + String(repeating: "─", count: inner - shownTitle.count - 1) + "┐"]
        out += wrapped.map { "│ " + pad($0, inner) + " │" }
        out.append("└" + String(repeating: "─", count: inner + 2) + "┘")
        return out
    }

    /// Boxes side by side, two columns apart, a new row when the next would pass `width`.
    static func pack(_ boxes: [[String]], width: Int) -> [String] {
        var out: [String] = []
        var row: [[String]] = []
        var used = 0
        func flush() {
            guard !row.isEmpty else { return }
            let height = row.map(\.count).max() ?? 0
            for i in 0..<height {
                out.append(row.map { box in i < box.count ? box[i] : String(repeating: " ", count: box[0].count) }.joined(separator: "  "))
            }
            row = []
            used = 0
        }
        for box in boxes {
            let w = box.first?.count ?? 0
            if !row.isEmpty && used + 2 + w > width { flush() }
            used += (row.isEmpty ? 0 : 2) + w
            row.append(box)
        }
        flush()
        return out
    }

    /// Breaks at spaces so that no line is longer than `width`; a word longer than that is cut.
    static func wrap(_ line: String, width: Int, indent: String = "  ") -> [String] {
        guard line.count > width else { return [line] }
        var out: [String] = []
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            var word = word
            let candidate = current.isEmpty ? word : current + " " + word
            if candidate.count <= width || current.allSatisfy({ $0 == " " }) {
                current = candidate
            } else {
                out.append(current)
                current = indent + word
            }
            while current.count > width {
                out.append(String(current.prefix(width)))
                word = indent + current.dropFirst(width)
                current = word
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    static func trimmedRight(_ s: String) -> String {
        var s = Substring(s)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

