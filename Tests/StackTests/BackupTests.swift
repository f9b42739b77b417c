import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// Backups that restore, on real PostgreSQL and Redis servers started by the native engine:
/// every line of the rendered backup/crontab run as cron runs it, `backup --verify`, restores
/// (also of damaged dumps), retention with back-dated files, and no password in sight.
///
/// mongodump lines (scenario hybrid) cannot run here: there is no MongoDB server natively. They
/// are checked by `crontab -n` and `sh -n` in RenderersTests.ValidatorTests, and their credential
/// files by the golden files. mysqldump lines run against native MariaDB.
@Suite(.ownThread) struct BackupTests {
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
