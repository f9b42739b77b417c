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
        let names = services(plan)
        return zip(names, markdown(plan: plan, services: names, header: header)).map { RenderedFile(path: "docs/\($0)/DATABASE.md", contents: $1, mode: 0o644) }
    }

    /// The plan's services, in name order.
    public static func services(_ plan: Plan) -> [String] { Array(Set(plan.instances.map(\.service))).sorted() }

    public static func markdown(plan: Plan, service: String, header: String) -> String {
        markdown(plan: plan, services: [service], header: header)[0]
    }

    /// The pages of `services`, the plan indexed once for all of them.
    public static func markdown(plan: Plan, services: [String], header: String) -> [String] {
        let index = Index(plan)
        return services.map { markdown(index, service: $0, header: header) }
    }

    /// What the pages look up, indexed once per plan: each page then costs what its service
    /// touches (walking every instance, target and edge per page made a bundle of 1,000
    /// services × 10 tenants take minutes).
    struct Index {
        let plan: Plan
        /// By service, in name order.
        let instances: [String: [ServiceInstance]]
        /// By the instance read: (reader instance, line).
        let readers: [String: [(String, String)]]
        /// By `server/database` (and `server` for Redis): indexes into the backup targets.
        let targets: [String: [Int]]
        let databases: [String: (PlannedServer, PlannedDatabase)]
        let readOnlyRoles: [String: [PlannedRole]]
        let graph: TopologyGraph.Focus

        init(_ plan: Plan) {
            self.plan = plan
            let instances = Dictionary(grouping: plan.instances, by: \.service).mapValues { $0.sorted { $0.name < $1.name } }
            self.instances = instances
            var readers: [String: [(String, String)]] = [:]
            for i in plan.instances {
                for r in i.reads {
                    readers[r.instance, default: []].append((i.name, "- `\(i.name)` (as `\(r.role)`) reads \(r.tables.map { "`\($0)`" }.joined(separator: ", ")) of `\(r.instance)`"))
                }
            }
            self.readers = readers
            var targets: [String: [Int]] = [:]
            for (n, t) in plan.backups.targets.enumerated() {
                targets[t.kind == .redisRDB ? t.server : "\(t.server)/\(t.database ?? "")", default: []].append(n)
            }
            self.targets = targets
            var databases: [String: (PlannedServer, PlannedDatabase)] = [:]
            for server in plan.servers {
                for db in server.databases { databases["\(server.name)/\(db.name)"] = (server, db) }
            }
            self.databases = databases
            readOnlyRoles = Dictionary(uniqueKeysWithValues: plan.servers.map { ($0.name, $0.roles.filter(\.readOnly)) })
            graph = TopologyGraph.Focus(TopologyGraph(plan: plan))
        }
    }

    static func markdown(_ index: Index, service: String, header: String) -> String {
        let plan = index.plan
        let instances = index.instances[service] ?? []
        var out = "# \(service): DATABASE.md\n\n\(header)\n\n"
        out += "Project `\(plan.project)`, scenario `\(plan.scenario)` (\(plan.layout.rawValue)\(plan.isolation.map { ", \($0.rawValue) isolation" } ?? ""))"
        out += instances.count > 1 ? "; one instance per tenant: \(instances.compactMap(\.tenant).map { "`\($0)`" }.joined(separator: ", ")).\n" : ".\n"
        out += owns(plan, instances) + environment(instances) + reads(index, service: service, instances) + backups(index, instances) + diagram(index, service: service)
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

    static func reads(_ index: Index, service: String, _ instances: [ServiceInstance]) -> String {
        var out = "\n## Reads\n\n"
        let mine = Set(instances.map(\.name))
        var granted: [String] = []
        for i in instances {
            for r in i.reads { granted.append("- `\(i.name)` reads `\(r.instance)`: \(r.tables.map { "`\($0)`" }.joined(separator: ", ")) in `\(r.database)`\(r.schema == r.database ? "" : ".`\(r.schema)`") on `\(r.server)`, as `\(r.role)`") }
        }
        out += "Granted to it (SELECT only):\n\n" + (granted.isEmpty ? "- nothing\n" : granted.joined(separator: "\n") + "\n")
        var by: [String] = []
        for name in mine {
            for (reader, line) in index.readers[name] ?? [] where !mine.contains(reader) { by.append(line) }
        }
        let databases = Set(instances.compactMap { $0.database.map { "\($0.server)/\($0.database)" } })
        let schemas = Set(instances.compactMap { $0.database?.schema })
        for key in databases {
            guard let (server, db) = index.databases[key] else { continue }
            for role in index.readOnlyRoles[server.name] ?? [] where db.connect.contains(role.name) {
                let readers = db.schemaReaders.filter { $0.role == role.name }
                if server.engine == .postgres && !readers.contains(where: { schemas.isEmpty || schemas.contains($0.schema) }) { continue }
                by.append("- the read-only role `\(role.name)` may SELECT its tables in `\(db.name)` on `\(server.name)`")
            }
        }
        out += "\nGranted by it:\n\n" + (by.isEmpty ? "- nothing\n" : Array(Set(by)).sorted().joined(separator: "\n") + "\n")
        return out
    }

    static func backups(_ index: Index, _ instances: [ServiceInstance]) -> String {
        let b = index.plan.backups
        var chosen = Set<Int>()
        for i in instances {
            if let server = i.redis?.server {
                chosen.formUnion((index.targets[server] ?? []).filter { b.targets[$0].kind == .redisRDB })
            }
            if let db = i.database {
                chosen.formUnion((index.targets["\(db.server)/\(db.database)"] ?? []).filter { b.targets[$0].kind != .redisRDB && (b.targets[$0].schema == nil || b.targets[$0].schema == db.schema) })
            }
        }
        let targets = chosen.sorted().map { b.targets[$0] }
        var out = "\n## Backups\n\n"
        if targets.isEmpty { return out + "Nothing of it is backed up (it holds no data).\n" }
        out += "Schedule `\(b.schedule)` (backup/crontab), kept \(b.keepDays) days, into `\(b.dir)/`"
        out += b.upload.map { ", then uploaded with `\($0)`" } ?? ""
        out += ":\n\n" + targets.map { "- `\($0.kind.rawValue)` of `\(BackupCommand.folder($0))`\($0.kind == .redisRDB ? " (the whole Redis server, every service's keys)" : "")" }.joined(separator: "\n") + "\n"
        return out
    }

    static func diagram(_ index: Index, service: String) -> String {
        "\n## Diagram\n\n`-->` owns, `-.->` reads, `==>` starts after.\n\n```mermaid\n" + GraphMermaid.render(index.graph.graph(of: service)) + "```\n"
    }
}

extension TopologyGraph {
    /// Only what touches one service: its edges, the reads into its data, what starts after it,
    /// and the servers' items those reach.
    public func focused(on service: String) -> TopologyGraph { Focus(self).graph(of: service) }

    /// The graph's edges and items indexed once, so that a focused graph per service costs
    /// what that service touches (not the whole graph each time: a bundle of 1,000 services
    /// took minutes).
    struct Focus {
        let whole: TopologyGraph
        let from: [String: [Int]], readsInto: [String: [Int]], startsAfter: [String: [Int]]
        /// Item id → (server index, item index).
        let place: [String: (Int, Int)]
        let serviceIndex: [String: Int]

        init(_ graph: TopologyGraph) {
            whole = graph
            var from: [String: [Int]] = [:], readsInto: [String: [Int]] = [:], startsAfter: [String: [Int]] = [:]
            for (i, e) in graph.edges.enumerated() {
                from[e.from, default: []].append(i)
                if e.kind == .reads { readsInto[e.to, default: []].append(i) }
                if e.kind == .dependsOn { startsAfter[e.to, default: []].append(i) }
            }
            (self.from, self.readsInto, self.startsAfter) = (from, readsInto, startsAfter)
            var place: [String: (Int, Int)] = [:]
            for (s, server) in graph.servers.enumerated() {
                for (i, item) in server.items.enumerated() { place[item.id] = (s, i) }
            }
            self.place = place
            serviceIndex = Dictionary(graph.services.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        }

        func graph(of service: String) -> TopologyGraph {
            let edges = whole.edges
            let mine = from[service] ?? []
            let owned = mine.filter { edges[$0].kind == .owns || edges[$0].kind == .redis }.map { edges[$0].to }
            // In the graph's order, each edge once.
            let kept = Set(mine + owned.flatMap { readsInto[$0] ?? [] } + (startsAfter[service] ?? [])).sorted().map { edges[$0] }
            let names = Set(kept.flatMap { e in e.kind == .dependsOn ? [e.from, e.to] : [e.from] } + [service])
            var items: [Int: [Int]] = [:]
            for e in kept where e.kind != .dependsOn {
                if let (s, i) = place[e.to] { items[s, default: []].append(i) }
            }
            var graph = whole
            graph.edges = kept
            graph.services = names.compactMap { serviceIndex[$0] }.sorted().map { whole.services[$0] }
            graph.servers = items.keys.sorted().map { s in
                var server = whole.servers[s]
                server.items = Set(items[s]!).sorted().map { whole.servers[s].items[$0] }
                return server
            }
            return graph
        }
    }
}
