import Foundation
import Statements
import Topology

/// `ovudev backup` and `ovudev restore` on the native stack: the crontab's commands (the same
/// BackupCommand), run now into `<backups>/<server>/<target>/<target>-<UTC time>.<ext>`; a dump
/// restored into a scratch database and compared table by table; a restore that keeps what it
/// replaces until the restored data passes the checks.
public final class BackupRunner {
    public let plan: Plan
    public let secrets: [String: String]
    public let backupsDirectory: String
    /// Private folder for the credential files of running commands (`.ovu/<scenario>`).
    public let stateDirectory: String
    public let progress: (String) -> Void
    /// Seconds between progress lines while a dump runs.
    public var progressInterval: Double = 2
    /// How ovudev reaches the servers: the provisioner and checker that restores run.
    var maintenance: Maintenance
    var scratchCounter = 0

    public init(plan: Plan, secrets: [String: String], backupsDirectory: String, stateDirectory: String, progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.secrets = secrets
        self.backupsDirectory = backupsDirectory
        self.stateDirectory = stateDirectory
        self.progress = progress
        maintenance = Maintenance(plan: plan, secrets: secrets, paths: StackPaths(root: stateDirectory))
    }

    /// For a stack whose secrets are loaded: backups in the topology's `backups.dir`.
    public convenience init(stack: NativeStack) {
        let dir = stack.plan.backups.dir
        let backups = dir.hasPrefix("/") ? dir : (stack.project.directory as NSString).appendingPathComponent(dir)
        self.init(plan: stack.plan, secrets: stack.secrets, backupsDirectory: backups, stateDirectory: stack.paths.root, progress: stack.progress)
        maintenance = stack.maintenance
    }

    // MARK: - Targets

    /// The targets a name stands for: all (nil), a target (`ovu_db.ulm`, `postgres/ovu_db.ulm`),
    /// a server, or a service or instance (its database or schema, and its Redis server). Nil
    /// when the name matches nothing.
    public func targets(matching name: String?) -> [BackupTarget]? {
        let all = plan.backups.targets
        guard let name else { return all }
        let direct = all.filter { $0.name == name || BackupCommand.folder($0) == name }
        if !direct.isEmpty { return direct }
        let onServer = all.filter { $0.server == name }
        if !onServer.isEmpty { return onServer }
        let instances = plan.instances.filter { $0.name == name || $0.service == name }
        guard !instances.isEmpty else { return nil }
        let found = all.filter { t in instances.contains { Self.holds(t, $0) } }
        return found.isEmpty ? nil : found
    }

    /// Whether a target holds an instance's data.
    static func holds(_ t: BackupTarget, _ i: ServiceInstance) -> Bool {
        if t.kind == .redisRDB { return i.redis?.server == t.server }
        guard let db = i.database, db.server == t.server, db.database == t.database else { return false }
        return t.schema == nil || t.schema == db.schema
    }

    /// Names accepted by `targets(matching:)`, for error messages.
    public var targetNames: [String] {
        var names = plan.backups.targets.map(\.name)
        for i in plan.instances where !names.contains(i.service) { names.append(i.service) }
        return names
    }

    /// The target whose folder holds `file` (`<backups>/<server>/<target>/…`), if any.
    public func target(ofFile file: String) -> BackupTarget? {
        let url = URL(fileURLWithPath: file).standardizedFileURL
        let dir = url.deletingLastPathComponent()
        return plan.backups.targets.first { t in
            dir.lastPathComponent == t.name && dir.deletingLastPathComponent().lastPathComponent == t.server
                && BackupCommand.stamp(ofFile: url.lastPathComponent, t) != nil
        } ?? plan.backups.targets.first { t in
            dir.lastPathComponent == t.name && dir.deletingLastPathComponent().lastPathComponent == t.server
        }
    }

    public func folder(_ t: BackupTarget) -> String { (backupsDirectory as NSString).appendingPathComponent(BackupCommand.folder(t)) }

    /// The target's dumps, oldest first (by the time in their names).
    public func dumps(of t: BackupTarget) -> [String] {
        let dir = folder(t)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap { name -> (String, String, Int)? in
            guard let stamp = BackupCommand.stamp(ofFile: name, t) else { return nil }
            let parts = stamp.split(separator: "-", maxSplits: 1)
            return (name, String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 0 : 1)
        }
        return names.sorted { ($0.1, $0.2) < ($1.1, $1.2) }.map { (dir as NSString).appendingPathComponent($0.0) }
    }

    public func latest(_ t: BackupTarget) -> String? { dumps(of: t).last }

    // MARK: - Backup

