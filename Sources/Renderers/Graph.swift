import Foundation
import Topology

/// What `ovudev graph` and the bundle's TOPOLOGY.md draw: servers with the databases, schemas
/// and Redis indexes they hold, services, and the edges between them. Built from the Plan only,
/// so it shows what a scenario really resolves to. Per-tenant instances are collapsed into one
/// node per service ("× N tenants"): a newcomer wants the shape, not N copies of it.
/// Everything is in a fixed order (servers and items by name, services in the Plan's start
/// order), so the formatters' output is byte-identical between runs.
public struct TopologyGraph: Sendable, Equatable {
    public var project: String
    public var scenario: String
    /// `single-db, schema isolation`, `per-tenant`, …
    public var layout: String
    /// How many tenants were collapsed into each service node; 0 outside per-tenant.
    public var tenants: Int
    public var servers: [Server]
    public var services: [Service]
    public var edges: [Edge]

    public struct Server: Sendable, Equatable {
        public var name: String
        public var engine: String
        public var version: String
        public var port: Int
        public var items: [Item]
    }

    /// Something data lives in: a database, a schema in one, or a service's Redis indexes.
    public struct Item: Sendable, Equatable {
        public enum Kind: String, Sendable { case database, schema, redis }
        /// Unique in the graph: `server/database`, `server/database/schema`, `server/redis/service`.
        public var id: String
        public var kind: Kind
        /// `ovu_db`, `ovu_db.ulm`, `{tenant}_ulm_db`, `db 0`, `db 0, 1`.
        public var label: String
        /// Services whose own data is here, sorted.
        public var owners: [String]
        /// Copies collapsed into this item (one per tenant); 1 outside per-tenant.
        public var copies: Int
    }

    public struct Service: Sendable, Equatable {
        public var name: String
        /// The first instance's port (per tenant: the first tenant's; the others count up by the stride).
        public var port: Int?
        /// Sorted, without duplicates.
        public var dependsOn: [String]
        /// Service → tables read, sorted by service.
        public var reads: [(service: String, tables: [String])]
        /// Per-tenant: one instance for all tenants (`scenarios.<s>.shared`).
        public var shared: Bool = false

        public static func == (a: Service, b: Service) -> Bool {
            a.name == b.name && a.port == b.port && a.dependsOn == b.dependsOn && a.shared == b.shared
                && a.reads.map(\.service) == b.reads.map(\.service) && a.reads.map(\.tables) == b.reads.map(\.tables)
        }
    }

    public struct Edge: Sendable, Equatable {
        public enum Kind: String, Sendable { case owns, redis, reads, dependsOn }
        /// A service name.
        public var from: String
        /// An item id (owns, redis, reads) or a service name (dependsOn).
        public var to: String
        public var kind: Kind
        /// What the edge carries: `schema`, `prefix ulm_`, `users, roles`; nil when nothing to say.
        public var label: String?
    }

    public func item(_ id: String) -> Item? {
        for server in servers { if let found = server.items.first(where: { $0.id == id }) { return found } }
        return nil
    }

    public func server(holding itemID: String) -> Server? { servers.first { $0.items.contains { $0.id == itemID } } }

    /// ` (but auth: shared by all)` when per-tenant services are shared; else "".
    public var sharedNote: String {
        let shared = services.filter(\.shared).map(\.name)
        return shared.isEmpty ? "" : " (but \(shared.joined(separator: ", ")): shared by all)"
    }

    /// Edges leaving one service, in the graph's order.
    public func edges(from service: String) -> [Edge] { edges.filter { $0.from == service } }
}

