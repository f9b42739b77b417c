import Foundation

/// What one worker thread keeps between items (its maintenance connection).
/// Idle connections by key, up to `limit` in all (more are closed: a per-tenant plan must not
/// hold hundreds of server processes between steps). Only idle ones are kept.
final class IdleConnections: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var kept: [String: [PGConnection]] = [:]
    private var count = 0

    init(limit: Int) { self.limit = limit }

    func take(_ key: String) -> PGConnection? {
        lock.lock(); defer { lock.unlock() }
        guard let conn = kept[key]?.popLast() else { return nil }
        count -= 1
        return conn.isIdle ? conn : nil
    }

    func keep(_ conn: PGConnection, _ key: String) {
        guard conn.isIdle else { return }
        lock.lock(); defer { lock.unlock() }
        guard count < limit else { return }
        kept[key, default: []].append(conn)
        count += 1
    }
}

final class WorkerContext {
    var connection: PGConnection?
}

/// Runs `body` for every item on up to `workers` threads — the work waits on the server, not
/// on the CPU, so more threads than cores help. Results in item order; the first error stops
/// the remaining items and is thrown.
func concurrently<Item: Sendable, Output: Sendable>(_ items: [Item], workers: Int,
                                                     _ body: @escaping @Sendable (Item, WorkerContext) throws -> Output) throws -> [Output] {
    if items.isEmpty { return [] }
    let count = max(1, min(workers, items.count))
    if count == 1 {
        let context = WorkerContext()
        return try items.map { try body($0, context) }
    }
    let shared = SharedProgress<Output>(count: items.count)
    let group = DispatchGroup()
    for _ in 0..<count {
        group.enter()
        let thread = Thread {
            let context = WorkerContext()
            while let index = shared.take() {
                do { shared.store(index, try body(items[index], context)) } catch { shared.fail(error) }
            }
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return try shared.results()
}

final class SharedProgress<Output: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var outputs: [Output?]
    private var failure: Error?

    init(count: Int) { outputs = Array(repeating: nil, count: count) }

    func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard failure == nil, next < outputs.count else { return nil }
        next += 1
        return next - 1
    }

    func store(_ index: Int, _ output: Output) {
        lock.lock(); defer { lock.unlock() }
        outputs[index] = output
    }

    func fail(_ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if failure == nil { failure = error }
    }

    func results() throws -> [Output] {
        lock.lock(); defer { lock.unlock() }
        if let failure { throw failure }
        return outputs.map { $0! }
    }
}

/// A body run on a thread of its own from now on; `wait` returns its result.
final class OnThread<Output: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var output: Output?  // written once by the thread, read after `done`

    init(_ body: @escaping @Sendable () -> Output) {
        Thread.detachNewThread { [self] in
            output = body()
            done.signal()
        }
    }

    func wait() -> Output {
        done.wait()
        done.signal()  // a second wait returns at once
        return output!
    }
}
