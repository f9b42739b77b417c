import Foundation

/// Reads `ovu.topology.json`: JSON syntax (with line and column), types and unknown keys
/// (with JSON path and "did you mean"), then validation. Every problem is collected.
public enum TopologyLoader {
    public static let defaultFileName = "ovu.topology.json"

    /// Loads and validates a topology file.
    public static func load(path: String) throws -> Topology {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TopologyError(file: path, issues: [TopologyIssue(path: "", message: "cannot read the file: \(describe(error))")])
        }
        return try parse(Array(data), file: path)
    }

    /// Parses and validates topology text; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws -> Topology {
        let diagnostics = Diagnostics()
        let root: JSONNode
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw TopologyError(file: file, issues: [TopologyIssue(path: "", position: error.position, message: "invalid JSON: \(error.message)")])
        }
        let spec = readSpec(root, diagnostics)
        if diagnostics.isEmpty {
            let topology = Validator(spec: spec, diagnostics: diagnostics).validate()
            guard diagnostics.isEmpty, let topology else { throw TopologyError(file: file, issues: inFileOrder(diagnostics.issues)) }
            return topology
        }
        // The file's shape is wrong somewhere (a type, an unknown key). Still validate the rest, so
        // that one run reports every problem, but drop what follows from the shape problems.
        let shape = diagnostics.issues
        let shapePaths = Set(shape.map(\.path))
        if shapePaths.contains(where: { ["", "servers", "services", "scenarios"].contains($0) }) {
            throw TopologyError(file: file, issues: inFileOrder(shape))
        }
        let validation = diagnostics.scoped()
        _ = Validator(spec: spec, diagnostics: validation, malformed: shapePaths).validate()
        let independent = validation.issues.filter { issue in !shapePaths.contains { related(issue.path, $0) } }
        throw TopologyError(file: file, issues: inFileOrder(shape + independent))
    }

    /// Issues sorted by line and column (stable; issues without a position last), as compilers print them.
    static func inFileOrder(_ issues: [TopologyIssue]) -> [TopologyIssue] {
        issues.enumerated().sorted { a, b in
            let pa = a.element.position.map { ($0.line, $0.column) } ?? (Int.max, Int.max)
            let pb = b.element.position.map { ($0.line, $0.column) } ?? (Int.max, Int.max)
            return pa != pb ? pa < pb : a.offset < b.offset
        }.map(\.element)
    }

    /// Whether an issue at `a` may be a consequence of a shape problem at `b`: the same value, one
    /// inside the other, or siblings in one object or array (a mistyped "port" makes "health" lack a
    /// port; a dropped array item shifts the indexes after it). Two entries of `services` (or
    /// `servers`, `scenarios`) are independent, and so are top-level keys.
    static func related(_ a: String, _ b: String) -> Bool {
        func inside(_ x: String, _ y: String) -> Bool { x == y || x.hasPrefix(y + ".") || x.hasPrefix(y + "[") }
        if inside(a, b) || inside(b, a) { return true }
        let pa = parentPath(a), pb = parentPath(b)
        return pa == pb && !["", "servers", "services", "scenarios"].contains(pa)
    }

    private static func describe(_ error: Error) -> String {
        if let e = error as? CocoaError, let underlying = e.userInfo[NSUnderlyingErrorKey] as? NSError {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }

    // MARK: - JSON tree → spec

    static func readSpec(_ root: JSONNode, _ d: Diagnostics) -> TopologySpec {
        var spec = TopologySpec()
        guard let top = ObjectReader(root, path: "", d) else { return spec }
        spec.schema = top.string("$schema")
        spec.project = top.string("project")
        // An entry of the wrong type stays as an empty placeholder, so that its name is still known.
        spec.servers = top.map("servers") { node, path in
            guard let o = ObjectReader(node, path: path, d) else { return ServerSpec() }
            var s = ServerSpec(engine: o.string("engine"), version: o.string("version"), port: o.int("port"), image: o.string("image"),
                               acl: o.bool("acl"))
            s.host = o.string("host")
            readServerExtras(o, into: &s)
            o.finish(known: ServerSpec.CodingKeys.allCases.map(\.rawValue))
            return s
        }
        spec.services = top.map("services") { node, path in readService(node, path, d) ?? ServiceSpec() }
        spec.tenants = top.stringArray("tenants")
        if let node = top.object("backups") {
            let path = top.childPath("backups")
            spec.backups = BackupSpec(schedule: node.string("schedule"), keepDays: node.int("keepDays"), dir: node.string("dir"), upload: node.string("upload"))
            node.finish(known: BackupSpec.CodingKeys.allCases.map(\.rawValue))
            _ = path
        }
        spec.scenarios = top.map("scenarios") { node, path in
            guard let o = ObjectReader(node, path: path, d) else { return ScenarioSpec() }
            let analytics = o.isObject("analytics") ? o.object("analytics") : nil
            var s = ScenarioSpec(
                layout: o.string("layout"), isolation: o.string("isolation"), servers: o.string("servers"),
                secrets: o.string("secrets"), engines: o.map("engines") { n, p in stringValue(n, p, d) },
                analytics: analytics != nil ? true : o.bool("analytics"), portStride: o.int("portStride"), separate: o.stringArray("separate"))
            s.services = o.stringArray("services")
            s.shared = o.stringArray("shared")
            readScenarioNames(o, into: &s)
            if let analytics {
                s.analyticsAccess = AnalyticsSpec(role: analytics.string("role"), services: analytics.stringArray("services"))
                analytics.finish(known: AnalyticsSpec.CodingKeys.allCases.map(\.rawValue))
            }
            o.finish(known: ScenarioSpec.CodingKeys.allCases.map(\.rawValue))
            return s
        }
        spec.defaultScenario = top.string("defaultScenario")
        top.finish(known: TopologySpec.CodingKeys.allCases.map(\.rawValue))
        return spec
    }

    private static func readService(_ node: JSONNode, _ path: String, _ d: Diagnostics) -> ServiceSpec? {
        guard let o = ObjectReader(node, path: path, d) else { return nil }
        var s = ServiceSpec()
        s.port = o.int("port")
        s.path = o.string("path")
        s.image = o.string("image")
        if let db = o.object("database") {
            var spec = DatabaseSpec(server: db.string("server"), name: db.string("name"), extensions: db.stringArray("extensions"),
                                    urlScheme: isObject(db.node("urlScheme")) ? nil : db.string("urlScheme"))
            if let pool = db.object("pool") {
                spec.pool = PoolSpec(size: pool.int("size"), maxOverflow: pool.int("maxOverflow"), timeout: pool.int("timeout"),
                                     prePing: pool.bool("prePing"), recycle: pool.int("recycle"))
                pool.finish(known: PoolSpec.CodingKeys.allCases.map(\.rawValue))
            }
            readDatabaseNames(db, into: &spec)
            db.finish(known: DatabaseSpec.CodingKeys.allCases.map(\.rawValue))
            s.database = spec
        } else if o.has("database") {
            s.database = DatabaseSpec()  // of the wrong type (reported): still "owns a database"
        }
        if let r = o.object("redis") {
            s.redis = RedisSpec(index: r.int("index"), server: r.string("server"), prefix: r.string("prefix"))
            r.finish(known: RedisSpec.CodingKeys.allCases.map(\.rawValue))
        } else if o.has("redis") {
            s.redis = RedisSpec()
        }
        s.dependsOn = o.stringArray("dependsOn")
        s.reads = o.map("reads") { n, p in
            guard case let .array(items) = n.value else {
                d.error(p, "expected an array of table names, found \(n.value.kindName)", at: n.position)
                return nil
            }
            return items.enumerated().compactMap { i, item in stringValue(item, "\(p)[\(i)]", d) }
        }
        s.migrate = o.string("migrate")
        s.command = o.string("command")
        s.health = o.string("health")
        s.seed = o.stringArray("seed")
        s.tables = o.stringArray("tables")
        s.env = o.map("env") { n, p in stringValue(n, p, d) }
        o.finish(known: ServiceSpec.CodingKeys.allCases.map(\.rawValue))
        return s
    }

    static func stringValue(_ node: JSONNode, _ path: String, _ d: Diagnostics) -> String? {
        d.positions[path] = node.position
        guard case let .string(s) = node.value else {
            d.error(path, "expected a string, found \(node.value.kindName)", at: node.position)
            return nil
        }
        return s
    }
}

