import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// `kill -9` of the servers while `ovudev seed` and `ovudev up` are in the middle of their work
/// (not between commands): the next `up` recovers, nothing is half-loaded, nothing is lost.
/// The moment of the kill is fixed by a FIFO the command under test reads, never by a sleep.
@Suite(.ownThread) struct CrashTests {
    init() { signal(SIGPIPE, SIG_IGN) }  // a reader that dies must fail our write, not kill the test

    @Test func killNineOfPostgresDuringASeedCOPYLoadsTheFileOnceOnTheNextUp() throws {
        let project = try TempProject()
        defer { project.close() }
        let target = try KillTarget(upping: try project.stack("stage"))
        let stack = target.stack

        // The seed file is a FIFO: every byte `ovudev seed` takes from it, it has read inside COPY.
        let seedFile = "\(project.directory)/examples/seeds/aam/02-accounts.csv"
        let rows = 200_000
        var csv = "id,user_id,balance\n"
        for id in 1000..<(1000 + rows) { csv += "\(id),\(id % 3 + 1),\(id % 997).25\n" }
        #expect(mkfifo(seedFile, 0o644) == 0)
        let directory = project.directory
        let seeding = Background { try ovudev(["seed", "aam", "--scenario", "stage"], directory: directory) }
        let fd = try FIFO.openForWriting(seedFile)
        // More than a pipe holds: once these writes return, the COPY is streaming on the server.
        #expect(FIFO.write(fd, csv), "ovudev seed stopped reading before the kill")

        KillTarget.kill9([try #require(target.postmaster)])
        close(fd)
        let result = try seeding.wait()
        #expect(result.status != 0, "ovudev seed succeeded with its server killed: \(result.output)")
        #expect(result.output.contains("02-accounts.csv"), "\(result.output)")

        // The same file, now complete on disk; the next `up` restarts PostgreSQL and loads it once.
        try FileManager.default.removeItem(atPath: seedFile)
        try csv.write(toFile: seedFile, atomically: true, encoding: .utf8)
        let again = try stack.up()
        #expect(again.check?.passed == true)
        #expect(again.servers.contains { $0.name == "postgres" && $0.action == .started })
        let loaded = again.seeds.filter { $0.outcome == .loaded }
        #expect(loaded.map(\.file) == ["examples/seeds/aam/02-accounts.csv"] && loaded.first?.rows == rows, "\(loaded)")

        let aam = try #require(stack.plan.instance("aam")?.database)
        let conn = try PGConnection(PGConnectionParameters(port: stack.plan.server(aam.server)!.port, user: aam.role,
                                                           password: stack.secrets[aam.secret.variable], database: aam.database))
        let first = try String(contentsOfFile: "\(project.directory)/examples/seeds/aam/01-accounts.csv", encoding: .utf8)
        let expected = String(first.split(separator: "\n").count - 1 + rows)
        let counts = try conn.exec("SELECT count(*), count(DISTINCT id) FROM accounts").rows.first ?? []
        #expect(counts == [expected, expected], "\(counts)")
        #expect(try target.dataIsIntact(stack))
        let third = try Seeder(plan: stack.plan, projectDirectory: project.directory, secrets: stack.secrets).seed()
        #expect(third.allSatisfy { $0.outcome == .unchanged }, "\(third)")
    }

    @Test func killNineOfPostgresAndRedisDuringUpThenTheNextUpRecovers() throws {
        let project = try TempProject()
        defer { project.close() }
        let target = try KillTarget(upping: try project.stack("dev"))

        // ulm's migration (changed, so the next up runs it) stops at a FIFO until the servers are dead.
        let gate = "\(project.directory)/gate"
        #expect(mkfifo(gate, 0o600) == 0)
        let topologyPath = "\(project.directory)/ovu.topology.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: topologyPath))) as! [String: Any]
        var services = json["services"] as! [String: [String: Any]]
        services["ulm"]!["migrate"] = "python3 ulm/migrate.py && if [ -p '\(gate)' ]; then read go < '\(gate)'; rm -f '\(gate)'; fi"
        json["services"] = services
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: topologyPath))

        let directory = project.directory
        let upping = Background { try ovudev(["up", "--scenario", "dev", "--no-check"], directory: directory) }
        let fd = try FIFO.openForWriting(gate)  // returns once the migration waits at the gate
        KillTarget.kill9([try #require(target.postmaster), try #require(target.redisServer)])
        #expect(FIFO.write(fd, "go\n"))
        close(fd)
        let interrupted = try upping.wait()
        #expect(interrupted.status != 0, "up went on with its servers killed: \(interrupted.output)")

        let recovered = try Project.load(topologyPath: topologyPath)
        let next = NativeStack(project: recovered, plan: try recovered.plan(scenario: "dev"), progress: { _ in })
        let again = try next.up()
        #expect(again.check?.passed == true, "\(again.check?.findings.filter { $0.status != .ok && $0.status != .skipped } ?? [])")
        #expect(again.servers.filter { $0.action == .started }.map(\.name).sorted() == [target.pg.name, target.redis.name].sorted())
        #expect(!again.seeds.contains { $0.outcome == .loaded }, "seeds loaded twice: \(again.seeds)")
        #expect(try target.dataIsIntact(next))
        #expect(try next.up().changedNothing)
    }
}

/// A blocking call on another thread, joined later.
final class Background<T: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?
    init(_ body: @escaping @Sendable () throws -> T) {
        Thread.detachNewThread { [self] in
            result = Result(catching: body)
            done.signal()
        }
    }
    func wait() throws -> T {
        guard done.wait(timeout: .now() + 300) == .success, let result else { throw EngineError("background command did not finish in 300 s") }
        return try result.get()
    }
}

enum FIFO {
    /// Opens a FIFO for writing: returns once a reader has opened it (at most 120 s, then an error,
    /// with the blocked open released by opening the other end ourselves).
    static func openForWriting(_ path: String) throws -> Int32 {
        let opened = Background { open(path, O_WRONLY) }
        do { return try opened.waitBriefly() } catch {
            let reader = open(path, O_RDONLY | O_NONBLOCK)
            if let fd = try? opened.wait(), fd >= 0 { close(fd) }
            close(reader)
            throw EngineError("nobody opened \(path) for reading within 120 s")
        }
    }

    /// Writes all of `text`; false when the reader went away (EPIPE).
    static func write(_ fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return false }
            bytes = bytes.dropFirst(n)
        }
        return true
    }
}

extension Background where T == Int32 {
    func waitBriefly() throws -> Int32 {
        guard done.wait(timeout: .now() + 120) == .success, let result else { throw EngineError("timed out") }
        return try result.get()
    }
}
