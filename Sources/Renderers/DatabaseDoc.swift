import Foundation
import Statements
import Topology

/// `docs/<service>/DATABASE.md` in the bundle: what a service needs and owns under one scenario
/// (servers, database or schema, role, extensions, pool, its environment with passwords masked,
/// Redis, `reads` both ways, backups) and a Mermaid diagram of its data. From the Plan only;
/// `ovudev docs` prints the same and adds the live catalog.
public enum DatabaseDoc {
    public static let mask = "••••••••"

    public static func files(plan: Plan, header: String) -> [RenderedFile] {
        services(plan).map { RenderedFile(path: "docs/\($0)/DATABASE.md", contents: markdown(plan: plan, service: $0, header: header), mode: 0o644) }
    }

    /// The plan's services, in name order.
    public static func services(_ plan: Plan) -> [String] { Array(Set(plan.instances.map(\.service))).sorted() }

    public static func markdown(plan: Plan, service: String, header: String) -> String {
        let instances = plan.instances.filter { $0.service == service }.sorted { $0.name < $1.name }
        var out = "# \(service): DATABASE.md\n\n\(header)\n\n"
        out += "Project `\(plan.project)`, scenario `\(plan.scenario)` (\(plan.layout.rawValue)\(plan.isolation.map { ", \($0.rawValue) isolation" } ?? ""))"
        out += instances.count > 1 ? "; one instance per tenant: \(instances.compactMap(\.tenant).map { "`\($0)`" }.joined(separator: ", ")).\n" : ".\n"
        out += owns(plan, instances) + environment(instances) + reads(plan, service: service, instances) + backups(plan, instances) + diagram(plan, service: service)
        return out
    }

