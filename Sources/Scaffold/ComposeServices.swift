import Foundation
import Renderers
import Topology
import Yams

/// Walks a compose file's `services:`: data servers first (so that the apps' URLs and
/// `depends_on` can point at them), then the apps. Collects what it leaves behind in `skipped`.
struct ComposeReader {
    let file: String
    let composeDirectory: String
    let topologyDirectory: String
    private(set) var skipped: [String] = []

    /// The variables the database images read to create their first database.
    static let databaseVariables: Set<String> = ["POSTGRES_DB", "MYSQL_DATABASE", "MARIADB_DATABASE", "MONGO_INITDB_DATABASE"]
    static let systemDatabases: Set<String> = ["postgres", "template0", "template1", "mysql", "information_schema",
                                               "performance_schema", "sys", "admin", "local", "config"]

    init(file: String, composeDirectory: String, topologyDirectory: String) {
        self.file = file
        self.composeDirectory = composeDirectory
        self.topologyDirectory = topologyDirectory
    }

    mutating func skip(_ path: String, _ node: Node? = nil, _ why: String? = nil) {
        skipped.append(path + (why.map { " (\($0))" } ?? ""))
    }

    private struct Entry {
        var key: String
        var name: String
        var body: Node.Mapping
        var data: (engine: Engine, tag: String?)?
    }