/// Typed access to one JSON object; records which keys were read so that `finish`
/// reports the rest as unknown.
final class ObjectReader {
    let path: String
    let position: SourcePosition
    private let members: [(key: String, keyPosition: SourcePosition, value: JSONNode)]
    private let d: Diagnostics
    var diagnostics: Diagnostics { d }

    init?(_ node: JSONNode, path: String, _ d: Diagnostics) {
        self.d = d
        self.path = path
        self.position = node.position
        d.positions[path] = node.position
        guard case let .object(members) = node.value else {
            d.error(path, "expected an object, found \(node.value.kindName)", at: node.position)
            return nil
        }
        self.members = members
        for m in members {
            d.positions[childPath(m.key)] = m.value.position
            d.keyPositions[childPath(m.key)] = m.keyPosition
        }
    }

    func childPath(_ key: String) -> String { jsonPath(path, key) }

    func node(_ key: String) -> JSONNode? {
        members.first { $0.key == key }?.value
    }

    func has(_ key: String) -> Bool { node(key) != nil }

    func isObject(_ key: String) -> Bool {
        if case .object = node(key)?.value { return true }
        return false
    }

    func string(_ key: String) -> String? {
        guard let n = node(key) else { return nil }
        return TopologyLoader.stringValue(n, childPath(key), d)
    }

