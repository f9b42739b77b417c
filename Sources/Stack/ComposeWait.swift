import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Docker Engine API over its unix socket (`DOCKER_HOST=unix://…`, else /var/run/docker.sock),
/// for what `docker compose up --wait` does and docker-compose 1.x cannot: asking each container of
/// a compose project for its state. Answers from docker and from podman's compatible service alike.
struct EngineAPI {
    let socketPath: String

    /// The engine's socket, or nil when DOCKER_HOST names something else than a unix socket.
    init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let host = environment["DOCKER_HOST"] ?? ""
        if host.isEmpty { socketPath = "/var/run/docker.sock" }
        else if host.hasPrefix("unix://") { socketPath = String(host.dropFirst("unix://".count)) }
        else { return nil }
    }

    struct APIError: Error, CustomStringConvertible { var description: String }

    /// One HTTP/1.0 GET (no chunked answers, the server closes): the status and the body.
    func get(_ path: String, timeout: Int = 20) throws -> (status: Int, body: Data) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw APIError(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw APIError(description: "socket path too long: \(socketPath)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw APIError(description: "cannot connect to \(socketPath): \(String(cString: strerror(errno)))") }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: docker\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw APIError(description: "write to \(socketPath) failed") }
            sent += n
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n == 0 { break }
            guard n > 0 else { throw APIError(description: "read from \(socketPath) failed: \(String(cString: strerror(errno)))") }
            response.append(contentsOf: buffer[0..<n])
        }
        guard let end = response.range(of: Data("\r\n\r\n".utf8)) else { throw APIError(description: "no HTTP answer from \(socketPath)") }
        let head = String(decoding: response[..<end.lowerBound], as: UTF8.self)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, Data(response[end.upperBound...]))
    }

    func json(_ path: String) throws -> Any {
        let (status, body) = try get(path)
        guard status == 200 else { throw APIError(description: "GET \(path): HTTP \(status) \(String(decoding: body.prefix(300), as: UTF8.self))") }
        return try JSONSerialization.jsonObject(with: body)
    }

    /// Nil when the engine answers `GET /_ping`, else why not.
    func pingFailure() -> String? {
        do {
            let (status, _) = try get("/_ping", timeout: 10)
            return status == 200 ? nil : "the engine at \(socketPath) answers /_ping with HTTP \(status)"
        } catch { return "\(error)" }
    }

    /// One container of a compose project, as far as waiting for it goes.
    struct Container {
        var id: String
        var service: String
        var status: String        // created, running, restarting, exited, …
        var exitCode: Int
        var health: String?       // starting, healthy, unhealthy; nil without a healthcheck
        var oneShot: Bool         // restart policy "no": it is meant to exit (0)

        /// Done when a one-shot exited 0, a healthcheck passes, or (without one) it runs.
        var ready: Bool {
            if oneShot && health == nil { return status == "exited" && exitCode == 0 }
            if let health { return status == "running" && health == "healthy" }
            return status == "running"
        }
        /// Why it will never be ready, or nil.
        var failure: String? {
            if status == "exited" || status == "dead" {
                if oneShot && health == nil && exitCode == 0 { return nil }
                return "exited with code \(exitCode)"
            }
            if health == "unhealthy" { return "is unhealthy" }
            return nil
        }
    }

    /// Every container (running or not) of a compose project, by its label.
    func containers(project: String) throws -> [Container] {
        let filters = "{\"label\":[\"com.docker.compose.project=\(project)\"]}"
        let query = filters.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? filters
        guard let list = try json("/containers/json?all=1&filters=\(query)") as? [[String: Any]] else { return [] }
        return try list.compactMap { entry -> Container? in
            guard let id = entry["Id"] as? String else { return nil }
            guard let inspect = try json("/containers/\(id)/json") as? [String: Any] else { return nil }
            let config = inspect["Config"] as? [String: Any]
            let labels = (config?["Labels"] as? [String: Any]) ?? (entry["Labels"] as? [String: Any]) ?? [:]
            let state = inspect["State"] as? [String: Any] ?? [:]
            let health = (state["Health"] as? [String: Any])?["Status"] as? String
            let restart = ((inspect["HostConfig"] as? [String: Any])?["RestartPolicy"] as? [String: Any])?["Name"] as? String ?? ""
            return Container(
                id: id, service: labels["com.docker.compose.service"] as? String ?? (inspect["Name"] as? String ?? id),
                status: (state["Status"] as? String ?? "").lowercased(), exitCode: (state["ExitCode"] as? NSNumber)?.intValue ?? 0,
                health: (health?.isEmpty ?? true) ? nil : health, oneShot: restart == "no" || restart.isEmpty)
        }
    }

    /// Polls until every container of the project is ready (what `up --wait` does), or one fails
    /// (its service is returned with the reason), or the timeout passes.
    func waitReady(project: String, timeout: TimeInterval, progress: (String) -> Void) throws -> [(service: String, reason: String)] {
        let deadline = Date().addingTimeInterval(timeout)
        var lastPending = ""
        while true {
            let all = try containers(project: project)
            let failed = all.compactMap { c in c.failure.map { (c.service, $0) } }
            if !failed.isEmpty { return failed }
            let pending = all.filter { !$0.ready }.sorted { $0.service < $1.service }
            if pending.isEmpty && !all.isEmpty { return [] }
            if Date() > deadline {
                return pending.map { ($0.service, "not ready after \(Int(timeout)) s (\($0.health ?? $0.status))") }
            }
            let text = pending.map { "\($0.service) (\($0.health ?? $0.status))" }.joined(separator: ", ")
            if text != lastPending { progress("waiting for \(text)"); lastPending = text }
            Thread.sleep(forTimeInterval: 1)
        }
    }
}
