import Dashboard
import Foundation
import Stack
import Testing
import TestSupport
import Renderers
import Topology
import Workspace

/// `ovudev up --dashboard` on the example's `stage` scenario, seen through a raw HTTP client
/// (auth, the JSON API, the SSE stream) and headless Chromium (the page, a screenshot).
@Suite(.serialized, .ownThread) struct DashboardTests {
    @Test func theDashboardOverARunningStack() throws {
        let project = try TempProject()
        defer { project.close() }
        let dir = project.directory
        let stack = try project.stack("stage")

        let up = try ovudev(["up", "--scenario", "stage", "--dashboard"], directory: dir)
        #expect(up.status == 0, "\(up.output)")
        let url = try #require(up.output.split(separator: "\n").first { $0.hasPrefix("dashboard: ") }.map { String($0.dropFirst(11)) })
        let match = try #require(url.firstMatch(of: /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{64})$/), "\(url)")
        let port = try #require(Int(match.1))
        let token = String(match.2)
        let http = RawHTTP(port: port)
        var seen: [String] = []  // every body the dashboard sent, searched for secrets at the end

        // Without the token: 401, on the page and on every API path.
        for path in ["/", "/api/status", "/api/events", "/api/logs", "/api/check", "/topology.svg", "/?token=wrong"] {
            #expect(try http.request("GET", path).status == 401, "\(path)")
        }
        #expect(try http.request("POST", "/api/check").status == 401)
        // With the cookie but without the header, a POST is refused: another site's form could send the cookie.
        let cookie = ["Cookie": "ovudev_token=\(token)"]
        #expect(try http.request("POST", "/api/check", headers: cookie).status == 403)
        #expect(try http.request("POST", "/api/actions/restart?service=ulm", headers: cookie).status == 403)
        // The token in the URL becomes an HttpOnly, SameSite=Strict cookie.
        let page = try http.request("GET", "/?token=\(token)")
        #expect(page.status == 200 && page.headers["set-cookie"] == "ovudev_token=\(token); HttpOnly; SameSite=Strict; Path=/", "\(page.headers)")
        seen.append(page.body)

        // /api/status is `ovudev status --json`, structure for structure.
        let status = try http.request("GET", "/api/status", headers: cookie)
        seen.append(status.body)
        let cli = try ovudev(["status", "--json", "--scenario", "stage"], directory: dir)
        let apiStatus = try JSONDecoder().decode(StatusOutput.self, from: Data(status.body.utf8))
        let cliStatus = try JSONDecoder().decode(StatusOutput.self, from: Data(cli.output[cli.output.firstIndex(of: "{")!...].utf8))
        #expect(apiStatus.services.map(\.instance) == cliStatus.services.map(\.instance) && apiStatus.services.allSatisfy { $0.health == "200" })
        for path in ["/api/services", "/api/check", "/api/logs", "/api/logs/ulm", "/api/seeds", "/api/backups", "/topology.svg"] {
            let r = try http.request("GET", path, headers: cookie)
            #expect(r.status == 200, "\(path): \(r.body)")
            seen.append(r.body)
        }
        let seeds = try JSONDecoder().decode(SeedsOutput.self, from: Data(try http.request("GET", "/api/seeds", headers: cookie).body.utf8))
        #expect(seeds.instances.contains { $0.instance == "ulm" && $0.applied.count == 2 }, "\(seeds)")

        // The page in Chromium: every service healthy, the matrix with 0 leaks, the log tail.
        let browser = Browser(folder: dir)
        let dom = try browser.dumpDOM(url + "&once=1")
        seen.append(dom)
        for service in stack.plan.instances.map(\.name) {
            #expect(dom.contains("id=\"row-\(service)\" data-service=\"\(service)\" data-health=\"healthy\" data-source=\"live\""), "\(service) healthy in the page")
        }
        #expect(dom.contains("checks: 0 leaks, 0 failures"), "the matrix shows 0 leaks")
        let lastLogLine = try #require(try String(contentsOfFile: stack.paths.serviceLog("aam"), encoding: .utf8).split(separator: "\n").last)
        #expect(dom.contains(String(lastLogLine)), "the log tail shows aam's last line")
        let screenshot = "\(dir)/dashboard.png"
        try browser.screenshot(url + "&once=1", to: screenshot)
        #expect(FileManager.default.fileExists(atPath: screenshot))
        print("dashboard screenshot: \(screenshot)")

        // kill -9 of ulm's process: the SSE stream says it within 2 s.
        let events = try http.open("/api/events", headers: cookie)
        let first = try #require(try events.nextEvent(named: "state", timeout: 5))
        #expect(first.contains("\"health\":\"200\""))
        let pid = try #require(apiStatus.services.first { $0.instance == "ulm" }?.pid)
        let killed = Date()
        kill(pid, SIGKILL)
        var stopped = false
        while Date().timeIntervalSince(killed) < 5, let event = try events.nextEvent(named: "state", timeout: 5) {
            seen.append(event)
            let state = try JSONDecoder().decode(DashboardState.self, from: Data(event.utf8))
            if state.status.services.first(where: { $0.instance == "ulm" })?.running == false { stopped = true; break }
        }
        let elapsed = Date().timeIntervalSince(killed)
        events.close()
        print("ulm killed: the SSE stream said so after \(String(format: "%.2f", elapsed)) s")
        #expect(stopped && elapsed < 2, "ulm's row turned unhealthy after \(elapsed) s")
        // The page's JS applies the event: the row it rendered from the stream says stopped.
        let after = try browser.dumpDOM(url + "&once=1")
        #expect(after.contains("id=\"row-ulm\" data-service=\"ulm\" data-health=\"stopped\" data-source=\"live\""), "ulm stopped in the page")

        // A leak planted by the superuser appears after "re-run check" (a POST with the header).
        let pg = try #require(stack.plan.servers.first { $0.engine == .postgres })
        let admin = try PGConnection(PGConnectionParameters(host: stack.paths.pgRun(pg.name), port: pg.port, user: pg.superuser ?? "postgres", password: nil, database: "postgres"))
        try admin.exec("GRANT CONNECT ON DATABASE smm_db TO ulm_user")
        let rerun = try http.request("POST", "/api/check", headers: cookie.merging(["X-Ovudev-Token": token]) { $1 })
        seen.append(rerun.body)
        #expect(rerun.status == 200)
        let check = try JSONDecoder().decode(CheckOutput.self, from: Data(rerun.body.utf8))
        #expect(check.leaks > 0 && check.findings.contains { $0.status == .leak && $0.subject == "ulm_user" }, "\(rerun.body)")
        let leaky = try browser.dumpDOM(url + "&once=1")
        #expect(leaky.contains("checks: \(check.leaks) leaks") && leaky.contains("<td class=\"LEAK\">LEAK</td>"), "the leak in the page")

        // An action: restart ulm, its output as job events; then the row is healthy again.
        let job = try http.request("POST", "/api/actions/restart?service=ulm", headers: ["X-Ovudev-Token": token])
        #expect(job.status == 202, "\(job.body)")
        let deadline = Date().addingTimeInterval(30)
        var done: JobOutput?
        while Date() < deadline {
            done = try? JSONDecoder().decode(JobOutput.self, from: Data(try http.request("GET", "/api/jobs/1", headers: cookie).body.utf8))
            if done?.ok != nil { break }
            usleep(200_000)
        }
        // (This job once stalled while other suites ran: the in-process dashboard shared Swift's
        // cooperative threads with tests that block them. Tests run on threads of their own
        // since (`.ownThread`), and it has not stalled in any run since; it fails again if it does.)
        #expect(done?.ok == true && done?.lines.contains("ulm is healthy") == true, "\(String(describing: done))")

        // Secrets never appear: in any body, the page, or the events.
        let secrets = try stack.secretsFromStore()
        #expect(!secrets.isEmpty)
        for (name, value) in secrets {
            for body in seen + [leaky, after] { #expect(!body.contains(value), "\(name) appears in a response") }
        }

        // Only loopback: the CLI refuses another address (exit 2), and so does the library.
        let refused = try ovudev(["dashboard", "--scenario", "stage", "--host", "0.0.0.0", "--no-open"], directory: dir)
        #expect(refused.status == 2 && refused.output.contains("loopback"), "\(refused.output)")
        #expect(throws: NotLoopbackError.self) { try DashboardServer(stack: stack, host: "192.168.1.10") }

        // down stops the dashboard that up started; the dashboard's pid file goes.
        let down = try ovudev(["down", "--scenario", "stage"], directory: dir)
        #expect(down.output.contains("stopped the dashboard"), "\(down.output)")
        #expect((try? http.request("GET", "/api/status", headers: cookie)) == nil, "the dashboard no longer answers")
    }
}

/// Headless Chromium, its profile in the test's folder.
struct Browser {
    let folder: String
    var chromium: String? { Subprocess.which("chromium") ?? Subprocess.which("chromium-browser") }

