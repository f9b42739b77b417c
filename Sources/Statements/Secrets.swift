import Topology

/// How secrets reach the rendered files: their values (generated), or references to
/// variables the deployer sets (external).
public struct Secrets: Sendable {
    public enum Source: Sendable { case values([String: String]), external }
    public var source: Source

    public init(values: [String: String]) { source = .values(values) }
    public static let external = Secrets(source: .external)
    private init(source: Source) { self.source = source }

    /// The value, or nil for external secrets.
    public func value(_ ref: SecretRef) -> String? {
        guard case let .values(values) = source else { return nil }
        return values[ref.variable]
    }

    public var isExternal: Bool { if case .external = source { return true }; return false }
}
