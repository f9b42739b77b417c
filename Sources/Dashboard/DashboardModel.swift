import Foundation
import Renderers
import Stack
import Topology
import Workspace

/// What the dashboard shows of one running native stack, read on demand: status with details,
/// logs, seeds, backups, the isolation check. Holds the stack's secrets (to check, seed, back up
/// and mask) and never puts one in anything it returns: `redact` is the last line of defense for
/// every body the server sends.
public final class DashboardModel: @unchecked Sendable {
    public let stack: NativeStack
    private let lock = NSLock()
    private var lastPids: [String: Int32] = [:]
    private var restarts: [String: Int] = [:]
    private var lastCheck: CheckOutput?
    /// Secret values long enough to look for in outputs (a 1-character value would redact everything).
    private let secretValues: [String]

    public init(stack: NativeStack) throws {
        self.stack = stack
        try? stack.loadSecrets(create: false)
        secretValues = stack.secrets.values.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    public var scenario: String { stack.plan.scenario }

    /// Every secret value in `text` replaced by `********`.
    public func redact(_ text: String) -> String {
        var out = text
        for secret in secretValues where out.contains(secret) { out = out.replacingOccurrences(of: secret, with: "********") }
        // In URLs secrets are percent-encoded.
        for secret in secretValues {
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != secret, out.contains(encoded) {
                out = out.replacingOccurrences(of: encoded, with: "********")
            }
        }
        return out
    }

    // MARK: - Status

    public func status() -> StatusOutput {
        let s = stack.status()
        return StatusOutput(scenario: stack.plan.scenario, servers: s.servers, services: s.instances,
                            move: Mover.inProgress(projectDirectory: stack.project.directory))
    }

    /// Status, uptimes, restarts seen and masked environments; counts a restart whenever an
    /// instance's pid differs from the last one seen.
    public func state() -> DashboardState {
        let status = status()
        var details: [ServiceDetail] = []
        lock.lock()
        for service in status.services {
            if let pid = service.pid {
                if let last = lastPids[service.instance], last != pid { restarts[service.instance, default: 0] += 1 }
                lastPids[service.instance] = pid
            }
            details.append(ServiceDetail(instance: service.instance, startedAt: service.pid.flatMap(Self.startTime),
                                         restarts: restarts[service.instance] ?? 0, environment: maskedEnvironment(service.instance)))
        }
        lock.unlock()
        var servers: [String: Int] = [:]
        for server in stack.plan.servers {
            if let pid = serverPid(server), let started = Self.startTime(pid) { servers[server.name] = started }
        }
        return DashboardState(status: status, details: details, serverStartedAt: servers)
    }

    /// The instance's environment as `ovudev env` prints it: every secret part `********`.
    func maskedEnvironment(_ name: String) -> [String: String] {
        guard let instance = stack.plan.instance(name) else { return [:] }
        var env: [String: String] = [:]
        for variable in instance.environment {
            let masked = EnvValue(variable.host.parts.map { part in
                if case .secret = part { return .text("********") }
                return part
            })
            env[variable.key] = ServiceProcesses.resolve(masked, [:])
        }
        return env
    }

    func serverPid(_ server: PlannedServer) -> Int32? {
        let file: String
        switch server.engine {
        case .postgres: file = "\(stack.paths.pgData(server.name))/postmaster.pid"
        case .redis: file = "\(stack.paths.redisDir(server.name))/redis.pid"
        case .mysql: file = stack.paths.mysqlPid(server.name)
        default: return nil
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)),
              Subprocess.isAlive(pid) else { return nil }
        return pid
    }

