import Foundation
import Renderers
import Stack
import Testing
import Topology

/// No password in sight while the dumps of BackupTests run.
extension BackupTests {
    // MARK: - Passwords

    /// No password in the crontab, and none in `ps` (arguments or environment) while a dump runs:
    /// the pg_dump of a crontab line is held on a table lock, and meanwhile `ps` and /proc are
    /// read for it and its shell. Generated secrets (dev) and external ones (prod), these from the
    /// bundle's .env or exported in cron's environment (then the line unsets the variable before
    /// the dump tool starts).
    @Test(arguments: [("dev", false), ("prod", false), ("prod", true)])
    func noPasswordInCrontabOrProcessList(scenario: String, exported: Bool) throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try Self.startedStack(project, scenario)
        let (bundle, text) = try Self.renderBundle(project, stack, writeEnv: !exported)
        let passwords = stack.plan.secretRefs.compactMap { stack.secrets[$0.variable] }
        #expect(!passwords.isEmpty)
        for password in passwords {
            #expect(!text.contains(password), "the crontab holds a password")
        }
        // The files it names are private.
        for name in Self.files(in: "\(bundle)/backup") where name != "crontab" {
            let mode = (try FileManager.default.attributesOfItem(atPath: "\(bundle)/backup/\(name)")[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600, "backup/\(name)")
        }

        let ulm = try #require(stack.plan.instance("ulm")?.database)
        let server = try #require(stack.plan.server(ulm.server))
        let target = try #require(stack.plan.backups.targets.first { $0.kind == .pgDump && $0.database == ulm.database && ($0.schema == nil || $0.schema == ulm.schema) })
        let (variables, jobs) = Self.crontab(text)
        let job = try #require(jobs.first { $0.contains("pg_dump") && $0.contains("/\(target.name)/") })
        var cronEnv = Self.cronEnvironment(variables)
        if exported, let ref = server.superuserSecret { cronEnv[ref.variable] = stack.secrets[ref.variable] }
        let env = cronEnv
        #expect(FileManager.default.fileExists(atPath: "\(bundle)/.env") == (stack.plan.secrets == .external && !exported))

        // Hold pg_dump on a lock of one of its tables.
        let superuser = PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres",
                                               password: stack.secrets[server.superuserSecret!.variable], database: ulm.database)
        let lock = try PGConnection(superuser)
        let lockPID = try #require(try lock.exec("SELECT pg_backend_pid()").rows.first?.first ?? nil)
        try lock.exec("BEGIN; LOCK TABLE \(ulm.schema.map { "\($0)." } ?? "")users IN ACCESS EXCLUSIVE MODE")
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Thread {
            outcome.set(Result(catching: { try Self.runCronJob(job, environment: env) }))
            done.signal()
        }.start()
        // Whatever happens below, the lock goes and the job ends before the servers stop.
        var released = false
        defer {
            if !released { _ = try? lock.exec("COMMIT"); _ = done.wait(timeout: .now() + 120) }
        }

        // Wait (by condition, with a deadline) until pg_dump is blocked by our lock. Asked on
        // another connection: inside the lock's transaction pg_stat_activity is a snapshot taken
        // once, which would never show pg_dump arriving.
        let observer = try PGConnection(superuser)
        let deadline = Date().addingTimeInterval(60)
        var waiting: String?
        while Date() < deadline, waiting == nil {
            waiting = try observer.query("""
                SELECT pid::text FROM pg_catalog.pg_stat_activity
                WHERE application_name = 'pg_dump' AND $1::int = ANY (pg_catalog.pg_blocking_pids(pid))
                """, [lockPID]).rows.first?.first ?? nil
            if waiting == nil, done.wait(timeout: .now() + 0.02) == .success {
                let r = try outcome.get()
                Issue.record("the cron job ended before pg_dump reached the lock: exit \(r?.status ?? -1)\n\(r?.output ?? "")")
                released = true
                return
            }
        }
        try #require(waiting != nil, "pg_dump did not reach the lock within 60 s")

        // Every process of this dump: pg_dump (its argv names our port) and its parent shell.
        var pids: [String] = [], toolPIDs: [String] = []
        let port = "-p \(server.port)"
        for pid in try FileManager.default.contentsOfDirectory(atPath: "/proc") where Int32(pid) != nil {
            guard let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { continue }
            let args = String(decoding: cmdline, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
            let program = cmdline.split(separator: 0).first.map { (String(decoding: $0, as: UTF8.self) as NSString).lastPathComponent }
            let tool = program == "pg_dump" && args.contains(port)
            guard tool || args.contains("sh -c") && args.contains("/\(target.name)/") else { continue }
            pids.append(pid)
            if tool { toolPIDs.append(pid) }
            let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(!environ.isEmpty, "cannot read the environment of \(pid)")
            for password in passwords {
                #expect(!args.contains(password), "password in the arguments of \(pid): \(args)")
                // Exported into cron's environment, the password is in the shell's own (initial)
                // environment by the user's choice; the line must keep it from the dump tool.
                if tool || !exported { #expect(!environ.contains(password), "password in the environment of \(pid): \(args.prefix(60))") }
            }
            #expect(!environ.contains("PGPASSWORD="), "PGPASSWORD in the environment of \(pid)")
        }
        #expect(pids.count >= 2 && toolPIDs.count == 1, "found \(pids.count) processes of the dump, \(toolPIDs.count) pg_dump")
        // `ps` as a user runs it: no password in any process's arguments; and none in the
        // environment of the dump's processes (`ps e`). The stack's services are left out of the
        // latter: they get their own DB_PASSWORD in their environment by design (env/<svc>.env).
        let ps = try Subprocess.run(["ps", "-e", "-ww", "-o", "pid,args"])
        let psEnv = try Subprocess.run(["ps", "e", "-ww", "-o", "pid,args", "-p", (exported ? toolPIDs : pids).joined(separator: ",")])
        #expect(ps.output.contains("pg_dump") && ps.output.contains(port), "\(ps.output)")
        #expect(psEnv.status == 0 && psEnv.output.contains("pg_dump") && psEnv.output.contains("PATH="), "\(psEnv.output)")
        for password in passwords {
            #expect(!ps.output.contains(password), "ps shows a password")
            #expect(!psEnv.output.contains(password), "ps e shows a password in the environment of a dump process")
        }

        try lock.exec("COMMIT")
        released = true
        #expect(done.wait(timeout: .now() + 120) == .success)
        let result = try #require(try outcome.get())
        #expect(result.status == 0, "\(result.output)")
        #expect(BackupRunner(stack: stack).dumps(of: target).count == 1)
    }
}

/// A result handed from a thread to the test.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<Subprocess.Result, Error>?
    func set(_ v: Result<Subprocess.Result, Error>) { lock.lock(); value = v; lock.unlock() }
    func get() throws -> Subprocess.Result? { lock.lock(); defer { lock.unlock() }; return try value?.get() }
}
