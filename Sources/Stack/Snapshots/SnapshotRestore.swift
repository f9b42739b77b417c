import Foundation
import Topology

/// What `snapshot restore` did.
public struct SnapshotRestoreReport: Sendable {
    public var name: String
    public var seconds: Double = 0
    /// Copying the snapshot into the staging folders (the live data untouched).
    public var stageSeconds: Double = 0
    /// Whether the snapshot's ready copy was staged by rename (no copy; see SnapshotReady).
    public var usedReadyCopy = false
    /// Stopping services and servers, swapping by rename, starting the servers.
    public var swapSeconds: Double = 0
    /// Starting the services and waiting for their health.
    public var servicesSeconds: Double = 0
    /// What an earlier, interrupted restore left and what was done about it.
    public var recovered: String?
    public var services: [String] = []
    public var notes: [String] = []
}

/// `.ovu/<scenario>/snapshot-restore/journal.json`: the marker of a restore in progress. Its
/// folder holds `staging/<part>` (the snapshot's copy, next to the live data so that a rename
/// swaps it in) and `previous/<part>` (the data it replaced, until the restored servers answer).
struct RestoreJournal: Codable {
    enum Phase: String, Codable { case staging, swapping }
    struct Unit: Codable {
        /// The live folder or file.
        var live: String
        /// Its path under `staging/` and `previous/`.
        var key: String
        /// Whether the snapshot has it (a state file it lacks is moved aside, not replaced).
        var staged: Bool
    }
    var snapshot: String
    var phase: Phase
    var units: [Unit]
    var pid: Int32
    var started: Date

