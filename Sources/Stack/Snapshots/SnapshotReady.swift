import Foundation

/// The ready copy of a snapshot: `<snapshot>/ready/` holds a second copy of its servers' data,
/// made in the background after `save` and after each `restore`. A restore then takes it as its
/// staging folder by one rename instead of copying the snapshot (on ext4 the copy was the
/// largest part of a restore: 0.45 s of 2.7 s for 131 MB). Without it (not made yet, no space,
/// still being made) a restore copies as before.
///
/// It is made in `<snapshot>/.ready-<pid>` and renamed when whole, so a restore never takes a
/// half-made one; it lives inside the snapshot's folder, so a snapshot replaced or removed
/// meanwhile takes the half-made copy with it and the maker's rename fails harmlessly.
extension Snapshots {
    public func readyPath(_ name: String) -> String { "\(path(name))/ready" }

    public func hasReadyCopy(_ name: String) -> Bool { FileManager.default.fileExists(atPath: readyPath(name)) }

    /// Makes the ready copy of snapshot `name`; false (and nothing made) when it exists already
    /// or the disk has not room for it with a margin.
    @discardableResult
    public func prepareReady(_ name: String) throws -> Bool {
        let manifest = try self.manifest(name)
        let fm = FileManager.default
        let source = path(name)
        if fm.fileExists(atPath: readyPath(name)) { return false }
        let bytes = manifest.parts.reduce(Int64(0)) { $0 + $1.bytes }
        if bytes + bytes / 10 + (256 << 20) > freeSpace(source) { return false }
        let partial = "\(source)/.ready-\(getpid())"
        try? fm.removeItem(atPath: partial)
        try fm.createDirectory(atPath: partial, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        do {
            for part in manifest.parts {
                try SnapshotPart.copy(from: "\(source)/\(part.path)", entries: nil, to: "\(partial)/\(part.path)")
            }
            guard rename(partial, readyPath(name)) == 0 else {
                throw EngineError("cannot rename \(partial) to \(readyPath(name)): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? fm.removeItem(atPath: partial)
            // Another maker finished first: not a failure.
            if fm.fileExists(atPath: readyPath(name)) { return false }
            throw error
        }
        return true
    }

    /// Takes the ready copy of `name` as the folder `staging` (which must not exist): true when
    /// there was one. What a maker that died left (`.ready-<pid>` of a gone pid) is removed.
    func takeReady(_ name: String, as staging: String) -> Bool {
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: path(name))) ?? [] where entry.hasPrefix(".ready-") {
            if let pid = pid_t(entry.dropFirst(".ready-".count)), !Subprocess.isAlive(pid) {
                try? fm.removeItem(atPath: "\(path(name))/\(entry)")
            }
        }
        try? fm.createDirectory(atPath: (staging as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return rename(readyPath(name), staging) == 0
    }

    /// Stops the makers still copying (`down` stops every process of the stack; a copy going on
    /// while `down --volumes` removes the folder would leave part of it behind).
    public func stopPreparers(of only: String? = nil) {
        let fm = FileManager.default
        for name in only.map({ [$0] }) ?? names() {
            for entry in (try? fm.contentsOfDirectory(atPath: path(name))) ?? [] where entry.hasPrefix(".ready-") {
                guard let pid = pid_t(entry.dropFirst(".ready-".count)) else { continue }
                if Subprocess.isAlive(pid, running: ["ovudev"]) {
                    // Its process group: the maker leads it (started with setsid), its cp is in it.
                    kill(-pid, SIGKILL)
                    _ = Subprocess.waitForExit([pid], within: 5)
                }
                try? fm.removeItem(atPath: "\(path(name))/\(entry)")
                // The output file of the cp it ran (Subprocess.run removes it, when not killed).
                Subprocess.removeOutputs(ofKilled: pid)
            }
        }
    }

    /// Starts `executable snapshot prepare <name>` detached (the CLI passes itself), its output
    /// in `logs/snapshot-prepare.log`. Failures only cost the next restore its shortcut.
    public func prepareInBackground(_ name: String, executable: String) {
        let argv = [executable, "snapshot", "prepare", name, "--scenario", stack.plan.scenario, "--topology", stack.project.topologyPath]
        var environment: [String: String] = [:]
        for key in ["PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "OVUDEV_STATE_BASE", "OVUDEV_CACHE_DIR"] {
            environment[key] = ProcessInfo.processInfo.environment[key]
        }
        try? FileManager.default.createDirectory(atPath: stack.paths.logs, withIntermediateDirectories: true)
        _ = try? Subprocess.spawnDetached(argv, environment: environment, directory: stack.project.directory,
                                         output: "\(stack.paths.logs)/snapshot-prepare.log")
    }
}
