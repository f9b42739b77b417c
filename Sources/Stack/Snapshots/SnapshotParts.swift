import Foundation
import Statements
import Topology

/// One server's data in a snapshot, and how each engine's is taken:
/// - PostgreSQL: CHECKPOINT (so the shutdown checkpoint has little left to write), a fast shutdown
///   (SIGINT, as `pg_ctl stop -m fast`), `cp -a --reflink=auto` of the data folder (on ext4 a plain copy), start again;
/// - MySQL (MariaDB): stop (a clean InnoDB shutdown), copy of the data folder, start again;
/// - Redis: `SAVE`, then copy `dump.rdb` and `appendonlydir` (the native redis.conf has
///   `appendonly yes`, so the AOF is what a start loads) while the server keeps running:
///   the services that could write to it are stopped during the save.
/// The folder `live` is what a restore swaps by rename.
struct SnapshotPart {
    let server: PlannedServer
    /// The folder a restore replaces.
    let live: String
    /// Its place inside the snapshot folder.
    let stored: String
    /// For Redis: the entries of `live` that are copied (the rest — pid file — is not data).
    let entries: [String]?
    /// Whether the server stops while its data is copied.
    let stopsServer: Bool
    let method: String

    static let redisEntries = ["dump.rdb", "appendonlydir", "redis.conf"]

    static func parts(of plan: Plan, paths: StackPaths) throws -> [SnapshotPart] {
        try plan.servers.map { server in
            if let host = server.host {
                throw SnapshotError.unsupported("server \(server.name) is an existing server at \(host) (servers.\(server.name).host), whose data ovudev does not hold; snapshots cover the servers ovudev runs")
            }
            switch server.engine {
            case .postgres:
                return SnapshotPart(server: server, live: paths.pgData(server.name), stored: "postgres/\(server.name)/data", entries: nil,
                                    stopsServer: true, method: "CHECKPOINT, fast shutdown, cp -a --reflink=auto of the data folder (of pg_wal only the last checkpoint's segment), start")
            case .mysql:
                return SnapshotPart(server: server, live: paths.mysqlData(server.name), stored: "mysql/\(server.name)/data", entries: nil,
                                    stopsServer: true, method: "clean shutdown, cp -a --reflink=auto of the data folder, start")
            case .redis:
                return SnapshotPart(server: server, live: paths.redisDir(server.name), stored: "redis/\(server.name)", entries: redisEntries,
                                    stopsServer: false, method: "SAVE, cp -a --reflink=auto of dump.rdb and appendonlydir (server running)")
            case .mongodb:
                throw SnapshotError.unsupported("server \(server.name) is MongoDB, which the native engine does not run; snapshots cover PostgreSQL, MySQL and Redis")
            }
        }
    }

    /// What it holds, for `snapshot list`.
    func holds(plan: Plan) -> [String] {
        switch server.engine {
        case .redis:
            return plan.instances.compactMap { i in i.redis.flatMap { $0.server == server.name ? "db \($0.index) (\(i.name))" : nil } }
        default:
            return server.databases.map(\.name)
        }
    }

    /// Readies the server for a consistent copy (before it is stopped, or instead of stopping).
    func quiesce(on stack: NativeStack) throws {
        switch server.engine {
        case .postgres:
            let socket = stack.adminSockets[server.name]
            let su = Superuser(server, secrets: stack.secrets)
            let conn = try su.connect(database: "postgres", socket: socket)
            _ = try conn.exec("CHECKPOINT")
        case .redis:
            let r = try RedisConnection.admin(server, secrets: stack.secrets, timeoutSeconds: 60)
            _ = try r.command(["SAVE"])
        default:
            break
        }
    }

    /// Copies a stopped PostgreSQL data folder without the WAL segments a start does not read:
    /// after a clean shutdown only the segment of the last checkpoint (`pg_controldata`'s REDO
    /// WAL file) is needed; the older ones (kept for min_wal_size) and recycled ones are not.
    /// Falls back to the whole folder when pg_controldata cannot tell.
    static func copyPostgres(from source: String, to destination: String) throws {
        guard let bin = NativeEngine.postgresBinDir(),
              let r = try? Subprocess.run(["\(bin)/pg_controldata", "-D", source], user: NativeEngine.serverAccount(for: .postgres)), r.status == 0,
              r.output.contains("Database cluster state:               shut down"),
              let line = r.output.split(separator: "\n").first(where: { $0.hasPrefix("Latest checkpoint's REDO WAL file:") }),
              let redo = line.split(separator: " ").last.map(String.init), redo.count == 24
        else { return try copy(from: source, entries: nil, to: destination) }
        let fm = FileManager.default
        let top = try fm.contentsOfDirectory(atPath: source).filter { $0 != "pg_wal" }
        try copy(from: source, entries: top, to: destination)
        let wal = try fm.contentsOfDirectory(atPath: "\(source)/pg_wal").filter { name in
            !(name.count == 24 && name.allSatisfy(\.isHexDigit)) || name == redo
        }
        try copy(from: "\(source)/pg_wal", entries: wal, to: "\(destination)/pg_wal")
    }

    /// Copies the live data into `destination` (a folder inside the snapshot, or a staging folder).
    static func copy(from source: String, entries: [String]?, to destination: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var argv = ["cp", "-a", "--reflink=auto"]
        if let entries {
            try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
            try copyOwnerAndMode(of: source, to: destination)
            let present = entries.map { "\(source)/\($0)" }.filter { fm.fileExists(atPath: $0) }
            if present.isEmpty { return }
            argv += present + [destination + "/"]
        } else {
            argv += [source, destination]
        }
        let r = try Subprocess.run(argv)
        guard r.status == 0 else { throw EngineError("copy of \(source) failed: \(r.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
    }

    static func copyOwnerAndMode(of source: String, to destination: String) throws {
        var info = stat()
        guard stat(source, &info) == 0 else { return }
        chmod(destination, info.st_mode & 0o7777)
        if Subprocess.isRoot { _ = chown(destination, info.st_uid, info.st_gid) }
    }

    /// Bytes under `paths` (`du -sb`); 0 for paths that do not exist.
    static func bytes(_ paths: [String]) -> Int64 {
        let present = paths.filter { FileManager.default.fileExists(atPath: $0) }
        guard !present.isEmpty, let r = try? Subprocess.run(["du", "-sbc"] + present), r.status == 0 else { return 0 }
        let total = r.output.split(separator: "\n").last.flatMap { $0.split(separator: "\t").first }.flatMap { Int64($0) }
        return total ?? 0
    }

    var liveEntries: [String] { entries.map { $0.map { "\(live)/\($0)" } } ?? [live] }
}

extension Array {
    /// `body` for every element on up to `width` threads; the first error is rethrown after all finish.
    func concurrentForEach(width: Int = 4, _ body: @escaping @Sendable (Element) throws -> Void) throws where Element: Sendable {
        let errors = ErrorBox()
        let semaphore = DispatchSemaphore(value: width)
        let group = DispatchGroup()
        for element in self {
            semaphore.wait()
            group.enter()
            DispatchQueue.global().async {
                defer { semaphore.signal(); group.leave() }
                do { try body(element) } catch { errors.add(error) }
            }
        }
        group.wait()
        if let first = errors.first { throw first }
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ error: Error) { lock.lock(); errors.append(error); lock.unlock() }
    var first: Error? { lock.lock(); defer { lock.unlock() }; return errors.first }
}

extension SnapshotPart: @unchecked Sendable {}
