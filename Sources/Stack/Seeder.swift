import Foundation
import Statements
import Topology

/// One seed file's outcome.
public struct SeedResult: Sendable, Codable {
    public enum Outcome: String, Sendable, Codable { case loaded, unchanged, changed, skipped }
    public var instance: String
    public var file: String
    public var outcome: Outcome
    public var rows: Int?
    /// Why a file was skipped.
    public var note: String?

    public init(instance: String, file: String, outcome: Outcome, rows: Int? = nil, note: String? = nil) {
        self.instance = instance
        self.file = file
        self.outcome = outcome
        self.rows = rows
        self.note = note
    }
}

public struct SeedError: Error, CustomStringConvertible, Sendable {
    public var instance: String
    public var file: String
    public var line: Int?
    public var message: String
    /// The server's code for the failure: the SQLSTATE (PostgreSQL), the error number (MySQL).
    public var code: String? = nil
    public var description: String {
        "seed \(file)\(line.map { ":\($0)" } ?? "") for \(instance): \(message) (rolled back: nothing of this file was loaded)"
    }
}

/// `ovudev seed`: each instance's seed files, in name order, as the service's own role in its
/// own database; every file in one transaction with its record in `ovudev_seeds`, so a second
/// run loads nothing and a failing file leaves nothing behind.
public struct Seeder: Sendable {
    public let plan: Plan
    public let projectDirectory: String
    public let secrets: [String: String]

    public init(plan: Plan, projectDirectory: String, secrets: [String: String]) {
        self.plan = plan
        self.projectDirectory = projectDirectory
        self.secrets = secrets
    }

    /// The files of an instance's `seed` entries: folders list their .sql and .csv files by name.
    public func files(for instance: ServiceInstance) throws -> [String] {
        var files: [String] = []
        for entry in instance.seed {
            let path = (projectDirectory as NSString).appendingPathComponent(entry)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw SeedError(instance: instance.name, file: entry, line: nil, message: "no such file or folder")
            }
            if isDir.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                    .filter { $0.hasSuffix(".sql") || $0.hasSuffix(".csv") }.sorted()
                files += names.map { "\(entry)/\($0)" }
            } else {
                files.append(entry)
            }
        }
        return files
    }

    /// Services whose seeds load at once, each over its own connection.
    public var parallelism = Int(ProcessInfo.processInfo.environment["OVUDEV_SEED_PARALLELISM"] ?? "") ?? 4

    /// Seeds the instances (all, or those of `service`), `force` reloading files already loaded.
    /// Instances load at once (up to `parallelism`), each its own files one after another in name
    /// order (a later file may need an earlier one); the results come in the plan's order. A
    /// failing file rolls back; the other instances finish, then the first failure in the plan's
    /// order is thrown.
    public func seed(service: String? = nil, force: Bool = false, progress: (String) -> Void = { _ in }) throws -> [SeedResult] {
        var items: [Item] = []
        for instance in plan.instances where service == nil || instance.service == service {
            guard !instance.seed.isEmpty else { continue }
            guard let db = instance.database, let server = plan.server(db.server) else {
                items.append(.skipped(SeedResult(instance: instance.name, file: instance.seed.joined(separator: ", "), outcome: .skipped,
                                                 note: "\(instance.name) owns no database")))
                continue
            }
            items.append(.load(instance, db, server))
        }
        // The loads run on other threads; their progress lines come back to this one.
        let relay = ProgressRelay()
        let seeder = self, workers = parallelism, work = items
        let loading = OnThread { () -> Result<[Result<[SeedResult], Error>], Error> in
            defer { relay.finish() }
            return Result {
                try concurrentlyCollecting(work, workers: workers) { item, _ in
                    switch item {
                    case let .skipped(result): return [result]
                    case let .load(instance, db, server):
                        return try EngineModules.module(db.engine).seed(instance, into: db, on: server, by: seeder, force: force, progress: relay.add)
                    }
                }
            }
        }
        relay.relay(to: progress)
        return try loading.wait().get().flatMap { try $0.get() }
    }

    /// One instance's share of a seed run.
    enum Item: Sendable {
        case skipped(SeedResult)
        case load(ServiceInstance, DatabaseAccess, PlannedServer)
    }

    static func checksum(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SeedError(instance: "", file: path, line: nil, message: "cannot read") }
        defer { try? handle.close() }
        let hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hash.update(chunk)
        }
        return hash.finalize()
    }

    /// The table a CSV file loads into: its name without an ordering prefix (`02-users.csv` → `users`).
    static func tableName(for file: String) -> String {
        var name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        if let dash = name.firstIndex(where: { $0 == "-" || $0 == "_" }), name[..<dash].allSatisfy(\.isNumber), dash != name.startIndex {
            name = String(name[name.index(after: dash)...])
        }
        return name
    }
}

/// Feeds chunks handed over in order into a SHA-256 on a serial queue of its own.
final class ChunkHasher: @unchecked Sendable {
    private let queue = DispatchQueue(label: "ovudev.seed.hash")
    private let hash: SHA256  // the caller does not touch it between `init` and `finish`

    init(_ hash: SHA256) { self.hash = hash }

    func add(_ chunk: Data) {
        queue.async { self.hash.update(chunk) }
    }

    /// Waits for every chunk added so far to be in the hash.
    func finish() { queue.sync {} }
}

/// Lines added on any thread, handed to a `progress` on the thread that relays them.
final class ProgressRelay: @unchecked Sendable {
    private let lock = NSLock()
    private let signal = DispatchSemaphore(value: 0)
    private var lines: [String] = []
    private var finished = false

    func add(_ line: String) {
        lock.lock(); lines.append(line); lock.unlock()
        signal.signal()
    }

    /// After the last `add`.
    func finish() {
        lock.lock(); finished = true; lock.unlock()
        signal.signal()
    }

    /// Calls `progress` with every line in order until `finish`.
    func relay(to progress: (String) -> Void) {
        while true {
            signal.wait()
            lock.lock()
            let batch = lines, done = finished
            lines = []
            lock.unlock()
            batch.forEach(progress)
            if done { return }
        }
    }
}
