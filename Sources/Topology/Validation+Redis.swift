extension Validator {
    /// Redis indexes by service: explicit ones first (negative or taken ones are reported), then
    /// the next free index in name order for each service with `"redis": {}`.
    func assignRedisIndexes() -> [String: Int] {
        var usedIndexes: [Int: String] = [:]
        var assigned: [String: Int] = [:]
        for (name, s) in specServices {
            guard let index = s.redis?.index else { continue }
            assigned[name] = index
            let path = jsonPath("services", name) + ".redis.index"
            if index < 0 {
                d.error(path, "index \(index) is negative; Redis databases are numbered from 0")
            } else if let other = usedIndexes[index] {
                d.error(path, "\(index) is already used by \(jsonPath("services", other)); remove \"index\" to take the next free one")
            } else {
                usedIndexes[index] = name
            }
        }
        var nextIndex = 0
        for (name, s) in specServices where s.redis != nil && s.redis?.index == nil {
            while usedIndexes[nextIndex] != nil { nextIndex += 1 }
            assigned[name] = nextIndex
            usedIndexes[nextIndex] = name
        }
        return assigned
    }

    /// The Redis server of a service: the one it names, or the only one there is.
    func redisServer(_ r: RedisSpec, path: String, servers: [Server]) -> String? {
        let redisServers = servers.filter { $0.engine == .redis }
        if let server = r.server {
            if let found = servers.first(where: { $0.name == server }) {
                if found.engine != .redis {
                    d.error(path + ".redis.server", "server \"\(server)\" is a \(found.engine.rawValue) server, not redis")
                }
                return server
            } else if !declaredServers.contains(server) {
                d.error(path + ".redis.server", "unknown server \"\(server)\"\(didYouMean(server, among: redisServers.map(\.name)))")
            }
        } else if redisServers.count == 1 {
            return redisServers[0].name
        } else if redisServers.isEmpty {
            d.error(path + ".redis", "uses Redis but no server has \"engine\": \"redis\"; add one to \"servers\"")
        } else {
            d.error(path + ".redis", "there are several Redis servers (\(redisServers.map(\.name).joined(separator: ", "))); name one with \"server\"")
        }
        return nil
    }

    /// A warning per Redis server on which several services take their index by position
    /// (`"redis": {}`): adding or removing one such service moves the others.
    func positionalRedisWarnings(_ services: [Service]) -> [TopologyWarning] {
        let positional = services.filter { spec.services?[$0.name]?.redis.map { $0.index == nil } == true }
        let byServer = Dictionary(grouping: positional.filter { $0.redisServer != nil }, by: { $0.redisServer! })
        return byServer.keys.sorted().compactMap { server in
            let sharing = byServer[server]!
            guard sharing.count > 1 else { return nil }
            return .positionalRedisIndexes(server: server, services: sharing.map(\.name), indexes: sharing.map { $0.redisIndex ?? 0 })
        }
    }
}
