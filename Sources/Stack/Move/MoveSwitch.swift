import Foundation
import Statements
import Topology

/// The switch (the source read-only and kept, the services on the target), `--rollback` and
/// `--finish`.
extension Mover {
    /// Source databases that no target service uses any more: read-only as a whole. Source
    /// tables in a database the target still uses: their write privileges revoked instead.
    func keptSource() -> (databases: [MoveObject], tables: [MoveObject]) {
        var databases = Set<MoveObject>(), tables: [MoveObject] = []
        for service in journal.services where !service.stays {
            let from = service.from
            let stillUsed = target.plan.servers.contains { s in s.port == from.port && s.engine == .postgres && s.databases.contains { $0.name == from.database } }
            if stillUsed {
                for table in journal.tables where table.service == service.service {
                    tables.append(MoveObject(server: from.server, port: from.port, database: from.database, schema: from.schema, table: table.source, role: service.sourceRole))
                }
            } else {
                databases.insert(MoveObject(server: from.server, port: from.port, database: from.database))
            }
        }
        return (databases.sorted { $0.database < $1.database }, tables)
    }

    /// Moves shared servers' folders from one scenario's stack to the other's (servers stopped):
    /// `pairs` are (name in `from`, name in `to`).
    func handOver(_ pairs: [(String, String)], from: NativeStack, to: NativeStack) throws {
        guard !pairs.isEmpty else { return }
        var plan = from.plan
        plan.servers = plan.servers.filter { s in pairs.contains { $0.0 == s.name } }
        _ = try NativeEngine(plan: plan, paths: from.paths, secrets: from.secrets, progress: progress).stop()
        to.forcePlaced()
        for (name, newName) in pairs {
            guard let server = plan.server(name), let folder = EngineModules.module(server.engine).dataFolder else { continue }
            let a = "\(from.paths.root)/\(folder)/\(name)", b = "\(to.paths.root)/\(folder)/\(newName)"
            guard FileManager.default.fileExists(atPath: a) else { continue }
            try FileManager.default.createDirectory(atPath: "\(to.paths.root)/\(folder)", withIntermediateDirectories: true)
            if Subprocess.isRoot { chmod("\(to.paths.root)/\(folder)", 0o711); chmod(to.paths.root, 0o711) }
            try FileManager.default.moveItem(atPath: a, toPath: b)
            progress("server \(name): its folder now belongs to scenario \(to.plan.scenario)\(name == newName ? "" : " as server \(newName)")")
            StopPoint.reach("move.handed-over")
        }
    }

    /// Stops the source's services, proves the copy once more, makes the source read-only,
    /// hands shared servers over, and brings the target up (which checks it).
    func switchOver() throws -> [String] {
        var lines = stopServices(of: source)
        let kept = keptSource()
        // Write-ahead: what is made read-only is in the journal before it is, so that a rollback
        // after a kill -9 anywhere in the switch makes all of it writable again.
        if journal.step < .switching {
            let mysqlKept = mysqlKeptSource()
            try update { $0.readOnlyDatabases = kept.databases; $0.revokedTables = kept.tables; $0.step = .switching }
            if !mysqlKept.isEmpty { try updateEngines { $0.mysqlReadOnly = mysqlKept } }
        }
        if journal.sourceLocked != true {
            lines += try lockSource(kept)
            try update { $0.sourceLocked = true }
            StopPoint.reach("move.source-locked")
        }
        try handOver(journal.sharedServers.map { (sourceName($0), $0) }, from: source, to: target)
        // The source no longer claims the ports the target now runs on (its services are
        // stopped, its shared servers are the target's): `up` of the target is not refused.
        if var applied = try AppliedState.load(source.paths.applied) {
            let taken = Set(AppliedState.ports(of: target.plan))
            applied.ports.removeAll(where: taken.contains)
            try applied.save(source.paths.applied)
        }
        // The copied schema is migrated already: the target's migrations count as run.
        target.forcePlaced()
        var state = target.loadState()
        for instance in target.plan.instances where instance.migrate != nil { state.migrations[instance.name] = target.services.migrationFingerprint(instance) }
        try target.saveState(state)
        try update { $0.step = .switched }
        progress("switch: scenario \(journal.target) up")
        let report = try target.up(check: true)
        lastCheck = report.check
        lines.append("scenario \(journal.target) is running; \(journal.source) is kept read-only (`ovudev move --rollback` goes back, `ovudev move --finish` drops it)")
        return lines
    }

