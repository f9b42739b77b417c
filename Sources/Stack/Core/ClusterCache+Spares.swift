import Foundation
import Synchronization
import Workspace

/// A spare copy of a pristine folder (`<name>.spare`), made in the background after a new
/// server used one: the next new server takes a spare by rename, at once, instead of copying.
/// On ext4 the copy of a fresh PostgreSQL cluster (about 1,000 files) took 0.5–0.7 s, and its
/// write-back was paid again by the first fsync after it: most of a cold `up`. A spare is whole
/// (made under a temporary name, renamed when complete) and carries the marker a copy gets.
/// Only where a rename reaches the data folder (the same file system); one per name.
extension ClusterCache {
    /// The executable that makes spares in the background (`<exe> cache-spare NAME`); set by the
    /// CLI. Nil (a library caller, or `OVUDEV_CLUSTER_SPARES=off`): no spares are made.
    public static let spareMaker = Mutex<String?>(nil)

    func spare(_ name: String) -> String { "\(root)/\(name).spare" }

    /// Whether a folder here can be renamed to `destination` (whose parent exists).
    public func renames(to destination: String) -> Bool {
        var a = stat(), b = stat()
        return stat(root, &a) == 0 && stat((destination as NSString).deletingLastPathComponent, &b) == 0 && a.st_dev == b.st_dev
    }

    /// The spare renamed to `destination` (missing); false when there is none (or another
    /// process took it first).
    public func takeSpare(_ name: String, to destination: String) -> Bool {
        renames(to: destination) && rename(spare(name), destination) == 0
    }

    /// Makes a spare of pristine `name` with `marker` in it (owned by `owner`), unless there is
    /// one or another maker is at work; true when it made one.
    public func makeSpare(_ name: String, marker: String?, owner: String?) throws -> Bool {
        let pristine = "\(root)/\(name)"
        guard FileManager.default.fileExists(atPath: pristine) else { return false }
        let lockPath = "\(pristine).spare.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EngineError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return false }
        defer { flock(fd, LOCK_UN) }
        guard !FileManager.default.fileExists(atPath: spare(name)) else { return false }
        // (The copy removes what a maker killed in its copy left, and renames when whole.)
        try ClusterCache.copy(pristine, to: spare(name), marker: marker, owner: owner)
        return true
    }

    /// `spareMaker cache-spare NAME --owner ACCOUNT`, detached, when spares can serve `destination`.
    func makeSpareInBackground(_ name: String, for destination: String, owner: String?) {
        guard let executable = Self.spareMaker.withLock({ $0 }), renames(to: destination) else { return }
        var environment: [String: String] = [:]
        for key in ["PATH", "LANG", "LC_ALL", "HOME", "XDG_CACHE_HOME", "OVUDEV_CACHE_DIR"] { environment[key] = ProcessInfo.processInfo.environment[key] }
        _ = try? Subprocess.spawnDetached([executable, "cache-spare", name] + (owner.map { ["--owner", $0] } ?? []),
                                         environment: environment, directory: "/", output: "/dev/null")
    }
}
