import Topology

/// What happened to a server during `up`.
public enum ServerAction: String, Sendable, Codable {
    case created, started, running, stopped, unsupported
}

public struct ServerState: Sendable, Codable {
    public var name: String
    public var engine: Engine
    public var port: Int
    public var action: ServerAction
    public var running: Bool
}