    /// The source read-only: its databases that no target service uses, or the write grants on
    /// its tables in one the target still uses; MySQL's kept databases. Each statement can run
    /// again (a switch continued after a kill -9).
    func lockSource(_ kept: (databases: [MoveObject], tables: [MoveObject])) throws -> [String] {
        var lines: [String] = []
        for db in kept.databases {
            let conn = try sourceAdmin(db.server, database: "postgres")
            try conn.exec("ALTER DATABASE \(Escape.sqlIdentifier(db.database)) SET default_transaction_read_only = on")
            try conn.query("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()", [db.database])
            lines.append("source database \(db.server)/\(db.database): read-only, kept")
        }
        for t in kept.tables {
            let conn = try sourceAdmin(t.server, database: t.database)
            try conn.exec("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON \(Escape.sqlIdentifier(t.schema!)).\(Escape.sqlIdentifier(t.table!)) FROM \(Escape.sqlIdentifier(t.role!))")
        }
        if !kept.tables.isEmpty { lines.append("source tables left in place: \(kept.tables.count), write privileges revoked, kept") }
        lines += try switchMySQL()
        return lines
    }

    /// Back to the kept source: refused when the target's tables changed since the switch,
    /// unless `copyBack` copies them back first (MoveBack).
    public func rollback(copyBack wanted: Bool = false) throws -> MoveReport {
        let lock = try StackLock(path: (directory as NSString).appendingPathComponent(".ovu/move.lock"), onWait: progress)
        defer { withExtendedLifetime(lock) {} }
        guard let j = try MoveJournal.load(projectDirectory: directory) else { throw MoveError.nothingToRollBack }
        try stacks(source: j.source, target: j.target)
        journal = j
        var report = MoveReport(journal: j)
        if j.step == .switching, j.sourceLocked == true {
            // Stopped during the switch: the target never ran a service, but shared servers'
            // folders may be the target's already; they come back first.
            try handOver(j.sharedServers.map { ($0, sourceName($0)) }, from: target, to: source)
            try update { $0.step = .verified }
        }
        if j.step >= .switched {
            target.forcePlaced()
            _ = try NativeEngine(plan: target.plan, paths: target.paths, secrets: target.secrets, progress: progress).start()
            // MySQL tables and Redis keys are copied back with the PostgreSQL tables.
            let others = try wanted || j.step == .copyingBack ? [] : mysqlTargetChanged() + redisTargetChanged()
            if !others.isEmpty { throw MoveError.targetWritten(tables: others) }
            if wanted || j.step == .copyingBack {
                report.done += try copyBack()
            } else {
                let changed = try changedOnTarget()
                if !changed.isEmpty { throw MoveError.targetWritten(tables: changed) }
            }
            report.done += stopServices(of: target)
            try handOver(j.sharedServers.map { ($0, sourceName($0)) }, from: target, to: source)
            try update { $0.step = .verified }
        }
        _ = try NativeEngine(plan: source.plan, paths: source.paths, secrets: source.secrets, progress: progress).start()
        for db in j.readOnlyDatabases {
            try sourceAdmin(db.server, database: "postgres").exec("ALTER DATABASE \(Escape.sqlIdentifier(db.database)) RESET default_transaction_read_only")
            report.done.append("source database \(db.server)/\(db.database): writable again")
        }
        for t in j.revokedTables {
            try sourceAdmin(t.server, database: t.database).exec("GRANT INSERT, UPDATE, DELETE, TRUNCATE ON \(Escape.sqlIdentifier(t.schema!)).\(Escape.sqlIdentifier(t.table!)) TO \(Escape.sqlIdentifier(t.role!))")
        }
        report.done += try dropCopies(j)
        report.done += try rollbackMySQL(j) + deleteRedisKeys(j, source: false)
        // The target's own servers (not shared with the source) stop: nothing of theirs is used now.
        var own = target.plan
        own.servers = own.servers.filter { !j.sharedServers.contains($0.name) }
        for state in try NativeEngine(plan: own, paths: target.paths, secrets: target.secrets, progress: progress).stop() {
            report.done.append("stopped server \(state.name) (scenario \(j.target))")
        }
        try? FileManager.default.removeItem(atPath: target.paths.applied)
        MoveJournal.remove(projectDirectory: directory)
        let up = try source.up(check: true)
        report.check = up.check
        report.done.append("scenario \(j.source) is running again")
        return report
    }

