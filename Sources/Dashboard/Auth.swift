import FlyingFox
import Foundation
import Topology

/// The dashboard listens on loopback only: anything else is refused (exit 2), whatever asks.
public struct NotLoopbackError: ExitStatusError, CustomStringConvertible {
    public var host: String
    public init(host: String) { self.host = host }
    public var exitStatus: Int32 { 2 }
    public var description: String {
        "the dashboard listens on a loopback address only (127.0.0.1, 127.x.x.x, localhost); \"\(host)\" is not one: it would show the stack to the network"
    }
}

public enum Loopback {
    /// The IPv4 address to bind for `host`, when it is a loopback address; else the refusal.
    public static func address(_ host: String) throws -> String {
        if host == "localhost" { return "127.0.0.1" }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCII) && UInt8(p) != nil }),
              parts[0] == "127" else { throw NotLoopbackError(host: host) }
        return host
    }
}

/// The login token (as Jupyter's): given once in the printed URL, kept in an HttpOnly,
/// SameSite=Strict cookie; every request needs it (else 401), and every POST also in the
/// `X-Ovudev-Token` header (else 403), which another site's page cannot set.
public struct TokenAuth: Sendable {
    public let token: String
    public static let cookieName = "ovudev_token"
    public static let headerName = "X-Ovudev-Token"

    public init(token: String = TokenAuth.random()) { self.token = token }

    /// 32 random bytes as hex, from the system's generator (getrandom).
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    public enum Verdict: Equatable { case allowed, unauthorized, forbidden }

    /// Whether the request may go on; `setCookie` when the token came in the query.
    public func verdict(_ request: HTTPRequest) -> (Verdict, setCookie: Bool) {
        let fromQuery = request.query.first { $0.name == "token" }.map { matches($0.value) } ?? false
        let fromCookie = cookie(request).map(matches) ?? false
        let fromHeader = request.headers[HTTPHeader(Self.headerName)].map(matches) ?? false
        guard fromQuery || fromCookie || fromHeader else { return (.unauthorized, false) }
        if request.method == .POST && !fromHeader { return (.forbidden, false) }
        return (.allowed, fromQuery && !fromCookie)
    }

    var cookieHeader: String { "\(Self.cookieName)=\(token); HttpOnly; SameSite=Strict; Path=/" }

    func cookie(_ request: HTTPRequest) -> String? {
        for header in request.headers.values(for: HTTPHeader("Cookie")) {
            for pair in header.split(separator: ";") {
                let kv = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == Self.cookieName { return String(kv[1]) }
            }
        }
        return nil
    }

    /// Compares in time independent of where the strings differ.
    func matches(_ candidate: String) -> Bool {
        let a = Array(candidate.utf8), b = Array(token.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
