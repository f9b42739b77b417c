import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// `ovudev up` end to end on real PostgreSQL, Redis and the example services, per layout.
@Suite(.ownThread) struct UpTests {
    func ports(_ stack: NativeStack) -> [Int] {
        stack.plan.servers.filter { $0.engine == .postgres || $0.engine == .redis }.map(\.port) + stack.plan.instances.compactMap(\.port)
    }

    func externalSecrets(_ stack: NativeStack) -> [String: String] {
        Dictionary(uniqueKeysWithValues: stack.plan.secretRefs.map { ($0.variable, SecretStore.generatePassword()) })
    }

    @Test(arguments: ["dev", "lean", "stage", "prod", "saas"])
    func upThenCheckPassesAndSecondUpChangesNothing(scenario: String) throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack(scenario)
        if stack.plan.secrets == .external { stack.useSecrets(externalSecrets(stack)) }

        let first = try stack.up()
        let check = try #require(first.check)
        #expect(check.passed, "\(check.findings.filter { $0.status != .ok && $0.status != .skipped })")
        #expect(!first.provisioned.isEmpty)
        #expect(first.started.count == stack.plan.instances.filter { $0.command != nil }.count)
        for instance in stack.plan.instances where instance.health != nil {
            #expect(check.findings.contains { $0.subject == instance.name && $0.check == "health" && $0.status == .ok })
        }

        let second = try stack.up()
        #expect(second.changedNothing, "second up: provisioned \(second.provisioned), migrated \(second.migrated), started \(second.started), seeds \(second.seeds.filter { $0.outcome == .loaded })")

        // Seeds went in once, into every tenant's database.
        let secrets = stack.secrets
        for instance in stack.plan.instances where instance.service == "ulm" {
            let db = try #require(instance.database)
            let server = try #require(stack.plan.server(db.server))
            let conn = try PGConnection(PGConnectionParameters(port: server.port, user: db.role, password: secrets[db.secret.variable], database: db.database))
            let users = try conn.exec("SELECT count(*) FROM \(db.tablePrefix ?? "")users").rows.first?.first
            #expect(users == "3", "\(instance.name) users")
        }

        let down = try stack.down()
        #expect(down.services.count == first.started.count)
        for port in ports(stack) { #expect(PortProbe.isFree(port), "port \(port) still taken after down: \(PortProbe.holder(of: port) ?? "?")") }
    }

    @Test func brokenSeedRollsBackAndNamesFileAndLine() throws {
        let project = try TempProject()
        defer { project.close() }
        let seeds = "\(project.directory)/examples/seeds/ulm"
        try "INSERT INTO roles (id, name) VALUES (10, 'ten');\nINSERT INTO roles (id, name) VALUES (11, 'eleven');\nINSERT INTO roles (id, nam) VALUES (12, 'typo');\n"
            .write(toFile: "\(seeds)/03-broken.sql", atomically: true, encoding: .utf8)
        let stack = try project.stack("stage")
        let throughUp = try #require(#expect(throws: SeedError.self) { try stack.up(check: false) })
        let error = try #require(#expect(throws: SeedError.self, "the broken seed file loaded") {
            _ = try Seeder(plan: stack.plan, projectDirectory: project.directory, secrets: stack.secrets).seed()
        })
        for error in [throughUp, error] {
            #expect(error.instance == "ulm" && error.file.hasSuffix("/03-broken.sql") && error.line == 3, "\(error)")
            #expect(error.code == "42703", "\(error)") // undefined_column: `nam`
            #expect("\(error)".contains("03-broken.sql:3"))
        }
        let ulm = try #require(stack.plan.instance("ulm")?.database)
        let server = try #require(stack.plan.server(ulm.server))
        let conn = try PGConnection(PGConnectionParameters(port: server.port, user: ulm.role, password: stack.secrets[ulm.secret.variable], database: ulm.database))
        #expect(try conn.exec("SELECT count(*) FROM roles WHERE id >= 10").rows.first?.first == "0")
        #expect(try conn.exec("SELECT count(*) FROM roles").rows.first?.first == "2")
        // Seeding again (still broken) loads nothing twice.
        _ = try? Seeder(plan: stack.plan, projectDirectory: project.directory, secrets: stack.secrets).seed()
        #expect(try conn.exec("SELECT count(*) FROM users").rows.first?.first == "3")
    }

    @Test func killNineOfTheServersThenUpRecoversWithDataIntact() throws {
        let project = try TempProject()
        defer { project.close() }
        let target = try KillTarget(upping: try project.stack("dev"))
        KillTarget.kill9([try #require(target.postmaster), try #require(target.redisServer)])

        let again = try target.stack.up()
        #expect(again.check?.passed == true)
        #expect(again.servers.contains { $0.name == target.pg.name && $0.action == .started })
        #expect(try target.dataIsIntact(target.stack))
    }

    @Test func twoConcurrentUpsTakeTurnsThroughTheLock() throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack("dev")
        do {
            let lock = try StackLock(path: stack.paths.lock)
            // While this test holds the lock, a second ovudev refuses to go ahead without waiting…
            let busy = try #require(#expect(throws: EngineError.self) { _ = try StackLock(path: stack.paths.lock, wait: false) })
            #expect(busy.kind == .stackBusy(lock: stack.paths.lock, holder: "\(getpid())"), "\(busy)")
            withExtendedLifetime(lock) {}
        }
        // …and two real processes started together both finish, one after the other.
        let directory = project.directory
        let results = Results()
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                results.append((try? ovudev(["up", "--scenario", "dev", "--no-check"], directory: directory)) ?? (-1, "did not run"))
                group.leave()
            }
        }
        group.wait()
        let all = results.all
        #expect(all.count == 2)
        for r in all { #expect(r.0 == 0, "\(r.1)") }
        #expect(all.contains { $0.1.contains("waiting") || $0.1.contains("nothing changed") })
    }
}

/// Outcomes of concurrent runs, collected under a lock.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int32, String)] = []
    func append(_ item: (Int32, String)) { lock.lock(); items.append(item); lock.unlock() }
    var all: [(Int32, String)] { lock.lock(); defer { lock.unlock() }; return items }
}