    static func load(_ path: String) -> RestoreJournal? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return (try? Data(contentsOf: URL(fileURLWithPath: path))).flatMap { try? decoder.decode(RestoreJournal.self, from: $0) }
    }

    /// Atomically (temp file, fsync, rename): a reader sees the old phase or the new one.
    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(self)
        let temp = "\(path).tmp"
        try Subprocess.writePrivate(data, to: temp)
        let fd = open(temp, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
        guard rename(temp, path) == 0 else { throw EngineError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}

extension Snapshots {
    var work: String { "\(stack.paths.root)/snapshot-restore" }
    var journalPath: String { "\(work)/journal.json" }

    /// Restores snapshot `name`: refuses a snapshot of another topology; copies it into staging
    /// folders next to the live data; stops the services and servers; swaps each folder by
    /// rename (the old one kept under `snapshot-restore/previous/`); starts the servers and, once
    /// they answer, drops the previous data; starts the services. A failure after the swap puts
    /// the previous data back. An interrupted earlier restore is finished or rolled back first.
    public func restore(_ name: String, progress: (String) -> Void = { _ in }) throws -> SnapshotRestoreReport {
        let started = Date()
        let manifest = try self.manifest(name)
        let plan = stack.plan
        if manifest.project != plan.project || manifest.scenario != plan.scenario {
            throw SnapshotError.otherScenario(name: name, scenario: "\(manifest.project)/\(manifest.scenario)", expected: "\(plan.project)/\(plan.scenario)")
        }
        let differences = manifest.topology.differences(from: SnapshotTopology(plan: plan))
        if !differences.isEmpty { throw SnapshotError.topologyChanged(name: name, differences: differences) }
        let lock = try self.lock()
        defer { withExtendedLifetime(lock) {} }
        try stack.loadSecrets(create: false)
        var report = SnapshotRestoreReport(name: name)
        report.recovered = try recoverIfInterrupted(progress: progress)
        if let conflict = ActiveStack(projectDirectory: stack.project.directory).runningConflict(for: plan.scenario, ports: AppliedState.ports(of: plan)) {
            throw conflict
        }
        let parts = try SnapshotPart.parts(of: plan, paths: stack.paths)
        let source = path(name)
        let fm = FileManager.default
        try fm.createDirectory(atPath: stack.paths.root, withIntermediateDirectories: true)
        let free = freeSpace(stack.paths.root)
        if manifest.bytes + (64 << 20) > free { throw SnapshotError.noSpace(path: stack.paths.root, needed: manifest.bytes, free: free) }

        sweepTrash()
        // 1. Stage: the live data is not touched. The ready copy, when there is one, is the
        // staging folder by a rename; else the snapshot is copied.
        try? fm.removeItem(atPath: work)
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        report.usedReadyCopy = takeReady(name, as: "\(work)/staging")
        if !report.usedReadyCopy {
            try fm.createDirectory(atPath: "\(work)/staging", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        var units = parts.map { RestoreJournal.Unit(live: $0.live, key: $0.stored, staged: true) }
        units += Self.stateFiles.map { file in
            RestoreJournal.Unit(live: "\(stack.paths.root)/\(file)", key: "state/\(file)", staged: manifest.stateFiles.contains(file))
        }
        var journal = RestoreJournal(snapshot: name, phase: .staging, units: units, pid: getpid(), started: started)
        try journal.save(journalPath)
        progress(report.usedReadyCopy ? "restore \(name): its ready copy staged by rename"
                                      : "restore \(name): copying \(SnapshotError.size(manifest.bytes)) into staging folders")
        let work = self.work
        let copied = report.usedReadyCopy ? Set(parts.map(\.stored)) : []
        try units.filter { $0.staged && !copied.contains($0.key) }.concurrentForEach { unit in
            try SnapshotPart.copy(from: "\(source)/\(unit.key)", entries: nil, to: "\(work)/staging/\(unit.key)")
            StopPoint.reach("snapshot.restore-staging")  // one folder staged, others may be copying
        }
        StopPoint.reach("snapshot.restore-staging")  // (when nothing was copied: the ready copy)
        report.stageSeconds = Date().timeIntervalSince(started)

        // 2. Swap: services and servers stop, each folder is renamed into place.
        let t1 = Date()
        let services = stack.services
        _ = services.stop(names: plan.instances.reversed().map(\.name))
        progress("restore \(name): stopping servers")
        // Their data is replaced next: nothing to save on the way down (no checkpoint, no dump).
        _ = try stack.engine.stop(discarding: true)
        journal.phase = .swapping
        try journal.save(journalPath)
        try swap(journal)
        let secretsNote = try applySecrets(from: source)
        if let secretsNote { report.notes.append(secretsNote) }
        do {
            progress("restore \(name): starting servers")
            _ = try stack.engine.start()
        } catch {
            let back = rollBack(journal)
            throw SnapshotError.restoreFailed(name: name, reason: "the servers did not start on the restored data (\(error))", rolledBack: back)
        }
        // The replaced data goes in the background: unlinking a large cluster's files takes
        // the file system seconds (3 s for 131 MB here under load), and nothing waits on it.
        progress("restore \(name): servers answer; the replaced data is removed in the background")
        discard(work)
        report.swapSeconds = Date().timeIntervalSince(t1)

        // 3. Services, as `up` starts them.
        let t2 = Date()
        let instances = plan.instances.filter { $0.command != nil }
        for instance in instances { try services.start(instance) }
        for instance in instances { try services.waitHealthy(instance) }
        try ActiveStack(projectDirectory: stack.project.directory).activate(plan.scenario)
        report.services = instances.map(\.name)
        report.servicesSeconds = Date().timeIntervalSince(t2)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    var trashPrefix: String { "\(stack.paths.root)/.restore-trash-" }

    /// Renames `folder` aside (at once) and removes it with a detached `rm -rf`; what a removal
    /// that was cut short left is removed by the next restore and by `down --volumes`.
    func discard(_ folder: String) {
        let trash = "\(trashPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard rename(folder, trash) == 0 else { try? FileManager.default.removeItem(atPath: folder); return }
        if (try? Subprocess.spawnDetached(["rm", "-rf", "--", trash], environment: [:], directory: "/", output: "/dev/null")) == nil {
            try? FileManager.default.removeItem(atPath: trash)
        }
    }

    /// Trash that no `rm` removes any more (its removal was cut short), or that is still being
    /// removed: removed here before this returns (`down --volumes` then leaves nothing behind).
    /// With `rm -rf`, which takes a file the detached rm unlinked first as gone; FileManager
    /// stops at the first such file and leaves the rest.
    func sweepTrash() {
        let root = stack.paths.root, prefix = (trashPrefix as NSString).lastPathComponent
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where entry.hasPrefix(prefix) {
            _ = try? Subprocess.run(["rm", "-rf", "--", "\(root)/\(entry)"])
        }
    }

    /// Renames each staged folder into place, the live one aside first. Idempotent: a restore
    /// interrupted anywhere in it is finished by running it again.
    func swap(_ journal: RestoreJournal) throws {
        let fm = FileManager.default
        for unit in journal.units {
            let staging = "\(work)/staging/\(unit.key)", previous = "\(work)/previous/\(unit.key)"
            if fm.fileExists(atPath: staging) {
                if fm.fileExists(atPath: unit.live) {
                    guard !fm.fileExists(atPath: previous) else { throw EngineError("\(unit.live) and \(previous) both exist: cannot tell which data is which; nothing more was changed") }
                    try fm.createDirectory(atPath: (previous as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try fm.moveItem(atPath: unit.live, toPath: previous)
                }
                try fm.moveItem(atPath: staging, toPath: unit.live)
                StopPoint.reach("snapshot.restore-swapping")  // one folder swapped, others not yet
            } else if !unit.staged, fm.fileExists(atPath: unit.live), !fm.fileExists(atPath: previous) {
                try fm.createDirectory(atPath: (previous as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try fm.moveItem(atPath: unit.live, toPath: previous)
            }
        }
    }

    /// Puts the previous data back (servers stopped first, started after); true when it is back.
    func rollBack(_ journal: RestoreJournal) -> Bool {
        let fm = FileManager.default
        _ = try? stack.engine.stop()
        var ok = true
        for unit in journal.units {
            let staging = "\(work)/staging/\(unit.key)", previous = "\(work)/previous/\(unit.key)", discarded = "\(work)/discarded/\(unit.key)"
            do {
                if fm.fileExists(atPath: previous) {
                    if fm.fileExists(atPath: unit.live) {
                        try fm.createDirectory(atPath: (discarded as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                        try fm.moveItem(atPath: unit.live, toPath: discarded)
                    }
                    try fm.moveItem(atPath: previous, toPath: unit.live)
                } else if unit.staged, !fm.fileExists(atPath: staging), fm.fileExists(atPath: unit.live) {
                    try fm.createDirectory(atPath: (discarded as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try fm.moveItem(atPath: unit.live, toPath: discarded)
                }
            } catch { ok = false }
        }
        if let previous = try? Data(contentsOf: URL(fileURLWithPath: "\(work)/secrets.previous.json")),
           let values = try? JSONSerialization.jsonObject(with: previous) as? [String: String] {
            _ = try? storeSecrets(values)
        }
        guard ok, (try? stack.engine.start()) != nil else { return false }
        try? fm.removeItem(atPath: work)
        return true
    }

    /// A restore killed in the middle (its journal is there and its process is gone): before the
    /// swap began, the staging copies are dropped (rolled back: the live data was never touched);
    /// once it began, the swap is finished and the servers started (or, when they do not start on
    /// the restored data, the previous data is put back). Nil when there was nothing to recover.
    public func recoverIfInterrupted(progress: (String) -> Void = { _ in }) throws -> String? {
        let fm = FileManager.default
        guard fm.fileExists(atPath: work) else { return nil }
        // The killed restore's cp may still be writing into the staging folder (it was sent
        // SIGKILL with its parent's death, not yet gone): a removal racing it fails.
        Subprocess.killUsers(of: work)
        guard let journal = RestoreJournal.load(journalPath) else {
            try? fm.removeItem(atPath: work)
            return nil
        }
        switch journal.phase {
        case .staging:
            try fm.removeItem(atPath: work)
            let note = "rolled back the interrupted restore of snapshot \(journal.snapshot) (pid \(journal.pid)): it had not replaced anything yet, the data is as before it"
            progress(note)
            return note
        case .swapping:
            progress("finishing the interrupted restore of snapshot \(journal.snapshot) (pid \(journal.pid))")
            _ = try? stack.engine.stop()
            do {
                try swap(journal)
                if fm.fileExists(atPath: path(journal.snapshot)) { _ = try applySecrets(from: path(journal.snapshot)) }
                _ = try stack.engine.start()
            } catch {
                let back = rollBack(journal)
                throw SnapshotError.restoreFailed(name: journal.snapshot, reason: "finishing the interrupted restore failed (\(error))", rolledBack: back)
            }
            try fm.removeItem(atPath: work)
            let note = "finished the interrupted restore of snapshot \(journal.snapshot) (pid \(journal.pid)): the swap had begun; the restored servers answer"
            progress(note)
            return note
        }
    }

    /// The snapshot's secrets become the stack's: the databases' passwords are those. Generated
    /// secrets are written to the store (the previous values kept in the work folder for a roll
    /// back); external ones that differ are named in the returned note.
    func applySecrets(from snapshot: String) throws -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: "\(snapshot)/secrets.json")),
              let saved = try? JSONSerialization.jsonObject(with: data) as? [String: String] else { return nil }
        let differing = saved.filter { stack.secrets[$0.key] != nil && stack.secrets[$0.key] != $0.value }.map(\.key).sorted()
        if differing.isEmpty { return nil }
        if stack.plan.secrets == .external {
            return "the snapshot's passwords for \(differing.joined(separator: ", ")) differ from the environment's: export the values from when it was taken"
        }
        let previous = Dictionary(uniqueKeysWithValues: differing.compactMap { k in stack.secrets[k].map { (k, $0) } })
        let previousPath = "\(work)/secrets.previous.json"
        if FileManager.default.fileExists(atPath: work), !FileManager.default.fileExists(atPath: previousPath) {
            try Subprocess.writePrivate(try JSONSerialization.data(withJSONObject: previous), to: previousPath)
        }
        try storeSecrets(saved)
        return "the passwords of \(differing.joined(separator: ", ")) were put back to the snapshot's (in .ovu/secrets.json)"
    }

    func storeSecrets(_ values: [String: String]) throws {
        var merged = stack.secrets
        for (key, value) in values where merged[key] != nil { merged[key] = value }
        if stack.plan.secrets == .generated {
            let store = stack.project.secretStore
            var document = try store.load()
            var project = document.projects[stack.plan.project] ?? [:]
            for server in stack.plan.servers {
                var stored = project[server.name] ?? [:]
                let refs = server.secretRefs.map(\.variable)
                for variable in refs { if let value = values[variable] { stored[variable] = value } }
                project[server.name] = stored
            }
            document.projects[stack.plan.project] = project
            try store.save(document)
        }
        stack.useSecrets(merged)
    }
}
