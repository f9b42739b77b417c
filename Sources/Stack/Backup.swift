import Foundation
import Statements
import Topology
import Workspace

/// One dump written by `ovudev backup`.
public struct BackupFile: Sendable, Codable {
    public var target: String
    public var server: String
    public var kind: String
    public var path: String
    public var bytes: Int64
    public var seconds: Double
}

/// One table (or sequence, or a Redis server's keys) compared between the source and the dump
/// restored into a scratch database.
public struct TableCheck: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case same, different, missing, extra }
    public var target: String
    /// `ulm.users`, `sequence ulm.users_id_seq`, `keys (all indexes)`.
    public var object: String
    public var sourceRows: Int64?
    public var restoredRows: Int64?
    public var sourceChecksum: String?
    public var restoredChecksum: String?
    public var status: Status
}

public struct VerifyReport: Sendable, Codable {
    public var target: String
    public var file: String
    /// Why the dump could not be restored (damaged, truncated, not a dump); nil when it was.
    public var error: String?
    public var tables: [TableCheck]
    public var note: String?
    public var differences: Int { tables.filter { $0.status != .same }.count + (error == nil ? 0 : 1) }
    public var passed: Bool { differences == 0 }
}

/// A table's row count and content checksum: md5 over the md5 of every row's text, in primary
/// key order (rows of tables without one in the order of their own hashes).
public struct Fingerprint: Sendable, Codable, Equatable {
    public var rows: Int64?
    public var checksum: String?
}

