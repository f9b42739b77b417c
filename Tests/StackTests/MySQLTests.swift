import Foundation
import Renderers
import Stack
import Statements
import Testing
import TestSupport
import Topology

/// Services on MySQL, run natively on a real MariaDB (mariadbd) next to PostgreSQL and Redis.
@Suite(.ownThread) struct MySQLTests {
    /// The example project with one more scenario that moves `services` to MySQL.
    func project(_ scenario: String, onMySQL services: [String]) throws -> TempProject {
        try TempProject { json in
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios[scenario] = ["layout": "mixed", "engines": Dictionary(uniqueKeysWithValues: services.map { ($0, "mysql") })]
            json["scenarios"] = scenarios
        }
    }

    func requireMariaDB() throws {
        if let missing = MySQLTools.missing() {
            throw EngineError("\(missing) not installed: \(MySQLTools.installCommand) (scripts/install-deps.sh does it)")
        }
    }

    /// mariadbd processes whose command line names this folder.
    func mariadbds(under directory: String) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), Subprocess.isAlive(pid),
                  let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8),
                  comm.hasPrefix("mariadbd") || comm.hasPrefix("mysqld"),
                  let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")),
                  String(decoding: cmdline, as: UTF8.self).contains(directory) else { return nil }
            return pid
        }
    }

    func env(_ stack: NativeStack, _ instance: String) throws -> [String: String] {
        let i = try #require(stack.plan.instance(instance))
        return ServiceProcesses(plan: stack.plan, paths: stack.paths, projectDirectory: stack.project.directory, secrets: stack.secrets).environment(for: i)
    }

    @Test func oneServiceOnMySQLUpCheckSecondUpKillNineAndDown() throws {
        try requireMariaDB()
        let project = try project("mysqlmix", onMySQL: ["sam"])
        defer { project.close() }
        let stack = try project.stack("mysqlmix")
        let mysql = try #require(stack.plan.servers.first { $0.engine == .mysql })

        let first = try stack.up()
        let check = try #require(first.check)
        #expect(check.passed, "\(check.findings.filter { $0.status != .ok && $0.status != .skipped })")
        #expect(first.servers.contains { $0.name == mysql.name && $0.action == .created && $0.running })
        #expect(first.provisioned.contains("\(mysql.name): user sam_user created"), "\(first.provisioned)")
        #expect(first.provisioned.contains("\(mysql.name): database sam_db created"), "\(first.provisioned)")
        // The MySQL findings: a real login with its password, its own database, the PUBLIC row.
        #expect(check.findings.contains { $0.subject == "sam_user" && $0.check == "own-data" && $0.status == .ok
            && $0.kind == .connectsOverTCP(role: "sam_user", database: "sam_db", port: mysql.port) })
        #expect(check.findings.contains { $0.subject == "sam_user" && $0.check == "isolation" && $0.status == .ok
            && $0.kind == .mysqlPrivilegesExactly(role: "sam_user", server: mysql.name, count: 1, of: mysql.databases.count) })
        #expect(check.findings.contains { $0.subject == "PUBLIC" && $0.check == "public" && $0.status == .ok && $0.kind == .anonymousAccounts(server: mysql.name, accounts: []) })
        #expect(check.findings.contains { $0.subject == "sam" && $0.check == "health" && $0.status == .ok })

        // The env the Plan gives sam is what logs in over TCP.
        let env = try env(stack, "sam")
        #expect(env["DATABASE_URL"]?.hasPrefix("mysql://sam_user:") == true)
        #expect(env["DATABASE_URL"]?.hasSuffix("@127.0.0.1:\(mysql.port)/sam_db") == true)
        #expect(env["DB_HOST"] == "127.0.0.1" && env["DB_PORT"] == String(mysql.port) && env["DB_NAME"] == "sam_db" && env["DB_USER"] == "sam_user")
        let sam = MySQLLogin(route: .tcp(port: mysql.port), user: try #require(env["DB_USER"]), password: env["DB_PASSWORD"])
        try sam.exec("CREATE TABLE kept (id INT PRIMARY KEY); INSERT INTO kept VALUES (7);", database: "sam_db")
        let wrong = try MySQLLogin(route: .tcp(port: mysql.port), user: "sam_user", password: "not-the-password").run("SELECT 1")
        #expect(wrong.errors.first?.code == 1045, "\(wrong.output)")

        let second = try stack.up()
        #expect(second.changedNothing, "second up: servers \(second.servers.map { "\($0.name) \($0.action)" }), provisioned \(second.provisioned)")
        #expect(stack.status().servers.contains { $0.name == mysql.name && $0.running })

        // kill -9: the pid file and socket stay behind; the next up starts it again, data intact.
        let pidText = try String(contentsOfFile: stack.paths.mysqlPid(mysql.name), encoding: .utf8)
        let pid = try #require(pid_t(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
        var waited = 0
        // Dead (its threads may still hold the listener a moment: up must cope with that).
        while Subprocess.isAlive(pid) && waited < 500 { usleep(10_000); waited += 1 }
        #expect(FileManager.default.fileExists(atPath: stack.paths.mysqlPid(mysql.name)))
        let again = try stack.up()
        #expect(again.servers.contains { $0.name == mysql.name && $0.action == .started })
        #expect(again.check?.passed == true)
        #expect(try sam.exec("SELECT id FROM kept", database: "sam_db").rows == [["7"]])

        let down = try stack.down()
        #expect(down.servers.contains { $0.name == mysql.name && $0.action == .stopped })
        for port in stack.plan.servers.filter({ $0.engine != .mongodb }).map(\.port) + stack.plan.instances.compactMap(\.port) {
            #expect(PortProbe.isFree(port), "port \(port) still taken after down: \(PortProbe.holder(of: port) ?? "?")")
        }
        #expect(mariadbds(under: project.directory).isEmpty)
        #expect(!stack.status().servers.contains { $0.running })
        _ = try stack.down(volumes: true)
        #expect(!FileManager.default.fileExists(atPath: stack.paths.mysqlDir(mysql.name)))
    }

    /// Seeds of a service on MySQL: a .sql file and a CSV (quoted commas, doubled quotes, an
    /// empty field as NULL) load once as the service's own user; a second run loads nothing; a
    /// CSV with a bad value and a SQL file with a bad statement each name file and line and leave
    /// nothing of themselves behind (LOAD DATA LOCAL would have turned the bad value into 0).
    @Test func seedsLoadOnceAndABrokenFileRollsBack() throws {
        try requireMariaDB()
        let project = try TempProject { json in
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["mysqlseed"] = ["layout": "mixed", "engines": ["sam": "mysql"]]
            json["scenarios"] = scenarios
            var services = json["services"] as! [String: [String: Any]]
            services["sam"]!["seed"] = ["seeds/sam"]
            json["services"] = services
        }
        defer { project.close() }
        let seeds = "\(project.directory)/seeds/sam"
        try FileManager.default.createDirectory(atPath: seeds, withIntermediateDirectories: true)
        try "CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY, name VARCHAR(50), n INT NULL);\nINSERT INTO items VALUES (100, 'from sql', 1)\n"
            .write(toFile: "\(seeds)/01-schema.sql", atomically: true, encoding: .utf8)
        try "id,name,n\r\n1,\"a, quoted\",5\r\n2,plain,\r\n3,\"say \"\"hi\"\"\",7\r\n".write(toFile: "\(seeds)/02-items.csv", atomically: true, encoding: .utf8)
        let stack = try project.stack("mysqlseed")
        let first = try stack.up()
        #expect(first.check?.passed == true)
        let loaded = first.seeds.filter { $0.instance == "sam" }
        #expect(loaded.map(\.outcome) == [.loaded, .loaded] && loaded.last?.rows == 3, "\(loaded)")
        let mysql = try #require(stack.plan.servers.first { $0.engine == .mysql })
        let admin = try #require(stack.mysqlAdmins[mysql.name])
        let contents = { try admin.exec("SELECT id, name, IFNULL(n, 'NULL') FROM items ORDER BY id;", database: "sam_db").rows }
        let expected = [["1", "a, quoted", "5"], ["2", "plain", "NULL"], ["3", "say \"hi\"", "7"], ["100", "from sql", "1"]]
        #expect(try contents() == expected)

        let seeder = Seeder(plan: stack.plan, projectDirectory: project.directory, secrets: stack.secrets)
        #expect(try seeder.seed(service: "sam").map(\.outcome) == [.unchanged, .unchanged])
        #expect(try contents() == expected, "a second seed changed the data")

        try "id,name,n\n10,ok,1\n11,bad,x\n".write(toFile: "\(seeds)/03-items.csv", atomically: true, encoding: .utf8)
        do {
            _ = try seeder.seed(service: "sam")
            Issue.record("the CSV with a bad value loaded")
        } catch let error as SeedError {
            #expect(error.instance == "sam" && error.file == "seeds/sam/03-items.csv" && error.line == 3, "\(error)")
            #expect(error.code == "1366", "\(error)") // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: the 'x' of an INT column
            #expect(error.message.contains("'x'"), "\(error)")
        }
        try FileManager.default.removeItem(atPath: "\(seeds)/03-items.csv")
        try "INSERT INTO items VALUES (200, 'x', 1);\nINSERT INTO nosuch VALUES (1);\n".write(toFile: "\(seeds)/03-more.sql", atomically: true, encoding: .utf8)
        do {
            _ = try seeder.seed(service: "sam")
            Issue.record("the broken SQL seed loaded")
        } catch let error as SeedError {
            #expect(error.instance == "sam" && error.file == "seeds/sam/03-more.sql" && error.line == 2, "\(error)")
            #expect(error.code == "1146", "\(error)") // ER_NO_SUCH_TABLE
            #expect(error.message.contains("nosuch"), "\(error)")
        }
        #expect(try contents() == expected, "a failed seed file left rows behind")
        let records = try admin.exec("SELECT file FROM ovudev_seeds ORDER BY file;", database: "sam_db").rows
        #expect(records == [["seeds/sam/01-schema.sql"], ["seeds/sam/02-items.csv"]], "\(records)")
        // `ovudev psql` opens the mariadb client as sam_user in sam_db, whatever ~/.my.cnf says.
        try "[client]\nuser=root\npassword=wrong\n".write(toFile: "\(project.directory)/.my.cnf", atomically: false, encoding: .utf8)
        let shell = try ovudev(["psql", "--scenario", "mysqlseed", "sam", "-e", "SELECT CURRENT_USER(), DATABASE(), COUNT(*) FROM items"],
                               directory: project.directory, environment: ["HOME": project.directory])
        #expect(shell.status == 0 && shell.output.contains("sam_user@%\tsam_db\t4"), "\(shell.output)")
        _ = try stack.down(volumes: true)
    }

    /// `ovudev restore` of a mysqldump: in place (rows deleted and a stray row added after the
    /// dump are undone, the service still logs in and passes its checks, nothing is left
    /// behind), into a new database, and a truncated dump that changes nothing.
    @Test func restoreInPlaceIntoANewDatabaseAndADamagedDump() throws {
        try requireMariaDB()
        let project = try project("mysqlrestore", onMySQL: ["sam"])
        defer { project.close() }
        let stack = try project.stack("mysqlrestore")
        _ = try stack.up(check: false)
        let mysql = try #require(stack.plan.servers.first { $0.engine == .mysql })
        let env = try env(stack, "sam")
        let sam = MySQLLogin(route: .tcp(port: mysql.port), user: "sam_user", password: env["DB_PASSWORD"])
        let rows = (1...300).map { "(\($0), 'row \($0)')" }.joined(separator: ",")
        try sam.exec("CREATE TABLE orders (id INT PRIMARY KEY, note TEXT); INSERT INTO orders VALUES \(rows);", database: "sam_db")
        let runner = BackupRunner(stack: stack)
        let target = try #require(runner.targets(matching: "sam")?.first { $0.kind == .mysqldump })
        let dump = try runner.backup(target)
        let summary = { try sam.exec("SELECT COUNT(*), SUM(id) FROM orders;", database: "sam_db").rows }
        let admin = try #require(stack.mysqlAdmins[mysql.name])
        let leftovers = { try admin.exec("SHOW DATABASES LIKE 'sam\\_db\\_%';").rows }

        try sam.exec("DELETE FROM orders WHERE id > 200; INSERT INTO orders VALUES (1000, 'stray');", database: "sam_db")
        let cli = try ovudev(["restore", "--scenario", "mysqlrestore", "latest", "sam", "--yes"], directory: project.directory)
        #expect(cli.status == 0, "\(cli.output)")
        #expect(cli.output.contains("restored") && cli.output.contains("orders"), "\(cli.output)")
        #expect(try summary() == [["300", "45150"]])
        #expect(try leftovers().isEmpty, "staging or set-aside databases were left behind")
        var checker = stack.checker()
        checker.checkHealth = false
        let after = try checker.run()
        #expect(after.passed, "\(after.findings.filter { $0.status != .ok && $0.status != .skipped })")

        let copy = try runner.restore(file: dump.path, target: target, into: "sam_copy")
        #expect(copy.fingerprints["orders"]?.rows == 300, "\(copy.fingerprints)")
        let exists = try #require(#expect(throws: EngineError.self) { _ = try runner.restore(file: dump.path, target: target, into: "sam_copy") })
        #expect(exists.kind == .restoreRefused(database: "sam_copy", server: mysql.name, reason: .exists), "\(exists)")

        let data = try Data(contentsOf: URL(fileURLWithPath: dump.path))
        let cut = "\(project.directory)/cut.sql.gz"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        try sam.exec("DELETE FROM orders WHERE id = 1;", database: "sam_db")
        let failed = try #require(#expect(throws: EngineError.self, "a truncated dump restored") { _ = try runner.restore(file: cut, target: target) })
        switch failed.kind {
        case .restoreFailed(database: "sam_db", schema: nil, cause: .dumpDoesNotLoad(file: cut, code: _)): break
        default: Issue.record("not a dump that does not load, with sam_db not changed: \(failed.kind)\n\(failed)")
        }
        #expect(try summary() == [["299", "45149"]], "the failed restore changed the data")
        #expect(try leftovers().isEmpty, "staging or set-aside databases were left behind")
        _ = try stack.down(volumes: true)
    }

    @Test func twoServicesOnMySQLCannotReachEachOther() throws {
        try requireMariaDB()
        let project = try project("mysqlpair", onMySQL: ["sam", "smm"])
        defer { project.close() }
        let stack = try project.stack("mysqlpair")
        let mysql = try #require(stack.plan.servers.first { $0.engine == .mysql })
        let report = try stack.up(check: true)
        let check = try #require(report.check)
        #expect(check.passed, "\(check.findings.filter { $0.status != .ok && $0.status != .skipped })")
        for user in ["sam_user", "smm_user"] {
            #expect(check.findings.contains { $0.subject == user && $0.check == "isolation" && $0.status == .ok
                && $0.kind == .accessDenied(role: user, server: mysql.name, databases: 1) })
        }
        // A real login as sam is refused smm's database, by USE and by SELECT.
        let samEnv = try env(stack, "sam")
        let sam = MySQLLogin(route: .tcp(port: mysql.port), user: "sam_user", password: samEnv["DB_PASSWORD"])
        let smmEnv = try env(stack, "smm")
        try MySQLLogin(route: .tcp(port: mysql.port), user: "smm_user", password: smmEnv["DB_PASSWORD"]).exec("CREATE TABLE secrets (v TEXT)", database: "smm_db")
        let denied = try sam.run("USE smm_db;\nSELECT * FROM smm_db.secrets;\n", force: true)
        #expect(denied.errors.count == 2 && denied.errors.allSatisfy(\.isAccessDenied), "\(denied.output)")

        // A leaked grant is found by check (catalog and real login), and the next up revokes it.
        let admin = try #require(stack.mysqlAdmins[mysql.name])
        try admin.exec("GRANT SELECT ON `smm\\_db`.* TO 'sam_user'@'%';")
        let leaking = try stack.checker().run()
        #expect(!leaking.passed)
        #expect(leaking.findings.contains { $0.subject == "sam_user" && $0.check == "isolation" && $0.status == .leak
            && $0.kind == .usedDatabases(role: "sam_user", server: mysql.name, databases: ["smm_db"]) })
        #expect(leaking.findings.contains { $0.subject == "sam_user" && $0.check == "isolation" && $0.status == .leak
            && $0.kind == .mysqlPrivileges(role: "sam_user", server: mysql.name, patterns: [Escape.mysqlGrantPattern("smm_db")]) })
        let converged = try stack.up(check: true)
        #expect(converged.provisioned == ["\(mysql.name): user sam_user: privileges set"], "\(converged.provisioned)")
        #expect(converged.check?.passed == true)
        _ = try stack.down(volumes: true)
        #expect(mariadbds(under: project.directory).isEmpty)
    }

    @Test func hybridRefusesNamingMongoDBAndItsService() throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack("hybrid")
        let error = try #require(#expect(throws: EngineError.self, "up of the hybrid scenario (smm on mongodb) did not refuse") { _ = try stack.up() })
        guard case let .nativeRefusal(scenario, servers, containerEngine) = error.kind else {
            Issue.record("not the native refusal: \(error)")
            return
        }
        #expect(scenario == "hybrid")
        let mongodb = servers.first { $0.server == "mongodb" }
        #expect(mongodb?.engine == .mongodb && mongodb?.instances == ["smm"], "\(servers)")
        // It says whether a docker engine answers here, and how to run the scenario with one.
        #expect(containerEngine == (DockerStack.unavailableReason() == nil))
        #expect(error.description.contains("`ovudev up --engine docker"), "\(error)")
        if MySQLTools.server != nil {
            // MySQL runs natively here: the refusal names MongoDB and smm only.
            #expect(servers.map(\.server) == ["mongodb"], "\(servers)")
            #expect(stack.dockerOnly.map(\.server.name) == ["mongodb"])
        }
        // Nothing was started.
        for server in stack.plan.servers { #expect(PortProbe.isFree(server.port)) }
        #expect(mariadbds(under: project.directory).isEmpty)
    }

    @Test func renderedInitSQLRunsTwiceOnNativeMariaDB() throws {
        try requireMariaDB()
        let project = try project("mysqlmix", onMySQL: ["sam", "smm"])
        defer { project.close() }
        let full = try project.stack("mysqlmix")
        try full.loadSecrets()
        // Only the MySQL server: the engine and the rendered file, nothing else.
        var plan = full.plan
        plan.servers = plan.servers.filter { $0.engine == .mysql }
        let mysql = try #require(plan.servers.first)
        let engine = NativeEngine(plan: plan, paths: full.paths, secrets: full.secrets)
        defer { _ = try? engine.stop(removeData: true) }
        #expect(try engine.start().map(\.action) == [.created])

        let rendered = try project.project.render(scenario: "mysqlmix", output: nil, write: false)
        let file = try #require(rendered.files.first { $0.path == "init/\(mysql.name)/init-db.sql" })
        #expect(try full.mysqlInitSQL()[mysql.name] == file.contents, "the native engine applies what render writes")
        let admin = try #require(engine.mysqlAdmins()[mysql.name])
        for _ in 0..<2 { try admin.exec(file.contents) }
        let users = try admin.exec("SELECT User FROM mysql.global_priv WHERE Host = '%' ORDER BY User").rows.map { $0[0] }
        #expect(users == ["sam_user", "smm_user"])
        let grants = try admin.exec("SHOW GRANTS FOR 'sam_user'@'%'").rows.map { $0[0] }
        #expect(grants.contains("GRANT ALL PRIVILEGES ON `sam\\_db`.* TO `sam_user`@`%`"), "\(grants)")
        #expect(grants.count == 2, "\(grants)")
        let samSecret = try #require(plan.instance("sam")?.database?.secret.variable)
        let samPassword = try #require(full.secrets[samSecret])
        #expect(try MySQLLogin(route: .tcp(port: mysql.port), user: "sam_user", password: samPassword).exec("SELECT DATABASE()", database: "sam_db").rows == [["sam_db"]])
    }
}
