import Foundation
import Renderers
import Stack
import Testing
import Topology

/// Backups that restore, on real PostgreSQL and Redis servers started by the native engine:
/// every line of the rendered backup/crontab run as cron runs it, `backup --verify`, restores
/// (also of damaged dumps), retention with back-dated files, and no password in sight.
///
/// mongodump lines (scenario hybrid) cannot run here: there is no MongoDB server natively. They
/// are checked by `crontab -n` and `sh -n` in RenderersTests.ValidatorTests, and their credential
/// files by the golden files. mysqldump lines run against native MariaDB.
@Suite struct BackupTests {
    static let layouts = ["dev", "lean", "stage", "prod", "saas"]

    // MARK: - Helpers

    /// Cron's own `%` rule (Debian's do_command.c): `\%` → `%`, any other backslash pair kept
    /// as written, and an unescaped `%` ends the command: the rest, `%` → newline, is stdin.
    static func cronTranslate(_ command: String) -> (command: String, stdin: String?) {
        var out = ""
        var escaped = false
        var index = command.startIndex
        while index < command.endIndex {
            let ch = command[index]
            if escaped {
                if ch == "%" { out.removeLast(); out.append("%") } else { out.append(ch) }
                escaped = false
            } else if ch == "\\" {
                out.append(ch)
                escaped = true
            } else if ch == "%" {
                return (out, command[command.index(after: index)...].replacingOccurrences(of: "%", with: "\n"))
            } else {
                out.append(ch)
            }
            index = command.index(after: index)
        }
        return (out, nil)
    }

