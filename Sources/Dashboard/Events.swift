import FlyingFox
import FlyingSocks
import Foundation

/// Server-Sent Events: every subscriber of `/api/events` gets the current `state` on connect,
/// then a `state` event whenever the stack's status changes (polled every `interval`, on a
/// thread of its own: probes block), and `job`/`jobdone` events of the actions.
public final class EventHub: @unchecked Sendable {
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<String>.Continuation] = [:]
    private var lastState: String?
    private let model: DashboardModel
    public let interval: TimeInterval
    private var thread: Thread?
    private var stopped = false

    public init(model: DashboardModel, interval: TimeInterval = 1) {
        self.model = model
        self.interval = interval
    }

    /// Starts the poller (once).
    public func start() {
        lock.lock(); defer { lock.unlock() }
        guard thread == nil else { return }
        let thread = Thread { [weak self] in
            var beat = 0
            while let self, !self.isStopped {
                self.poll()
                beat += 1
                // A comment now and then: a client that went away shows up as a failed write.
                if beat % 15 == 0 { self.send(": ping\n\n") }
                Thread.sleep(forTimeInterval: self.interval)
            }
        }
        thread.name = "ovudev-dashboard-poll"
        thread.start()
        self.thread = thread
    }

    public func stop() {
        lock.lock()
        stopped = true
        let all = subscribers.values
        subscribers = [:]
        lock.unlock()
        for c in all { c.finish() }
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Polls once; sends `state` when it differs from the last one sent.
    func poll() {
        guard let line = try? APIJSON.line(model.state()) else { return }
        lock.lock()
        let changed = line != lastState
        lastState = line
        lock.unlock()
        if changed { send(Self.event("state", line)) }
    }

    public func publish<T: Encodable>(_ name: String, _ value: T) {
        guard let line = try? APIJSON.line(value) else { return }
        send(Self.event(name, line))
    }

    private func send(_ text: String) {
        let redacted = model.redact(text)
        lock.lock()
        let all = Array(subscribers.values)
        lock.unlock()
        for c in all { c.yield(redacted) }
    }

    static func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }

    /// A new subscriber's stream: the last state first.
    public func subscribe() -> AsyncStream<String> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(256))
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.lock.lock()
            self.subscribers[id] = nil
            self.lock.unlock()
        }
        lock.lock()
        subscribers[id] = continuation
        let last = lastState
        lock.unlock()
        continuation.yield("retry: 1000\n\n")
        if let last { continuation.yield(model.redact(Self.event("state", last))) }
        return stream
    }

    public var subscriberCount: Int { lock.lock(); defer { lock.unlock() }; return subscribers.count }
}

/// Text chunks from an AsyncStream as the bytes of a chunked HTTP body: each chunk is written
/// (and so flushed to the client) as soon as it comes.
struct StreamBytes: AsyncBufferedSequence, Sendable {
    typealias Element = UInt8
    let stream: AsyncStream<String>

    func makeAsyncIterator() -> Iterator { Iterator(base: stream.makeAsyncIterator()) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var base: AsyncStream<String>.Iterator
        var pending: [UInt8] = []

        mutating func next() async throws -> UInt8? {
            guard let buffer = try await nextBuffer(suggested: 1) else { return nil }
            return buffer.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
            while pending.isEmpty {
                guard let text = await base.next() else { return nil }
                pending = Array(text.utf8)
            }
            let n = Swift.max(1, Swift.min(count, pending.count))
            let out = Array(pending.prefix(n))
            pending.removeFirst(n)
            return out
        }
    }
}

extension HTTPResponse {
    /// A `text/event-stream` response from a stream of already formatted events.
    static func eventStream(_ stream: AsyncStream<String>) -> HTTPResponse {
        HTTPResponse(statusCode: .ok,
                     headers: [HTTPHeader("Content-Type"): "text/event-stream; charset=utf-8",
                               HTTPHeader("Cache-Control"): "no-store",
                               HTTPHeader("X-Accel-Buffering"): "no"],
                     body: HTTPBodySequence(from: StreamBytes(stream: stream), suggestedBufferSize: 65536))
    }
}

/// A log followed like `tail -F`: the last lines as one `lines` event, then each new line as a
/// `line` event (checked every half second; a truncated or replaced file is read from its start).
enum LogFollower {
    static func stream(file: String, name: String, count: Int, redact: @escaping @Sendable (String) -> String) -> AsyncStream<String> {
        AsyncStream<String>(bufferingPolicy: .bufferingNewest(512)) { continuation in
            let task = Task {
                let (lines, truncated) = DashboardModel.lastLines(of: file, count: count, filter: nil)
                let first = LogTail(name: name, lines: lines.map(redact), truncated: truncated)
                continuation.yield("retry: 1000\n\n")
                if let json = try? APIJSON.line(first) { continuation.yield(EventHub.event("lines", json)) }
                var offset = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.uint64Value ?? 0
                var partial = ""
                var beat = 0
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 500_000_000)
                    beat += 1
                    if beat % 30 == 0 { continuation.yield(": ping\n\n") }
                    guard let handle = FileHandle(forReadingAtPath: file) else { continue }
                    let size = (try? handle.seekToEnd()) ?? 0
                    if size < offset { offset = 0 }
                    if size == offset { try? handle.close(); continue }
                    try? handle.seek(toOffset: offset)
                    let data = (try? handle.readToEnd()) ?? Data()
                    try? handle.close()
                    offset += UInt64(data.count)
                    partial += String(decoding: data, as: UTF8.self)
                    var parts = partial.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    partial = parts.removeLast()
                    for line in parts {
                        if let json = try? APIJSON.line([redact(line)]) { continuation.yield(EventHub.event("line", json)) }
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