public struct RestoreReport: Sendable {
    public struct Table: Sendable, Codable { public var name: String; public var rows: Int64? }
    public var target: String
    public var file: String
    public var database: String
    public var schema: String?
    /// The restored tables (and sequences) with their fingerprints.
    public var fingerprints: [String: Fingerprint]
    /// What held the data before, when it could not be dropped (kept for the user).
    public var kept: String?
    public var notes: [String] = []
    public var check: CheckReport?
    /// The check findings that concern the restored service (the restore is undone when they fail).
    public var serviceCheck: CheckReport?
    public var seconds: Double
}

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
    private var scratchCounter = 0

    public init(plan: Plan, secrets: [String: String], backupsDirectory: String, stateDirectory: String, progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.secrets = secrets
        self.backupsDirectory = backupsDirectory
        self.stateDirectory = stateDirectory
        self.progress = progress
    }

    /// For a stack whose secrets are loaded: backups in the topology's `backups.dir`.
    public convenience init(stack: NativeStack) {
        let dir = stack.plan.backups.dir
        let backups = dir.hasPrefix("/") ? dir : (stack.project.directory as NSString).appendingPathComponent(dir)
        self.init(plan: stack.plan, secrets: stack.secrets, backupsDirectory: backups, stateDirectory: stack.paths.root, progress: stack.progress)
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
        guard target.kind != .mongodump else {
            throw EngineError("\(target.name): \(command.program) needs the \(server.engine.rawValue) server, which only the docker engine runs (the line in backup/crontab is for that deployment)")
        }
        guard Subprocess.which(command.program) != nil else {
            throw EngineError("\(target.name): \(command.program) is not installed (\(target.kind == .mysqldump ? MySQLTools.installCommand : "apt-get install postgresql-client redis-tools"))")
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
        // A replica's (redis-cli --rdb) diskless sync waits repl-diskless-sync-delay seconds (5 by
        // default) for more replicas; nobody else is coming, so start at once, then put it back.
        var restoreDelay: (() -> Void)?
        if target.kind == .redisRDB, let conn = try? RedisConnection(port: server.port),
           case let .array(pair)? = try? conn.command(["CONFIG", "GET", "repl-diskless-sync-delay"]), pair.count == 2,
           let delay = pair[1].text, delay != "0", (try? conn.command(["CONFIG", "SET", "repl-diskless-sync-delay", "0"])) != nil {
            restoreDelay = { _ = try? conn.command(["CONFIG", "SET", "repl-diskless-sync-delay", delay]) }
        }
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
        return BackupFile(target: target.name, server: target.server, kind: target.kind.rawValue, path: path, bytes: bytes, seconds: seconds)
    }

    /// Dumps and verifies: PostgreSQL dumps are taken from a snapshot this connection exported
    /// and keeps open, so the source is fingerprinted in exactly the state that was dumped.
    public func backupAndVerify(_ target: BackupTarget) throws -> (BackupFile, VerifyReport) {
        switch target.kind {
        case .pgDump:
            let server = try postgresServer(target)
            let source = try connect(server, database: target.database ?? "postgres")
            try source.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            defer { _ = try? source.exec("ROLLBACK") }
            guard let snapshot = try source.exec("SELECT pg_catalog.pg_export_snapshot()").rows.first?.first ?? nil else {
                throw EngineError("\(target.name): no snapshot exported")
            }
            let file = try backup(target, snapshot: snapshot)
            let expected = try Self.fingerprints(source, schemas: target.schema.map { [$0] })
            _ = try? source.exec("COMMIT")
            return (file, try verify(file: file.path, target: target, expected: expected))
        case .redisRDB:
            let server = try redisServer(target)
            let before = try Self.redisKeys(server)
            let file = try backup(target)
            let after = try Self.redisKeys(server)
            var report = try verify(file: file.path, target: target, expectedKeys: before == after ? before : nil)
            if before != after { report.note = "keys changed during the dump (\(before) → \(after)): the count is not compared" }
            return (file, report)
        case .mysqldump:
            // mysqldump --single-transaction reads one snapshot, but nothing holds the source
            // still: the source is fingerprinted right before and after the dump, and compared
            // only when the two agree.
            let admin = try mysqlSuperuser(target)
            let before = try Self.mysqlFingerprints(admin, database: target.database ?? "")
            let file = try backup(target)
            let after = try Self.mysqlFingerprints(admin, database: target.database ?? "")
            var report = try verifyMySQL(file: file.path, target: target, expected: before == after ? before : nil)
            if before != after { report.note = "the source changed during the dump: compared with the source as it is now" }
            return (file, report)
        case .mongodump:
            throw EngineError("\(target.name): ovudev backup runs PostgreSQL, Redis and MySQL dumps; mongodump runs from the rendered crontab with the docker engine")
        }
    }

    // MARK: - Verify

    /// Restores `file` into a scratch database on the target's server and compares every table
    /// with `expected` (default: the live source now), then drops the scratch database.
    public func verify(file: String, target: BackupTarget, expected: [String: Fingerprint]? = nil, expectedKeys: Int64? = nil) throws -> VerifyReport {
        if target.kind == .redisRDB { return try verifyRDB(file: file, target: target, expectedKeys: expectedKeys) }
        if target.kind == .mysqldump { return try verifyMySQL(file: file, target: target, expected: expected) }
        guard target.kind == .pgDump else { throw EngineError("\(target.name): only PostgreSQL, MySQL and Redis dumps can be verified natively") }
        let server = try postgresServer(target)
        let database = target.database ?? "postgres"
        let schemas = target.schema.map { [$0] }
        let source = try connect(server, database: database)
        let want = try expected ?? Self.fingerprints(source, schemas: schemas)
        let admin = try connect(server, database: "postgres")
        scratchCounter += 1
        let scratch = "ovu_verify_\(getpid())_\(scratchCounter)"
        progress("verify \(target.name): restoring into scratch database \(scratch)")
        try createDatabase(scratch, like: database, owner: nil, admin: admin)
        defer { _ = try? admin.exec("DROP DATABASE IF EXISTS \(Escape.sqlIdentifier(scratch)) WITH (FORCE)") }
        if let schemas { try createExtensions(of: source, into: server, database: scratch, except: schemas) }
        do {
            try pgRestore(file, server: server, database: scratch)
        } catch let error as EngineError {
            return VerifyReport(target: target.name, file: file, error: error.message, tables: [])
        }
        let got = try Self.fingerprints(try connect(server, database: scratch), schemas: schemas)
        return VerifyReport(target: target.name, file: file, error: nil, tables: Self.compare(want, got, target: target.name))
    }

    static func compare(_ want: [String: Fingerprint], _ got: [String: Fingerprint], target: String) -> [TableCheck] {
        Set(want.keys).union(got.keys).sorted().map { name in
            let a = want[name], b = got[name]
            let status: TableCheck.Status = a == nil ? .extra : b == nil ? .missing : a == b ? .same : .different
            return TableCheck(target: target, object: name, sourceRows: a?.rows, restoredRows: b?.rows,
                              sourceChecksum: a?.checksum, restoredChecksum: b?.checksum, status: status)
        }
    }

    /// A gzipped mysqldump loaded into a scratch database on the target's server (its `CREATE
    /// DATABASE` and `USE` lines pointed there), then every table's row count and `CHECKSUM
    /// TABLE` compared with `expected` (default: the source now); the scratch database is dropped.
    func verifyMySQL(file: String, target: BackupTarget, expected: [String: Fingerprint]?) throws -> VerifyReport {
        let admin = try mysqlSuperuser(target)
        let database = target.database ?? ""
        let want = try expected ?? Self.mysqlFingerprints(admin, database: database)
        scratchCounter += 1
        let scratch = Self.truncated("ovu_verify_\(getpid())_\(scratchCounter)")
        progress("verify \(target.name): loading into scratch database \(scratch)")
        try admin.exec("CREATE DATABASE \(Escape.mysqlIdentifier(scratch));")
        defer { _ = try? admin.exec("DROP DATABASE IF EXISTS \(Escape.mysqlIdentifier(scratch));") }
        do {
            try admin.loadDump(gzipped: file, of: database, into: scratch)
        } catch let error as MySQLError {
            return VerifyReport(target: target.name, file: file, error: "\(file) does not load: \(error.message)", tables: [])
        } catch let error as EngineError {
            return VerifyReport(target: target.name, file: file, error: error.message, tables: [])
        }
        let got = try Self.mysqlFingerprints(admin, database: scratch)
        return VerifyReport(target: target.name, file: file, error: nil, tables: Self.compare(want, got, target: target.name))
    }

    /// Every base table of `database`: row count and `CHECKSUM TABLE` (a checksum of the rows'
    /// contents), keyed by table name.
    static func mysqlFingerprints(_ admin: MySQLLogin, database: String) throws -> [String: Fingerprint] {
        let tables = try admin.exec("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = \(Escape.mysqlLiteral(database)) AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1;").rows.compactMap(\.first)
        if tables.isEmpty { return [:] }
        let script = tables.map { table in
            let name = "\(Escape.mysqlIdentifier(database)).\(Escape.mysqlIdentifier(table))"
            return "SELECT 'rows', \(Escape.mysqlLiteral(table)), COUNT(*) FROM \(name);\nCHECKSUM TABLE \(name) EXTENDED;"
        }.joined(separator: "\n")
        var found: [String: Fingerprint] = [:]
        var pending: String?
        for row in try admin.exec(script).rows where row.count >= 2 {
            if row.count == 3 && row[0] == "rows" {
                pending = row[1]
                found[row[1], default: Fingerprint()].rows = Int64(row[2])
            } else if let table = pending {
                // CHECKSUM TABLE answers `db.table  checksum`.
                found[table, default: Fingerprint()].checksum = row[1]
                pending = nil
            }
        }
        return found
    }

    /// The server's superuser over TCP 127.0.0.1 with the plan's password (the crontab's login).
    func mysqlSuperuser(_ t: BackupTarget) throws -> MySQLLogin {
        guard let server = plan.server(t.server), server.engine == .mysql else { throw EngineError("\(t.name): no MySQL server \(t.server)") }
        guard let ref = server.superuserSecret, let password = secrets[ref.variable] else {
            throw EngineError("no password for the superuser of \(server.name) (\(server.superuserSecret?.variable ?? "?")); external secrets: export it")
        }
        return MySQLLogin(route: .tcp(port: server.port), user: server.superuser ?? "root", password: password)
    }

    /// redis-check-rdb reads the whole file and checks its CRC64; the keys it read are compared
    /// with the server's when they did not change during the dump.
    func verifyRDB(file: String, target: BackupTarget, expectedKeys: Int64?) throws -> VerifyReport {
        let r = try Subprocess.run(["redis-check-rdb", file])
        let keys = r.output.split(separator: "\n").first { $0.hasPrefix("[info] ") && $0.hasSuffix(" keys read") }
            .flatMap { Int64($0.dropFirst(7).split(separator: " ").first ?? "") }
        guard r.status == 0, r.output.contains("RDB looks OK"), let keys else {
            let tail = r.output.split(separator: "\n").suffix(4).joined(separator: "\n")
            return VerifyReport(target: target.name, file: file, error: "\(file) is not a valid RDB file (redis-check-rdb):\n\(tail)", tables: [])
        }
        let status: TableCheck.Status = expectedKeys == nil || expectedKeys == keys ? .same : .different
        return VerifyReport(target: target.name, file: file, error: nil, tables: [
            TableCheck(target: target.name, object: "keys (all indexes)", sourceRows: expectedKeys, restoredRows: keys,
                       sourceChecksum: nil, restoredChecksum: "CRC64 ok", status: status),
        ])
    }

    static func redisKeys(_ server: PlannedServer) throws -> Int64 {
        let conn = try RedisConnection(port: server.port)
        let info = try conn.command(["INFO", "keyspace"]).text ?? ""
        // db0:keys=3,expires=0,avg_ttl=0
        return info.split(whereSeparator: \.isNewline).reduce(0) { sum, line in
            guard line.hasPrefix("db"), let keys = line.split(separator: ":").last?.split(separator: ",").first,
                  keys.hasPrefix("keys=") else { return sum }
            return sum + (Int64(keys.dropFirst(5)) ?? 0)
        }
    }

    // MARK: - Fingerprints

    /// Every table (and materialized view) of the schemas (nil: all user schemas), and every
    /// sequence's last value. Extension-owned tables are left out (the extension makes them).
    public static func fingerprints(_ conn: PGConnection, schemas: [String]?) throws -> [String: Fingerprint] {
        let filter = schemas == nil
            ? "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
            : "n.nspname = ANY($1::text[])"
        let params: [String?] = schemas.map { [pgArrayLiteral($0)] } ?? []
        let tables = try conn.query("""
            SELECT n.nspname || '.' || c.relname, pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind,
                   (SELECT string_agg('r.' || pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.ord)
                    FROM pg_catalog.pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    WHERE i.indrelid = c.oid AND i.indisprimary)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND \(filter)
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1
            """, params)
        var out: [String: Fingerprint] = [:]
        for row in tables.rows {
            let name = row[0]!, qualified = row[1]!, kind = row[2]!
            let hash = "md5(ROW(r.*)::text)"
            let order = row[3] ?? hash
            let r = try conn.exec("SELECT count(*), md5(coalesce(string_agg(\(hash), '' ORDER BY \(order)), '')) FROM \(kind == "r" ? "ONLY " : "")\(qualified) r")
            out[name] = Fingerprint(rows: r.rows.first?[0].flatMap { Int64($0) }, checksum: r.rows.first?[1] ?? nil)
        }
        let sequences = try conn.query("""
            SELECT schemaname || '.' || sequencename, last_value::text FROM pg_catalog.pg_sequences
            WHERE \(filter.replacingOccurrences(of: "n.nspname", with: "schemaname"))
            """, params)
        for row in sequences.rows {
            out["sequence \(row[0]!)"] = Fingerprint(rows: nil, checksum: row[1].map { "last_value \($0)" } ?? "never used")
        }
        return out
    }

    // MARK: - Restore

    /// Restores `file` (a dump of `target`): into a new database `into`, or by default in place
    /// of the target's database (schema in single-db). In place, what the dump replaces is kept
    /// under another name until the dump restored completely, provisioning converged the
    /// grants and settings, and the checks of the service passed; then it is dropped. On any
    /// failure the original is put back.
    public func restore(file: String, target: BackupTarget, into: String? = nil) throws -> RestoreReport {
        if target.kind == .mysqldump { return try restoreMySQL(file, target: target, into: into) }
        guard target.kind == .pgDump else {
            throw EngineError("\(target.name): ovudev restore restores PostgreSQL and MySQL dumps; \(target.kind.rawValue) files are restored by hand (see the README)")
        }
        let server = try postgresServer(target)
        let database = target.database ?? "postgres"
        let start = Date()
        try checkArchive(file, server: server)
        let admin = try connect(server, database: "postgres")
        let schemas = target.schema.map { [$0] }
        let dbExists = try !admin.query("SELECT FROM pg_catalog.pg_database WHERE datname = $1", [database]).rows.isEmpty

        if let into {
            if try !admin.query("SELECT FROM pg_catalog.pg_database WHERE datname = $1", [into]).rows.isEmpty {
                throw EngineError("database \(into) already exists on \(server.name); restore --into a new name, or drop it first")
            }
            progress("restore \(target.name) into new database \(into)")
            try createDatabase(into, like: dbExists ? database : nil, owner: nil, admin: admin)
            do {
                if let schemas, dbExists { try createExtensions(of: try connect(server, database: database), into: server, database: into, except: schemas) }
                try pgRestore(file, server: server, database: into)
            } catch {
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(Escape.sqlIdentifier(into)) WITH (FORCE)")
                throw error
            }
            let prints = try Self.fingerprints(try connect(server, database: into), schemas: schemas)
            return RestoreReport(target: target.name, file: file, database: into, schema: target.schema, fingerprints: prints,
                                 kept: nil, seconds: Date().timeIntervalSince(start))
        }
        guard dbExists else {
            throw EngineError("database \(database) does not exist on \(server.name): run `ovudev up` first (it provisions it), or restore --into a new name")
        }
        if let schema = target.schema {
            return try restoreSchema(file, target: target, schema: schema, server: server, database: database, start: start)
        }
        return try restoreDatabase(file, target: target, server: server, database: database, admin: admin, start: start)
    }

    private func restoreDatabase(_ file: String, target: BackupTarget, server: PlannedServer, database: String, admin: PGConnection, start: Date) throws -> RestoreReport {
        let q = Escape.sqlIdentifier
        let planned = server.databases.first { $0.name == database }
        let staging = try freeDatabaseName(Self.truncated("\(database)_restoring"), admin: admin)
        progress("restore \(target.name): restoring into \(staging)")
        try createDatabase(staging, like: database, owner: planned?.owner, admin: admin)
        do {
            try pgRestore(file, server: server, database: staging)
        } catch {
            _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(staging)) WITH (FORCE)")
            throw EngineError("\(error) — \(database) was not changed")
        }
        let old = try freeDatabaseName(Self.truncated("\(database)_pre_restore"), admin: admin)
        progress("restore \(target.name): \(database) → \(old), \(staging) → \(database)")
        try swapDatabases(admin: admin, current: database, aside: old, replacement: staging)
        do {
            var report = try converge(target: target, server: server, database: database, file: file, start: start)
            try admin.exec("DROP DATABASE \(q(old)) WITH (FORCE)")
            report.notes.append("the previous \(database) was dropped")
            return report
        } catch {
            progress("restore \(target.name): failed after the swap, putting the previous \(database) back")
            let failed = (try? freeDatabaseName(Self.truncated("\(database)_failed_restore"), admin: admin)) ?? "\(database)_failed_restore"
            do {
                try swapDatabases(admin: admin, current: database, aside: failed, replacement: old)
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(failed)) WITH (FORCE)")
            } catch let undo {
                throw EngineError("\(error)\nputting the previous database back failed too: \(undo); it is \(old) on \(server.name)")
            }
            throw error
        }
    }

    // MARK: - Restore (MySQL)

    /// A gzipped mysqldump into a new database (`into`), or in place of the target's database:
    /// loaded into a staging database first, then every table of the two swapped in one
    /// `RENAME TABLE` (atomic; the service's grants are on the database name and stay), the
    /// checks run, and the previous tables dropped — or swapped back when the checks fail.
    private func restoreMySQL(_ file: String, target: BackupTarget, into: String?) throws -> RestoreReport {
        let admin = try mysqlSuperuser(target)
        let database = target.database ?? ""
        let start = Date()
        let q = Escape.mysqlIdentifier
        func exists(_ name: String) throws -> Bool {
            try !admin.exec("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = \(Escape.mysqlLiteral(name));").rows.isEmpty
        }
        func freeName(_ base: String) throws -> String {
            var name = Self.truncated(base), n = 1
            while try exists(name) { n += 1; name = Self.truncated(base, reserve: 4) + "_\(n)" }
            return name
        }
        func load(into name: String) throws {
            try admin.exec("CREATE DATABASE \(q(name));")
            do {
                try admin.loadDump(gzipped: file, of: database, into: name)
            } catch {
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(name));")
                throw EngineError("\(file) does not load: \(error)")
            }
        }
        if let into {
            if try exists(into) { throw EngineError("database \(into) already exists on \(target.server); restore --into a new name, or drop it first") }
            progress("restore \(target.name) into new database \(into)")
            try load(into: into)
            return RestoreReport(target: target.name, file: file, database: into, schema: nil,
                                 fingerprints: try Self.mysqlFingerprints(admin, database: into), kept: nil, seconds: Date().timeIntervalSince(start))
        }
        guard try exists(database) else {
            throw EngineError("database \(database) does not exist on \(target.server): run `ovudev up` first (it provisions it), or restore --into a new name")
        }
        let staging = try freeName("\(database)_restoring")
        progress("restore \(target.name): loading into \(staging)")
        do {
            try load(into: staging)
        } catch {
            throw EngineError("\(error) — \(database) was not changed")
        }
        defer { _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(staging));") }
        // Only tables move between databases; what else a database holds would stay behind.
        let both = "(\(Escape.mysqlLiteral(database)), \(Escape.mysqlLiteral(staging)))"
        let others = try admin.exec("""
            SELECT 'view', TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN \(both)
            UNION ALL SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN \(both)
            UNION ALL SELECT 'routine', ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN \(both)
            UNION ALL SELECT 'event', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN \(both);
            """).rows
        if !others.isEmpty {
            throw EngineError("\(database) or the dump holds \(others.map { "\($0[0]) \($0[1])" }.joined(separator: ", ")), which swapping tables cannot carry: restore --into a new name and move them by hand — \(database) was not changed")
        }
        let aside = try freeName("\(database)_pre_restore")
        try admin.exec("CREATE DATABASE \(q(aside));")
        progress("restore \(target.name): tables of \(database) → \(aside), of \(staging) → \(database)")
        do {
            try swapTables(admin, current: database, aside: aside, replacement: staging)
        } catch {
            _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(aside));")
            throw EngineError("\(error) — \(database) was not changed")
        }
        do {
            progress("restore \(target.name): check")
            let check = try Checker(plan: plan, secrets: secrets).run()
            let instances = plan.instances.filter { Self.holds(target, $0) }
            let subjects = Set(instances.map(\.name) + instances.compactMap { $0.database?.role } + ["PUBLIC"])
            let mine = check.findings.filter { subjects.contains($0.subject) }
            let failed = mine.filter { ($0.status == .leak || $0.status == .fail) && $0.check != "health" }
            if !failed.isEmpty {
                throw EngineError("the restored \(target.name) does not pass the checks:\n" + failed.map { "\($0.status.rawValue.uppercased()) \($0.subject) \($0.check): \($0.detail)" }.joined(separator: "\n"))
            }
            try admin.exec("DROP DATABASE \(q(aside));")
            var report = RestoreReport(target: target.name, file: file, database: database, schema: nil,
                                       fingerprints: try Self.mysqlFingerprints(admin, database: database), kept: nil,
                                       check: check, serviceCheck: CheckReport(findings: mine), seconds: Date().timeIntervalSince(start))
            report.notes.append("the previous tables of \(database) were dropped")
            return report
        } catch {
            progress("restore \(target.name): failed after the swap, putting the previous tables back")
            do {
                let failed = try freeName("\(database)_failed_restore")
                try admin.exec("CREATE DATABASE \(q(failed));")
                try swapTables(admin, current: database, aside: failed, replacement: aside)
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(failed)); DROP DATABASE IF EXISTS \(q(aside));")
            } catch let undo {
                throw EngineError("\(error)\nputting the previous tables back failed too: \(undo); they are in \(aside) on \(target.server)")
            }
            throw error
        }
    }

    /// Every table of `current` → `aside` and of `replacement` → `current`, in one RENAME TABLE.
    private func swapTables(_ admin: MySQLLogin, current: String, aside: String, replacement: String) throws {
        let q = Escape.mysqlIdentifier
        let rows = try admin.exec("""
            SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
            WHERE TABLE_SCHEMA IN (\(Escape.mysqlLiteral(current)), \(Escape.mysqlLiteral(replacement))) AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1, 2;
            """).rows
        let moves = rows.filter { $0.count == 2 && $0[0] == current }.map { "\(q(current)).\(q($0[1])) TO \(q(aside)).\(q($0[1]))" }
            + rows.filter { $0.count == 2 && $0[0] == replacement }.map { "\(q(replacement)).\(q($0[1])) TO \(q(current)).\(q($0[1]))" }
        if moves.isEmpty { return }
        // A session of the service holding a table waits the swap out; not for a year (the default).
        try admin.exec("SET SESSION lock_wait_timeout = 60;\nRENAME TABLE " + moves.joined(separator: ", ") + ";")
    }

    /// `current` → `aside`, `replacement` → `current`, with connections to `current` refused and ended.
    private func swapDatabases(admin: PGConnection, current: String, aside: String, replacement: String) throws {
        let q = Escape.sqlIdentifier
        try admin.exec("ALTER DATABASE \(q(current)) ALLOW_CONNECTIONS false")
        do {
            try admin.query("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = ANY($1::text[]) AND pid <> pg_catalog.pg_backend_pid()",
                            [Self.pgArrayLiteral([current, replacement])])
            try admin.exec("ALTER DATABASE \(q(current)) RENAME TO \(q(aside))")
        } catch {
            _ = try? admin.exec("ALTER DATABASE \(q(current)) ALLOW_CONNECTIONS true")
            throw error
        }
        try admin.exec("ALTER DATABASE \(q(aside)) ALLOW_CONNECTIONS true")
        try admin.exec("ALTER DATABASE \(q(replacement)) ALLOW_CONNECTIONS true")
        try admin.exec("ALTER DATABASE \(q(replacement)) RENAME TO \(q(current))")
    }

    private func restoreSchema(_ file: String, target: BackupTarget, schema: String, server: PlannedServer, database: String, start: Date) throws -> RestoreReport {
        let q = Escape.sqlIdentifier
        let conn = try connect(server, database: database)
        try conn.exec("SET lock_timeout = '30s'")
        let exists = try !conn.query("SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1", [schema]).rows.isEmpty
        var old: String?
        if exists {
            var name = Self.truncated("\(schema)_pre_restore"), n = 1
            while try !conn.query("SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1", [name]).rows.isEmpty {
                n += 1
                name = Self.truncated("\(schema)_pre_restore") + "_\(n)"
            }
            progress("restore \(target.name): schema \(schema) → \(name)")
            try conn.exec("ALTER SCHEMA \(q(schema)) RENAME TO \(q(name))")
            old = name
        }
        func putBack() {
            guard let old else { return }
            _ = try? conn.exec("DROP SCHEMA IF EXISTS \(q(schema)) CASCADE")
            _ = try? conn.exec("ALTER SCHEMA \(q(old)) RENAME TO \(q(schema))")
        }
        progress("restore \(target.name): restoring schema \(schema) into \(database)")
        do {
            try pgRestore(file, server: server, database: database)
        } catch {
            putBack()
            throw EngineError("\(error) — \(database).\(schema) was put back as it was")
        }
        do {
            var report = try converge(target: target, server: server, database: database, file: file, start: start)
            if let old {
                if let blockers = try dropSchemaUnlessOthersDepend(conn, schema: old) {
                    report.kept = "\(database).\(old)"
                    report.notes.append("the previous schema is kept as \(database).\(old): \(blockers)")
                } else {
                    report.notes.append("the previous schema \(schema) was dropped")
                }
            }
            return report
        } catch {
            progress("restore \(target.name): failed after restoring, putting the previous schema \(schema) back")
            putBack()
            throw error
        }
    }

    /// Drops the schema unless that would also drop objects in other schemas (a view or foreign
    /// key of another service over its tables): returns what it would take along, and drops nothing.
    private func dropSchemaUnlessOthersDepend(_ conn: PGConnection, schema: String) throws -> String? {
        let outside = """
            SELECT (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relkind IN ('r','p','v','m','f','S') AND c.relnamespace <> s.oid AND c.relnamespace <> 'pg_toast'::regnamespace)
                 + (SELECT count(*) FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid WHERE c.relnamespace <> s.oid)
                 + (SELECT count(*) FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_class c ON c.oid = d.adrelid WHERE c.relnamespace <> s.oid)
                 + (SELECT count(*) FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace <> s.oid)
                 + (SELECT count(*) FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid WHERE c.relnamespace <> s.oid)
                 + (SELECT count(*) FROM pg_catalog.pg_proc f WHERE f.pronamespace <> s.oid)
            FROM pg_catalog.pg_namespace s WHERE s.nspname = $1
            """
        try conn.exec("BEGIN")
        let before = try conn.query(outside, [schema]).rows.first?.first ?? nil
        _ = conn.takeNotices()
        try conn.exec("SET LOCAL client_min_messages = notice")
        try conn.exec("DROP SCHEMA \(Escape.sqlIdentifier(schema)) CASCADE")
        let notices = conn.takeNotices()
        let remaining = try conn.query("SELECT (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relkind IN ('r','p','v','m','f','S') AND c.relnamespace <> 'pg_toast'::regnamespace) + (SELECT count(*) FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid) + (SELECT count(*) FROM pg_catalog.pg_attrdef) + (SELECT count(*) FROM pg_catalog.pg_trigger) + (SELECT count(*) FROM pg_catalog.pg_policy) + (SELECT count(*) FROM pg_catalog.pg_proc)", []).rows.first?.first ?? nil
        if before == remaining {
            try conn.exec("COMMIT")
            return nil
        }
        try conn.exec("ROLLBACK")
        return "dropping it would also drop objects outside it (\(notices.joined(separator: "; ")))"
    }

    /// After the data is in place: provisioning converges database grants and settings (a new
    /// database has none of the old one's), post-migrate grants, then the checks of the services
    /// whose data this is. Throws when one of those fails.
    private func converge(target: BackupTarget, server: PlannedServer, database: String, file: String, start: Date) throws -> RestoreReport {
        progress("restore \(target.name): converging grants and settings")
        let provisioner = Provisioner(plan: plan, secrets: secrets, stateDirectory: stateDirectory)
        let provisioned = try provisioner.provision(progress: progress)
        let post = try provisioner.applyPostMigrate(progress: progress)
        progress("restore \(target.name): check")
        let check = try Checker(plan: plan, secrets: secrets).run()
        let instances = plan.instances.filter { Self.holds(target, $0) }
        // The roles that read its tables (`reads`) lose their grants with a dump that lacks them.
        let readers = plan.instances.flatMap(\.reads).filter {
            $0.server == target.server && $0.database == target.database && (target.schema == nil || $0.schema == target.schema)
        }.map(\.role)
        let subjects = Set(instances.map(\.name) + instances.compactMap { $0.database?.role } + readers + ["PUBLIC"])
        let mine = check.findings.filter { subjects.contains($0.subject) }
        let failed = mine.filter { ($0.status == .leak || $0.status == .fail) && $0.check != "health" }
        if !failed.isEmpty {
            throw EngineError("the restored \(target.name) does not pass the checks:\n" + failed.map { "\($0.status.rawValue.uppercased()) \($0.subject) \($0.check): \($0.detail)" }.joined(separator: "\n"))
        }
        let prints = try Self.fingerprints(try connect(server, database: database), schemas: target.schema.map { [$0] })
        var report = RestoreReport(target: target.name, file: file, database: database, schema: target.schema, fingerprints: prints,
                                   kept: nil, check: check, serviceCheck: CheckReport(findings: mine), seconds: Date().timeIntervalSince(start))
        report.notes += (provisioned.changes + post.changes).map { "provision: \($0)" }
        return report
    }

    // MARK: - PostgreSQL helpers

    func postgresServer(_ t: BackupTarget) throws -> PlannedServer {
        guard let server = plan.server(t.server), server.engine == .postgres else { throw EngineError("\(t.name): \(t.server) is not a PostgreSQL server") }
        return server
    }

    func redisServer(_ t: BackupTarget) throws -> PlannedServer {
        guard let server = plan.server(t.server), server.engine == .redis else { throw EngineError("\(t.name): \(t.server) is not a Redis server") }
        return server
    }

    func superuser(_ server: PlannedServer) throws -> (user: String, password: String) {
        guard let ref = server.superuserSecret, let password = secrets[ref.variable] else {
            throw EngineError("no password for the superuser of \(server.name) (\(server.superuserSecret?.variable ?? "?")); external secrets: export it")
        }
        return (server.superuser ?? "postgres", password)
    }

    func connect(_ server: PlannedServer, database: String) throws -> PGConnection {
        let (user, password) = try superuser(server)
        do {
            return try PGConnection(PGConnectionParameters(port: server.port, user: user, password: password, database: database))
        } catch {
            throw EngineError("cannot connect to \(database) on \(server.name) (127.0.0.1:\(server.port)): \(error) — is the stack running? (`ovudev up`)")
        }
    }

    /// A new database with the encoding and locale of `source` (same sort order, so the same
    /// checksums), nothing for PUBLIC.
    func createDatabase(_ name: String, like source: String?, owner: String?, admin: PGConnection) throws {
        let q = Escape.sqlIdentifier, lit = Escape.sqlLiteral
        var sql = "CREATE DATABASE \(q(name)) TEMPLATE template0"
        if let source, let row = try admin.query("""
            SELECT pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype, to_jsonb(d) ->> 'datlocprovider',
                   coalesce(to_jsonb(d) ->> 'daticulocale', to_jsonb(d) ->> 'datlocale')
            FROM pg_catalog.pg_database d WHERE d.datname = $1
            """, [source]).rows.first {
            sql += " ENCODING \(lit(row[0]!)) LC_COLLATE \(lit(row[1]!)) LC_CTYPE \(lit(row[2]!))"
            if row[3] == "i", let icu = row[4] { sql += " LOCALE_PROVIDER icu ICU_LOCALE \(lit(icu))" }
        }
        if let owner { sql += " OWNER \(q(owner))" }
        try admin.exec(sql)
        try admin.exec("REVOKE ALL ON DATABASE \(q(name)) FROM PUBLIC")
    }

    /// A schema dump (`pg_dump -n`) carries no extensions: make the source database's ones
    /// (outside the dumped schemas) first, where they were.
    func createExtensions(of source: PGConnection, into server: PlannedServer, database: String, except schemas: [String]) throws {
        let rows = try source.exec("""
            SELECT e.extname, n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname <> 'plpgsql' ORDER BY 1
            """).rows
        let wanted = rows.filter { !schemas.contains($0[1]!) }
        guard !wanted.isEmpty else { return }
        let conn = try connect(server, database: database)
        for row in wanted {
            let q = Escape.sqlIdentifier
            try conn.exec("CREATE SCHEMA IF NOT EXISTS \(q(row[1]!)); CREATE EXTENSION IF NOT EXISTS \(q(row[0]!)) WITH SCHEMA \(q(row[1]!))")
        }
    }

    func freeDatabaseName(_ base: String, admin: PGConnection) throws -> String {
        var name = base, n = 1
        while try !admin.query("SELECT FROM pg_catalog.pg_database WHERE datname = $1", [name]).rows.isEmpty {
            n += 1
            name = Self.truncated(base, reserve: 4) + "_\(n)"
        }
        return name
    }

    /// At most 63 bytes (PostgreSQL's identifier length), `reserve` bytes left for a suffix.
    static func truncated(_ name: String, reserve: Int = 0) -> String {
        var out = name
        while out.utf8.count > 63 - reserve { out.removeLast() }
        return out
    }

    /// `pg_restore --list`: is this a readable pg_dump archive at all?
    func checkArchive(_ file: String, server: PlannedServer) throws {
        guard FileManager.default.fileExists(atPath: file) else { throw EngineError("no such file: \(file)") }
        let r = try Subprocess.run(["pg_restore", "--list", file])
        guard r.status == 0 else {
            let output = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let how = r.status > 128 ? "pg_restore --list crashed on it (signal \(r.status - 128))" : "pg_restore --list exit \(r.status)"
            throw EngineError("\(file) is not a readable pg_dump archive (damaged, truncated, or not a custom-format dump): \(how)\(output.isEmpty ? "" : ":\n\(output)")")
        }
    }

    /// pg_restore in one transaction, stopping at the first error: all of the dump or nothing.
    func pgRestore(_ file: String, server: PlannedServer, database: String) throws {
        let (user, password) = try superuser(server)
        let credentials = try writeCredentials(CredentialFile(kind: .pgpass, path: "", port: server.port, user: user).text(password: password))
        defer { try? FileManager.default.removeItem(atPath: credentials) }
        var environment = Self.cleanEnvironment()
        environment["PGPASSFILE"] = credentials
        let start = Date()
        let r = try runWatching(["pg_restore", "-h", "127.0.0.1", "-p", String(server.port), "-U", user, "-w", "-d", database,
                                 "--single-transaction", "--exit-on-error", file],
                                environment: environment, file: nil, label: "pg_restore \((file as NSString).lastPathComponent)")
        guard r.status == 0 else {
            let message = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw EngineError("\(file) could not be restored (a damaged or incomplete dump?): pg_restore exit \(r.status):\n\(message)")
        }
        progress("pg_restore into \(database): \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
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

    static func pgArrayLiteral(_ items: [String]) -> String {
        "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
    }
}

private final class ResultBox: @unchecked Sendable {
    var result: Result<Subprocess.Result, Error>?
}
