import Foundation

public struct SubprocessError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// Runs programs with their output in a file, never a pipe: daemons (pg_ctl, redis-server) keep
/// inherited pipes open and a waiting parent would hang.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
    }

    /// The account servers run as when ovudev runs as root (initdb and postgres refuse root).
    public static var isRoot: Bool { geteuid() == 0 }

    /// Runs `arguments` (looked up in PATH) to completion. `user`: run as that account (root only).
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
                           user: String? = nil, input: String? = nil, log: String? = nil) throws -> Result {
        var argv = arguments
        if let user, isRoot { argv = ["runuser", "-u", user, "--"] + argv }
        if let directory { argv = ["env", "-C", directory] + argv }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        if let environment { process.environment = environment }
        let outputPath = log ?? FileManager.default.temporaryDirectory.appendingPathComponent("ovudev-\(getpid())-\(UUID().uuidString).out").path
        if log == nil || !FileManager.default.fileExists(atPath: outputPath) {
            _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: outputPath) else {
            throw SubprocessError(message: "cannot write \(outputPath)")
        }
        handle.seekToEndOfFile()
        let start = handle.offsetInFile
        process.standardOutput = handle
        process.standardError = handle
        var inputFile: String?
        if let input {
            let path = outputPath + ".in"
            try input.write(toFile: path, atomically: false, encoding: .utf8)
            process.standardInput = FileHandle(forReadingAtPath: path)
            inputFile = path
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        defer {
            try? handle.close()
            if let inputFile { try? FileManager.default.removeItem(atPath: inputFile) }
            if log == nil { try? FileManager.default.removeItem(atPath: outputPath) }
        }
        do {
            try process.run()
        } catch {
            throw SubprocessError(message: "cannot run \(arguments.first ?? "?"): \(error)")
        }
        process.waitUntilExit()
        let data = (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data()
        let output = String(decoding: data.dropFirst(Int(start)), as: UTF8.self)
        if process.terminationStatus == 127 && output.contains("No such file") {
            throw SubprocessError(message: "\(arguments.first ?? "?") is not installed (run `ovudev doctor`)")
        }
        return Result(status: process.terminationStatus, output: output)
    }

    /// Full path of a program in PATH, or nil.
    public static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}

/// Who listens on a TCP port of this machine, from /proc (no ss/lsof needed).
public enum PortProbe {
    /// True when something accepts connections or holds the port on 127.0.0.1.
    public static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
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
