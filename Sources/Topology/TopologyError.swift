/// One problem in a topology file: where it is (JSON path, and line:column when known),
/// what is wrong, and what to do about it.
public struct TopologyIssue: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var position: SourcePosition?
    public var message: String

    public init(path: String, position: SourcePosition? = nil, message: String) {
        self.path = path
        self.position = position
        self.message = message
    }

    public var description: String {
        let at = position.map { "\($0): " } ?? ""
        return "\(at)\(path.isEmpty ? "(top level)" : path): \(message)"
    }
}

/// Every problem found in a topology, collected before failing.
public struct TopologyError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var issues: [TopologyIssue]

    public init(file: String, issues: [TopologyIssue]) {
        self.file = file
        self.issues = issues
    }

    /// `file:line:column: path: message`, one line per issue.
    public var description: String {
        func line(_ issue: TopologyIssue) -> String { "\(file):\(issue.position == nil ? " " : "")\(issue)" }
        if issues.count == 1 { return line(issues[0]) }
        var text = "\(issues.count) topology errors in \(file):"
        for issue in issues { text += "\n  " + line(issue) }
        return text
    }
}

/// Something valid but fragile in a topology: validation passes, and `ovudev validate` prints it.
public enum TopologyWarning: Sendable, Equatable, CustomStringConvertible {
    /// Several services on one Redis server take their database index by position (`"redis": {}`
    /// without `"index"`): the next free index in name order, so adding or removing such a service
    /// moves the others to another database. `services` in name order; `indexes[i]` is the index
    /// `services[i]` has today.
    case positionalRedisIndexes(server: String, services: [String], indexes: [Int])
    /// A service's `database.name` under a single-db scenario, where every PostgreSQL service shares
    /// the scenario's one database: the name is not used there.
    case databaseNameIgnored(service: String, scenario: String, database: String)

    /// The JSON path the warning is about: the `redis` of the first service concerned.
    public var path: String {
        switch self {
        case .positionalRedisIndexes(_, let services, _): return jsonPath(jsonPath("services", services.first ?? ""), "redis")
        case .databaseNameIgnored(let service, _, _): return jsonPath("services", service) + ".database.name"
        }
    }

    public var message: String {
        switch self {
        case let .positionalRedisIndexes(server, services, indexes):
            // Named one by one up to 8; beyond, the first 5 and how many more (a line, not a page).
            let shown = services.count > 8 ? 5 : services.count
            let more = services.count > shown ? " and \(services.count - shown) more" : ""
            let pins = zip(services.prefix(shown), indexes).map { "\"index\": \($0.1) in \($0.0)" }.joined(separator: ", ") + (more.isEmpty ? "" : ", …")
            return "services \(quoted(services.prefix(shown)))\(more) take their Redis database on server \"\(server)\" by position (\"redis\": {} without \"index\"), "
                + "so adding or removing such a service moves the others to another database; pin each where it is today: \(pins)"
        case let .databaseNameIgnored(service, scenario, database):
            return "is not used in scenario \"\(scenario)\" (single-db): every service shares the database \"\(database)\" there; "
                + "name that one with \"\(jsonPath("scenarios", scenario)).database\", or move \"\(service)\" out of single-db"
        }
    }

    public var description: String { "\(path): \(message)" }
}

/// Collects issues while a topology is read, validated and resolved.
final class Diagnostics {
    private(set) var issues: [TopologyIssue] = []
    /// Positions of every value by JSON path, so that later stages can point at the source.
    var positions: [String: SourcePosition] = [:]
    /// Positions of object keys by JSON path: where a name (of a service, server…) is written.
    var keyPositions: [String: SourcePosition] = [:]

    /// Records an issue; without an explicit position it points at the value at `path`, or when the
    /// file does not have that value (a missing key), at the closest enclosing value that it has.
    func error(_ path: String, _ message: String, at position: SourcePosition? = nil) {
        issues.append(TopologyIssue(path: path, position: position ?? closestPosition(path), message: message))
    }

    private func closestPosition(_ path: String) -> SourcePosition? {
        var p = path
        while true {
            if let found = positions[p] { return found }
            if p.isEmpty { return nil }
            p = parentPath(p)
        }
    }

    func append(_ more: [TopologyIssue]) { issues += more }

    /// A fresh collector that shares the recorded positions (for a stage whose issues are merged later).
    func scoped() -> Diagnostics {
        let d = Diagnostics()
        d.positions = positions
        d.keyPositions = keyPositions
        return d
    }

    var isEmpty: Bool { issues.isEmpty }
}

/// The JSON path of `key` inside the object at `parent` ("" for the top level): `services.sam`,
/// or `services."my svc"` when the key is not a plain word. Every stage builds paths with it, so that
/// an issue's path and the recorded source position of the value agree.
func jsonPath(_ parent: String, _ key: String) -> String {
    let plain = !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "$") }
    let component = plain ? key : "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    return parent.isEmpty ? component : "\(parent).\(component)"
}

/// `services.sam.port` → `services.sam`; `tenants[1]` → `tenants`; `services."a.b"` → `services`;
/// `project` → "".
func parentPath(_ path: String) -> String {
    var inQuotes = false
    var cut = path.startIndex
    var previous: Character = " "
    for i in path.indices {
        let c = path[i]
        if c == "\"" && previous != "\\" { inQuotes.toggle() }
        if !inQuotes && (c == "." || c == "[") { cut = i }
        previous = c
    }
    return String(path[..<cut])
}

/// "Did you mean" for a misspelt key or reference: the closest candidate within a small edit distance.
func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word.lowercased(), c.lowercased())
        if d <= max(1, min(word.count, c.count) / 3 + 1), best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
}

func didYouMean(_ word: String, among candidates: some Sequence<String>) -> String {
    suggestion(for: word, among: candidates).map { "; did you mean \"\($0)\"?" } ?? ""
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

func quoted(_ items: some Sequence<String>) -> String {
    items.map { "\"\($0)\"" }.joined(separator: ", ")
}
