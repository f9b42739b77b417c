internal import CHiredis
import Foundation

public enum RedisReply: Equatable, Sendable {
    case string(String)
    case status(String)
    case integer(Int)
    case array([RedisReply])
    case null

    public var text: String? {
        switch self {
        case let .string(s), let .status(s): return s
        case let .integer(i): return String(i)
        default: return nil
        }
    }
}

public struct RedisError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// One hiredis connection. Not Sendable: owned by one task at a time.
public final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>

    public init(host: String = "127.0.0.1", port: Int, timeoutSeconds: Int = 5) throws {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        guard let c = redisConnectWithTimeout(host, Int32(port), timeout) else {
            throw RedisError(message: "cannot allocate a Redis context")
        }
        if c.pointee.err != 0 {
            let message = withUnsafeBytes(of: c.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            redisFree(c)
            throw RedisError(message: "Redis at \(host):\(port): \(message)")
        }
        redisSetTimeout(c, timeout)
        timeout.tv_sec = 0
        context = c
    }

    deinit { redisFree(context) }

    /// Sends one command (binary-safe argv) and returns its reply; a Redis error reply throws.
    @discardableResult
    public func command(_ arguments: [String]) throws -> RedisReply {
        let data = arguments.map { Array($0.utf8) }
        let copies: [UnsafeMutablePointer<CChar>?] = data.map { bytes in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { b in
                if let base = b.baseAddress { UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: b.count) }
            }
            return p
        }
        defer { copies.forEach { $0?.deallocate() } }
        let lengths = data.map { $0.count }
        var argv = copies.map { UnsafePointer($0) }
        let raw = argv.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { lens in
                redisCommandArgv(context, Int32(arguments.count), argv.baseAddress, lens.baseAddress)
            }
        }
        guard let raw else {
            let message = withUnsafeBytes(of: context.pointee.errstr) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw RedisError(message: message.isEmpty ? "connection lost" : message)
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return try convert(reply)
    }

    private func convert(_ reply: UnsafeMutablePointer<redisReply>) throws -> RedisReply {
        let r = reply.pointee
        func text() -> String {
            guard let s = r.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: s, count: Int(r.len)), as: UTF8.self)
        }
        switch r.type {
        // Debian 12 ships hiredis 0.14: RESP2 reply types only.
        case REDIS_REPLY_STRING: return .string(text())
        case REDIS_REPLY_STATUS: return .status(text())
        case REDIS_REPLY_INTEGER: return .integer(Int(r.integer))
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_ERROR: throw RedisError(message: text())
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            for i in 0..<Int(r.elements) {
                if let element = r.element[i] { items.append(try convert(element)) }
            }
            return .array(items)
        default: return .null
        }
    }

    public func ping() throws -> Bool { try command(["PING"]) == .status("PONG") }

    public func select(_ index: Int) throws { try command(["SELECT", String(index)]) }
}
