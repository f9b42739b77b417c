/// The connection budget of each PostgreSQL and MySQL server: every role may open at most its
/// instance's pool (size + maxOverflow), and those limits plus ovudev's own connections must fit
/// in the server's `max_connections`.
///
/// ovudev's own: provisioning and check keep up to 16 maintenance connections and use a few more
/// while working; backups and `check`'s logins as each role come on top, briefly.
public let ovudevConnections = 20
/// A role without a pool of its own (the analytics role).
public let analyticsConnections = 5
/// PostgreSQL's default `max_connections`, used when the pools fit in it.
public let defaultMaxConnections = 100

extension Resolver {
    func applyConnectionBudget(_ builders: ServerBuilders) {
        // Instance → its service's pool, made once (a lookup per role through every service and
        // tenant was quadratic: minutes for 1,000 services × 10 tenants).
        var pools: [String: Pool] = [:]
        for service in topology.services {
            let pool = service.database?.pool ?? .standard
            if pools[service.name] == nil { pools[service.name] = pool }
            for tenant in topology.tenants where pools["\(service.name)-\(tenant)"] == nil { pools["\(service.name)-\(tenant)"] = pool }
        }
        for b in builders.byName.values.sorted(by: { $0.server.name < $1.server.name }) where b.server.engine == .postgres || b.server.engine == .mysql {
            var uses: [(what: String, connections: Int)] = []
            for name in b.roles.keys.sorted() {
                guard var role = b.roles[name] else { continue }
                let limit: Int
                if let instance = role.instance {
                    let pool = pools[instance] ?? .standard
                    limit = pool.size + pool.maxOverflow
                    uses.append((instance, limit))
                } else {
                    limit = analyticsConnections
                    uses.append((role.name, limit))
                }
                role.connectionLimit = limit
                b.roles[name] = role
            }
            let needed = uses.map(\.connections).reduce(ovudevConnections, +)
            if let declared = b.server.maxConnections {
                if needed > declared {
                    let list = uses.sorted { $0.what < $1.what }.map { "\($0.what) \($0.connections)" }.joined(separator: ", ")
                    let path = topology.server(b.server.name) != nil ? "servers.\(b.server.name).maxConnections" : scenarioPath + ".servers"
                    fail(path, "the pools on server \"\(b.server.name)\" need \(needed) connections (\(list), and \(ovudevConnections) for ovudev), more than its maxConnections \(declared); raise \"maxConnections\" or shrink the pools (size + maxOverflow)")
                }
            } else {
                b.server.maxConnections = max(defaultMaxConnections, needed)
            }
        }
    }
}
