import Foundation

/// `<stateDirectory>/provisioned.json`: per server and role, the fingerprint of the password
/// last set (never the password).
struct ProvisionState: Codable, Equatable {
    struct Server: Codable, Equatable {
        var roles: [String: String] = [:]
    }
    var version = 1
    var servers: [String: Server] = [:]

    static func load(_ path: String) -> ProvisionState {
        guard let data = FileManager.default.contents(atPath: path),
              let state = try? JSONDecoder().decode(ProvisionState.self, from: data), state.version == 1 else { return ProvisionState() }
        return state
    }

    /// Written to a temp file created 0600, then renamed over the old one.
    func save(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let temp = "\(path).\(getpid()).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw EngineError("cannot write \(temp): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        close(fd)
        guard written == data.count, rename(temp, path) == 0 else {
            unlink(temp)
            throw EngineError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