    func run(_ extra: [String], _ url: String) throws -> String {
        let binary = try #require(chromium, "chromium is not installed (scripts/install-deps.sh)")
        let r = try Subprocess.run(["timeout", "60", binary, "--headless=new", "--disable-gpu", "--no-sandbox", "--user-data-dir=\(folder)/.chromium",
                                    "--virtual-time-budget=3000"] + extra + [url], environment: ProcessInfo.processInfo.environment.merging(["HOME": folder]) { $1 })
        return r.output
    }

    func dumpDOM(_ url: String) throws -> String { try run(["--dump-dom"], url) }
    func screenshot(_ url: String, to path: String) throws { _ = try run(["--screenshot=\(path)", "--window-size=1280,900"], url) }
}

/// HTTP/1.1 over a plain socket: status, headers (lower-cased), body; and an SSE reader.
struct RawHTTP {
    let port: Int

    struct Response { var status: Int; var headers: [String: String]; var body: String }

    func connect() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw EngineError("cannot connect to 127.0.0.1:\(port)") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    func send(_ fd: Int32, _ method: String, _ path: String, _ headers: [String: String]) {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: 0\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        text += "\r\n"
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    func request(_ method: String, _ path: String, headers: [String: String] = [:]) throws -> Response {
        let fd = try connect()
        defer { close(fd) }
        send(fd, method, path, headers)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw EngineError("no HTTP response: \(text)") }
        let lines = text[..<split.lowerBound].split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let kv = line.split(separator: ":", maxSplits: 1)
            if kv.count == 2 { headers[kv[0].lowercased()] = kv[1].trimmingCharacters(in: .whitespaces) }
        }
        return Response(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    /// A stream left open: events read as they come (chunked framing is skipped over: the
    /// chunk-size lines are not `event:` or `data:` lines).
    final class Stream {
        let fd: Int32
        var pending = ""
        init(fd: Int32) { self.fd = fd }

        /// The data of the next event named `name`, or nil after `timeout` seconds.
        func nextEvent(named name: String, timeout: TimeInterval) throws -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while Date() < deadline {
                while let end = pending.range(of: "\n\n") {
                    let block = pending[..<end.lowerBound]
                    pending = String(pending[end.upperBound...])
                    let lines = block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    if lines.contains("event: \(name)"), let data = lines.first(where: { $0.hasPrefix("data: ") }) { return String(data.dropFirst(6)) }
                }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else { continue }
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { return nil }
                pending += String(decoding: buffer[0..<n], as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            }
            return nil
        }

        func close() { Glibc.close(fd) }
    }

    func open(_ path: String, headers: [String: String]) throws -> Stream {
        let fd = try connect()
        send(fd, "GET", path, headers)
        return Stream(fd: fd)
    }
}

/// The pieces without a stack: the loopback rule, the token, the SVG.
@Suite(.ownThread) struct DashboardPartsTests {
    @Test func stoppingTheDashboardLeavesTheStackRunning() throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack("stage")
        _ = try stack.up(check: false)
        let binary = try ovudevBinary()
        let port = project.portBase + 290
        let pid = try Subprocess.spawnDetached([binary, "dashboard", "--scenario", "stage", "--no-open", "--port", String(port)],
                                               environment: ProcessInfo.processInfo.environment, directory: project.directory,
                                               output: "\(project.directory)/dashboard.out")
        let http = RawHTTP(port: port)
        var deadline = Date().addingTimeInterval(20)
        while (try? http.request("GET", "/"))?.status != 401 && Date() < deadline { usleep(50_000) }
        #expect(try http.request("GET", "/").status == 401, "the dashboard answers")
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        deadline = Date().addingTimeInterval(10)
        while (try? http.request("GET", "/")) != nil && Date() < deadline { usleep(50_000) }
        #expect((try? http.request("GET", "/")) == nil, "the dashboard stopped")
        let after = stack.status()
        #expect(after.servers.allSatisfy(\.running) && after.instances.allSatisfy(\.running), "\(after)")
    }

