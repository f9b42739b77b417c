import Foundation
import Workspace

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
        let outputPath = log ?? FileManager.default.temporaryDirectory.appendingPathComponent("ovudev-\(getpid())-\(UUID().uuidString).out").path
        let start = (try? FileManager.default.attributesOfItem(atPath: outputPath)[.size] as? NSNumber)?.intValue ?? 0
        var inputPath = "/dev/null"
        if let input {
            // 0600 and new: the input may hold secrets (provisioning SQL with passwords).
            inputPath = outputPath + ".in"
            try writePrivate(Data(input.utf8), to: inputPath)
        }
        defer {
            if input != nil { try? FileManager.default.removeItem(atPath: inputPath) }
            if log == nil { try? FileManager.default.removeItem(atPath: outputPath) }
        }
        let status = try spawnAndWait(argv, environment: environment, directory: directory, stdin: inputPath, output: outputPath,
                                      outputMode: log == nil ? 0o600 : 0o644)
        let data = (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data()
        let output = String(decoding: data.dropFirst(start), as: UTF8.self)
        if status == 127 && output.contains("No such file") {
            throw SubprocessError(message: "\(arguments.first ?? "?") is not installed (run `ovudev doctor`)")
        }
        return Result(status: status, output: output)
    }

    /// posix_spawn + waitpid, stdout and stderr appended to `output`. Foundation's Process waits
    /// for daemons (pg_ctl's postmaster, redis-server) that inherit its descriptors; this does not.
    /// It dies with us (setpriv's parent-death signal, KILL): a kill -9 of ovudev must not leave
    /// a `cp` writing into a folder the next run removes or a dump holding locks. Safe here as
    /// the signal follows the spawning thread, which waits for the child; a program that
    /// changes its user (runuser) drops it.
    static func spawnAndWait(_ argv: [String], environment: [String: String]?, directory: String? = nil, stdin: String, output: String,
                             outputMode: mode_t = 0o644) throws -> Int32 {
        let argv = Self.setpriv.map { [$0, "--pdeathsig", "KILL", "--"] + argv } ?? argv
        do {
            let pid = try ChildProcess.spawn(argv, directory: directory, environment: environment, stdin: stdin, stdout: output, append: true, mode: outputMode)
            return try ChildProcess.wait(pid).status
        } catch let error as ChildProcess.Failure {
            // (With setpriv, a missing program is its exit status 127 instead: see `run`.)
            if let missing = error.missingProgram { throw SubprocessError(message: "\(missing) is not installed (run `ovudev doctor`)") }
            throw SubprocessError(message: error.description)
        }
    }

    static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Starts a program in its own session (it outlives ovudev and has its own process group),
    /// stdout and stderr appended to `output`; returns its pid without waiting.
    public static func spawnDetached(_ argv: [String], environment: [String: String], directory: String, output: String) throws -> pid_t {
        do {
            return try ChildProcess.spawn(argv, directory: directory, environment: environment, stdout: output, append: true, newSession: true)
        } catch let error as ChildProcess.Failure {
            throw SubprocessError(message: error.description)
        }
    }

    /// Writes `data` to a new file created with mode 0600 (fails if the file exists).
    public static func writePrivate(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw SubprocessError(message: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw SubprocessError(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Until every one of `pids` has ended (and `done` holds), at most `seconds`: looked at after
    /// 1 ms, then less and less often up to every 10 ms. Those that are this process's children
    /// are reaped on the way. False when one still runs at the end.
    public static func waitForExit(_ pids: [pid_t], within seconds: Double, and done: () -> Bool = { true }) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var delay: useconds_t = 1_000
        while true {
            var alive = false
            for pid in pids {
                var status: Int32 = 0
                waitpid(pid, &status, WNOHANG)
                if isAlive(pid) { alive = true }
            }
            if !alive && done() { return true }
            if Date() >= deadline { return false }
            usleep(delay)
            delay = min(delay * 2, 10_000)
        }
    }

    /// Removes the output files of `run` calls of a process that was killed before it could
    /// (`run` names them `<tmp>/ovudev-<pid>-<uuid>.out`).
    public static func removeOutputs(ofKilled pid: pid_t) {
        let fm = FileManager.default
        // Ours, and /tmp: the killed one may have run without our TMPDIR.
        for tmp in Set([fm.temporaryDirectory.path, "/tmp"]) {
            for file in (try? fm.contentsOfDirectory(atPath: tmp)) ?? [] where file.hasPrefix("ovudev-\(pid)-") {
                try? fm.removeItem(atPath: "\(tmp)/\(file)")
            }
        }
    }

    /// Processes (other than this one) with an argument naming `folder` or a path under it:
    /// the children of an ovudev killed with -9 (its `cp` into a staging folder) are sent SIGKILL
    /// when it dies but may still be finishing a system call in the folder. Killed, then waited
    /// for (at most `seconds`), so that removing the folder does not race them.
    public static func killUsers(of folder: String, within seconds: Double = 10) {
        let prefix = Array((folder.hasSuffix("/") ? folder : folder + "/").utf8), exact = Array(folder.utf8)
        var users: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != getpid(),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            if cmdline.split(separator: 0).contains(where: { $0.starts(with: prefix) || Array($0) == exact }) { users.append(pid) }
        }
        guard !users.isEmpty else { return }
        for pid in users { kill(pid, SIGKILL) }
        _ = waitForExit(users, within: seconds)
    }

    /// Alive and not a zombie waiting for a parent (or a container's init) to reap it.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// Alive, not a zombie, and running one of `programs` (its comm name): a pid file left by a
    /// kill -9 may name a zombie nobody reaps yet (containers without an init) or a recycled pid.
    public static func isAlive(_ pid: pid_t, running programs: [String]) -> Bool {
        guard isAlive(pid) else { return false }
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return true }
        return programs.contains(comm.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Full path of a program in PATH, or nil.
    public static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        return ChildProcess.resolve(name, path: ProcessInfo.processInfo.environment["PATH"])
    }
}