extension TopologyGraph {
    public init(plan: Plan) {
        let serviceOf = Dictionary(plan.instances.map { ($0.name, $0.service) }, uniquingKeysWith: { a, _ in a })
        let tenantNames = Set(plan.instances.compactMap(\.tenant))
        project = plan.project
        scenario = plan.scenario
        layout = plan.layout.rawValue + (plan.isolation.map { ", \($0.rawValue) isolation" } ?? "")
        tenants = tenantNames.count

        /// Per tenant the names differ only by their prefix, the tenant as an SQL identifier
        /// (`acme_ulm_db`): write it `{tenant}` so the copies collapse into one item.
        func collapsed(_ name: String, tenant: String?) -> String {
            guard let tenant else { return name }
            let prefix = tenant.replacingOccurrences(of: "-", with: "_") + "_"
            return name.hasPrefix(prefix) ? "{tenant}_" + name.dropFirst(prefix.count) : name
        }
        func databaseID(_ server: String, _ database: String, tenant: String?) -> String {
            "\(server)/\(collapsed(database, tenant: tenant))"
        }
        func roleOwner(_ server: PlannedServer, _ role: String) -> String? {
            server.role(role)?.instance.flatMap { serviceOf[$0] }
        }

        var servers: [Server] = []
        for planned in plan.servers {
            var items: [String: Item] = [:]
            func add(_ id: String, _ kind: Item.Kind, _ label: String, owners: [String]) {
                if var existing = items[id] {
                    existing.owners = Array(Set(existing.owners + owners)).sorted()
                    existing.copies += 1
                    items[id] = existing
                } else {
                    items[id] = Item(id: id, kind: kind, label: label, owners: Array(Set(owners)).sorted(), copies: 1)
                }
            }
            for db in planned.databases {
                let id = databaseID(planned.name, db.name, tenant: db.tenant)
                // A database whose data is split into schemas belongs to the schemas' owners.
                let owners = db.schemas.isEmpty ? db.instances.compactMap { serviceOf[$0] } : []
                add(id, .database, collapsed(db.name, tenant: db.tenant), owners: owners)
                for schema in db.schemas {
                    add(id + "/" + schema.name, .schema, collapsed("\(db.name).\(schema.name)", tenant: db.tenant),
                        owners: roleOwner(planned, schema.owner).map { [$0] } ?? [])
                }
            }
            // Redis: one item per service on this server, listing every index it holds (one per tenant).
            var redisIndexes: [String: [Int]] = [:]
            for instance in plan.instances {
                if let slot = instance.redis, slot.server == planned.name { redisIndexes[instance.service, default: []].append(slot.index) }
            }
            for (service, indexes) in redisIndexes {
                let sorted = indexes.sorted()
                items["\(planned.name)/redis/\(service)"] = Item(
                    id: "\(planned.name)/redis/\(service)", kind: .redis,
                    label: "db " + sorted.map(String.init).joined(separator: ", "), owners: [service], copies: sorted.count)
            }
            // Redis items in index order; databases and schemas by name.
            let ordered = items.values.sorted {
                switch ($0.kind == .redis, $1.kind == .redis) {
                case (true, true): return $0.label.count != $1.label.count ? $0.label.count < $1.label.count : $0.label < $1.label
                case (false, false): return $0.id < $1.id
                default: return $1.kind == .redis
                }
            }
            servers.append(Server(name: planned.name, engine: planned.engine.rawValue, version: planned.version, port: planned.port, items: ordered))
        }
        self.servers = servers
        let itemIDs = Set(servers.flatMap { $0.items.map(\.id) })

        var services: [Service] = []
        var serviceNames = Set<String>()
        var edges: [Edge] = []
        var seenEdges = Set<String>()
        func edge(_ e: Edge) {
            if seenEdges.insert("\(e.from)|\(e.to)|\(e.kind.rawValue)").inserted { edges.append(e) }
        }
        for instance in plan.instances {
            let name = instance.service
            if let database = instance.database {
                let dbID = databaseID(database.server, database.database, tenant: instance.tenant)
                let target = database.schema.map { dbID + "/" + $0 } ?? dbID
                edge(Edge(from: name, to: target, kind: .owns, label: database.tablePrefix.map { "prefix \($0)" }))
            }
            if let slot = instance.redis {
                edge(Edge(from: name, to: "\(slot.server)/redis/\(name)", kind: .redis, label: nil))
            }
            for read in instance.reads {
                let dbID = databaseID(read.server, read.database, tenant: instance.tenant)
                let schemaID = dbID + "/" + read.schema
                let target = itemIDs.contains(schemaID) ? schemaID : dbID
                edge(Edge(from: name, to: target, kind: .reads, label: read.tables.joined(separator: ", ")))
            }
            for dependency in instance.dependsOn {
                edge(Edge(from: name, to: serviceOf[dependency] ?? dependency, kind: .dependsOn, label: nil))
            }
            guard serviceNames.insert(name).inserted else { continue }
            let reads = instance.reads.map { (service: $0.service, tables: $0.tables) }.sorted { $0.service < $1.service }
            services.append(Service(name: name, port: instance.port,
                                    dependsOn: Array(Set(instance.dependsOn.map { serviceOf[$0] ?? $0 })).sorted(), reads: reads,
                                    shared: plan.layout == .perTenant && instance.tenant == nil))
        }
        self.services = services
        self.edges = edges
    }
}
