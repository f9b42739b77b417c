import Foundation
import Topology

/// `.ovu/secrets.json`: one random password per secret variable, created once (mode 0600) and
/// reused forever after.
public struct SecretStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The store next to a topology file.
    public init(topologyDirectory: String) {
        path = (topologyDirectory as NSString).appendingPathComponent(".ovu/secrets.json")
    }

    public func load() throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw StoreError(message: "\(path) is not an object of strings; fix or delete it (deleting changes every generated password)")
        }
        return object
    }

    /// Values for every reference, generating the missing ones; returns what must be saved (nil if nothing new).
    public func values(for refs: [SecretRef]) throws -> (values: [String: String], updated: [String: String]?) {
        var all = try load()
        var changed = false
        for ref in refs where all[ref.variable] == nil {
            all[ref.variable] = Self.generatePassword()
            changed = true
        }
        let needed = Dictionary(uniqueKeysWithValues: refs.map { ($0.variable, all[$0.variable]!) })
        return (needed, changed ? all : nil)
    }

    /// Writes the store atomically with mode 0600 (the directory 0700).
    public func save(_ values: [String: String]) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = try JSONSerialization.data(withJSONObject: values, options: [.prettyPrinted, .sortedKeys])
        try writeFileAtomically(path: path, data: data + Data("\n".utf8), mode: 0o600)
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
