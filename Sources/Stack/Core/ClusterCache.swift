import Foundation
import Workspace

/// Pristine data folders, one per (engine, version, settings), in the user's cache: what initdb
/// or mariadb-install-db would write, made once and copied for every new server (a copy takes
/// a fraction of initdb's time, most of a cold start). Their output depends only on the server
/// version and the settings in the key; what differs per stack (the superuser's password) is
/// set after the copy.
///
/// A pristine folder is made in a temporary folder next to it under a lock file (flock), then
/// renamed into place: a reader sees a whole folder or none, and concurrent makers wait for the
/// first one instead of both running initdb. Stale temporary folders of a maker that died are
/// removed by the next one.
public struct ClusterCache: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// `$OVUDEV_CACHE_DIR`, else `$XDG_CACHE_HOME/ovudev`, else `~/.cache/ovudev`; as root
    /// `/var/cache/ovudev` (the servers' accounts run initdb into it). nil when
    /// `OVUDEV_CLUSTER_CACHE=off` (every new server runs initdb, as before the cache).
    public static var standard: ClusterCache? {
        let environment = ProcessInfo.processInfo.environment
        if environment["OVUDEV_CLUSTER_CACHE"] == "off" { return nil }
        if let dir = environment["OVUDEV_CACHE_DIR"], !dir.isEmpty { return ClusterCache(root: dir) }
        if Subprocess.isRoot { return ClusterCache(root: "/var/cache/ovudev") }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return ClusterCache(root: "\(xdg)/ovudev") }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return ClusterCache(root: "\(home)/.cache/ovudev")
    }

    /// The folder's name for a key: `<prefix>-<12 hex of the key's hash>`.
    public static func name(prefix: String, key: [String]) -> String {
        "\(prefix)-\(SHA256.hex(Array(key.joined(separator: "\u{0}").utf8)).prefix(12))"
    }

    /// The pristine folder `name`, made by `make` (handed an empty folder owned by `owner`, mode
    /// 0700) when it is missing. `made` says whether this call made it.
    public func pristine(_ name: String, owner: String?, make: (String) throws -> Void) throws -> (path: String, made: Bool) {
        let final = "\(root)/\(name)"
        if FileManager.default.fileExists(atPath: final) { return (final, false) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // As root the servers' accounts pass through (no listing); else the user's own.
        chmod(root, Subprocess.isRoot ? 0o711 : 0o700)
        let lockPath = "\(final).lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EngineError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw EngineError("cannot lock \(lockPath): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        // Another maker may have finished while this one waited.
        if FileManager.default.fileExists(atPath: final) { return (final, false) }
        // What a maker that died left (we hold the lock: nobody else is making it).
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where entry.hasPrefix("\(name).tmp-") {
            try? FileManager.default.removeItem(atPath: "\(root)/\(entry)")
        }
        let temporary = "\(final).tmp-\(getpid())"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        do {
            if let owner, let pw = SystemAccount.named(owner), Foundation.chown(temporary, pw.uid, pw.gid) != 0 {
                throw EngineError("cannot give \(temporary) to \(owner): \(String(cString: strerror(errno)))")
            }
            try make(temporary)
            guard rename(temporary, final) == 0 else { throw EngineError("cannot rename \(temporary) to \(final): \(String(cString: strerror(errno)))") }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        let dir = open(root, O_RDONLY | O_DIRECTORY)
        if dir >= 0 { fsync(dir); close(dir) }
        return (final, true)
    }

    /// Copies the folder `source` to `destination` (which must not exist) with its owners and
    /// modes: into a temporary sibling first, renamed when whole, so that a copy cut short is
    /// never taken for a data folder. Zero blocks become holes (`--sparse=always`): a fresh
    /// cluster's 16 MiB WAL segment is mostly zeros.
    /// `marker`: an empty file made in the copy (owned by `owner`) before it is renamed.
    public static func copy(_ source: String, to destination: String, marker: String? = nil, owner: String? = nil) throws {
        let temporary = "\(destination).copy-\(getpid())"
        // What a copy cut short left (this server's folder: nobody else copies into it now).
        let parent = (destination as NSString).deletingLastPathComponent, base = (destination as NSString).lastPathComponent
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix("\(base).copy-") {
            try? FileManager.default.removeItem(atPath: "\(parent)/\(entry)")
        }
        let r = try Subprocess.run(["cp", "-a", "--reflink=auto", "--sparse=always", source, temporary])
        guard r.status == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw EngineError("cannot copy \(source) to \(temporary):\n\(r.output)")
        }
        if let marker {
            let path = "\(temporary)/\(marker)"
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                try? FileManager.default.removeItem(atPath: temporary)
                throw EngineError("cannot create \(path)")
            }
            if let owner, let pw = SystemAccount.named(owner) { _ = Foundation.chown(path, pw.uid, pw.gid) }
        }
        guard rename(temporary, destination) == 0 else {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw EngineError("cannot rename \(temporary) to \(destination): \(message)")
        }
    }
}
