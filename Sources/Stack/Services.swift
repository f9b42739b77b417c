import Foundation
import Statements
import Topology

/// The service processes of a native stack: migrations run to completion, commands run in the
/// background with their env, logs under `.ovu/<scenario>/logs/`, pids under `pids/`.
public struct ServiceProcesses {
    public let plan: Plan
    public let paths: StackPaths
    public let projectDirectory: String
    public let secrets: [String: String]

    public init(plan: Plan, paths: StackPaths, projectDirectory: String, secrets: [String: String]) {
        self.plan = plan
        self.paths = paths
        self.projectDirectory = projectDirectory
        self.secrets = secrets
    }

    /// The instance's environment for a host process, on top of this process's PATH and HOME.
    public func environment(for instance: ServiceInstance) -> [String: String] {
        var env: [String: String] = [:]
        let inherited = ProcessInfo.processInfo.environment
        for key in ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "PYTHONPATH", "VIRTUAL_ENV"] {
            if let value = inherited[key] { env[key] = value }
        }
        env.merge(declaredEnvironment(for: instance)) { $1 }
        return env
    }

    /// The variables the Plan gives the instance (no inherited ones): what a restart depends on.
    public func declaredEnvironment(for instance: ServiceInstance) -> [String: String] {
        var env: [String: String] = [:]
        for variable in instance.environment {
            if let value = Self.resolve(variable.host, secrets) { env[variable.key] = value }
        }
        return env
    }

    public static func resolve(_ value: EnvValue, _ secrets: [String: String]) -> String? {
        var out = ""
        for part in value.parts {
            switch part {
            case let .text(t): out += t
            case let .secret(ref, inURL):
                guard let v = secrets[ref.variable] else { return nil }
                out += inURL ? Escape.urlComponent(v) : v
            }
        }
        return out
    }

    func directory(of instance: ServiceInstance) -> String {
        instance.path.map { (projectDirectory as NSString).appendingPathComponent($0) } ?? projectDirectory
    }

    /// A fingerprint of what a migration depends on: its command, its env and the files of its
    /// folder (names, sizes, modification times). Unchanged → the migration is not run again.
    public func migrationFingerprint(_ instance: ServiceInstance) -> String {
        let hash = SHA256()
        hash.update(Array((instance.migrate ?? "").utf8))
        for (key, value) in environment(for: instance).sorted(by: { $0.key < $1.key }) where key != "PATH" && key != "HOME" {
            hash.update(Array("\(key)=\(value)\n".utf8))
        }
        let root = directory(of: instance)
        if let walker = FileManager.default.enumerator(atPath: root) {
            var entries: [String] = []
            while let relative = walker.nextObject() as? String {
                if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") || $0 == "__pycache__" || $0 == "node_modules" }) { continue }
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: "\(root)/\(relative)"),
                      attributes[.type] as? FileAttributeType == .typeRegular else { continue }
                let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
                let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                entries.append("\(relative)\t\(size)\t\(mtime)")
            }
            for entry in entries.sorted() { hash.update(Array((entry + "\n").utf8)) }
        }
        return hash.finalize()
    }

    /// Runs the instance's `migrate` in its folder with its env; output to logs/<instance>.migrate.log.
    public func migrate(_ instance: ServiceInstance) throws {
        guard let command = instance.migrate else { return }
        let log = "\(paths.logs)/\(instance.name).migrate.log"
        try? FileManager.default.removeItem(atPath: log)
        let r = try Subprocess.run(["sh", "-c", command], environment: environment(for: instance), directory: directory(of: instance), log: log)
        guard r.status == 0 else {
            let tail = r.output.split(separator: "\n").suffix(10).joined(separator: "\n")
            throw EngineError("migration of \(instance.name) failed (exit \(r.status)): `\(command)` in \(instance.path ?? ".")\n\(tail)\n(full log: \(log))")
        }
    }

    // MARK: - Background commands

    public func pid(of instance: ServiceInstance) -> pid_t? { pid(ofName: instance.name) }

    /// The pid of an instance by name: also of one the topology no longer has.
    public func pid(ofName name: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: paths.servicePid(name), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0, Subprocess.isAlive(pid) else { return nil }
        // A recycled pid is not ours: the process must still have our marker in its environment.
        // The environment reads empty while a process execs (`sh -c "exec …"` does, right after
        // start): then it is ours unless it is a kernel thread, which has no executable.
        if let environ = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")) {
            if environ.isEmpty {
                if (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) == nil { return nil }
            } else if environ.range(of: Data("OVU_INSTANCE_ID=\(paths.root)/\(name)".utf8)) == nil {
                return nil
            }
        }
        return pid
    }

    /// Starts the instance's command unless it runs already; returns true when it was started.
    @discardableResult
    public func start(_ instance: ServiceInstance) throws -> Bool {
        guard let command = instance.command else { return false }
        if pid(of: instance) != nil { return false }
        if let port = instance.port, !PortProbe.isFree(port) {
            throw EngineError("port \(port) for \(instance.name) is taken by \(PortProbe.holder(of: port) ?? "another process")")
        }
        try FileManager.default.createDirectory(atPath: paths.pids, withIntermediateDirectories: true)
        let log = paths.serviceLog(instance.name)
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        var env = environment(for: instance)
        env["OVU_INSTANCE_ID"] = "\(paths.root)/\(instance.name)"
        let pid = try Subprocess.spawnDetached(["sh", "-c", "exec \(command)"], environment: env, directory: directory(of: instance), output: log)
        try "\(pid)\n".write(toFile: paths.servicePid(instance.name), atomically: true, encoding: .utf8)
        return true
    }

    /// Waits until the instance's health path answers 200, or its process ends, or the timeout.
    public func waitHealthy(_ instance: ServiceInstance, timeout: TimeInterval = 60) throws {
        guard let health = instance.health, let port = instance.port else { return }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if case .success(200) = HTTPProbe.get(port: port, path: health, timeoutSeconds: 2) { return }
            if pid(of: instance) == nil {
                let tail = ((try? String(contentsOfFile: paths.serviceLog(instance.name), encoding: .utf8)) ?? "").split(separator: "\n").suffix(10).joined(separator: "\n")
                throw EngineError("\(instance.name) exited before it answered \(health):\n\(tail)")
            }
            usleep(10_000)
        }
        throw EngineError("\(instance.name) did not answer 200 on http://127.0.0.1:\(port)\(health) within \(Int(timeout)) s (log: \(paths.serviceLog(instance.name)))")
    }

    /// Stops the instance's process group (TERM, then KILL after 10 s).
    public func stop(_ instance: ServiceInstance) -> Bool { stop(name: instance.name) }

    /// Stops an instance by name; true when it was running.
    public func stop(name: String) -> Bool { !stop(names: [name]).isEmpty }

    /// Stops instances by name, all at once: TERM to every process group first, then the wait
    /// (KILL for those still alive after 10 s). Returns the names that were running, in order.
    public func stop(names: [String]) -> [String] {
        var running: [(name: String, pid: pid_t)] = []
        for name in names {
            if let pid = pid(ofName: name) {
                running.append((name, pid))
                kill(-pid, SIGTERM)
                kill(pid, SIGTERM)
            } else {
                try? FileManager.default.removeItem(atPath: paths.servicePid(name))
            }
        }
        _ = Subprocess.waitForExit(running.map(\.pid), within: 10)
        for (name, pid) in running {
            if Subprocess.isAlive(pid) { kill(-pid, SIGKILL); kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: paths.servicePid(name))
        }
        return running.map(\.name)
    }
}
