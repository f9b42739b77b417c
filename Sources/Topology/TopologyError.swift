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

    public var description: String {
        if issues.count == 1 { return "\(file):\(issues[0])" }
        var text = "\(issues.count) topology errors in \(file):"
        for issue in issues { text += "\n  \(file):\(issue)" }
        return text
    }
}

/// Collects issues while a topology is read, validated and resolved.
final class Diagnostics {
    private(set) var issues: [TopologyIssue] = []
    /// Positions of every value by JSON path, so that later stages can point at the source.
    var positions: [String: SourcePosition] = [:]

    func error(_ path: String, _ message: String, at position: SourcePosition? = nil) {
        issues.append(TopologyIssue(path: path, position: position ?? positions[path], message: message))
    }

    var isEmpty: Bool { issues.isEmpty }
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
