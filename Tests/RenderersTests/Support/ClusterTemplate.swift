import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test clusters' initdb, once per machine: a pristine data folder in ovudev's cluster cache
/// (`$OVUDEV_CACHE_DIR`, else `/var/cache/ovudev` as root, else `$XDG_CACHE_HOME/ovudev` or
/// `~/.cache/ovudev` — where `Stack.ClusterCache` keeps the runtime's), made under a lock file
/// and renamed into place, then copied for each test cluster. This target does not link Stack:
/// the same steps, kept small. The superuser's password is set per cluster after its start.
enum ClusterTemplate {
    static var cacheRoot: String? {
        let environment = ProcessInfo.processInfo.environment
        if environment["OVUDEV_CLUSTER_CACHE"] == "off" { return nil }
        if let dir = environment["OVUDEV_CACHE_DIR"], !dir.isEmpty { return dir }
        if geteuid() == 0 { return "/var/cache/ovudev" }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return "\(xdg)/ovudev" }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return "\(home)/.cache/ovudev"
    }

    /// Copies the pristine cluster for `settings` to `data` (missing), making it first with
    /// `initdb(folder)` when the cache has none. false when there is no cache (run initdb).
    static func copy(to data: String, settings: [String], owner: (uid_t, gid_t)?, initdb: (String) throws -> Void) throws -> Bool {
        guard let root = cacheRoot else { return false }
        var info = stat()
        let binary = stat("\(PostgresServer.binDirectory)/postgres", &info) == 0 ? "\(info.st_size)-\(info.st_mtim.tv_sec)" : "?"
        let key = (["test-cluster", "1", PostgresServer.binDirectory, binary, String(owner?.0 ?? geteuid())] + settings).joined(separator: "\u{0}")
        var hash = UInt64(14695981039346656037)  // FNV-1a: a name, not a secret
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        let final = "\(root)/test-postgres-\(String(hash, radix: 16))"
        if !FileManager.default.fileExists(atPath: final) {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            chmod(root, geteuid() == 0 ? 0o711 : 0o700)
            let fd = open("\(final).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw PostgresServer.Failure(description: "cannot open \(final).lock: errno \(errno)") }
            defer { close(fd) }
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
            defer { flock(fd, LOCK_UN) }
            if !FileManager.default.fileExists(atPath: final) {
                let temporary = "\(final).tmp-\(getpid())-\(UUID().uuidString.prefix(8))"
                try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
                defer { try? FileManager.default.removeItem(atPath: temporary) }
                if let (uid, gid) = owner { chown(temporary, uid, gid) }
                try initdb(temporary)
                guard rename(temporary, final) == 0 else { throw PostgresServer.Failure(description: "rename \(temporary) failed: errno \(errno)") }
            }
        }
        let copy = try PostgresServer.spawn(["/bin/cp", "-a", "--sparse=always", final, data], outputIn: (data as NSString).deletingLastPathComponent)
        guard copy.succeeded else { throw PostgresServer.Failure(description: "copy of the pristine cluster failed: \(copy)") }
        return true
    }
}