    mutating func read(_ services: Node.Mapping, into draft: inout Draft) throws {
        var entries: [Entry] = []
        var sqlNames = Set<String>()
        for (k, v) in services {
            let key = k.string ?? "?"
            let place = "\(file)\(ComposeImport.line(k)): services.\(key)"
            guard let body = v.mapping else { throw InitError("\(place): a service must be a mapping") }
            guard let name = Names.derive(key) else { throw InitError("\(place): no usable name can be made of \"\(key)\"") }
            try Names.check(name, place)
            guard sqlNames.insert(name.replacingOccurrences(of: "-", with: "_")).inserted else {
                throw InitError("\(place): \"\(key)\" becomes \"\(name)\", which another service already is (names differ by more than case, '.', '-' and '_')")
            }
            entries.append(Entry(key: key, name: name, body: body, data: body["image"]?.string.flatMap(DataImage.parse)))
        }
        let nameOf = Dictionary(entries.map { ($0.key, $0.name) }, uniquingKeysWith: { a, _ in a })
        var engineOf: [String: Engine] = [:]
        var firstDatabase: [String: (value: String, path: String)] = [:]

        for entry in entries {
            guard let data = entry.data else { continue }
            let path = "services.\(entry.key)"
            var server = Draft.Server(name: entry.name, engine: data.engine)
            server.version = data.tag.flatMap { $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) } ? $0 : nil }
            let image = entry.body["image"]?.string ?? ""
            if image != "\(DataImage.defaultRepository[data.engine]!):\(server.version ?? data.engine.defaultVersion)" { server.image = image }
            for (k, v) in entry.body {
                let field = k.string ?? "?"
                switch field {
                case "image": break
                case "ports": server.port = port(v, "\(path).ports")
                case "environment":
                    for (variable, value) in environment(v) {
                        if Self.databaseVariables.contains(variable), let value {
                            firstDatabase[entry.name] = (value, "\(path).environment.\(variable)")
                        } else {
                            skip("\(path).environment.\(variable)", nil, variable.contains("PASSWORD") ? "ovudev generates the passwords" : nil)
                        }
                    }
                case "volumes": skip("\(path).volumes", v, "ovudev creates the databases, roles and grants itself")
                default: skip("\(path).\(field)", v)
                }
            }
            engineOf[entry.name] = data.engine
            draft.servers.append(server)
        }

        var claimed: [String: String] = [:]  // "server/database" → service
        for entry in entries where entry.data == nil {
            let path = "services.\(entry.key)"
            var service = Draft.Service(name: entry.name)
            var databaseURL: (url: DataURL, path: String)?
            var redisURL: (url: DataURL, path: String)?
            var dataDependencies: [String] = []
            for (k, v) in entry.body {
                let field = k.string ?? "?"
                switch field {
                case "build": service.path = buildPath(v, "\(path).build")
                case "image":
                    if let image = v.string, !image.contains("$") { service.image = image } else { skip("\(path).image", v, "an interpolated image") }
                case "command": service.command = command(v, "\(path).command")
                case "ports": service.port = port(v, "\(path).ports")
                case "depends_on":
                    // The list form, or the map form whose keys are the services (conditions are ovudev's own: healthy).
                    let targets = v.sequence.map { $0.compactMap(\.string) } ?? v.mapping.map { $0.keys.compactMap(\.string) } ?? []
                    for target in targets {
                        guard let name = nameOf[target] else { skip("\(path).depends_on.\(target)", nil, "no such service"); continue }
                        if engineOf[name] != nil { dataDependencies.append(name) } else { service.dependsOn.append(name) }
                    }
                case "environment":
                    for (variable, value) in environment(v) {
                        let at = "\(path).environment.\(variable)"
                        if variable == "DATABASE_URL", let url = value.flatMap(DataURL.init) { databaseURL = (url, at) }
                        else if variable == "REDIS_URL", let url = value.flatMap(DataURL.init) { redisURL = (url, at) }
                        else { skip(at) }
                    }
                default: skip("\(path).\(field)", v)
                }
            }

            // The database: the URL's host (or the only server of its engine), else a depends_on on a database server.
            if let (url, at) = databaseURL {
                if let engine = url.engine, engine != .redis, let server = server(url.host, engine, engineOf, nameOf) {
                    let name = url.path.isEmpty ? nil : url.path
                    var scheme: String? = url.scheme
                    if scheme == (engine == .postgres ? "postgresql" : engine.rawValue) { scheme = nil }
                    service.database = (server: server, name: claim(name, server, entry.name, at, &claimed), urlScheme: scheme)
                } else {
                    skip(at, nil, "no postgres, mysql, mariadb or mongo service here answers to \(url.scheme)://\(url.host)")
                }
            } else if let server = dataDependencies.first(where: { engineOf[$0] != .redis }) {
                let initial = firstDatabase[server].flatMap { claimed["\(server)/\($0.value)"] == nil ? $0.value : nil }
                service.database = (server: server, name: claim(initial, server, entry.name, path, &claimed), urlScheme: nil)
            }
            if let (url, at) = redisURL {
                if url.engine == .redis, let server = server(url.host, .redis, engineOf, nameOf) {
                    service.redis = (server: server, index: Int(url.path))
                } else {
                    skip(at, nil, "no redis service here answers to \(url.scheme)://\(url.host)")
                }
            } else if let server = dataDependencies.first(where: { engineOf[$0] == .redis }) {
                service.redis = (server: server, index: nil)
            }
            draft.services.append(service)
        }
        for (server, initial) in firstDatabase.sorted(by: { $0.key < $1.key }) where claimed["\(server)/\(initial.value)"] == nil {
            skip(initial.path, nil, "no app's DATABASE_URL or depends_on uses it")
        }
    }

    /// The database name a service may own, or nil (then it gets `<svc>_db`), saying why.
    private mutating func claim(_ name: String?, _ server: String, _ service: String, _ at: String, _ claimed: inout [String: String]) -> String? {
        guard let name else { return nil }
        let valid = name.count <= 63 && name.first.map { ("a"..."z").contains($0) } == true
            && name.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        if !valid || Self.systemDatabases.contains(name) {
            skip(at, nil, "database name \"\(name)\" is not one a service can own here; \(service) gets \(service.replacingOccurrences(of: "-", with: "_"))_db")
            return nil
        }
        if let owner = claimed["\(server)/\(name)"] {
            skip(at, nil, "database \"\(name)\" is already \(owner)'s; each service owns its own, \(service) gets \(service.replacingOccurrences(of: "-", with: "_"))_db")
            return nil
        }
        claimed["\(server)/\(name)"] = service
        return name
    }

    /// The server a URL's host names: a compose service of that engine, or the only one.
    private func server(_ host: String, _ engine: Engine, _ engineOf: [String: Engine], _ nameOf: [String: String]) -> String? {
        if let name = nameOf[host], engineOf[name] == engine { return name }
        let candidates = engineOf.filter { $0.value == engine }.map(\.key)
        return candidates.count == 1 ? candidates[0] : nil
    }

    /// The first published port: `8080`, `"8080:80"`, `"127.0.0.1:8080:80/tcp"`, `{ published: 8080, target: 80 }`
    /// (a lone container port stands for itself). Further mappings and ranges are reported.
    private mutating func port(_ node: Node, _ path: String) -> Int? {
        guard let items = node.sequence, !items.isEmpty else { skip(path, node, "not a list"); return nil }
        for (i, item) in items.enumerated().dropFirst() { skip("\(path)[\(i)]", item, "a service has one port here") }
        let first = items[0]
        if let mapping = first.mapping {
            if let published = mapping["published"]?.string.flatMap({ Int($0) }) ?? mapping["target"]?.string.flatMap({ Int($0) }) { return published }
        } else if let text = first.string {
            let withoutProtocol = text.split(separator: "/").first.map(String.init) ?? text
            let parts = withoutProtocol.split(separator: ":").map(String.init)
            let host = parts.count >= 2 ? parts[parts.count - 2] : parts.first
            if let host, let port = Int(host), (1...65535).contains(port) { return port }
        }
        skip("\(path)[0]", first, "not a single port")
        return nil
    }

    /// `KEY: value` or `- KEY=value` (a bare `- KEY` passes the host's value through: none here).
    private func environment(_ node: Node) -> [(String, String?)] {
        if let mapping = node.mapping {
            return mapping.map { ($0.key.string ?? "?", $0.value.string) }
        }
        return (node.sequence ?? []).compactMap(\.string).map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count == 2 ? parts[1] : nil)
        }
    }

    /// `build: ./orders` or `build: { context: ./orders, … }`, relative to the topology's folder.
    private mutating func buildPath(_ node: Node, _ path: String) -> String? {
        var context = node.string
        if let mapping = node.mapping {
            context = mapping["context"]?.string ?? "."
            for (k, v) in mapping where k.string != "context" { skip("\(path).\(k.string ?? "?")", v) }
        }
        guard let context, !context.contains("://"), !context.hasPrefix("git@") else { skip(path, node, "not a folder"); return nil }
        let absolute = URL(fileURLWithPath: context.hasPrefix("/") ? context : composeDirectory + "/" + context).standardizedFileURL.path
        let base = URL(fileURLWithPath: topologyDirectory).standardizedFileURL.path
        let relative = relativePath(from: base, to: absolute)
        guard !relative.split(separator: "/").contains("..") else { skip(path, node, "\(context) is outside the project folder"); return nil }
        return relative
    }

    /// A string as written; a list joined for a shell, each word quoted where it needs it.
    private mutating func command(_ node: Node, _ path: String) -> String? {
        if let text = node.string, !text.contains("\n"), !text.trimmingCharacters(in: .whitespaces).isEmpty { return text }
        if let words = node.sequence?.compactMap(\.string), !words.isEmpty {
            return words.map(Escape.shellWord).joined(separator: " ")
        }
        skip(path, node, "not a one-line command")
        return nil
    }
}