    /// Runs the target's BackupCommand now. `snapshot`: pg_dump reads that exported snapshot
    /// (for --verify, so that the source is compared in the same state).
    public func backup(_ target: BackupTarget, snapshot: String? = nil) throws -> BackupFile {
        guard let command = BackupCommand.make(target, plan: plan), let server = plan.server(target.server) else {
            throw EngineError("backup target \(target.name): no server \(target.server)")
        }
        let module = EngineModules.module(dumping: target.kind)
        if let refusal = module.dumpRefusal(program: command.program) { throw EngineError("\(target.name): \(refusal)") }
        guard Subprocess.which(command.program) != nil else {
            throw EngineError("\(target.name): \(command.program) is not installed (\(module.clientInstallCommand))")
        }
        let dir = folder(target)
        try makePrivateDirectory(dir)
        let now = Date()
        var path = (dir as NSString).appendingPathComponent(BackupCommand.fileName(target, date: now))
        var n = 1
        while FileManager.default.fileExists(atPath: path) || FileManager.default.fileExists(atPath: path + ".part") {
            n += 1
            let name = BackupCommand.fileName(target, date: now)
            let base = String(name.dropLast(target.fileExtension.count + 1))
            path = (dir as NSString).appendingPathComponent("\(base)-\(n).\(target.fileExtension)")
        }
        let part = path + ".part"
        // Created private before the tool opens it (pg_dump truncates, redis-cli overwrites).
        guard FileManager.default.createFile(atPath: part, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw EngineError("cannot write \(part)")
        }
        defer { try? FileManager.default.removeItem(atPath: part) }
        // mysqldump writes plain SQL, gzipped afterwards as the crontab does: never a .gz of a
        // failed dump.
        let written = command.gzip ? path + ".raw" : part
        if command.gzip {
            guard FileManager.default.createFile(atPath: written, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw EngineError("cannot write \(written)")
            }
        }
        defer { if command.gzip { try? FileManager.default.removeItem(atPath: written) } }
        let credentials = try credentialFile(command)
        defer { if let credentials { try? FileManager.default.removeItem(atPath: credentials) } }
        var argv = command.argv(output: written, credentials: credentials)
        if let snapshot { argv.insert("--snapshot=\(snapshot)", at: 1) }
        var environment = Self.cleanEnvironment()
        environment.merge(command.environment(credentials: credentials)) { $1 }
        progress("backup \(target.name): \(command.program) from \(server.name) (127.0.0.1:\(server.port))")
        let restoreDelay = module.prepareDump(server, secrets: secrets)
        defer { restoreDelay?() }
        let start = Date()
        let result = try runWatching(argv, environment: environment, file: written, label: target.name)
        guard result.status == 0 else {
            throw EngineError("backup \(target.name): \(command.program) failed (exit \(result.status)):\n\(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        if command.gzip {
            let zipped = try Subprocess.run(["sh", "-c", "exec gzip -c -n -- \"$1\" > \"$2\"", "sh", written, part])
            guard zipped.status == 0 else { throw EngineError("backup \(target.name): gzip failed (exit \(zipped.status)): \(zipped.output)") }
        }
        let seconds = Date().timeIntervalSince(start)
        let bytes = Self.size(part)
        guard bytes > 0 else { throw EngineError("backup \(target.name): \(command.program) wrote nothing:\n\(result.output)") }
        guard rename(part, path) == 0 else { throw EngineError("cannot rename \(part): \(String(cString: strerror(errno)))") }
        let file = BackupFile(target: target.name, server: target.server, kind: target.kind.rawValue, path: path, bytes: bytes, seconds: seconds)
        try upload(file)
        return file
    }

    /// Dumps and verifies, each engine its own way (PostgreSQL from an exported snapshot, the
    /// others comparing the source before and after the dump).
    public func backupAndVerify(_ target: BackupTarget) throws -> (BackupFile, VerifyReport) {
        try EngineModules.module(dumping: target.kind).backupAndVerify(target, by: self)
    }

    /// Dumps `target` with its source measured right before and after (nothing holds it still):
    /// `verify` gets the measure when the two agree, else nil, and the report a `note`.
    func backupComparing<Measure: Equatable>(_ target: BackupTarget, source measure: () throws -> Measure,
                                             note: (Measure, Measure) -> String,
                                             verify: (String, Measure?) throws -> VerifyReport) throws -> (BackupFile, VerifyReport) {
        let before = try measure()
        let file = try backup(target)
        let after = try measure()
        var report = try verify(file.path, before == after ? before : nil)
        if before != after { report.note = note(before, after) }
        return (file, report)
    }

    /// A new scratch database name for a verify: `ovu_verify_<pid>_<n>`.
    func scratchName() -> String {
        scratchCounter += 1
        return Self.truncated("ovu_verify_\(getpid())_\(scratchCounter)")
    }

    // MARK: - Verify

    /// Restores `file` into a scratch database on the target's server and compares every table
    /// with `expected` (default: the live source now), then drops the scratch database.
    public func verify(file: String, target: BackupTarget, expected: [String: Fingerprint]? = nil, expectedKeys: Int64? = nil) throws -> VerifyReport {
        try EngineModules.module(dumping: target.kind).verify(file: file, target: target, by: self, expected: expected, expectedKeys: expectedKeys)
    }

    static func compare(_ want: [String: Fingerprint], _ got: [String: Fingerprint], target: String) -> [TableCheck] {
        Set(want.keys).union(got.keys).sorted().map { name in
            let a = want[name], b = got[name]
            let status: TableCheck.Status = a == nil ? .extra : b == nil ? .missing : a == b ? .same : .different
            return TableCheck(target: target, object: name, sourceRows: a?.rows, restoredRows: b?.rows,
                              sourceChecksum: a?.checksum, restoredChecksum: b?.checksum, status: status)
        }
    }

    // MARK: - Restore

    /// Restores `file` (a dump of `target`): into a new database `into`, or by default in place
    /// of the target's database (schema in single-db). In place, what the dump replaces is kept
    /// under another name until the dump restored completely, provisioning converged the
    /// grants and settings, and the checks of the service passed; then it is dropped. On any
    /// failure the original is put back.
    public func restore(file: String, target: BackupTarget, into: String? = nil) throws -> RestoreReport {
        try EngineModules.module(dumping: target.kind).restore(file: file, target: target, into: into, by: self)
    }

    /// After a restore: the checks (with ovudev's maintenance logins), and the findings about
    /// the services whose data `target` holds and about the roles that read it. Throws when one
    /// of those fails.
    func checkRestored(_ target: BackupTarget, readers: [String] = []) throws -> (check: CheckReport, mine: CheckReport) {
        progress("restore \(target.name): check")
        let check = try maintenance.checker().run()
        let instances = plan.instances.filter { Self.holds(target, $0) }
        let subjects = Set(instances.map(\.name) + instances.compactMap { $0.database?.role } + readers + ["PUBLIC"])
        let mine = check.findings.filter { subjects.contains($0.subject) }
        let failed = mine.filter { ($0.status == .leak || $0.status == .fail) && $0.check != "health" }
        if !failed.isEmpty {
            throw EngineError("the restored \(target.name) does not pass the checks:\n" + failed.map { "\($0.status.rawValue.uppercased()) \($0.subject) \($0.check): \($0.detail)" }.joined(separator: "\n"))
        }
        return (check, CheckReport(findings: mine))
    }

    /// At most 63 bytes (PostgreSQL's identifier length), `reserve` bytes left for a suffix.
    static func truncated(_ name: String, reserve: Int = 0) -> String {
        var out = name
        while out.utf8.count > 63 - reserve { out.removeLast() }
        return out
    }

    // MARK: - Processes and files

    /// The environment for the dump tools: ours without libpq's PG* variables (a PGPASSWORD or
    /// PGHOST of the user's must not redirect or authenticate the dump).
    static func cleanEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
    }