    /// When a process started, in seconds since 1970 (from /proc: boot time + its start in ticks).
    static func startTime(_ pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, starttime field 22.
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        guard let procStat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let btime = procStat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") })
                .flatMap({ Double($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) }) else { return nil }
        return Int(btime + ticks / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    // MARK: - Topology

    public func topologySVG() -> String { GraphSVG.render(TopologyGraph(plan: stack.plan)) }

    // MARK: - Check

    /// The last check's result, if one ran.
    public var cachedCheck: CheckOutput? { lock.lock(); defer { lock.unlock() }; return lastCheck }

    /// The last check's result, running one first when there is none.
    public func check(rerun: Bool) throws -> CheckOutput {
        lock.lock()
        let cached = lastCheck
        lock.unlock()
        if let cached, !rerun { return cached }
        let report = try stack.checker().run()
        let output = CheckOutput(report)
        lock.lock()
        lastCheck = output
        lock.unlock()
        return output
    }

    // MARK: - Logs

    /// Log names (file names without `.log`): services, migrations (`x.migrate`) and servers.
    public func logNames() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: stack.paths.logs)) ?? []
        return files.filter { $0.hasSuffix(".log") }.map { String($0.dropLast(4)) }.sorted()
    }

    /// The file of a log name, or nil when there is no such log (no paths from outside are used).
    public func logFile(_ name: String) -> String? {
        guard logNames().contains(name) else { return nil }
        return "\(stack.paths.logs)/\(name).log"
    }

    /// The last `count` lines of a log, those containing `filter` (case-insensitive) if given.
    public func tail(_ name: String, count: Int = 1000, filter: String? = nil) -> LogTail? {
        guard let file = logFile(name) else { return nil }
        let (lines, truncated) = Self.lastLines(of: file, count: count, filter: filter)
        return LogTail(name: name, lines: lines, truncated: truncated)
    }

    static func lastLines(of file: String, count: Int, filter: String?) -> ([String], Bool) {
        guard let handle = FileHandle(forReadingAtPath: file) else { return ([], false) }
        defer { try? handle.close() }
        // Read at most the last 4 MiB: enough for 1,000 lines of any sane log.
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > 4 << 20 ? size - (4 << 20) : 0
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if start > 0, !lines.isEmpty { lines.removeFirst() }
        if let filter, !filter.isEmpty { lines = lines.filter { $0.range(of: filter, options: .caseInsensitive) != nil } }
        return (Array(lines.suffix(count)), lines.count > count || start > 0)
    }

    // MARK: - Data

    public func seeds() -> SeedsOutput {
        let seeder = Seeder(plan: stack.plan, projectDirectory: stack.project.directory, secrets: stack.secrets)
        var out: [SeedsOutput.Instance] = []
        for instance in stack.plan.instances where !instance.seed.isEmpty {
            let files = (try? seeder.files(for: instance)) ?? instance.seed
            var entry = SeedsOutput.Instance(instance: instance.name, files: files, applied: [], note: nil)
            guard let db = instance.database, let server = stack.plan.server(db.server) else {
                entry.note = "owns no database"
                out.append(entry)
                continue
            }
            guard db.engine == .postgres else {
                entry.note = "records of \(db.engine.rawValue) seeds are not read here; `ovudev seed` reports them"
                out.append(entry)
                continue
            }
            do {
                let conn = try PGConnection(PGConnectionParameters(host: server.hostAddress, port: server.port, user: db.role, password: stack.secrets[db.secret.variable], database: db.database))
                let table = "\(db.schema.map { "\"\($0)\"." } ?? "")\"\(db.tablePrefix ?? "")ovudev_seeds\""
                let rows = try conn.exec("SELECT file, checksum, rows, to_char(loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM \(table) ORDER BY file").rows
                entry.applied = rows.map { SeedsOutput.Record(file: $0[0] ?? "", checksum: $0[1], rows: $0[2].flatMap { Int($0) }, loadedAt: $0[3]) }
            } catch {
                entry.note = "cannot read the seed records: \(error)"
            }
            out.append(entry)
        }
        return SeedsOutput(instances: out)
    }

    public var backupsDirectory: String {
        let dir = stack.plan.backups.dir
        return dir.hasPrefix("/") ? dir : (stack.project.directory as NSString).appendingPathComponent(dir)
    }

    public func backups() -> BackupsOutput {
        let fm = FileManager.default
        let root = backupsDirectory
        var files: [BackupsOutput.File] = []
        let formatter = ISO8601DateFormatter()
        for server in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            for target in ((try? fm.contentsOfDirectory(atPath: "\(root)/\(server)")) ?? []).sorted() {
                for name in ((try? fm.contentsOfDirectory(atPath: "\(root)/\(server)/\(target)")) ?? []).sorted() {
                    let path = "\(root)/\(server)/\(target)/\(name)"
                    guard let attributes = try? fm.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular else { continue }
                    files.append(BackupsOutput.File(server: server, target: target, name: name,
                                                    bytes: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
                                                    modified: formatter.string(from: attributes[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0))))
                }
            }
        }
        let snapshotsDir = "\(stack.paths.root)/snapshots"
        let snapshots = ((try? fm.contentsOfDirectory(atPath: snapshotsDir)) ?? []).filter { name in
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: "\(snapshotsDir)/\(name)", isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
        return BackupsOutput(directory: root, files: files, snapshots: snapshots)
    }
}
