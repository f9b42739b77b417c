import Foundation
import Topology

/// `ovudev snapshot`: the whole data of a scenario's native stack — every server's data folder,
/// the state ovudev keeps (applied.json, state.json, provisioned.json) and the secrets in use —
/// under `.ovu/<scenario>/snapshots/<name>/` (in the stack's real folder when `.ovu/<scenario>`
/// links to /var/lib/ovudev). Restore is in SnapshotRestore.swift.
public struct Snapshots {
    public let stack: NativeStack
    /// Free bytes on the filesystem holding a path (statvfs); tests replace it.
    public var freeSpace: (String) -> Int64 = Snapshots.statvfsFree

    public init(stack: NativeStack) { self.stack = stack }

    public var folder: String { "\(stack.paths.root)/snapshots" }
    public func path(_ name: String) -> String { "\(folder)/\(name)" }

    /// The names of the complete snapshots (with a manifest), sorted.
    public func names() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: "\(folder)/\($0)/manifest.json") }.sorted()
    }

    public func manifest(_ name: String) throws -> SnapshotManifest {
        try SnapshotName.validate(name)
        guard names().contains(name) else { throw SnapshotError.unknown(name: name, scenario: stack.plan.scenario, available: names()) }
        return try SnapshotManifest.load(path(name))
    }

    public func list(now: Date = Date()) -> [SnapshotSummary] {
        names().compactMap { name in
            guard let m = try? SnapshotManifest.load(path(name)) else { return nil }
            let holds = m.parts.map { "\($0.server) (\($0.engine)): \($0.holds.isEmpty ? "empty" : $0.holds.joined(separator: ", "))" }
            return SnapshotSummary(name: name, scenario: m.scenario, created: m.created, bytes: m.bytes,
                                   ageSeconds: now.timeIntervalSince(m.created), holds: holds, path: path(name), ready: hasReadyCopy(name))
        }
    }

    public func remove(_ name: String) throws {
        _ = try manifest(name)
        stopPreparers(of: name)  // a ready copy being made inside it would race the removal
        // Renamed aside first, so that a half-removed snapshot is never listed.
        let aside = "\(folder)/.\(name).removing-\(getpid())"
        try FileManager.default.moveItem(atPath: path(name), toPath: aside)
        try FileManager.default.removeItem(atPath: aside)
    }

    /// Takes the lock (or says who holds it, never waits).
    func lock() throws -> StackLock {
        do { return try StackLock(path: stack.paths.lock, wait: false) } catch let error as EngineError {
            throw SnapshotError.busy(scenario: stack.plan.scenario, detail: error.message)
        }
    }

    // MARK: - Save

    /// Saves every server of the running scenario and ovudev's state as `name`. `replace`: an
    /// existing snapshot of that name is replaced (only once the new one is complete).
    /// `applied`: the state to record as applied.json (`up` passes what it is about to save).
    public func save(_ name: String, replace: Bool = false, applied: AppliedState? = nil, holdingLock: Bool = false,
                     progress: (String) -> Void = { _ in }) throws -> SnapshotManifest {
        try SnapshotName.validate(name)
        let lock = holdingLock ? nil : try self.lock()
        defer { withExtendedLifetime(lock) {} }
        if !holdingLock { try stack.loadSecrets(create: false) }
        let plan = stack.plan
        let parts = try SnapshotPart.parts(of: plan, paths: stack.paths)
        let engine = stack.engine
        let stopped = plan.servers.filter { !EngineModules.module($0.engine).isRunning($0, on: engine) }.map(\.name)
        if !stopped.isEmpty { throw SnapshotError.notRunning(scenario: plan.scenario, servers: stopped) }
        if names().contains(name) && !replace { throw SnapshotError.exists(name: name, scenario: plan.scenario) }

        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(folder, 0o700)  // it holds the secrets and every database
        let needed = SnapshotPart.bytes(parts.flatMap(\.liveEntries))
        let free = freeSpace(folder)
        // The new copy, plus a margin for what is written while it is taken.
        if needed + needed / 20 + (64 << 20) > free { throw SnapshotError.noSpace(path: folder, needed: needed, free: free) }

        let started = Date()
        let partial = "\(folder)/.\(name).partial"
        try? fm.removeItem(atPath: partial)
        try fm.createDirectory(atPath: partial, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let services = stack.services
        let stoppingServers = Set(parts.filter(\.stopsServer).map(\.server.name))
        // Services that write to the data being copied stop: those on a server that stops (their
        // connections would break) and those on Redis (a write between SAVE and the copy).
        let stoppedServices = plan.instances.filter { i in
            i.command != nil && (i.database.map { stoppingServers.contains($0.server) } == true || i.redis != nil)
        }.filter { services.stop($0) }.map(\.name)
        var timings: [String: Double] = [:]
        do {
            for part in parts {
                progress("snapshot \(name): \(part.server.name)")
                try part.quiesce(on: stack)
                if part.stopsServer { try EngineModules.module(part.server.engine).stop(part.server, on: engine) }
            }
            let box = TimingBox()
            try parts.concurrentForEach { part in
                let t0 = Date()
                if part.server.engine == .postgres {
                    try SnapshotPart.copyPostgres(from: part.live, to: "\(partial)/\(part.stored)")
                } else {
                    try SnapshotPart.copy(from: part.live, entries: part.entries, to: "\(partial)/\(part.stored)")
                }
                box.set(part.server.name, Date().timeIntervalSince(t0))
            }
            timings = box.values
            _ = try engine.start()
        } catch {
            _ = try? engine.start()
            restart(stoppedServices)
            try? fm.removeItem(atPath: partial)
            throw SnapshotError.saveFailed(name: name, reason: "\(error)")
        }
        try copyState(into: "\(partial)/state", applied: applied)
        try writeSecrets(into: partial)
        let manifest = SnapshotManifest(
            name: name, project: plan.project, scenario: plan.scenario, created: started, topology: SnapshotTopology(plan: plan),
            parts: parts.map { p in
                SnapshotManifest.Part(server: p.server.name, engine: p.server.engine.rawValue, path: p.stored,
                                      bytes: SnapshotPart.bytes(["\(partial)/\(p.stored)"]), method: p.method,
                                      seconds: timings[p.server.name] ?? 0, holds: p.holds(plan: plan))
            },
            stateFiles: Self.stateFiles.filter { fm.fileExists(atPath: "\(partial)/state/\($0)") },
            seedFingerprint: try? seedFingerprint(), seconds: Date().timeIntervalSince(started), servicesStopped: stoppedServices)
        try manifest.save(partial)
        // The complete snapshot takes the name; a replaced one goes only then.
        let final = path(name)
        if fm.fileExists(atPath: final) {
            stopPreparers(of: name)
            let old = "\(folder)/.\(name).replaced-\(getpid())"
            try fm.moveItem(atPath: final, toPath: old)
            try fm.moveItem(atPath: partial, toPath: final)
            try? fm.removeItem(atPath: old)
        } else {
            try fm.moveItem(atPath: partial, toPath: final)
        }
        try restartOrThrow(stoppedServices)
        return manifest
    }

    /// The state files a snapshot holds, as named under `.ovu/<scenario>/`.
    static let stateFiles = ["applied.json", "state.json", "provisioned.json"]

    func copyState(into folder: String, applied: AppliedState?) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in Self.stateFiles {
            let source = "\(stack.paths.root)/\(file)"
            if file == "applied.json", let applied {
                try applied.save("\(folder)/\(file)")
            } else if FileManager.default.fileExists(atPath: source) {
                try FileManager.default.copyItem(atPath: source, toPath: "\(folder)/\(file)")
            }
        }
    }

    func writeSecrets(into folder: String) throws {
        let values = Dictionary(uniqueKeysWithValues: stack.plan.secretRefs.compactMap { ref in stack.secrets[ref.variable].map { (ref.variable, $0) } })
        let data = try JSONSerialization.data(withJSONObject: values, options: [.prettyPrinted, .sortedKeys])
        try Subprocess.writePrivate(data, to: "\(folder)/secrets.json")
    }

    func restart(_ names: [String]) {
        try? restartOrThrow(names)
    }

    func restartOrThrow(_ names: [String]) throws {
        let services = stack.services
        let instances = stack.plan.instances.filter { names.contains($0.name) }
        for instance in instances { try services.start(instance) }
        for instance in instances { try services.waitHealthy(instance) }
    }

    /// SHA-256 over every seed file of the plan (path and content checksum).
    public func seedFingerprint() throws -> String? {
        let seeder = Seeder(plan: stack.plan, projectDirectory: stack.project.directory, secrets: [:])
        var lines: [String] = []
        for instance in stack.plan.instances where !instance.seed.isEmpty {
            for file in try seeder.files(for: instance) {
                lines.append("\(instance.name)\t\(file)\t\(try Seeder.checksum((stack.project.directory as NSString).appendingPathComponent(file)))")
            }
        }
        return lines.isEmpty ? nil : SHA256.hex(Array(lines.joined(separator: "\n").utf8))
    }

    public static func statvfsFree(_ path: String) -> Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return Int64.max }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}

final class TimingBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [String: Double] = [:]
    func set(_ key: String, _ value: Double) { lock.lock(); values[key] = value; lock.unlock() }
}
