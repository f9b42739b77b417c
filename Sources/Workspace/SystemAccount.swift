import Foundation

/// An account of this machine, looked up with getpwnam_r/getpwuid_r. getpwnam and getpwuid
/// return one buffer shared by the whole process: with servers starting on threads, one thread's
/// lookup of `mysql` could read the uid another thread's lookup of `postgres` had just written
/// there, and a folder went to the wrong account (in CI, mariadbd then could not write its tmpdir).
public struct SystemAccount: Sendable, Equatable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t
    public let home: String

    public static func named(_ name: String) -> SystemAccount? {
        lookup { entry, buffer, size, result in getpwnam_r(name, &entry, buffer, size, &result) }
    }

    public static func withID(_ uid: uid_t) -> SystemAccount? {
        lookup { entry, buffer, size, result in getpwuid_r(uid, &entry, buffer, size, &result) }
    }

    private static func lookup(_ call: (inout passwd, UnsafeMutablePointer<CChar>, Int, inout UnsafeMutablePointer<passwd>?) -> Int32) -> SystemAccount? {
        var size = 1024
        while size <= 1 << 20 {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let status = call(&entry, buffer, size, &result)
            if status == ERANGE { size *= 4; continue }
            guard status == 0, result != nil else { return nil }
            return SystemAccount(name: String(cString: entry.pw_name), uid: entry.pw_uid, gid: entry.pw_gid,
                                 home: entry.pw_dir.map { String(cString: $0) } ?? "")
        }
        return nil
    }
}