    @Test func onlyLoopbackAddressesAreAccepted() throws {
        #expect(try Loopback.address("127.0.0.1") == "127.0.0.1")
        #expect(try Loopback.address("127.0.0.2") == "127.0.0.2")
        #expect(try Loopback.address("localhost") == "127.0.0.1")
        for host in ["0.0.0.0", "10.0.0.1", "192.168.1.2", "128.0.0.1", "127.0.0", "127.0.0.1.5", "example.com", "", "::", "1.2.3.4"] {
            #expect(throws: NotLoopbackError.self, "\(host)") { try Loopback.address(host) }
        }
        #expect(NotLoopbackError(host: "0.0.0.0").exitStatus == 2)
    }

    @Test func tokensAreRandomAndLong() {
        let a = TokenAuth.random(), b = TokenAuth.random()
        #expect(a.count == 64 && a != b && a.allSatisfy(\.isHexDigit))
    }

    @Test func theTopologySVGIsDeterministicAndEscaped() throws {
        let project = try Project.load(topologyPath: "\(repositoryRoot)/ovu.topology.json")
        let graph = TopologyGraph(plan: try project.plan(scenario: "stage"))
        let svg = GraphSVG.render(graph)
        #expect(svg == GraphSVG.render(graph))
        #expect(svg.hasPrefix("<svg ") && svg.contains("id=\"svc-ulm\"") && svg.contains("class=\"edge reads\""))
        var odd = graph
        odd.services[0].name = "<script>&\"'"
        #expect(!GraphSVG.render(odd).contains("<script>"))
    }
}
