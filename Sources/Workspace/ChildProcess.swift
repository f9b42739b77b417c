import Foundation

/// A program run with posix_spawn and waited for with waitpid on its own pid: its stdin, stdout
/// and stderr are files (no pipe can fill up, and a daemon that inherits them holds nothing of
/// ours). Foundation's `Process.waitUntilExit` is not used: under load it was seen waiting
/// forever for a child that had already died (a zombie nobody reaped), which hung a test run.
public enum ChildProcess {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        /// The program that is not in PATH, when that is the failure.
        public var missingProgram: String? = nil
    }

    /// Starts `argv` (`argv[0]` a path, or a name looked up in the child's PATH) and returns its
    /// pid; it inherits no descriptor but 0, 1 and 2. `stdin`, `stdout`, `stderr`: paths; stdout and stderr are created with `mode` and
    /// truncated, or appended to with `append`; stderr nil shares stdout's file. Children start
    /// with default signal handlers and no blocked signals (a thread of ours may block SIGTERM, as
    /// test runners and Dispatch do, and a daemon that inherits that mask never stops).
    /// `newSession`: setsid (it outlives us in its own process group).
    public static func spawn(_ argv: [String], directory: String? = nil, environment: [String: String]? = nil,
                             stdin: String = "/dev/null", stdout: String = "/dev/null", stderr: String? = nil,
                             append: Bool = false, mode: mode_t = 0o644, newSession: Bool = false) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, flags, mode)
        if let stderr, stderr != stdout {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, flags, mode)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // Nothing else of ours: a server started while we hold a lock (or another thread's test
        // holds one) would keep that lock's file open, and a lock not let go (kill -9) would
        // then stay taken for as long as the server runs.
        _ = closeFrom?(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        // POSIX_SPAWN_SETSIGDEF 0x04 | POSIX_SPAWN_SETSIGMASK 0x08 | POSIX_SPAWN_SETSID 0x80
        posix_spawnattr_setflags(&attributes, Int16(0x04 | 0x08 | (newSession ? 0x80 : 0)))
        // A bare name looked up in the child's PATH (as `env` would); the working folder set by
        // posix_spawn itself (glibc 2.29+), by `env -C` where it cannot.
        let childEnvironment = environment ?? ProcessInfo.processInfo.environment
        guard let program = argv.first.flatMap({ resolve($0, path: childEnvironment["PATH"]) }) else {
            throw Failure(description: "cannot run \(argv.first ?? "?"): not found in PATH", missingProgram: argv.first ?? "?")
        }
        var full = [program] + argv.dropFirst()
        if let directory {
            if let chdir = addChdir { _ = chdir(&actions, directory) } else { full = ["/usr/bin/env", "-C", directory] + full }
        }
        let env = childEnvironment.map { "\($0.key)=\($0.value)" }
        let cArgs = full.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, full[0], &actions, &attributes, cArgs, cEnv)
        guard rc == 0 else {
            throw Failure(description: "cannot run \(argv.first ?? "?")\(directory.map { " in \($0)" } ?? ""): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module
    /// does not export; looked up once. Without it (older glibc) children inherit what is not
    /// close-on-exec, as before.
    private static let closeFrom = glibc("posix_spawn_file_actions_addclosefrom_np",
                                         as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)

    /// glibc's posix_spawn_file_actions_addchdir_np (2.29+), looked up as closeFrom is.
    private static let addChdir = glibc("posix_spawn_file_actions_addchdir_np",
                                        as: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)

    /// A C function of the process (glibc's), nil when it has none.
    private static func glibc<F>(_ name: String, as type: F.Type) -> F? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: type) }
    }

    /// `name` looked up in `path` (a PATH value) as execvp does: the first executable file;
    /// a name with a slash as it is. Nil when there is none.
    public static func resolve(_ name: String, path: String?) -> String? {
        if name.contains("/") { return name }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// How a child ended: `status` is its exit code, or 128 + the signal that killed it.
    public struct Termination: Sendable {
        public let status: Int32
        public let signal: Int32?
    }

    /// Waits for the child `pid` (and reaps it).
    @discardableResult
    public static func wait(_ pid: pid_t) throws -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure(description: "waitpid \(pid): \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
        if status & 0x7f == 0 { return Termination(status: (status >> 8) & 0xff, signal: nil) }
        return Termination(status: 128 + (status & 0x7f), signal: status & 0x7f)
    }

    /// What a finished program wrote.
    public struct Outcome: Sendable {
        public let status: Int32
        /// The signal that killed it, if one did.
        public let signal: Int32?
        public let stdout: String
        public let stderr: String
    }

    /// Runs `argv` to its end: `input` on its stdin, its stdout and stderr read back from
    /// scratch files (removed after). `argv[0]` is looked up on PATH when it has no slash.
    public static func run(_ argv: [String], directory: String? = nil, environment: [String: String]? = nil,
                           input: String? = nil) throws -> Outcome {
        let scratch = NSTemporaryDirectory() + "ovudev-run-\(getpid())-\(UUID().uuidString.prefix(8))"
        let out = scratch + ".out", err = scratch + ".err", inPath = scratch + ".in"
        defer { unlink(out); unlink(err); unlink(inPath) }
        if let input {
            guard FileManager.default.createFile(atPath: inPath, contents: Data(input.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw Failure(description: "cannot create \(inPath)")
            }
        }
        let pid = try spawn(argv, directory: directory, environment: environment,
                            stdin: input == nil ? "/dev/null" : inPath, stdout: out, stderr: err)
        let ended = try wait(pid)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Outcome(status: ended.status, signal: ended.signal, stdout: read(out), stderr: read(err))
    }
}
