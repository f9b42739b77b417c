import Foundation
import Renderers
import Topology

/// A topology about to be written by `ovudev init`: only what init decides, in the order a
/// person reads it. `Draft.json` writes it; `TopologyFile.write` validates and stores it.
public struct Draft: Sendable, Equatable {
    public var project: String
    public var servers: [Server] = []
    public var services: [Service] = []
    public var tenants: [String] = []
    public var layout: Layout = .dbPerService

    public init(project: String) { self.project = project }

    public struct Server: Sendable, Equatable {
        public var name: String
        public var engine: Engine
        public var version: String?
        public var port: Int?
        public var image: String?
    }

    public struct Service: Sendable, Equatable {
        public var name: String
        public var port: Int?
        public var path: String?
        public var image: String?
        public var command: String?
        /// nil: no database; otherwise the server (nil: the only one of its engine) and name (nil: `<svc>_db`).
        public var database: (server: String?, name: String?, urlScheme: String?)?
        /// nil: no Redis; otherwise the server (nil: the only one) and index (nil: the next free).
        public var redis: (server: String?, index: Int?)?
        public var dependsOn: [String] = []

        public init(name: String) { self.name = name }

        public static func == (a: Service, b: Service) -> Bool {
            a.name == b.name && a.port == b.port && a.path == b.path && a.image == b.image && a.command == b.command
                && a.database?.server == b.database?.server && a.database?.name == b.database?.name
                && a.database?.urlScheme == b.database?.urlScheme && (a.database == nil) == (b.database == nil)
                && a.redis?.server == b.redis?.server && a.redis?.index == b.redis?.index && (a.redis == nil) == (b.redis == nil)
                && a.dependsOn == b.dependsOn
        }
    }

    /// dev, stage and prod for the layout: prod keeps its passwords out of files (`secrets:
    /// external`) and, per service, runs its own server where the layout has one per service.
    var scenarios: [(String, [(String, JSONOut)])] {
        let layout: (String, JSONOut) = ("layout", .string(self.layout.rawValue))
        var prod = [layout]
        if self.layout == .dbPerService && servers.contains(where: { $0.engine != .redis }) { prod.append(("servers", .string("dedicated"))) }
        prod.append(("secrets", .string("external")))
        return [("dev", [layout]), ("stage", [layout]), ("prod", prod)]
    }

    /// The topology file's text: keys in the README's order, small objects on one line.
    public var json: String {
        var top: [(String, JSONOut)] = [("$schema", .string("./Templates/topology.schema.json")), ("project", .string(project))]
        top.append(("servers", .object(servers.sorted { $0.name < $1.name }.map { s in
            var o: [(String, JSONOut)] = [("engine", .string(s.engine.rawValue))]
            if let v = s.version { o.append(("version", .string(v))) }
            if let p = s.port { o.append(("port", .int(p))) }
            if let i = s.image { o.append(("image", .string(i))) }
            return (s.name, .object(o))
        })))
        top.append(("services", .object(services.sorted { $0.name < $1.name }.map { s in
            var o: [(String, JSONOut)] = []
            if let p = s.port { o.append(("port", .int(p))) }
            if let p = s.path { o.append(("path", .string(p))) }
            if let i = s.image { o.append(("image", .string(i))) }
            if let d = s.database {
                var db: [(String, JSONOut)] = []
                if let server = d.server { db.append(("server", .string(server))) }
                if let name = d.name { db.append(("name", .string(name))) }
                if let scheme = d.urlScheme { db.append(("urlScheme", .string(scheme))) }
                o.append(("database", .object(db)))
            }
            if let r = s.redis {
                var redis: [(String, JSONOut)] = []
                if let server = r.server { redis.append(("server", .string(server))) }
                if let index = r.index { redis.append(("index", .int(index))) }
                o.append(("redis", .object(redis)))
            }
            if !s.dependsOn.isEmpty { o.append(("dependsOn", .array(s.dependsOn.sorted().map { .string($0) }))) }
            if let c = s.command { o.append(("command", .string(c))) }
            return (s.name, .object(o))
        })))
        if !tenants.isEmpty { top.append(("tenants", .array(tenants.map { .string($0) }))) }
        top.append(("scenarios", .object(scenarios.map { ($0.0, .object($0.1)) })))
        top.append(("defaultScenario", .string("dev")))
        return JSONOut.object(top).text(indent: 0, column: 0) + "\n"
    }
}

/// JSON with ordered keys. The top level and its direct members are spread over lines; deeper
/// values stay on one line while that fits in 100 columns.
indirect enum JSONOut: Sendable {
    case string(String), int(Int), array([JSONOut]), object([(String, JSONOut)])

    var compact: String {
        switch self {
        case let .string(s): return JSONOut.quote(s)
        case let .int(i): return String(i)
        case let .array(items): return "[" + items.map(\.compact).joined(separator: ", ") + "]"
        case let .object(pairs): return pairs.isEmpty ? "{}" : "{ " + pairs.map { JSONOut.quote($0.0) + ": " + $0.1.compact }.joined(separator: ", ") + " }"
        }
    }

    /// `column`: where this value starts on its line, to decide whether it fits.
    func text(indent: Int, column: Int) -> String {
        let fits = column + compact.count <= 100
        switch self {
        case let .object(pairs) where indent < 2 || !fits:
            guard !pairs.isEmpty else { return "{}" }
            let pad = String(repeating: " ", count: indent + 2)
            return "{\n" + pairs.map { key, value in
                let prefix = pad + JSONOut.quote(key) + ": "
                return prefix + value.text(indent: indent + 2, column: prefix.count)
            }.joined(separator: ",\n") + "\n" + String(repeating: " ", count: indent) + "}"
        case let .array(items) where !fits:
            let pad = String(repeating: " ", count: indent + 2)
            return "[\n" + items.map { pad + $0.text(indent: indent + 2, column: pad.count) }.joined(separator: ",\n")
                + "\n" + String(repeating: " ", count: indent) + "]"
        default:
            return compact
        }
    }

    /// A JavaScript string literal is a JSON string too (control characters as \uXXXX).
    static func quote(_ s: String) -> String { Escape.jsString(s) }
}
