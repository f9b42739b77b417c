import FlyingFox
import FlyingSocks
import Foundation
import Stack

/// `ovudev dashboard`: the page and the JSON API over one running native stack, on a loopback
/// address only, behind a login token. Stopping it leaves the stack running.
public final class DashboardServer: @unchecked Sendable {
    public let model: DashboardModel
    public let auth: TokenAuth
    public let hub: EventHub
    public let jobs: Jobs
    public let host: String
    private let server: HTTPServer

    /// Refuses any `host` but a loopback address (`NotLoopbackError`, exit 2) before binding.
    public init(stack: NativeStack, host: String = "127.0.0.1", port: Int = 0, token: String = TokenAuth.random(), pollInterval: TimeInterval = 1) throws {
        let address = try Loopback.address(host)
        guard (0...65535).contains(port) else { throw DashboardError.badRequest("--port \(port) is not a port") }
        self.host = address
        model = try DashboardModel(stack: stack)
        auth = TokenAuth(token: token)
        hub = EventHub(model: model, interval: pollInterval)
        jobs = Jobs(model: model, hub: hub)
        let router = Router()
        // Actions and checks may take minutes (a backup with verify runs as a job, a check does not).
        server = HTTPServer(address: try .inet(ip4: address, port: UInt16(port)), timeout: 600, logger: .disabled, handler: router)
        router.owner = self
    }

