import Foundation
import Topology

/// `ovudev init --services orders,billing`: a PostgreSQL server (and Redis with `--redis`), a
/// database per service, and ports that are free on this machine now, so that the first
/// `ovudev up` does not stop on a port another program holds.
public enum NewProject {
    /// Tenants written for the per-tenant layout: two, so that the isolation between them shows.
    public static let exampleTenants = ["acme", "globex"]
    /// Per-tenant instances listen at port + tenant index × this (the topology's default stride).
    static let portStride = 100

    public static func draft(project: String, services: [String], layout: Layout, redis: Bool,
                             isFree: (Int) -> Bool = PortProbe.isFree) throws -> Draft {
        try Names.check(project, "--project")
        guard !services.isEmpty else { throw InitError("--services: name at least one service (--services orders,billing)") }
        var seen = Set<String>()
        for name in services {
            try Names.check(name, "--services")
            // `a-b` and `a_b` are one SQL identifier: the topology would refuse the pair.
            guard seen.insert(name.replacingOccurrences(of: "-", with: "_")).inserted else {
                throw InitError("--services: \"\(name)\" is named twice (or differs from another only by '-' and '_')")
            }
        }
        var draft = Draft(project: project)
        draft.layout = layout
        if layout == .perTenant { draft.tenants = exampleTenants }
        var taken = Set<Int>()
        func allocate(_ start: Int, _ what: String, offsets: [Int] = [0]) throws -> Int {
            guard let port = PortProbe.firstFree(from: start, taken: taken, also: offsets, isFree: isFree) else {
                throw InitError("no free port on 127.0.0.1 from \(start) up for \(what)")
            }
            for o in offsets { taken.insert(port + o) }
            return port
        }
        draft.servers.append(.init(name: "postgres", engine: .postgres, version: Engine.postgres.defaultVersion,
                                   port: try allocate(Engine.postgres.containerPort, "the postgres server")))
        if redis {
            draft.servers.append(.init(name: "redis", engine: .redis, version: Engine.redis.defaultVersion,
                                       port: try allocate(Engine.redis.containerPort, "the redis server")))
        }
        let tenantOffsets = layout == .perTenant ? draft.tenants.indices.map { $0 * portStride } : [0]
        var next = 8001
        for name in services {
            var service = Draft.Service(name: name)
            service.port = try allocate(next, "service \(name)", offsets: tenantOffsets)
            next = service.port! + 1
            service.database = (server: nil, name: nil, urlScheme: nil)
            if redis { service.redis = (server: nil, index: nil) }
            draft.services.append(service)
        }
        return draft
    }
}
