import Foundation
import Mustache

/// The templates used to render: the built-ins (embedded from `Templates/`), each overridable by
/// a file of the same name in the project's `templates/` folder.
public struct TemplateSet: Sendable {
    public struct Entry: Sendable {
        public var name: String
        /// `built-in` or the override's path.
        public var origin: String
        var template: MustacheTemplate
    }

    private var entries: [String: Entry]

    public static let builtinNames: [String] = BuiltinTemplates.files.keys.filter { $0.hasSuffix(".mustache") }.sorted()

    /// Built-ins only.
    public static func builtin() throws -> TemplateSet { try TemplateSet(overrideDirectory: nil) }

    /// Built-ins, overridden by `<dir>/<name>.mustache` where such a file exists.
    public init(overrideDirectory: String?) throws {
        entries = [:]
        for name in Self.builtinNames {
            var text = BuiltinTemplates.files[name]!
            var origin = "built-in"
            if let dir = overrideDirectory {
                let path = (dir as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: path) {
                    text = try String(contentsOfFile: path, encoding: .utf8)
                    origin = path
                }
            }
            do {
                entries[name] = Entry(name: name, origin: origin, template: try MustacheTemplate(string: text))
            } catch {
                throw TemplateError(message: "\(origin == "built-in" ? "built-in template \(name)" : origin): \(error)")
            }
        }
        if let dir = overrideDirectory, let names = try? FileManager.default.contentsOfDirectory(atPath: dir) {
            for name in names where name.hasSuffix(".mustache") && entries[name] == nil {
                throw TemplateError(message: "\((dir as NSString).appendingPathComponent(name)): no built-in template has this name\(suggestionText(name))")
            }
        }
    }

    private func suggestionText(_ name: String) -> String {
        "; the templates are: " + Self.builtinNames.joined(separator: ", ")
    }

    public var list: [Entry] { entries.values.sorted { $0.name < $1.name } }

    func render(_ name: String, _ context: [String: Any]) -> String {
        entries[name]!.template.render(context)
    }

    /// A data file shipped with the templates (e.g. the topology JSON Schema).
    public static func builtinFile(_ name: String) -> String? { BuiltinTemplates.files[name] }
}

public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