    /// The credential file a command reads, written private for this run; nil when it needs none.
    func credentialFile(_ command: BackupCommand) throws -> String? {
        guard let file = command.credentials else { return nil }
        guard let ref = command.secret, let password = secrets[ref.variable] else {
            throw EngineError("no password for \(command.target.server) (\(command.secret?.variable ?? "?")); external secrets: export it")
        }
        return try writeCredentials(file.text(password: password))
    }

    func writeCredentials(_ text: String) throws -> String {
        let dir = (stateDirectory as NSString).appendingPathComponent("backup")
        try makePrivateDirectory(dir)
        let path = (dir as NSString).appendingPathComponent("credentials-\(getpid())-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw EngineError("cannot write \(path)")
        }
        return path
    }

    func makePrivateDirectory(_ path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Runs a program to completion on another thread; every `progressInterval` seconds reports
    /// how much of `file` was written so far.
    func runWatching(_ argv: [String], environment: [String: String], file: String?, label: String) throws -> Subprocess.Result {
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.result = Result(catching: { try Subprocess.run(argv, environment: environment) })
            done.signal()
        }
        thread.start()
        let start = Date()
        while done.wait(timeout: .now() + progressInterval) == .timedOut {
            let elapsed = String(format: "%.0f s", Date().timeIntervalSince(start))
            progress(file.map { "\(label): \(Self.formatBytes(Self.size($0))) written, \(elapsed)" } ?? "\(label): \(elapsed)")
        }
        return try box.result!.get()
    }

    public static func formatBytes(_ n: Int64) -> String {
        if n < 1024 { return "\(n) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(n) / 1024, i = 0
        while value >= 1024 && i < units.count - 1 { value /= 1024; i += 1 }
        return String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[i])
    }
}

private final class ResultBox: @unchecked Sendable {
    var result: Result<Subprocess.Result, Error>?
}
