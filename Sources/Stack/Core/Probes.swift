import Foundation

/// A minimal HTTP/1.1 GET over a loopback socket: the status code only.
public enum HTTPProbe {
    public struct ProbeError: Error { public var message: String }

    public static func get(port: Int, path: String, timeoutSeconds: Int = 5) -> Result<Int, ProbeError> {
        let fd: Int32
        switch Loopback.connect(port: port, timeoutSeconds: timeoutSeconds) {
        case let .success(connected): fd = connected
        case let .failure(error) where error.code == ECONNREFUSED: return .failure(ProbeError(message: "connection refused (not running?)"))
        case let .failure(error): return .failure(ProbeError(message: "connect: \(error.message)"))
        }
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nUser-Agent: ovudev\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 512)
        var received = [UInt8]()
        while !received.contains(UInt8(ascii: "\n")) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        let line = String(decoding: received.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            return .failure(ProbeError(message: "no HTTP answer"))
        }
        return .success(status)
    }
}

/// 127.0.0.1 sockets for the probes (HTTP health, MySQL greeting, free ports).
enum Loopback {
    /// `body` with 127.0.0.1:`port` as a `sockaddr` and its length.
    static func withAddress<R>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// A TCP socket connected to 127.0.0.1:`port` whose sends and receives time out after
    /// `timeoutSeconds`, or the errno of what failed. The caller closes it.
    static func connect(port: Int, timeoutSeconds: Int) -> Result<Int32, Errno> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(Errno(code: errno)) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard withAddress(port: port, { Glibc.connect(fd, $0, $1) }) == 0 else {
            let failure = Errno(code: errno)
            close(fd)
            return .failure(failure)
        }
        return .success(fd)
    }

    struct Errno: Error {
        var code: Int32
        var message: String { String(cString: strerror(code)) }
    }
}

/// Who listens on a TCP port of this machine, from /proc (no ss/lsof needed).
public enum PortProbe {
    /// True when something accepts connections or holds the port on 127.0.0.1.
    public static func isFree(_ port: Int) -> Bool {
        // Close-on-exec: servers start at once, and one spawned meanwhile must not keep the port.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        return Loopback.withAddress(port: port) { bind(fd, $0, $1) } == 0
    }

    /// "postgres (pid 1234)" for the process listening on the port, when /proc tells.
    public static func holder(of port: Int) -> String? {
        var inodes = Set<String>()
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count > 9, f[3] == "0A", let colon = f[1].lastIndex(of: ":"),
                      Int(f[1][f[1].index(after: colon)...], radix: 16) == port else { continue }
                inodes.insert(String(f[9]))
            }
        }
        guard !inodes.isEmpty, let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for pid in pids where Int(pid) != nil {
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                      target.hasPrefix("socket:["), inodes.contains(String(target.dropFirst(8).dropLast())) else { continue }
                let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                return "\(comm) (pid \(pid))"
            }
        }
        return "another process"
    }
}

/// Whether a MySQL server answers on a TCP port: its handshake packet (protocol version 10)
/// arrives right after connect. No login, no client process.
enum MySQLProbe {
    static func greets(port: Int, timeoutSeconds: Int = 1) -> Bool {
        guard case let .success(fd) = Loopback.connect(port: port, timeoutSeconds: timeoutSeconds) else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = recv(fd, &buffer, buffer.count, 0)
        // 3 bytes length, 1 byte sequence, then the protocol version (10), or 0xFF for an error
        // packet, which a live server sends at once when no account may come from this host
        // (1130) — it answers all the same.
        return n >= 5 && (buffer[4] == 10 || buffer[4] == 0xFF)
    }
}
