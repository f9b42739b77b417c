import Foundation
import Renderers
import Stack
import Topology

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// A copy of the example project in a temp folder, with free ports, so that a test runs its
/// own native stack. `close()` stops whatever it started and removes the folder.
final class TempProject {
    let directory: String
    /// The first port of the block this project's servers and services use (given back by `close`).
    private(set) var portBase = 0
    let project: Project

    /// `edit` may change the topology JSON (a dictionary) before it is written.
    /// `mode`: the folder's permissions; 0700 is what `mktemp -d` and `/root` give (a private folder).
    /// `topology`: the file to start from, relative to the repository (the example by default).
    init(mode: mode_t = 0o755, topology: String = "ovu.topology.json", edit: (inout [String: Any]) -> Void = { _ in }) throws {
        var template = (NSTemporaryDirectory() + "ovudev-stack-XXXXXX").utf8CString
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw EngineError("mkdtemp failed") }
        directory = String(cString: made)
        chmod(directory, mode)  // 0755: the servers' account reaches .ovu/ inside
        let fm = FileManager.default
        try fm.copyItem(atPath: "\(repositoryRoot)/examples", toPath: "\(directory)/examples")
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(repositoryRoot)/\(topology)"))
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        // Free ports: servers and services from a block nobody listens on.
        let base = try TempProject.freeBlock(size: 300)
        portBase = base
        var servers = json["servers"] as! [String: [String: Any]]
        for (i, name) in servers.keys.sorted().enumerated() { servers[name]!["port"] = base + i * 10 }
        json["servers"] = servers
        var services = json["services"] as! [String: [String: Any]]
        for (i, name) in services.keys.sorted().enumerated() where services[name]!["port"] != nil { services[name]!["port"] = base + 100 + i }
        json["services"] = services
        var scenarios = json["scenarios"] as! [String: [String: Any]]
        for name in scenarios.keys where scenarios[name]!["layout"] as? String == "per-tenant" { scenarios[name]!["portStride"] = 100 }
        json["scenarios"] = scenarios
        edit(&json)
        let out = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try out.write(to: URL(fileURLWithPath: "\(directory)/ovu.topology.json"))
        project = try Project.load(topologyPath: "\(directory)/ovu.topology.json")
    }

    func stack(_ scenario: String, progress: @escaping (String) -> Void = { _ in }) throws -> NativeStack {
        NativeStack(project: project, plan: try project.plan(scenario: scenario), progress: progress)
    }

    /// Stops every stack of every scenario that has state here, then removes the folder.
    func close() {
        if let keep = ProcessInfo.processInfo.environment["OVUDEV_TEST_KEEP"] { _ = try? Subprocess.run(["cp", "-a", directory, keep]) }
        for scenario in project.topology.scenarios {
            let paths = StackPaths(projectDirectory: directory, scenario: scenario.name)
            guard FileManager.default.fileExists(atPath: paths.root), let s = try? stack(scenario.name) else { continue }
            _ = try? s.down(volumes: true)
            // A stack placed outside the folder (a private folder, as root) goes too.
            if paths.root != "\(directory)/.ovu/\(scenario.name)" { try? FileManager.default.removeItem(atPath: (paths.root as NSString).deletingLastPathComponent) }
        }
        try? FileManager.default.removeItem(atPath: directory)
        PortBlocks.shared.release(portBase)
    }

    /// A block of `size` consecutive free ports in 10000–32000 (below the kernel's ephemeral
    /// range, which other tests' servers take ports from), never handed out twice in this process.
    static func freeBlock(size: Int) throws -> Int {
        let blocks = (32000 - 10000) / size
        // Every block once, in random order: a block other processes use now is given back.
        for base in (0..<blocks).map({ 10000 + $0 * size }).shuffled() {
            guard PortBlocks.shared.claim(base) else { continue }
            if stride(from: base, to: base + size, by: 1).allSatisfy(PortProbe.isFree) { return base }
            PortBlocks.shared.release(base)
        }
        throw EngineError("no free block of \(size) ports")
    }
}

