/// Reading the keys that name things and shape the env contract: a scenario's database name
/// and dedicated server names; a service's role, schema, URL parameters, extra variables.
extension TopologyLoader {
    static func readScenarioNames(_ o: ObjectReader, into s: inout ScenarioSpec) {
        s.database = o.string("database")
        s.serverNames = o.map("serverNames") { n, p in stringValue(n, p, o.diagnostics) }
        s.redis = o.map("redis") { n, p in
            guard let r = ObjectReader(n, path: p, o.diagnostics) else { return RedisSpec() }
            defer { r.finish(known: ["index", "server"]) }
            return RedisSpec(index: r.int("index"), server: r.string("server"), prefix: nil)
        }
    }

    static func readDatabaseNames(_ o: ObjectReader, into s: inout DatabaseSpec) {
        s.role = o.string("role")
        s.schema = o.string("schema")
        s.params = o.map("params") { n, p in stringValue(n, p, o.diagnostics) }
        if isObject(o.node("urlScheme")) {
            s.urlSchemes = o.map("urlScheme") { n, p in stringValue(n, p, o.diagnostics) }
        }
    }

    static func isObject(_ node: JSONNode?) -> Bool {
        if case .object = node?.value { return true }
        return false
    }

    static func readServerExtras(_ o: ObjectReader, into s: inout ServerSpec) {
        s.params = o.map("params") { n, p in stringValue(n, p, o.diagnostics) }
        s.maxConnections = o.int("maxConnections")
    }
}