    static func cell(_ s: String?) -> String {
        guard let s, !s.isEmpty else { return "–" }
        return "`" + s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "`", with: "'") + "`"
    }

    static func owns(_ plan: Plan, _ instances: [ServiceInstance]) -> String {
        var out = "\n## What it owns\n\n"
        guard instances.contains(where: { $0.database != nil || $0.redis != nil }) else { return out + "No database and no Redis.\n" }
        out += "| Instance | Server | Database | Schema or prefix | Role (owner) | Redis |\n|---|---|---|---|---|---|\n"
        for i in instances {
            let db = i.database
            let server = db.flatMap { plan.server($0.server) }
            let serverText = server.map { "`\($0.name)` (\($0.engine.rawValue) \($0.version), 127.0.0.1:\($0.port))" } ?? "–"
            let place = db?.schema.map { "schema `\($0)`" } ?? db?.tablePrefix.map { "table prefix `\($0)`" } ?? (db == nil ? "–" : "whole database")
            var redis = "–"
            if let slot = i.redis {
                redis = "`\(slot.server)` index \(slot.index)"
                if let user = slot.user { redis += ", ACL user `\(user)`" }
                if let prefix = slot.keyPrefix { redis += ", keys and channels `\(prefix)*`" }
            }
            out += "| `\(i.name)` | \(serverText) | \(cell(db?.database)) | \(place) | \(cell(db?.role)) | \(redis) |\n"
        }
        if let db = instances.compactMap(\.database).first {
            out += "\nExtensions: \(db.extensions.isEmpty ? "none" : db.extensions.map { "`\($0)`" }.joined(separator: ", ")). "
            out += "Pool: size \(db.pool.size), max overflow \(db.pool.maxOverflow), timeout \(db.pool.timeout) s "
            out += "(at most \(db.pool.size + db.pool.maxOverflow) connections per instance). URL scheme `\(db.urlScheme)`.\n"
        }
        return out
    }

    /// The first instance's variables as a process on the host gets them, passwords masked.
    static func environment(_ instances: [ServiceInstance]) -> String {
        guard let first = instances.first else { return "" }
        var out = "\n## Environment (`\(first.envFile)`\(instances.count > 1 ? ", the other tenants alike" : ""))\n\n| Variable | Value |\n|---|---|\n"
        for v in first.environment {
            let text = v.host.parts.map { part -> String in
                switch part {
                case let .text(t): return t
                case .secret: return mask
                }
            }.joined()
            out += "| `\(v.key)` | \(cell(text)) |\n"
        }
        return out
    }

    static func reads(_ plan: Plan, service: String, _ instances: [ServiceInstance]) -> String {
        var out = "\n## Reads\n\n"
        let mine = Set(instances.map(\.name))
        var granted: [String] = []
        for i in instances {
            for r in i.reads { granted.append("- `\(i.name)` reads `\(r.instance)`: \(r.tables.map { "`\($0)`" }.joined(separator: ", ")) in `\(r.database)`\(r.schema == r.database ? "" : ".`\(r.schema)`") on `\(r.server)`, as `\(r.role)`") }
        }
        out += "Granted to it (SELECT only):\n\n" + (granted.isEmpty ? "- nothing\n" : granted.joined(separator: "\n") + "\n")
        var by: [String] = []
        for i in plan.instances where !mine.contains(i.name) {
            for r in i.reads where mine.contains(r.instance) { by.append("- `\(i.name)` (as `\(r.role)`) reads \(r.tables.map { "`\($0)`" }.joined(separator: ", ")) of `\(r.instance)`") }
        }
        let databases = Set(instances.compactMap { $0.database.map { "\($0.server)/\($0.database)" } })
        let schemas = Set(instances.compactMap { $0.database?.schema })
        for server in plan.servers {
            for db in server.databases where databases.contains("\(server.name)/\(db.name)") {
                for role in server.roles where role.readOnly && db.connect.contains(role.name) {
                    let readers = db.schemaReaders.filter { $0.role == role.name }
                    if server.engine == .postgres && !readers.contains(where: { schemas.isEmpty || schemas.contains($0.schema) }) { continue }
                    by.append("- the read-only role `\(role.name)` may SELECT its tables in `\(db.name)` on `\(server.name)`")
                }
            }
        }
        out += "\nGranted by it:\n\n" + (by.isEmpty ? "- nothing\n" : Array(Set(by)).sorted().joined(separator: "\n") + "\n")
        return out
    }

    static func backups(_ plan: Plan, _ instances: [ServiceInstance]) -> String {
        let b = plan.backups
        let targets = b.targets.filter { t in
            instances.contains { i in
                t.kind == .redisRDB ? i.redis?.server == t.server
                    : i.database.map { $0.server == t.server && $0.database == t.database && (t.schema == nil || t.schema == $0.schema) } == true
            }
        }
        var out = "\n## Backups\n\n"
        if targets.isEmpty { return out + "Nothing of it is backed up (it holds no data).\n" }
        out += "Schedule `\(b.schedule)` (backup/crontab), kept \(b.keepDays) days, into `\(b.dir)/`"
        out += b.upload.map { ", then uploaded with `\($0)`" } ?? ""
        out += ":\n\n" + targets.map { "- `\($0.kind.rawValue)` of `\(BackupCommand.folder($0))`\($0.kind == .redisRDB ? " (the whole Redis server, every service's keys)" : "")" }.joined(separator: "\n") + "\n"
        return out
    }

    static func diagram(_ plan: Plan, service: String) -> String {
        "\n## Diagram\n\n`-->` owns, `-.->` reads, `==>` starts after.\n\n```mermaid\n" + GraphMermaid.render(TopologyGraph(plan: plan).focused(on: service)) + "```\n"
    }
}

extension TopologyGraph {
    /// Only what touches one service: its edges, the reads into its data, what starts after it,
    /// and the servers' items those reach.
    public func focused(on service: String) -> TopologyGraph {
        let owned = Set(edges.filter { $0.from == service && ($0.kind == .owns || $0.kind == .redis) }.map(\.to))
        let kept = edges.filter { e in e.from == service || (e.kind == .reads && owned.contains(e.to)) || (e.kind == .dependsOn && e.to == service) }
        let names = Set(kept.flatMap { e in e.kind == .dependsOn ? [e.from, e.to] : [e.from] } + [service])
        let items = Set(kept.filter { $0.kind != .dependsOn }.map(\.to))
        var graph = self
        graph.edges = kept
        graph.services = services.filter { names.contains($0.name) }
        graph.servers = servers.compactMap { s in
            var s = s
            s.items = s.items.filter { items.contains($0.id) }
            return s.items.isEmpty ? nil : s
        }
        return graph
    }
}