final class PortBlocks: @unchecked Sendable {
    static let shared = PortBlocks()
    private let lock = NSLock()
    private var claimed = Set<Int>()
    func claim(_ base: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return claimed.insert(base).inserted
    }
    /// A closed project's block may serve another (its servers are stopped).
    func release(_ base: Int) {
        lock.lock(); defer { lock.unlock() }
        claimed.remove(base)
    }
}

/// The built ovudev binary: SwiftPM puts it next to the test bundle (bundleURL is the folder or the bundle).
func ovudevBinary() throws -> String {
    let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()].map { $0.appendingPathComponent("ovudev").path }
    guard let path = candidates.first(where: FileManager.default.isExecutableFile) else {
        throw EngineError("ovudev binary not found next to the tests (\(candidates.joined(separator: ", ")))")
    }
    return path
}

/// Runs the built ovudev binary (for what only a separate process can show: locks, exit codes).
func ovudev(_ arguments: [String], directory: String, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let path = try ovudevBinary()
    let r = try Subprocess.run([path] + arguments, environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 },
                               directory: directory)
    return (r.status, r.output)
}

/// What the kill -9 tests share: a dev-like stack brought up, with a Redis key saved to disk.
struct KillTarget {
    let stack: NativeStack
    let pg: PlannedServer
    let redis: PlannedServer

    init(upping stack: NativeStack) throws {
        self.stack = stack
        _ = try stack.up(check: false)
        guard let pg = stack.plan.servers.first(where: { $0.engine == .postgres }),
              let redis = stack.plan.servers.first(where: { $0.engine == .redis }) else { throw EngineError("no PostgreSQL or Redis server") }
        self.pg = pg
        self.redis = redis
        let r = try RedisConnection(port: redis.port)
        try r.select(0)
        try r.command(["SET", "survivor", "yes"])
        try r.command(["SAVE"])
    }

    var postmaster: pid_t? {
        (try? String(contentsOfFile: "\(stack.paths.pgData(pg.name))/postmaster.pid", encoding: .utf8))
            .flatMap { $0.split(separator: "\n").first }.flatMap { pid_t($0) }
    }

    var redisServer: pid_t? {
        (try? String(contentsOfFile: "\(stack.paths.redisDir(redis.name))/redis.pid", encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// kill -9 of each and its children at once (a crash of the whole server: a PostgreSQL
    /// backend outlives its postmaster for a moment and may still commit a COPY it was reading),
    /// then until they are reaped (a zombie still holds its pid, and PostgreSQL then takes
    /// postmaster.pid for a live server): by this process when a server is its child (a stack
    /// brought up in-process), else by init; at most 10 s.
    static func kill9(_ servers: [pid_t]) {
        let pids = servers + children(of: Set(servers))
        for pid in pids { kill(pid, SIGKILL) }
        _ = Subprocess.waitForExit(pids, within: 10) { !pids.contains { kill($0, 0) == 0 } }
    }

    /// Processes whose parent is one of `parents` (from /proc/<pid>/stat).
    static func children(of parents: Set<pid_t>) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]).map(parents.contains) == true ? pid : nil
        }
    }

    /// ulm's seeded users and the saved Redis key, through `stack` (the same servers).
    func dataIsIntact(_ stack: NativeStack) throws -> Bool {
        guard let ulm = stack.plan.instance("ulm")?.database else { return false }
        let conn = try PGConnection(PGConnectionParameters(port: pg.port, user: ulm.role, password: stack.secrets[ulm.secret.variable], database: ulm.database))
        let r = try RedisConnection(port: redis.port)
        try r.select(0)
        return try conn.exec("SELECT count(*) FROM \(ulm.tablePrefix ?? "")users").rows.first?.first == "3"
            && r.command(["GET", "survivor"]) == .string("yes")
    }
}

