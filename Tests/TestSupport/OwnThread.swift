import Foundation
import Testing

/// `@Suite(.ownThread)`: each test of the suite runs on a thread of its own instead of one of
/// Swift's cooperative threads. Those are as many as the cores (two here), and these tests block
/// them: they wait on servers, subprocesses and sockets. Two such tests on the pool left every
/// other test (and Swift Testing's own scheduling) waiting, so the run went two at a time with
/// the CPU half idle. Off the pool nothing else bounds them (31 ran at once, load 99), so at
/// most `TestSlots.count` run at a time.
public struct OwnThread: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }
    /// Served before the others when a slot frees: for the longest tests (a serialized suite of
    /// long ones that starts last ends the whole run late).
    public var early = false

    public init(early: Bool = false) { self.early = early }

    /// Per test case (a suite's own scope would hold one thread for all its tests).
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> OwnThread? { testCase == nil ? nil : self }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await TestSlots.shared.acquire(early: early)
        let started = Date()
        defer { TestSlots.record(test, testCase, seconds: Date().timeIntervalSince(started)) }
        do {
            try await withTaskExecutorPreference(ThreadPerJob.shared) { try await function() }
        } catch {
            await TestSlots.shared.release()
            throw error
        }
        await TestSlots.shared.release()
    }
}

/// How many tests run at once: `$OVUDEV_TEST_JOBS`, else twice the cores.
public actor TestSlots {
    public static let shared = TestSlots()
    public static var count: Int {
        if let n = ProcessInfo.processInfo.environment["OVUDEV_TEST_JOBS"].flatMap({ Int($0) }), n > 0 { return n }
        return 2 * max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// With `$OVUDEV_TEST_TIMES` set to a file: a line per test case, its seconds in its slot
    /// and its name (`sort -rn` of it says which tests to make faster).
    static func record(_ test: Test, _ testCase: Test.Case?, seconds: Double) {
        guard let path = ProcessInfo.processInfo.environment["OVUDEV_TEST_TIMES"] else { return }
        let line = String(format: "%.2f ", seconds) + test.id.description + (testCase?.isParameterized == true ? " (a case)" : "") + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = line.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    private var free = TestSlots.count
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var waitingEarly: [CheckedContinuation<Void, Never>] = []

    func acquire(early: Bool) async {
        if free > 0 { free -= 1; return }
        await withCheckedContinuation { early ? waitingEarly.append($0) : waiting.append($0) }
    }

    func release() {
        if !waitingEarly.isEmpty {
            waitingEarly.removeFirst().resume()
        } else if !waiting.isEmpty {
            waiting.removeFirst().resume()
        } else {
            free += 1
        }
    }
}

extension Trait where Self == OwnThread {
    public static var ownThread: OwnThread { OwnThread() }
    public static func ownThread(early: Bool) -> OwnThread { OwnThread(early: early) }
}

/// Runs every job it is given on a new thread: a test's body (synchronous, blocking) is one job.
public final class ThreadPerJob: TaskExecutor {
    public static let shared = ThreadPerJob()

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread { job.runSynchronously(on: executor) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
