import Statements
/// A YAML tree that prints deterministically in block style: maps keep the order they were
/// built in, strings are quoted unless plainly safe, multi-line text becomes a literal block.
/// The Kubernetes renderer builds manifests from these, so no value is ever pasted into YAML
/// text unescaped.
public indirect enum YAMLNode: Sendable, Equatable {
    case map([YAMLEntry])
    case list([YAMLNode])
    case string(String)
    case int(Int)
    case bool(Bool)

    public static func map(_ pairs: KeyValuePairs<String, YAMLNode?>) -> YAMLNode {
        .map(pairs.compactMap { key, value in value.map { YAMLEntry(key, $0) } })
    }

    /// A map of strings (labels, ConfigMap data), in the given order.
    public static func strings(_ pairs: [(String, String)]) -> YAMLNode {
        .map(pairs.map { YAMLEntry($0.0, .string($0.1)) })
    }

    /// One document, ending with a newline.
    public var document: String {
        var out = ""
        switch self {
        case .map(let entries) where !entries.isEmpty: Self.emitMap(entries, indent: 0, into: &out)
        case .list(let items) where !items.isEmpty: Self.emitList(items, indent: 0, into: &out)
        default: out = Self.inline(self) + "\n"
        }
        return out
    }

    /// The value at a key of a map.
    public subscript(key: String) -> YAMLNode? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    // MARK: - Emitting

    private static func pad(_ n: Int) -> String { String(repeating: " ", count: n) }

    private static func emitMap(_ entries: [YAMLEntry], indent: Int, into out: inout String) {
        for entry in entries {
            out += pad(indent) + key(entry.key) + ":"
            emitValue(entry.value, indent: indent, into: &out)
        }
    }

    private static func emitList(_ items: [YAMLNode], indent: Int, into out: inout String) {
        for item in items {
            switch item {
            case .map(let entries) where !entries.isEmpty:
                // The first entry shares the dash's line; the others line up under it.
                var body = ""
                emitMap(entries, indent: indent + 2, into: &body)
                out += pad(indent) + "- " + body.dropFirst(indent + 2)
            case .list(let inner) where !inner.isEmpty:
                out += pad(indent) + "-\n"
                emitList(inner, indent: indent + 2, into: &out)
            case .string(let s) where literalBlock(s) != nil:
                out += pad(indent) + "-"
                emitValue(item, indent: indent, into: &out)
            default:
                out += pad(indent) + "- " + inline(item) + "\n"
            }
        }
    }

    /// After `key:` (or `-`): the rest of the line and any nested lines.
    private static func emitValue(_ value: YAMLNode, indent: Int, into out: inout String) {
        switch value {
        case .map(let entries) where !entries.isEmpty:
            out += "\n"
            emitMap(entries, indent: indent + 2, into: &out)
        case .list(let items) where !items.isEmpty:
            out += "\n"
            emitList(items, indent: indent + 2, into: &out)
        case .string(let s):
            if let (indicator, lines) = literalBlock(s) {
                out += " " + indicator + "\n"
                for line in lines { out += line.isEmpty ? "\n" : pad(indent + 2) + line + "\n" }
            } else {
                out += " " + inline(value) + "\n"
            }
        default:
            out += " " + inline(value) + "\n"
        }
    }

    private static func inline(_ node: YAMLNode) -> String {
        switch node {
        case .map(let entries): return entries.isEmpty ? "{}" : "{" + entries.map { key($0.key) + ": " + inline($0.value) }.joined(separator: ", ") + "}"
        case .list(let items): return "[" + items.map(inline).joined(separator: ", ") + "]"
        case .string(let s): return plainSafe(s) ? s : Escape.yamlDoubleQuoted(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        }
    }

    private static func key(_ k: String) -> String { plainSafe(k) ? k : Escape.yamlDoubleQuoted(k) }

    /// Words YAML 1.1 (which Kubernetes' parser follows for booleans) reads as something else.
    private static let reserved: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]

    /// A plain scalar every YAML parser reads as this very string: starts with a letter, then
    /// letters, digits and `_ . / -`, and is not a boolean or null word.
    static func plainSafe(_ s: String) -> Bool {
        guard let first = s.utf8.first, (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A) else { return false }
        return s.utf8.allSatisfy { Escape.isAlnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2F || $0 == 0x2D }
            && !reserved.contains(s.lowercased())
    }

    /// Multi-line text as a literal block (`|`, `|-` or `|+` by its trailing newlines), when
    /// every character can stand in one: printable, no tab or carriage return, and a first line
    /// that does not start with a space (the block's indentation is read from it).
    static func literalBlock(_ s: String) -> (String, [String])? {
        guard s.contains("\n"), let first = s.first, first != " ", first != "\n" else { return nil }
        for scalar in s.unicodeScalars {
            if scalar == "\n" { continue }
            if scalar.value < 0x20 || scalar.value == 0x7F || (scalar.value >= 0x80 && scalar.value < 0xA0)
                || scalar.value == 0x2028 || scalar.value == 0x2029 || scalar.value == 0xFEFF { return nil }
        }
        var body = Substring(s)
        var trailing = 0
        while body.hasSuffix("\n") { body = body.dropLast(); trailing += 1 }
        // A line of spaces only would be read as part of the indentation.
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.contains(where: { !$0.isEmpty && $0.allSatisfy { $0 == " " } }) { return nil }
        switch trailing {
        case 0: return ("|-", lines)
        case 1: return ("|", lines)
        default: return ("|+", lines + Array(repeating: "", count: trailing - 1))
        }
    }
}

public struct YAMLEntry: Sendable, Equatable {
    public var key: String
    public var value: YAMLNode
    public init(_ key: String, _ value: YAMLNode) {
        self.key = key
        self.value = value
    }
}
