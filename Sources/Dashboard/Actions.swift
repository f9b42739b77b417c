import Foundation
import Stack
import Topology

/// The page's actions: restart a service, re-seed, back up with verify. Each runs as a job on a
/// thread of its own; its lines go out as `job` events (`{"id", "line"}`) and its end as
/// `jobdone` (`{"id", "ok"}`); `GET /api/jobs/<id>` has the whole output.
public final class Jobs: @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [String: JobOutput] = [:]
    private var counter = 0
    let model: DashboardModel
    let hub: EventHub

    public init(model: DashboardModel, hub: EventHub) {
        self.model = model
        self.hub = hub
    }

    public func job(_ id: String) -> JobOutput? {
        lock.lock(); defer { lock.unlock() }
        return jobs[id]
    }

    struct Line: Encodable { var id: String; var line: String }
    struct Done: Encodable { var id: String; var ok: Bool }

    /// Starts `work` as a job; returns at once with its id.
    func run(_ action: String, _ work: @escaping @Sendable (_ say: @escaping @Sendable (String) -> Void) throws -> Void) -> JobOutput {
        lock.lock()
        counter += 1
        let id = "\(counter)"
        let job = JobOutput(id: id, action: action, lines: [], ok: nil)
        jobs[id] = job
        lock.unlock()
        let say: @Sendable (String) -> Void = { [weak self] text in
            guard let self else { return }
            let line = self.model.redact(text)
            self.lock.lock()
            self.jobs[id]?.lines.append(line)
            self.lock.unlock()
            self.hub.publish("job", Line(id: id, line: line))
        }
        let thread = Thread { [weak self] in
            var ok = true
            do {
                try work(say)
            } catch {
                say("error: \(error)")
                ok = false
            }
            guard let self else { return }
            self.lock.lock()
            self.jobs[id]?.ok = ok
            self.lock.unlock()
            self.hub.publish("jobdone", Done(id: id, ok: ok))
            self.hub.poll()
        }
        thread.start()
        return job
    }

    // MARK: - The actions

    /// Stops the instance (TERM, then KILL after 10 s), starts it with its environment, waits for health.
    public func restart(_ name: String) throws -> JobOutput {
        nonisolated(unsafe) let stack = model.stack
        guard let instance = stack.plan.instance(name), instance.command != nil else {
            throw DashboardError.badRequest("no service instance \"\(name)\" with a command in scenario \(stack.plan.scenario)")
        }
        return run("restart \(name)") { say in
            let lock = try StackLock(path: stack.paths.lock, onWait: say)
            defer { withExtendedLifetime(lock) {} }
            let services = ServiceProcesses(plan: stack.plan, paths: stack.paths, projectDirectory: stack.project.directory, secrets: stack.secrets)
            say(services.stop(name: name) ? "stopped \(name)" : "\(name) was not running")
            try services.start(instance)
            say("started \(name); waiting for \(instance.health ?? "its process")")
            try services.waitHealthy(instance)
            say("\(name) is \(instance.health == nil ? "running" : "healthy")")
        }
    }

    /// `ovudev seed [service] [--force]`.
    public func reseed(service: String?, force: Bool) throws -> JobOutput {
        nonisolated(unsafe) let stack = model.stack
        if let service, !stack.plan.instances.contains(where: { $0.service == service }) {
            throw DashboardError.badRequest("unknown service \"\(service)\"")
        }
        return run("seed \(service ?? "all")\(force ? " --force" : "")") { say in
            let lock = try StackLock(path: stack.paths.lock, onWait: say)
            defer { withExtendedLifetime(lock) {} }
            let results = try Seeder(plan: stack.plan, projectDirectory: stack.project.directory, secrets: stack.secrets)
                .seed(service: service, force: force, progress: say)
            if results.isEmpty { say("no seed files") }
            for r in results { say("\(r.instance) \(r.file): \(r.outcome.rawValue)\(r.rows.map { " (\($0) rows)" } ?? "")\(r.note.map { ": \($0)" } ?? "")") }
        }
    }

    /// `ovudev backup [target] --verify`: every dump restored into a scratch database and compared.
    public func backup(target: String?) throws -> JobOutput {
        nonisolated(unsafe) let stack = model.stack
        let runner = BackupRunner(stack: stack)
        guard let targets = runner.targets(matching: target) else {
            throw DashboardError.badRequest("no backup target, service or server \"\(target ?? "")\"; choose from: \(runner.targetNames.joined(separator: ", "))")
        }
        return run("backup \(target ?? "all") --verify") { say in
            // The same stack, with this job's output as its progress.
            let speaking = NativeStack(project: stack.project, plan: stack.plan, paths: stack.paths, progress: say)
            speaking.useSecrets(stack.secrets)
            let runner = BackupRunner(stack: speaking)
            var failed: [String] = []
            for t in targets {
                if t.kind == .mongodump { say("skipped \(t.name): mongodump runs from the rendered crontab"); continue }
                do {
                    let (file, report) = try runner.backupAndVerify(t)
                    say("\(t.name): \(file.path) \(BackupRunner.formatBytes(file.bytes)) in \(String(format: "%.2f s", file.seconds))")
                    if let error = report.error {
                        say("\(t.name): RESTORE FAILED: \(error)")
                        failed.append(t.name)
                    } else {
                        say("\(t.name): \(report.tables.count) tables and sequences compared, \(report.differences) difference\(report.differences == 1 ? "" : "s")")
                        if report.differences > 0 { failed.append(t.name) }
                    }
                } catch {
                    say("FAILED \(t.name): \(error)")
                    failed.append(t.name)
                }
            }
            if !failed.isEmpty { throw DashboardError.failed("backup failed for \(failed.joined(separator: ", "))") }
        }
    }
}

public enum DashboardError: Error, CustomStringConvertible {
    case badRequest(String)
    case failed(String)

    public var description: String {
        switch self {
        case let .badRequest(text), let .failed(text): return text
        }
    }
}