    /// Binds and serves until `stop`; `onListening` gets the URL with the token once it listens.
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        hub.start()
        // The first check runs now, so that the page has its matrix when it opens.
        let model = self.model
        DispatchQueue.global().async { _ = try? model.check(rerun: false) }
        let server = self.server
        let serving = Task { try await server.run() }
        try await server.waitUntilListening(timeout: 10)
        guard case let .ip4(_, port) = await server.listeningAddress else { throw DashboardError.failed("the dashboard did not bind") }
        onListening(url(port: Int(port)))
        try await serving.value
    }

    public func url(port: Int) -> String { "http://\(host):\(port)/?token=\(auth.token)" }

    public func stop() async {
        hub.stop()
        await server.stop()
    }

    final class Router: HTTPHandler, @unchecked Sendable {
        weak var owner: DashboardServer?
        func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
            guard let owner else { return HTTPResponse(statusCode: .serviceUnavailable) }
            return await owner.respond(request)
        }
    }

    // MARK: - Routing

    func respond(_ request: HTTPRequest) async -> HTTPResponse {
        let (verdict, setCookie) = auth.verdict(request)
        switch verdict {
        case .unauthorized:
            return text(.unauthorized, "401 unauthorized: open the URL with ?token=… that `ovudev dashboard` printed\n")
        case .forbidden:
            return text(.forbidden, "403 forbidden: actions need the token in the \(TokenAuth.headerName) header\n")
        case .allowed: break
        }
        // A page on another origin that resolves its name to 127.0.0.1 (DNS rebinding) sends its own Host.
        if let hostHeader = request.headers[HTTPHeader("Host")] {
            let name = hostHeader.split(separator: ":").first.map(String.init) ?? hostHeader
            if (try? Loopback.address(name)) == nil { return text(.forbidden, "403 forbidden: Host \(hostHeader) is not a loopback address\n") }
        }
        var response: HTTPResponse
        do {
            response = try await route(request)
        } catch let error as DashboardError {
            if case .badRequest = error { response = text(.badRequest, "\(error)\n") } else { response = text(.internalServerError, "\(error)\n") }
        } catch {
            response = text(.internalServerError, model.redact("\(error)") + "\n")
        }
        if setCookie { response.headers.addValue(auth.cookieHeader, for: HTTPHeader("Set-Cookie")) }
        response.headers[HTTPHeader("X-Content-Type-Options")] = "nosniff"
        response.headers[HTTPHeader("X-Frame-Options")] = "DENY"
        response.headers[HTTPHeader("Referrer-Policy")] = "no-referrer"
        return response
    }

    func route(_ request: HTTPRequest) async throws -> HTTPResponse {
        let path = request.path
        let parts = path.split(separator: "/").map(String.init)
        func query(_ name: String) -> String? { request.query.first { $0.name == name }?.value }
        let model = self.model
        let get = request.method == .GET, post = request.method == .POST
        if get && parts.isEmpty {
            let state = await offload { model.state() }
            return html(Page.html(project: model.stack.plan.project, scenario: model.scenario, token: auth.token,
                                  svg: model.topologySVG(), state: state, check: model.cachedCheck))
        }
        if get && parts == ["topology.svg"] { return body(.ok, "image/svg+xml; charset=utf-8", model.topologySVG()) }
        guard parts.first == "api", parts.count >= 2 else { return notFound("no such page: \(path)") }
        let rest = Array(parts.dropFirst())
        switch (get, post, rest[0], rest.count) {
        case (true, _, "status", 1): return try json(await offload { model.status() })
        case (true, _, "services", 1): return try json(await offload { model.state() })
        case (true, _, "events", 1): return .eventStream(hub.subscribe())
        case (true, _, "check", 1): return try json(await offload { try model.check(rerun: false) })
        case (_, true, "check", 1):
            let output = try await offload { try model.check(rerun: true) }
            hub.publish("check", output)
            return try json(output)
        case (true, _, "logs", 1): return try json(LogList(logs: model.logNames()))
        case (true, _, "logs", 2):
            let name = rest[1]
            let count = query("lines").flatMap(Int.init).map { Swift.max(1, Swift.min($0, 10000)) } ?? 1000
            let filter = query("filter")
            guard let tail = await offload({ model.tail(name, count: count, filter: filter) }) else { return notFound("no log \(name)") }
            return try json(tail)
        case (true, _, "logs", 3) where rest[2] == "stream":
            guard let file = model.logFile(rest[1]) else { return notFound("no log \(rest[1])") }
            return .eventStream(LogFollower.stream(file: file, name: rest[1], count: 1000, redact: { model.redact($0) }))
        case (true, _, "seeds", 1): return try json(await offload { model.seeds() })
        case (true, _, "backups", 1): return try json(await offload { model.backups() })
        case (true, _, "jobs", 2):
            guard let job = jobs.job(rest[1]) else { return notFound("no job \(rest[1])") }
            return try json(job)
        case (_, true, "actions", 2):
            switch rest[1] {
            case "restart":
                guard let service = query("service") else { throw DashboardError.badRequest("restart needs ?service=") }
                return try json(try jobs.restart(service), status: .accepted)
            case "seed": return try json(try jobs.reseed(service: query("service"), force: query("force") == "1"), status: .accepted)
            case "backup": return try json(try jobs.backup(target: query("target")), status: .accepted)
            default: return notFound("no action \(rest[1])")
            }
        case (_, false, "actions", _):
            return text(.methodNotAllowed, "405 method not allowed\n")
        case (_, false, "check", _) where !get:
            return text(.methodNotAllowed, "405 method not allowed\n")
        case (true, _, "actions", _):
            return text(.methodNotAllowed, "405 method not allowed: actions are POSTs\n")
        default:
            return notFound("no such page: \(path)")
        }
    }

    // MARK: - Responses

    func json<T: Encodable>(_ value: T, status: HTTPStatusCode = .ok) throws -> HTTPResponse {
        body(status, "application/json; charset=utf-8", try APIJSON.string(value) + "\n")
    }

    func html(_ page: String) -> HTTPResponse {
        var response = body(.ok, "text/html; charset=utf-8", page)
        // Everything the page needs is in it: no other origin may be reached from it.
        response.headers[HTTPHeader("Content-Security-Policy")] = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
        return response
    }

    func text(_ status: HTTPStatusCode, _ text: String) -> HTTPResponse { body(status, "text/plain; charset=utf-8", text) }

    func notFound(_ what: String) -> HTTPResponse { text(.notFound, "404 \(what)\n") }

    /// Every body passes through `redact`: no secret leaves, whatever produced the text.
    func body(_ status: HTTPStatusCode, _ type: String, _ text: String) -> HTTPResponse {
        HTTPResponse(statusCode: status, headers: [HTTPHeader("Content-Type"): type, HTTPHeader("Cache-Control"): "no-store"],
                     body: Data(model.redact(text).utf8))
    }
}

/// Runs blocking work (probes, libpq, files) on a Dispatch thread, not on the few threads Swift
/// concurrency has (2 here), which must stay free to serve other requests.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}