    /// What the move created on the target side (databases, and tables in databases the source
    /// keeps using), dropped by a rollback.
    func dropCopies(_ j: MoveJournal) throws -> [String] {
        var lines: [String] = []
        let sourceDatabases = Set(source.plan.servers.flatMap { s in s.databases.map { "\(s.port)/\($0.name)" } })
        for db in j.createdDatabases where !sourceDatabases.contains("\(db.port)/\(db.database)") {
            try admin(port: db.port, database: "postgres").exec(PostgresSQL.dropDatabase(db.database, force: true))
            lines.append("dropped the copy \(db.server)/\(db.database)")
        }
        for service in j.services where !service.stays && sourceDatabases.contains("\(service.to.port)/\(service.to.database)") {
            let conn = try admin(port: service.to.port, database: service.to.database)
            for table in j.tables where table.service == service.service {
                try conn.exec("DROP TABLE IF EXISTS \(Escape.sqlIdentifier(service.to.schema)).\(Escape.sqlIdentifier(table.target)) CASCADE")
            }
            lines.append("dropped the copies of \(service.service)'s tables in \(service.to)")
            lines += try dropRoutines(service, conn: conn)
        }
        return lines
    }

    /// What `--finish` drops: the kept source databases and source tables.
    public func finishList() throws -> [String] {
        guard let j = try MoveJournal.load(projectDirectory: directory) else { throw MoveError.nothingToRollBack }
        // Not switched (or copying back): nothing is kept yet; say how to go on.
        guard j.step == .switched else { throw MoveError.otherMoveInProgress(source: j.source, target: j.target) }
        try stacks(source: j.source, target: j.target)
        journal = j
        target.forcePlaced()
        let routines = try keptRoutines().flatMap { kept in
            kept.owned.lines.map { "\($0.split(separator: " ").dropLast().joined(separator: " ")) \(kept.service.from.server)/\(kept.service.from.database) \($0.split(separator: " ").last!)" }
        }
        return j.readOnlyDatabases.map { "database \($0.server)/\($0.database)" }
            + j.revokedTables.map { "table \($0.server)/\($0.database) \($0.schema!).\($0.table!)" } + routines
            + mysqlFinishList(j) + redisFinishList(j)
    }

    /// Drops the kept source and ends the move.
    public func finish() throws -> [String] {
        let lock = try StackLock(path: (directory as NSString).appendingPathComponent(".ovu/move.lock"), onWait: progress)
        defer { withExtendedLifetime(lock) {} }
        let list = try finishList()
        let j = journal!
        let routines = try keptRoutines()
        // The source's own servers (not shared) may have stopped since the switch.
        var own = source.plan
        own.servers = own.servers.filter { targetName($0.name) == nil }
        _ = try NativeEngine(plan: own, paths: source.paths, secrets: source.secrets, progress: progress).start()
        for db in j.readOnlyDatabases {
            try admin(port: db.port, database: "postgres").exec(PostgresSQL.dropDatabase(db.database, force: true))
        }
        for t in j.revokedTables {
            let conn = try admin(port: t.port, database: t.database)
            try conn.exec("DROP TABLE IF EXISTS \(Escape.sqlIdentifier(t.schema!)).\(Escape.sqlIdentifier(t.table!)) CASCADE")
        }
        try dropKeptRoutines(routines)
        try finishMySQL(j)
        _ = try deleteRedisKeys(j, source: true)
        MoveJournal.remove(projectDirectory: directory)
        return list
    }
}
