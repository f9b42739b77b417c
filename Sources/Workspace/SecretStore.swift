import Foundation
import Topology

/// `.ovu/secrets.json`: one random password per secret variable, per project and server,
/// created once (mode 0600) and reused forever after. Two topologies used in one folder (two
/// projects, or a project renamed) never share a password.
public struct SecretStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The store next to a topology file.
    public init(topologyDirectory: String) {
        path = (topologyDirectory as NSString).appendingPathComponent(".ovu/secrets.json")
    }

    /// The file: `{"format": 2, "projects": {project: {server: {VARIABLE: password}}}}`. A file
    /// from before (one flat object of variables) is read as `unassigned`: each value goes to the
    /// first project and server that asks for its variable, so running stacks keep their passwords.
    public struct Document: Codable, Equatable, Sendable {
        public var format = 2
        public var projects: [String: [String: [String: String]]] = [:]
        public var unassigned: [String: String]?

        public init(projects: [String: [String: [String: String]]] = [:], unassigned: [String: String]? = nil) {
            self.projects = projects
            self.unassigned = unassigned
        }
    }

    public func load() throws -> Document {
        guard FileManager.default.fileExists(atPath: path) else { return Document() }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        if let flat = try? JSONSerialization.jsonObject(with: data) as? [String: String] { return Document(unassigned: flat) }
        do {
            return try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw StoreError(message: "\(path) is not a secret store ovudev can read (\(error)); fix or delete it (deleting changes every generated password)")
        }
    }

    /// Values for every secret of the plan, generating the missing ones under the plan's project
    /// and each secret's server; returns the document to save (nil if nothing is new). A variable
    /// that two servers of one plan share (the analytics role) has one value on both.
    public func values(for plan: Plan) throws -> (values: [String: String], updated: Document?) {
        var document = try load()
        var project = document.projects[plan.project] ?? [:]
        var values: [String: String] = [:]
        var changed = false
        for server in plan.servers {
            var stored = project[server.name] ?? [:]
            let refs = server.secretRefs.map(\.variable)
            for variable in Set(refs).sorted() {
                if let value = values[variable] ?? stored[variable] ?? document.unassigned?.removeValue(forKey: variable) {
                    values[variable] = value
                    if stored[variable] != value { stored[variable] = value; changed = true }
                } else {
                    let value = Self.generatePassword()
                    values[variable] = value
                    stored[variable] = value
                    changed = true
                }
            }
            project[server.name] = stored
        }
        if document.unassigned?.isEmpty == true { document.unassigned = nil }
        document.projects[plan.project] = project
        return (values, changed ? document : nil)
    }

    /// Writes the store atomically with mode 0600 (the directory 0700).
    public func save(_ document: Document) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeFileAtomically(path: path, data: try encoder.encode(document) + Data("\n".utf8), mode: 0o600)
    }

    /// 32 characters from [A-Za-z0-9]: safe in URLs, SQL, YAML, shell and .env alike (~190 bits).
    public static func generatePassword() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
    }

    public struct StoreError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

/// Write to a temporary file in the same directory, fsync, then rename over the target.
public func writeFileAtomically(path: String, data: Data, mode: mode_t, sync: Bool = true) throws {
    let dir = (path as NSString).deletingLastPathComponent
    let tmp = (dir as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(getpid()).tmp")
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    var ok = true
    data.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n <= 0 { ok = false; break }
            offset += n
        }
    }
    fchmod(fd, mode)
    if sync && fsync(fd) != 0 { ok = false }
    close(fd)
    guard ok, rename(tmp, path) == 0 else {
        let code = errno
        unlink(tmp)
        throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
    }
}
