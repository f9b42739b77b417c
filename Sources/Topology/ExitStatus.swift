/// An error that ends ovudev with a documented exit status other than 1: 2 for bad input (the
/// topology, the templates, the arguments). Every other error is a failed action, exit 1.
/// `main` catches once and prints `error: …` with the error's description, which names the place
/// (JSON path and line, file, server, table).
public protocol ExitStatusError: Error {
    var exitStatus: Int32 { get }
}

extension TopologyError: ExitStatusError {
    public var exitStatus: Int32 { 2 }
}
