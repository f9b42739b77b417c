import Foundation

/// `.ovu/<scenario>/lock`: one `up`/`down`/`seed` at a time per scenario.
public final class StackLock {
    private let fd: Int32

    /// Takes the lock; when another ovudev holds it, reports and waits (or throws with `wait: false`).
    public init(path: String, wait: Bool = true, onWait: (String) -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Close-on-exec: a server started while the lock is held must not keep it after we end.
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EngineError("cannot open \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            guard wait else {
                close(fd)
                throw EngineError(.stackBusy(lock: path, holder: holder))
            }
            onWait("another ovudev (pid \(holder)) is working on this stack; waiting for it")
            guard flock(fd, LOCK_EX) == 0 else { close(fd); throw EngineError("cannot lock \(path)") }
        }
        ftruncate(fd, 0)
        let me = "\(getpid())\n"
        _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
