import Foundation
import Stack
import Testing
import TestSupport
import Topology
import Workspace

/// A cold start: new clusters copied from the pristine one in the cluster cache, servers started
/// at once (failures named), seeds of several services loaded at once.
@Suite(.ownThread) struct ColdStartTests {
    /// The plan's PostgreSQL servers with fresh secrets, in a project of its own.
    struct PostgresOnly {
        let project: TempProject
        let plan: Plan
        let secrets: [String: String]
        let paths: StackPaths

        init() throws {
            project = try TempProject()
            var plan = try project.project.plan(scenario: "dev")
            plan.servers = plan.servers.filter { $0.engine == .postgres }
            self.plan = plan
            secrets = Dictionary(uniqueKeysWithValues: plan.secretRefs.map { ($0.variable, SecretStore.generatePassword()) })
            paths = StackPaths(root: "\(project.directory)/.ovu/dev")
        }

        func engine(cache: ClusterCache, lines: Lines) -> NativeEngine {
            let engine = NativeEngine(plan: plan, paths: paths, secrets: secrets, progress: lines.add)
            engine.clusterCache = cache
            return engine
        }

        var server: PlannedServer { plan.servers[0] }
        var superuserPassword: String? { secrets[server.superuserSecret!.variable] }

        func login(password: String?) throws -> String? {
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: server.superuserName, password: password, database: "postgres"))
            return try conn.exec("SELECT current_user").rows.first?.first ?? nil
        }

        func close() {
            _ = try? NativeEngine(plan: plan, paths: paths, secrets: secrets).stop(removeData: true)
            project.close()
        }
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }

    static func privateCache() throws -> ClusterCache {
        var template = (NSTemporaryDirectory() + "ovudev-cache-XXXXXX").utf8CString
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw EngineError("mkdtemp failed") }
        chmod(made, 0o711)  // as root, the servers' account runs initdb in it
        return ClusterCache(root: String(cString: made))
    }

    @Test func secondStackCopiesTheCachedClusterWithItsOwnSuperuserPassword() throws {
        let cache = try Self.privateCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let first = try PostgresOnly(), second = try PostgresOnly()
        defer { first.close(); second.close() }
        #expect(first.superuserPassword != second.superuserPassword)

        let firstLines = Lines()
        let started = try first.engine(cache: cache, lines: firstLines).start()
        #expect(started.map(\.action) == [.created])
        #expect(firstLines.all.contains { $0.hasPrefix("initdb \(first.server.name) (a pristine cluster for the cache") }, "\(firstLines.all)")
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.root)
        let pristine = entries.filter { $0.hasPrefix("postgres-") && !$0.contains(".") }
        #expect(pristine.count == 1 && entries.allSatisfy { !$0.contains(".tmp-") }, "\(entries)")
        #expect(FileManager.default.fileExists(atPath: "\(cache.root)/\(pristine.first ?? "?")/PG_VERSION"))

        // The second stack: no initdb, a copy, and its own superuser password (not the first's).
        let secondLines = Lines()
        _ = try second.engine(cache: cache, lines: secondLines).start()
        #expect(!secondLines.all.contains { $0.contains("initdb") }, "\(secondLines.all)")
        #expect(secondLines.all.contains("copy \(second.server.name) from the cached pristine cluster"), "\(secondLines.all)")
        #expect(try second.login(password: second.superuserPassword) == second.server.superuserName)
        #expect(throws: PGError.self) { _ = try second.login(password: first.superuserPassword) }
        #expect(try first.login(password: first.superuserPassword) == first.server.superuserName)
        #expect(!FileManager.default.fileExists(atPath: "\(second.paths.pgData(second.server.name))/ovudev_superuser_password_pending"))

        // A restart keeps it (the password is set once, the marker is gone).
        _ = try NativeEngine(plan: second.plan, paths: second.paths, secrets: second.secrets).stop()
        let again = try second.engine(cache: cache, lines: Lines()).start()
        #expect(again.map(\.action) == [.started])
        #expect(try second.login(password: second.superuserPassword) == second.server.superuserName)
    }

    /// A new server takes a spare copy of the pristine cluster by rename (no copy), and it is a
    /// server of its own as a copy is (its own superuser password); at most one spare is kept.
    @Test func aSpareCopyIsTakenByRename() throws {
        let cache = try Self.privateCache()
        defer { try? FileManager.default.removeItem(atPath: cache.root) }
        let first = try PostgresOnly(), second = try PostgresOnly()
        defer { first.close(); second.close() }
        _ = try first.engine(cache: cache, lines: Lines()).start()
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: cache.root).first { $0.hasPrefix("postgres-") && !$0.contains(".") })
        let owner = Subprocess.isRoot ? try FileManager.default.attributesOfItem(atPath: "\(cache.root)/\(name)")[.ownerAccountName] as? String : nil
        #expect(try cache.makeSpare(name, marker: NativeEngine.pendingPasswordMarker, owner: owner))
        #expect(try !cache.makeSpare(name, marker: NativeEngine.pendingPasswordMarker, owner: owner), "a second spare")
        let spares = { try FileManager.default.contentsOfDirectory(atPath: cache.root).filter { $0.hasSuffix(".spare") } }
        #expect(try spares().count == 1)

        let lines = Lines()
        _ = try second.engine(cache: cache, lines: lines).start()
        #expect(lines.all.contains("\(second.server.name): a spare copy of the cached pristine cluster, renamed into place"), "\(lines.all)")
        #expect(try spares().isEmpty)
        #expect(try second.login(password: second.superuserPassword) == second.server.superuserName)
        #expect(throws: PGError.self) { _ = try second.login(password: first.superuserPassword) }
        #expect(!FileManager.default.fileExists(atPath: "\(second.paths.pgData(second.server.name))/\(NativeEngine.pendingPasswordMarker)"))
    }

    /// A listening socket on 127.0.0.1:`port` until `close`.
    static func occupy(_ port: Int) throws -> Int32 {
        // Close-on-exec: a child spawned meanwhile (cp, pg_ctl) must not keep the port.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var yes: Int32 = 1  // the servers just stopped there leave TIME_WAIT connections
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard fd >= 0, bound == 0, listen(fd, 1) == 0 else { throw EngineError("cannot listen on \(port): errno \(errno)") }
        return fd
    }

    @Test func serversThatFailToStartAreNamedAndTheOthersStart() throws {
        let project = try TempProject()
        defer { project.close() }
        var plan = try project.project.plan(scenario: "dev")
        plan.servers = plan.servers.filter { $0.engine == .postgres || $0.engine == .redis }
        let secrets = Dictionary(uniqueKeysWithValues: plan.secretRefs.map { ($0.variable, SecretStore.generatePassword()) })
        let paths = StackPaths(root: "\(project.directory)/.ovu/dev")
        let engine = NativeEngine(plan: plan, paths: paths, secrets: secrets)
        defer { _ = try? engine.stop(removeData: true) }
        let redis = try #require(plan.servers.first { $0.engine == .redis })
        let postgres = try #require(plan.servers.first { $0.engine == .postgres })

        // Redis's port is taken: Redis is named, PostgreSQL starts all the same.
        let fd = try Self.occupy(redis.port)
        do {
            _ = try engine.start()
            Issue.record("start succeeded with \(redis.name)'s port taken")
        } catch let error as ServerStartError {
            #expect(error.failures.map(\.server) == [redis.name])
            #expect("\(error)".hasPrefix("server \(redis.name) (redis): port \(redis.port) for \(redis.name) is taken"), "\(error)")
        }
        close(fd)
        #expect(engine.isPostgresRunning(postgres))
        #expect(try engine.start().map(\.running) == plan.servers.map { _ in true })
        _ = try engine.stop()

        // Both taken: both named, in the plan's order.
        let fds = try plan.servers.map { try Self.occupy($0.port) }
        defer { fds.forEach { close($0) } }
        do {
            _ = try engine.start()
            Issue.record("start succeeded with every port taken")
        } catch let error as ServerStartError {
            #expect(error.failures.map(\.server) == plan.servers.map(\.name))
            #expect("\(error)".hasPrefix("2 servers did not start:\n"), "\(error)")
        }
    }

    @Test func seedsOfSeveralServicesLoadAtOnceInAStableOrder() throws {
        let project = try TempProject { json in
            var services = json["services"] as! [String: [String: Any]]
            services["sam"]!["seed"] = ["examples/seeds/sam"]
            services["smm"]!["seed"] = ["examples/seeds/smm", "examples/seeds/smm-extra.sql"]
            json["services"] = services
        }
        defer { project.close() }
        // Each later file needs the earlier ones of its service (the table, then its rows).
        for service in ["sam", "smm"] {
            let folder = "\(project.directory)/examples/seeds/\(service)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL);\n".write(toFile: "\(folder)/01-schema.sql", atomically: true, encoding: .utf8)
            try "id,body\n1,one\n2,two\n".write(toFile: "\(folder)/02-notes.csv", atomically: true, encoding: .utf8)
            try "INSERT INTO notes (id, body) SELECT id + 10, body || ' again' FROM notes;\n".write(toFile: "\(folder)/03-again.sql", atomically: true, encoding: .utf8)
        }
        try "INSERT INTO notes (id, body) VALUES (100, 'extra');\n".write(toFile: "\(project.directory)/examples/seeds/smm-extra.sql", atomically: true, encoding: .utf8)
        let stack = try project.stack("stage")
        let seeder = { Seeder(plan: stack.plan, projectDirectory: project.directory, secrets: stack.secrets) }

        // The plan's order, each instance's files in its entries' order.
        var expected: [String] = []
        for instance in stack.plan.instances where !instance.seed.isEmpty {
            expected += try seeder().files(for: instance).map { "\(instance.name) \($0)" }
        }
        #expect(expected.count == 3 + 1 + 4 + 2, "\(expected)")  // ulm 2, aam 1, sam 3, smm 4

        let report = try stack.up(check: false)
        #expect(report.seeds.map { "\($0.instance) \($0.file)" } == expected)
        #expect(report.seeds.allSatisfy { $0.outcome == .loaded }, "\(report.seeds)")
        for service in ["sam", "smm"] {
            let db = try #require(stack.plan.instance(service)?.database)
            let server = try #require(stack.plan.server(db.server))
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: db.role, password: stack.secrets[db.secret.variable], database: db.database))
            #expect(try conn.exec("SELECT count(*) FROM notes").rows.first?.first == (service == "smm" ? "5" : "4"))
        }
        // Again: nothing loads, the same order.
        let again = try seeder().seed()
        #expect(again.map { "\($0.instance) \($0.file)" } == expected)
        #expect(again.allSatisfy { $0.outcome == .unchanged }, "\(again)")

        // A broken file of one service: named with its line, rolled back; the others load.
        try "INSERT INTO notes (id, body) VALUES (200, 'fine');\nINSERT INTO notes (id, nobody) VALUES (201, 'typo');\n"
            .write(toFile: "\(project.directory)/examples/seeds/sam/04-broken.sql", atomically: true, encoding: .utf8)
        try "INSERT INTO notes (id, body) VALUES (300, 'later');\n".write(toFile: "\(project.directory)/examples/seeds/smm/04-later.sql", atomically: true, encoding: .utf8)
        do {
            _ = try seeder().seed()
            Issue.record("the broken seed file loaded")
        } catch let error as SeedError {
            #expect("\(error)".contains("04-broken.sql:2"), "\(error)")
        }
        let smm = try #require(stack.plan.instance("smm")?.database)
        let sam = try #require(stack.plan.instance("sam")?.database)
        let server = try #require(stack.plan.server(smm.server))
        let smmConn = try PGConnection(PGConnectionParameters(port: server.port, user: smm.role, password: stack.secrets[smm.secret.variable], database: smm.database))
        #expect(try smmConn.exec("SELECT count(*) FROM notes WHERE id = 300").rows.first?.first == "1")
        let samConn = try PGConnection(PGConnectionParameters(port: server.port, user: sam.role, password: stack.secrets[sam.secret.variable], database: sam.database))
        #expect(try samConn.exec("SELECT count(*) FROM notes WHERE id >= 200").rows.first?.first == "0")
    }
}
