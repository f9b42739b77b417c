import Foundation
import Workspace
import Synchronization
import Stack
import Testing
import TestSupport
import Topology

/// The machines ovudev meets: containers whose PID 1 does not reap, projects in private folders.
@Suite(.ownThread) struct HostTests {
    /// A child of this test process that is never waited for: after kill -9 it stays a zombie.
    /// As root it runs as the `postgres` account (setpriv execs in place, so the pid stays), as a
    /// dead postmaster would: PostgreSQL ignores pids it may not signal.
    func spawnSleeper() throws -> pid_t {
        var pid: pid_t = 0
        let words = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "/bin/sleep", "300"] : ["/bin/sleep", "300"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, words[0], nil, nil, argv, environ) == 0 else { throw EngineError("posix_spawn failed") }
        // Until setpriv has become the account's sleep.
        let deadline = Date().addingTimeInterval(10)
        while (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("sleep") != true && Date() < deadline { usleep(1_000) }
        return pid
    }

    func state(_ pid: pid_t) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    }

    /// Pid files of a stopped stack pointing at `pid`, as a kill -9 that nobody reaped leaves them.
    func plant(_ pid: pid_t, in stack: NativeStack) throws {
        for server in stack.plan.servers {
            switch server.engine {
            case .postgres:
                try "\(pid)\n\(stack.paths.pgData(server.name))\n0\n\(server.port)\n".write(toFile: "\(stack.paths.pgData(server.name))/postmaster.pid", atomically: true, encoding: .utf8)
            case .redis:
                try "\(pid)\n".write(toFile: "\(stack.paths.redisDir(server.name))/redis.pid", atomically: true, encoding: .utf8)
            default: break
            }
        }
    }

    @Test(arguments: ["zombie", "recycled"])
    func aServerKilledAndNotReapedIsTakenForDead(pidFileNames kind: String) throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack("stage")
        _ = try stack.up(check: false)
        _ = try stack.down()

        let sleeper = try spawnSleeper()
        defer { kill(sleeper, SIGKILL); var status: Int32 = 0; waitpid(sleeper, &status, 0) }
        if kind == "zombie" {
            kill(sleeper, SIGKILL)
            let deadline = Date().addingTimeInterval(10)
            while state(sleeper) != "Z" && Date() < deadline { usleep(1_000) }
            #expect(state(sleeper) == "Z", "the sleeper is a zombie until this process reaps it")
        }
        try plant(sleeper, in: stack)

        let again = try stack.up()
        #expect(again.servers.allSatisfy { $0.running && $0.action == .started }, "\(again.servers)")
        #expect(try #require(again.check).passed)
    }

    @Test func aProjectInAPrivateFolderRunsAsRootWithoutOpeningIt() throws {
        guard getuid() == 0 else { return }  // only root runs servers as other accounts
        let project = try TempProject(mode: 0o700)
        defer { project.close() }
        let stack = try project.stack("stage")
        let report = try stack.up()
        #expect(try #require(report.check).passed)

        var info = stat()
        stat(project.directory, &info)
        #expect(info.st_mode & 0o777 == 0o700, "the project folder's permissions are not changed")
        let link = "\(project.directory)/.ovu/stage"
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: link)
        #expect(target.hasPrefix(StackPaths.sharedBase + "/ovu-"), "\(target)")
        #expect(stack.paths.root == target)
        let pg = try #require(stack.plan.servers.first { $0.engine == .postgres })
        #expect(FileManager.default.fileExists(atPath: "\(target)/postgres/\(pg.name)/data/PG_VERSION"))

        // A second stack object finds the placed one through the link.
        #expect(try project.stack("stage").status().servers.allSatisfy(\.running))
        _ = try stack.down(volumes: true)
        #expect(!FileManager.default.fileExists(atPath: "\(target)/postgres/\(pg.name)/data"), "down --volumes removes the data")
    }

    /// A child (a server, psql, a service) inherits stdin, stdout and stderr and nothing else:
    /// a server started while a stack lock is held kept the lock's file open, so after a kill -9
    /// of ovudev the lock stayed taken and the next `up` waited forever.
    @Test func childrenInheritOnlyTheirStandardDescriptors() throws {
        let path = NSTemporaryDirectory() + "ovudev-fd-\(getpid())-\(UUID().uuidString.prefix(8))"
        let fd = open(path, O_RDWR | O_CREAT, 0o600)  // not close-on-exec, as a careless open is
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        let r = try ChildProcess.run(["sh", "-c", "ls /proc/$$/fd"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n") == ["0", "1", "2"], "the child had: \(r.stdout)")
    }

    /// What a killed ovudev's children still do in a folder is stopped before the folder goes:
    /// a process naming a path under it is killed and gone when `killUsers` returns; one naming a
    /// sibling folder with the same prefix is left alone.
    @Test func usersOfAFolderAreKilledBeforeItIsRemoved() throws {
        let folder = NSTemporaryDirectory() + "ovudev-users-\(getpid())-\(UUID().uuidString.prefix(8))"
        for f in [folder, folder + "-other"] {
            try FileManager.default.createDirectory(atPath: f, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: f + "/log", contents: Data())
        }
        defer { for f in [folder, folder + "-other"] { try? FileManager.default.removeItem(atPath: f) } }
        let inside = try ChildProcess.spawn([try #require(Subprocess.which("tail")), "-f", folder + "/log"])
        let beside = try ChildProcess.spawn([try #require(Subprocess.which("tail")), "-f", folder + "-other/log"])
        defer { for pid in [inside, beside] where kill(pid, SIGKILL) == 0 { _ = try? ChildProcess.wait(pid) } }
        Subprocess.killUsers(of: folder)
        #expect(kill(inside, 0) != 0 && errno == ESRCH, "tail -f in the folder still runs")
        #expect(Subprocess.isAlive(beside), "tail -f in the sibling folder was killed")
    }

    /// Servers start on threads, and each looks up its account to give it its folders. Looked up
    /// on eight threads at once, every account keeps its own uid (as `getent passwd` says): with
    /// getpwnam's shared buffer a few lookups in 16,000 read another account's uid, and in CI a
    /// MariaDB tmpdir went to the wrong account.
    @Test func accountsLookedUpOnThreadsKeepTheirOwnIDs() throws {
        let getent = try ChildProcess.run(["getent", "passwd"])
        try #require(getent.status == 0, "\(getent.stderr)")
        let listing = getent.stdout
        var expected: [String: uid_t] = [:]
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 2, let uid = uid_t(fields[2]) { expected[String(fields[0])] = uid }
        }
        let uids = expected
        let names = ["root", "nobody", "postgres", "mysql", "redis", "daemon"].filter { uids[$0] != nil }
        try #require(names.count >= 3, "\(names)")
        let wrong = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let name = names[i % names.count]
            var misses = 0
            for _ in 0..<2_000 where SystemAccount.named(name)?.uid != uids[name] { misses += 1 }
            wrong.withLock { $0 += misses }
        }
        #expect(wrong.withLock { $0 } == 0)
    }
}