    /// A crontab's `NAME=value` lines and its jobs' commands (after the five schedule fields).
    static func crontab(_ text: String) -> (environment: [String: String], jobs: [String]) {
        var environment: [String: String] = [:]
        var jobs: [String] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let eq = line.firstIndex(of: "="), line[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                var value = String(line[line.index(after: eq)...])
                if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f { value = String(value.dropFirst().dropLast()) }
                environment[String(line[..<eq])] = value
                continue
            }
            var rest = Substring(line)
            for _ in 0..<5 { rest = rest.drop(while: { $0 != " " }).drop(while: { $0 == " " }) }
            jobs.append(String(rest))
        }
        return (environment, jobs)
    }

    /// What cron gives a job: the crontab's variables, plus HOME and LOGNAME.
    static func cronEnvironment(_ crontab: [String: String]) -> [String: String] {
        var env = ["HOME": NSHomeDirectory(), "LOGNAME": NSUserName()]
        for (k, v) in crontab { env[k] = v }
        return env
    }

    /// Runs one crontab command the way cron does: `%` rule, then `/bin/sh -c`.
    static func runCronJob(_ job: String, environment: [String: String]) throws -> Subprocess.Result {
        let (command, stdin) = cronTranslate(job)
        #expect(stdin == nil, "an unescaped % would cut the command: \(job)")
        return try Subprocess.run(["/bin/sh", "-c", command], environment: environment)
    }

    /// Up (without the check) with external secrets made up for the test.
    static func startedStack(_ project: TempProject, _ scenario: String) throws -> NativeStack {
        let stack = try project.stack(scenario)
        if stack.plan.secrets == .external {
            stack.useSecrets(Dictionary(uniqueKeysWithValues: stack.plan.secretRefs.map { ($0.variable, SecretStore.generatePassword()) }))
        }
        _ = try stack.up(check: false)
        return stack
    }

    /// Renders the scenario's bundle into the project; with external secrets, writes the
    /// bundle's .env (what docker compose reads, and the crontab's lines too).
    static func renderBundle(_ project: TempProject, _ stack: NativeStack, writeEnv: Bool = true) throws -> (bundle: String, crontab: String) {
        let out = "\(project.directory)/render/\(stack.plan.scenario)"
        let rendered = try project.project.render(scenario: stack.plan.scenario, output: out)
        if stack.plan.secrets == .external && writeEnv {
            let env = stack.plan.secretRefs.map { "\($0.variable)=\(stack.secrets[$0.variable]!)\n" }.joined()
            #expect(FileManager.default.createFile(atPath: "\(out)/.env", contents: Data(env.utf8), attributes: [.posixPermissions: 0o600]))
        }
        return (rendered.directory, try String(contentsOfFile: "\(out)/backup/crontab", encoding: .utf8))
    }

    /// Rows for the checksums to chew on, as the service's own role: a table with a serial
    /// (a sequence), one without a primary key holding duplicate rows, NULLs and odd text.
    static func addData(_ stack: NativeStack) throws {
        for instance in stack.plan.instances where instance.service == "smm" || instance.service == "ulm" {
            guard let db = instance.database, let server = stack.plan.server(db.server) else { continue }
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: db.role, password: stack.secrets[db.secret.variable], database: db.database))
            let p = db.tablePrefix ?? ""
            try conn.exec("""
                CREATE TABLE \(p)audit (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), note text);
                INSERT INTO \(p)audit (note) SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g || E' \\t ''q'' "dq" \\\\ ü' END FROM generate_series(1, 3000) g;
                CREATE TABLE \(p)nopk (a int, b text);
                INSERT INTO \(p)nopk SELECT g % 50, md5((g % 50)::text) FROM generate_series(1, 500) g;
                """)
        }
    }

    /// Every table's fingerprint of every PostgreSQL target, through the superuser.
    static func fingerprints(_ stack: NativeStack) throws -> [String: [String: Fingerprint]] {
        var all: [String: [String: Fingerprint]] = [:]
        for t in stack.plan.backups.targets where t.kind == .pgDump {
            let server = try #require(stack.plan.server(t.server))
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres",
                                                               password: stack.secrets[server.superuserSecret!.variable], database: t.database!))
            all[t.name] = try BackupRunner.fingerprints(conn, schemas: t.schema.map { [$0] })
        }
        return all
    }

    static func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    // MARK: - The drill, per layout

    /// For each PostgreSQL/Redis layout of the example topology: every backup line of the
    /// rendered crontab, run by `sh -c` after cron's `%` rule, writes a non-empty, private dump
    /// that restores to the same data; `backup --verify` finds 0 differences in every table;
    /// rows deleted, then `restore latest` brings them back (counts and checksums as before).
    @Test(arguments: layouts)
    func drill(scenario: String) throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try Self.startedStack(project, scenario)
        try Self.addData(stack)
        let (bundle, text) = try Self.renderBundle(project, stack)
        let runner = BackupRunner(stack: stack)

        // 1. The crontab's own lines, as cron runs them.
        let (cronVariables, jobs) = Self.crontab(text)
        let env = Self.cronEnvironment(cronVariables)
        #expect(cronVariables["OVU_BUNDLE"] == bundle)
        #expect(cronVariables["OVU_BACKUPS"] == runner.backupsDirectory)
        let backupJobs = jobs.filter { $0.contains("mkdir -p") }
        #expect(backupJobs.count == stack.plan.backups.targets.count)
        #expect(jobs.count == 2 * stack.plan.backups.targets.count)
        for job in backupJobs {
            let r = try Self.runCronJob(job, environment: env)
            #expect(r.status == 0, "\(job)\n\(r.output)")
            #expect(r.output.isEmpty, "cron would mail this (the line's output belongs in backup.log): \(r.output)")
        }
        let log = (try? String(contentsOfFile: "\(runner.backupsDirectory)/backup.log", encoding: .utf8)) ?? ""
        for t in stack.plan.backups.targets {
            let dumps = runner.dumps(of: t)
            #expect(dumps.count == 1, "\(t.name): \(Self.files(in: runner.folder(t)))")
            #expect(!Self.files(in: runner.folder(t)).contains { $0.hasSuffix(".part") || $0.hasSuffix(".raw") })
            guard let file = dumps.first else { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            #expect(((attributes[.size] as? NSNumber)?.intValue ?? 0) > 0, "\(file) is empty")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(file) must be private")
            #expect(log.contains("ok \(file)"), "backup.log lacks the ok line for \(file):\n\(log)")
            // The cron dump restores to exactly the data (nothing changed since).
            let report = try runner.verify(file: file, target: t)
            #expect(report.error == nil, "\(t.name): \(report.error ?? "")")
            #expect(!report.tables.isEmpty)
            for c in report.tables { #expect(c.status == .same, "cron dump \(t.name) \(c.object): \(c)") }
        }

        // 2. backup --verify: 0 differences for every table.
        let before = try Self.fingerprints(stack)
        for t in stack.plan.backups.targets {
            let (file, report) = try runner.backupAndVerify(t)
            #expect(file.bytes > 0)
            #expect(report.passed, "\(t.name): \(report.error ?? "") \(report.tables.filter { $0.status != .same })")
            if t.kind == .pgDump {
                let tables = report.tables.filter { !$0.object.hasPrefix("sequence ") }
                #expect(Set(tables.map(\.object)) == Set(before[t.name]!.keys.filter { !$0.hasPrefix("sequence ") }))
                #expect(tables.allSatisfy { $0.status == .same && $0.sourceRows == $0.restoredRows && $0.sourceChecksum == $0.restoredChecksum })
            }
        }
        #expect(try Self.fingerprints(stack) == before, "backup --verify changed the data")

        // 3. Delete rows, restore the latest dump in place, and everything is back.
        let ulm = try #require(stack.plan.instances.first { $0.service == "ulm" })
        let access = try #require(ulm.database)
        let target = try #require(runner.targets(matching: ulm.name)?.first { $0.kind == .pgDump })
        let server = try #require(stack.plan.server(access.server))
        let conn = try PGConnection(PGConnectionParameters(port: server.port, user: access.role, password: stack.secrets[access.secret.variable], database: access.database))
        let p = access.tablePrefix ?? ""
        try conn.exec("DELETE FROM \(p)audit WHERE id % 3 = 0; DELETE FROM \(p)nopk WHERE a < 10; UPDATE \(p)roles SET name = name || '!'")
        #expect(try Self.fingerprints(stack)[target.name] != before[target.name])
        let latest = try #require(runner.latest(target))
        let report = try runner.restore(file: latest, target: target)
        #expect(report.serviceCheck?.passed == true, "\(report.serviceCheck?.findings.filter { $0.status != .ok } ?? [])")
        #expect(report.kept == nil)
        #expect(try Self.fingerprints(stack) == before, "restore did not bring back the data")
        // The service still reaches its (restored) data with its own role; nothing else was left behind.
        let again = try PGConnection(PGConnectionParameters(port: server.port, user: access.role, password: stack.secrets[access.secret.variable], database: access.database))
        #expect(try again.exec("SELECT count(*) FROM \(p)audit").rows.first?.first == "3000")
        let admin = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres", password: stack.secrets[server.superuserSecret!.variable], database: "postgres"))
        #expect(try admin.exec("SELECT datname FROM pg_database WHERE datname LIKE '%restor%' OR datname LIKE 'ovu_verify%'").rows.isEmpty)
        let check = try Checker(plan: stack.plan, secrets: stack.secrets).run()
        #expect(check.passed, "\(check.findings.filter { $0.status != .ok && $0.status != .skipped })")
    }

    /// Layout `mixed` (scenario hybrid): `up` refuses it natively (MongoDB needs the docker
    /// engine), so its PostgreSQL, Redis and MySQL servers are started and provisioned directly.
    /// Its pg_dump and redis-cli lines, run as cron runs them, write non-empty dumps that restore
    /// to the same data; so does its mysqldump line (the superuser logs in over TCP with the
    /// plan's password, as in the docker image). Its mongodump line cannot succeed here: it fails
    /// the way every line fails, with exit 1, nothing on stdout for cron to mail, a FAILED line in
    /// backup.log, and no file left that could pass for a backup.
    @Test func mixedLayoutLines() throws {
        if let missing = MySQLTools.missing() {
            throw EngineError("\(missing) not installed: \(MySQLTools.installCommand) (scripts/install-deps.sh does it)")
        }
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack("hybrid")
        try stack.loadSecrets()
        _ = try NativeEngine(plan: stack.plan, paths: stack.paths, secrets: stack.secrets).start()
        var provisioner = Provisioner(plan: stack.plan, secrets: stack.secrets, stateDirectory: stack.paths.root)
        provisioner.adminSockets = stack.adminSockets
        provisioner.mysqlAdmins = stack.mysqlAdmins
        provisioner.mysqlInitSQL = try stack.mysqlInitSQL()
        _ = try provisioner.provision()
        // No migrations ran: a table with rows per PostgreSQL database, made by its own role, and
        // a key per Redis index.
        for instance in stack.plan.instances {
            if let db = instance.database, let server = stack.plan.server(db.server), server.engine == .postgres {
                let conn = try PGConnection(PGConnectionParameters(port: server.port, user: db.role, password: stack.secrets[db.secret.variable], database: db.database))
                try conn.exec("CREATE TABLE \(db.tablePrefix ?? "")audit (id bigserial PRIMARY KEY, note text); INSERT INTO \(db.tablePrefix ?? "")audit (note) SELECT 'row ' || g FROM generate_series(1, 500) g")
            }
            if let db = instance.database, let server = stack.plan.server(db.server), server.engine == .mysql {
                let login = MySQLLogin(route: .tcp(port: server.port), user: db.role, password: stack.secrets[db.secret.variable])
                let rows = (1...500).map { "(\($0), 'row \($0) \\t ''q'' ü')" }.joined(separator: ",")
                try login.exec("CREATE TABLE audit (id INT PRIMARY KEY, note TEXT); INSERT INTO audit VALUES \(rows);", database: db.database)
            }
            if let slot = instance.redis, let server = stack.plan.server(slot.server) {
                let redis = try RedisConnection(port: server.port)
                try redis.select(slot.index)
                #expect(try redis.command(["SET", "\(instance.name):greeting", "hello"]) == .status("OK"))
            }
        }
        let (_, text) = try Self.renderBundle(project, stack)
        let runner = BackupRunner(stack: stack)
        let (variables, jobs) = Self.crontab(text)
        let env = Self.cronEnvironment(variables)
        let kinds = Set(stack.plan.backups.targets.map(\.kind))
        #expect(kinds == [.pgDump, .redisRDB, .mysqldump, .mongodump], "\(kinds)")

        for t in stack.plan.backups.targets {
            let job = try #require(jobs.first { $0.contains("mkdir -p \"$OVU_BACKUPS/\(BackupCommand.folder(t))\"") }, "no line for \(t.name)")
            let r = try Self.runCronJob(job, environment: env)
            #expect(r.output.isEmpty, "cron would mail this: \(r.output)")
            let log = (try? String(contentsOfFile: "\(runner.backupsDirectory)/backup.log", encoding: .utf8)) ?? ""
            switch t.kind {
            case .pgDump, .redisRDB:
                #expect(r.status == 0, "\(t.name): \(log)")
                let dumps = runner.dumps(of: t)
                let file = try #require(dumps.first, "\(t.name): no dump in \(Self.files(in: runner.folder(t)))")
                let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
                #expect(size > 0, "\(file) is empty")
                #expect(log.contains("ok \(file)"))
                let report = try runner.verify(file: file, target: t)
                #expect(report.error == nil && report.passed, "\(t.name): \(report)")
                if t.kind == .pgDump {
                    #expect(report.tables.contains { $0.object.hasSuffix("audit") && $0.restoredRows == 500 && $0.status == .same }, "\(t.name): \(report.tables)")
                } else {
                    #expect(report.tables.first?.restoredRows == Int64(stack.plan.instances.filter { $0.redis?.server == t.server }.count), "\(report.tables)")
                }
            case .mysqldump:
                #expect(r.status == 0, "\(t.name): \(log)")
                let file = try #require(runner.dumps(of: t).first, "\(t.name): no dump in \(Self.files(in: runner.folder(t)))")
                #expect(log.contains("ok \(file)"))
                try Self.expectMySQLDumpRestores(file, target: t, stack: stack)
                // `ovudev backup` runs the same command.
                let own = try runner.backup(t)
                #expect(own.path.hasSuffix(".sql.gz") && own.bytes > 0)
                #expect((try FileManager.default.attributesOfItem(atPath: own.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
                try Self.expectMySQLDumpRestores(own.path, target: t, stack: stack)
                #expect(Self.files(in: runner.folder(t)).allSatisfy { $0.hasSuffix(".sql.gz") }, "\(Self.files(in: runner.folder(t)))")
                // --verify: loaded into a scratch database, every table's count and CHECKSUM TABLE compared.
                let (_, verified) = try runner.backupAndVerify(t)
                #expect(verified.error == nil && verified.passed && verified.note == nil, "\(verified)")
                #expect(verified.tables.map(\.object) == ["audit"] && verified.tables.first?.restoredRows == 500, "\(verified.tables)")
                let server = try #require(stack.plan.server(t.server))
                let admin = try #require(stack.mysqlAdmins[server.name])
                let databases = { try admin.exec("SHOW DATABASES LIKE 'ovu\\_verify%';").rows }
                #expect(try databases().isEmpty, "scratch databases are left")
                // A changed row after the dump: same count, another checksum.
                try admin.exec("UPDATE audit SET note = 'changed' WHERE id = 250;", database: t.database)
                let changed = try runner.verify(file: own.path, target: t)
                #expect(changed.tables.map(\.status) == [.different] && changed.tables.first?.sourceRows == 500, "\(changed.tables)")
                // A truncated dump does not load.
                let data = try Data(contentsOf: URL(fileURLWithPath: own.path))
                let cut = "\(project.directory)/cut.sql.gz"
                try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
                let broken = try runner.verify(file: cut, target: t)
                #expect(broken.error != nil && !broken.passed, "\(broken)")
                #expect(try databases().isEmpty, "scratch databases are left")
            case .mongodump:
                #expect(r.status != 0, "\(t.name) cannot have succeeded: \(log)")
                #expect(log.contains("FAILED \(t.name)"), "\(log)")
                #expect(Self.files(in: runner.folder(t)).isEmpty, "a failed \(t.kind.rawValue) left \(Self.files(in: runner.folder(t)))")
            }
        }
        _ = try NativeEngine(plan: stack.plan, paths: stack.paths, secrets: stack.secrets).stop(removeData: true)
    }

    /// A gzipped mysqldump of the target's database: intact (`gzip -t`), complete (mysqldump's
    /// last line), and after the table is emptied, loading it brings back all 500 rows.
    static func expectMySQLDumpRestores(_ file: String, target t: BackupTarget, stack: NativeStack) throws {
        let server = try #require(stack.plan.server(t.server))
        let admin = try #require(stack.mysqlAdmins[server.name])
        #expect(try Subprocess.run(["gzip", "-t", file]).status == 0, "\(file) is not an intact gzip file")
        let sql = try Subprocess.run(["gzip", "-dc", file])
        #expect(sql.status == 0)
        #expect(sql.output.contains("CREATE TABLE `audit`"), "\(sql.output.prefix(400))")
        #expect(sql.output.contains("-- Dump completed"), "the dump is not complete")
        try admin.exec("DELETE FROM audit;", database: t.database)
        try admin.exec(sql.output)
        let count = try admin.exec("SELECT COUNT(*), SUM(id) FROM audit;", database: t.database).rows
        #expect(count == [["500", "125250"]], "\(count)")
    }

    // MARK: - Damaged dumps

    /// A truncated dump, one with flipped bytes in its data, and a file that is no dump at all:
    /// `verify` reports each with a clear error, and `restore` refuses each, leaving the data
    /// as it was (in place of a database and of a single-db schema).
    @Test(arguments: ["stage", "dev"])
    func damagedDumpsAreDetectedAndChangeNothing(scenario: String) throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try Self.startedStack(project, scenario)
        try Self.addData(stack)
        let runner = BackupRunner(stack: stack)
        let target = try #require(runner.targets(matching: "smm")?.first { $0.kind == .pgDump })
        let good = try runner.backup(target)
        let data = try Data(contentsOf: URL(fileURLWithPath: good.path))
        let dir = runner.folder(target)
        let truncated = "\(dir)/\(target.name)-29990101T000000Z.dump"
        try data.dropLast(200).write(to: URL(fileURLWithPath: truncated))
        var flippedData = data
        for i in (data.count / 2)..<(data.count / 2 + 16) { flippedData[i] ^= 0x55 }
        let flipped = "\(project.directory)/flipped.dump"
        try flippedData.write(to: URL(fileURLWithPath: flipped))
        let garbage = "\(project.directory)/garbage.dump"
        try Data("this is not a dump\n".utf8).write(to: URL(fileURLWithPath: garbage))

        let before = try Self.fingerprints(stack)
        for file in [truncated, flipped, garbage] {
            let report = try runner.verify(file: file, target: target)
            #expect(!report.passed)
            switch report.failure {
            case .dumpNotRestored(file: file, database: _, program: "pg_restore", status: _)?, .dumpUnreadable(file: file)?: break
            default: Issue.record("not a damaged \(file): \(String(describing: report.failure))\n\(report.error ?? "no error")")
            }
            let error = try #require(#expect(throws: EngineError.self, "restored the damaged \(file)") { _ = try runner.restore(file: file, target: target) })
            switch error.kind {
            case .dumpUnreadable(file: file): break // pg_restore --list refuses it: nothing was touched
            case .restoreFailed(database: target.database!, schema: target.schema, cause: .dumpNotRestored(file: file, database: _, program: "pg_restore", status: _)): break
            default: Issue.record("not a damaged \(file) that changed nothing: \(error.kind)\n\(error)")
            }
            #expect(try Self.fingerprints(stack) == before, "a failed restore of \(file) changed the data")
        }
        // The truncated one is the newest: `ovudev restore latest smm` fails with exit 1 and says why.
        let cli = try ovudev(["restore", "latest", "smm", "--scenario", scenario, "--yes"], directory: project.directory)
        #expect(cli.status == 1, "\(cli.output)")
        #expect(cli.output.contains("could not be restored") && cli.output.contains("was not changed") || cli.output.contains("put back"), "\(cli.output)")
        #expect(try Self.fingerprints(stack) == before)
        let server = try #require(stack.plan.server(target.server))
        let admin = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres", password: stack.secrets[server.superuserSecret!.variable], database: target.database!))
        #expect(try admin.exec("SELECT datname FROM pg_database WHERE datname LIKE '%restor%' OR datname LIKE 'ovu_verify%'").rows.isEmpty)
        #expect(try admin.exec("SELECT nspname FROM pg_namespace WHERE nspname LIKE '%restore%'").rows.isEmpty)
    }

    // MARK: - Retention

    /// The rendered retention line, run as cron runs it, on back-dated dumps (`touch -d`): exactly
    /// keepDays days of dumps stay; stale .part files go; other files stay; and when every dump is
    /// old (backups failing), nothing is deleted.
    @Test(arguments: [7, 3, 1])
    func retentionKeepsExactlyKeepDays(keepDays: Int) throws {
        let project = try TempProject { json in
            json["backups"] = ["schedule": "30 3 * * *", "keepDays": keepDays, "dir": "backups"]
        }
        defer { project.close() }
        let stack = try project.stack("stage")
        let (_, text) = try Self.renderBundle(project, stack)
        let (variables, jobs) = Self.crontab(text)
        let runner = BackupRunner(stack: stack)
        let target = try #require(stack.plan.backups.targets.first { $0.kind == .pgDump })
        let retention = try #require(jobs.first { $0.contains("find ") && $0.contains("/\(target.name)\"") })
        let dir = runner.folder(target)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        func make(_ name: String, daysAgo: Int) throws {
            let path = "\(dir)/\(name)"
            #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
            // An hour past the day boundary, so that whole days decide.
            let r = try Subprocess.run(["touch", "-d", "\(daysAgo) days ago 1 hour ago", path])
            #expect(r.status == 0, "\(r.output)")
        }
        let day = 86_400.0
        var expected = Set<String>()
        for n in 0...12 {
            let name = BackupCommand.fileName(target, date: Date(timeIntervalSinceNow: -Double(n) * day))
            try make(name, daysAgo: n)
            if n < keepDays { expected.insert(name) }
        }
        try make("\(target.name)-20000101T000000Z.\(target.fileExtension).part", daysAgo: keepDays + 3)
        try make("notes.txt", daysAgo: 90)
        expected.insert("notes.txt")

        let r = try Self.runCronJob(retention, environment: Self.cronEnvironment(variables))
        #expect(r.status == 0, "\(r.output)")
        let left = Set(Self.files(in: dir))
        #expect(left == expected)
        #expect(left.filter { $0.hasSuffix(".\(target.fileExtension)") }.count == keepDays)
        #expect(runner.dumps(of: target).count == keepDays)

        // Only old dumps: the backups are failing; the retention line keeps them all.
        for name in left where name.hasPrefix(target.name) { try FileManager.default.removeItem(atPath: "\(dir)/\(name)") }
        var old = Set<String>()
        for n in (keepDays + 1)...(keepDays + 4) {
            let name = BackupCommand.fileName(target, date: Date(timeIntervalSinceNow: -Double(n) * day))
            try make(name, daysAgo: n)
            old.insert(name)
        }
        _ = try Self.runCronJob(retention, environment: Self.cronEnvironment(variables))
        #expect(Set(Self.files(in: dir)) == old.union(["notes.txt"]))
    }

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

    // MARK: - The commands

    /// `ovudev backup --verify` and `ovudev restore` as a user runs them: exit codes, refusals.
    @Test func commandLine() throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try Self.startedStack(project, "dev")
        let dir = project.directory
        let verify = try ovudev(["backup", "--verify", "--scenario", "dev"], directory: dir)
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("0 differences"), "\(verify.output)")
        #expect(verify.output.contains("ulm.users"))

        let json = try ovudev(["backup", "ulm", "--scenario", "dev", "--json"], directory: dir)
        #expect(json.status == 0, "\(json.output)")
        #expect(json.output.contains("\"target\" : \"ovu_db.ulm\""), "\(json.output)")

        let unknown = try ovudev(["backup", "nosuch", "--scenario", "dev"], directory: dir)
        #expect(unknown.status == 2, "\(unknown.output)")
        let noService = try ovudev(["restore", "latest", "--scenario", "dev"], directory: dir)
        #expect(noService.status == 2, "\(noService.output)")
        // No terminal to ask on and no --yes: nothing happens.
        let unconfirmed = try ovudev(["restore", "latest", "ulm", "--scenario", "dev"], directory: dir)
        #expect(unconfirmed.status == 1)
        #expect(unconfirmed.output.contains("--yes"), "\(unconfirmed.output)")

        let ulm = try #require(stack.plan.instance("ulm")?.database)
        let server = try #require(stack.plan.server(ulm.server))
        let conn = try PGConnection(PGConnectionParameters(port: server.port, user: ulm.role, password: stack.secrets[ulm.secret.variable], database: ulm.database))
        try conn.exec("DELETE FROM users")
        let restored = try ovudev(["restore", "latest", "ulm", "--scenario", "dev", "--yes"], directory: dir)
        #expect(restored.status == 0, "\(restored.output)")
        #expect(try conn.exec("SELECT count(*) FROM ulm.users").rows.first?.first == "3")

        // --into: a new database with the dump, private; the service's own data untouched.
        let into = try ovudev(["restore", "latest", "ulm", "--scenario", "dev", "--into", "ulm_copy"], directory: dir)
        #expect(into.status == 0, "\(into.output)")
        let admin = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres", password: stack.secrets[server.superuserSecret!.variable], database: "ulm_copy"))
        #expect(try admin.exec("SELECT count(*) FROM ulm.users").rows.first?.first == "3")
        #expect(try admin.exec("SELECT FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = 'ulm_copy' AND a.grantee = 0").rows.isEmpty,
                "PUBLIC may connect to the restored copy")
        let twice = try ovudev(["restore", "latest", "ulm", "--scenario", "dev", "--into", "ulm_copy"], directory: dir)
        #expect(twice.status == 1)
        #expect(twice.output.contains("already exists"), "\(twice.output)")
    }
}

/// A result handed from a thread to the test.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<Subprocess.Result, Error>?
    func set(_ v: Result<Subprocess.Result, Error>) { lock.lock(); value = v; lock.unlock() }
    func get() throws -> Subprocess.Result? { lock.lock(); defer { lock.unlock() }; return try value?.get() }
}
