import ArgumentParser
import Dashboard
import Foundation
import Stack

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve a local web page (and JSON API) over the running stack, on 127.0.0.1 with a login token.",
        discussion: """
            Prints http://127.0.0.1:PORT/?token=…; without the token every request gets 401, and every action (a POST) \
            also needs it in the X-Ovudev-Token header (else 403). The page's assets are inside ovudev: nothing is fetched \
            from the network. Stopping the dashboard (Ctrl-C) leaves the stack running.
            """)

    @OptionGroup var options: ScenarioOptions

    @Option(name: .long, help: "The port (default: a free one).")
    var port: Int = 0

    @Option(name: .long, help: "A loopback address to listen on (127.0.0.1 by default; any other address is refused).")
    var host: String = "127.0.0.1"

    @Flag(name: .long, help: "Do not open a browser.")
    var noOpen = false

    @Option(name: .long, help: .hidden)
    var urlFile: String?

    func validate() throws {
        do { _ = try Loopback.address(host) } catch { throw ValidationError("\(error)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port) is not a port") }
    }

    func run() throws {
        let stack = try options.stack()
        try stack.loadSecrets(create: false)
        let server = try DashboardServer(stack: stack, host: host, port: port)
        let done = DispatchSemaphore(value: 0)
        let failure = Box()
        let urlFile = self.urlFile, open = !noOpen, scenario = stack.plan.scenario
        let task = Task {
            do {
                try await server.run { url in
                    print("dashboard of scenario \(scenario): \(url)")
                    print("(Ctrl-C stops the dashboard; the stack keeps running)")
                    fflush(nil)
                    if let urlFile { try? Subprocess.writePrivate(Data((url + "\n").utf8), to: urlFile) }
                    if open { Self.openBrowser(url) }
                }
            } catch {
                failure.error = error
            }
            done.signal()
        }
        for signal in [SIGINT, SIGTERM] {
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                printError("dashboard stopped; the stack keeps running")
                Foundation.exit(0)
            }
            source.resume()
            Box.keep.append(source)
        }
        done.wait()
        withExtendedLifetime(task) {}
        if let error = failure.error { throw error }
    }

    static func openBrowser(_ url: String) {
        let env = ProcessInfo.processInfo.environment
        guard env["DISPLAY"] != nil || env["WAYLAND_DISPLAY"] != nil, let opener = Subprocess.which("xdg-open") else { return }
        _ = try? Subprocess.spawnDetached([opener, url], environment: env, directory: "/", output: "/dev/null")
    }

    final class Box: @unchecked Sendable {
        var error: Error?
        nonisolated(unsafe) static var keep: [Any] = []
    }

    // MARK: - `up --dashboard` and `down`

    static func pidFile(_ stack: NativeStack) -> String { "\(stack.paths.pids)/dashboard.pid" }

    /// Starts `ovudev dashboard` in the background for `up --dashboard`; its pid goes to
    /// `pids/dashboard.pid` (so that `down` stops it); returns its URL.
    static func startDetached(_ stack: NativeStack) throws -> String {
        if let running = runningPid(stack), let url = try? String(contentsOfFile: "\(stack.paths.root)/dashboard.url", encoding: .utf8) {
            _ = running
            return url.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let urlFile = "\(stack.paths.root)/dashboard.url"
        try? FileManager.default.removeItem(atPath: urlFile)
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let topology = (stack.project.directory as NSString).appendingPathComponent(stack.project.topologyFileName)
        try FileManager.default.createDirectory(atPath: stack.paths.pids, withIntermediateDirectories: true)
        let pid = try Subprocess.spawnDetached([me, "dashboard", "--topology", topology, "--scenario", stack.plan.scenario, "--no-open", "--url-file", urlFile],
                                               environment: ProcessInfo.processInfo.environment, directory: stack.project.directory,
                                               output: "\(stack.paths.root)/dashboard.out")
        try "\(pid)\n".write(toFile: pidFile(stack), atomically: true, encoding: .utf8)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let url = try? String(contentsOfFile: urlFile, encoding: .utf8), url.hasSuffix("\n") { return url.trimmingCharacters(in: .whitespacesAndNewlines) }
            if !Subprocess.isAlive(pid) { break }
            usleep(50_000)
        }
        throw ExitCode(1)
    }

    /// The pid of a dashboard `up --dashboard` started, if it still runs.
    static func runningPid(_ stack: NativeStack) -> pid_t? {
        guard let text = try? String(contentsOfFile: pidFile(stack), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, Subprocess.isAlive(pid),
              let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
              cmdline.split(separator: 0).contains(Data("dashboard".utf8)) else { return nil }
        return pid
    }

    /// `down`: stops the dashboard `up --dashboard` started; true when one ran.
    @discardableResult
    static func stopDetached(_ stack: NativeStack) -> Bool {
        defer {
            try? FileManager.default.removeItem(atPath: pidFile(stack))
            try? FileManager.default.removeItem(atPath: "\(stack.paths.root)/dashboard.url")
        }
        guard let pid = runningPid(stack) else { return false }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while Subprocess.isAlive(pid) && Date() < deadline { usleep(20_000) }
        if Subprocess.isAlive(pid) { kill(pid, SIGKILL) }
        return true
    }
}