    func int(_ key: String) -> Int? {
        guard let n = node(key) else { return nil }
        guard case let .number(v, isInteger) = n.value, isInteger || v.rounded() == v else {
            d.error(childPath(key), "expected an integer, found \(n.value.kindName)", at: n.position)
            return nil
        }
        guard let i = Int(exactly: v), abs(v) < 1e15 else {
            d.error(childPath(key), "the integer \(v) is out of range", at: n.position)
            return nil
        }
        return i
    }

    func bool(_ key: String) -> Bool? {
        guard let n = node(key) else { return nil }
        guard case let .bool(b) = n.value else {
            d.error(childPath(key), "expected true or false, found \(n.value.kindName)", at: n.position)
            return nil
        }
        return b
    }

    func object(_ key: String) -> ObjectReader? {
        guard let n = node(key) else { return nil }
        return ObjectReader(n, path: childPath(key), d)
    }

    func stringArray(_ key: String) -> [String]? {
        guard let n = node(key) else { return nil }
        guard case let .array(items) = n.value else {
            d.error(childPath(key), "expected an array of strings, found \(n.value.kindName)", at: n.position)
            return nil
        }
        return items.enumerated().compactMap { i, item in TopologyLoader.stringValue(item, "\(childPath(key))[\(i)]", d) }
    }

    /// An object used as a map from names to values; each value read by `read`.
    func map<T>(_ key: String, _ read: (JSONNode, String) -> T?) -> [String: T]? {
        guard let reader = object(key) else { return nil }
        var result: [String: T] = [:]
        for m in reader.members {
            if let v = read(m.value, reader.childPath(m.key)) { result[m.key] = v }
        }
        return result
    }

    func keyPosition(_ key: String) -> SourcePosition? {
        members.first { $0.key == key }?.keyPosition
    }

    func finish(known: [String]) {
        for m in members where !known.contains(m.key) {
            d.error(childPath(m.key), "unknown key\(didYouMean(m.key, among: known)) (allowed: \(known.filter { $0 != "$schema" || path.isEmpty }.joined(separator: ", ")))", at: m.keyPosition)
        }
    }
}
