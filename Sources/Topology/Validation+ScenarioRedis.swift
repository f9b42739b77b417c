/// A service's Redis slot in one scenario: another server, another index, or both.
public struct RedisSlotOverride: Sendable, Equatable {
    public var server: String?
    public var index: Int?

    public init(server: String? = nil, index: Int? = nil) {
        self.server = server
        self.index = index
    }
}

extension Validator {
    /// A scenario's `"redis": { "<service>": { "server": "…", "index": n } }`: a known service
    /// that uses Redis, a Redis server, an index from 0. (Two services on one slot are found when
    /// the scenario is resolved.)
    func validateScenarioRedis(_ s: ScenarioSpec, into scenario: inout Scenario, servers: [Server], path: String) {
        guard let slots = s.redis else { return }
        let p = path + ".redis"
        var valid: [String: RedisSlotOverride] = [:]
        for (service, r) in slots.sorted(by: { $0.key < $1.key }) {
            let at = jsonPath(p, service)
            guard let serviceSpec = spec.services?[service] else {
                d.error(at, "unknown service \"\(service)\"\(didYouMean(service, among: serviceNames))", at: d.keyPositions[at])
                continue
            }
            if serviceSpec.redis == nil {
                d.error(at, "service \"\(service)\" uses no Redis (add \"redis\": {} to it first)")
                continue
            }
            if r.server == nil && r.index == nil { d.error(at, "names neither \"server\" nor \"index\"") }
            if let server = r.server {
                let redisServers = servers.filter { $0.engine == .redis }.map(\.name)
                if let found = servers.first(where: { $0.name == server }), found.engine != .redis {
                    d.error(at + ".server", "server \"\(server)\" is a \(found.engine.rawValue) server, not redis")
                } else if !redisServers.contains(server) && !declaredServers.contains(server) {
                    d.error(at + ".server", "unknown server \"\(server)\"\(didYouMean(server, among: redisServers))")
                }
            }
            if let index = r.index, index < 0 { d.error(at + ".index", "index \(index) is negative; Redis databases are numbered from 0") }
            valid[service] = RedisSlotOverride(server: r.server, index: r.index)
        }
        scenario.redis = valid
    }
}

extension Resolver {
    /// Two instances on one Redis slot (the scenario's `redis` moved one onto another's).
    func checkRedisSlots(_ instances: [ServiceInstance]) {
        guard !scenario.redis.isEmpty else { return }
        var seen: [String: String] = [:]
        for instance in instances {
            guard let slot = instance.redis else { continue }
            let key = "\(slot.server)/\(slot.index)"
            if let other = seen[key] {
                fail(scenarioPath + ".redis", "\(other) and \(instance.name) would share \(slot.server) DB \(slot.index); give each its own index")
            }
            seen[key] = seen[key] ?? instance.name
        }
    }
}
