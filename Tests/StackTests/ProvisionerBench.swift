import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// bench/provision.sh: per-tenant provisioning (100 tenants × 5 services by default) through the
/// provisioner vs `psql -f` of the rendered init-db.sql, each on a fresh cluster made by the
/// native engine, measured in one run. Runs only when OVUDEV_BENCH_TENANTS is set.
@Suite(.ownThread) struct ProvisionerBench {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["OVUDEV_BENCH_TENANTS"] != nil))
    func perTenantProvisioningVersusPsql() throws {
        let tenants = Int(Self.environment["OVUDEV_BENCH_TENANTS"] ?? "") ?? 100
        let runs = Int(Self.environment["OVUDEV_BENCH_RUNS"] ?? "") ?? 1
        let fixture = try ProvisionFixture(scenario: "saas", tenants: (1...tenants).map { String(format: "t%03d", $0) }) { json in
            // The example's four services plus a fifth that reads ulm; no processes, only data.
            var services = json["services"] as! [String: [String: Any]]
            services["nmm"] = ["port": 8007, "database": [String: Any](), "redis": [String: Any](), "dependsOn": ["ulm"], "reads": ["ulm": ["users"]]]
            for name in services.keys { for key in ["path", "migrate", "command", "health", "seed"] { services[name]![key] = nil } }
            json["services"] = services
            var servers = json["servers"] as! [String: [String: Any]]
            servers["mysql"] = nil
            servers["mongodb"] = nil
            json["servers"] = servers
            json["scenarios"] = ["saas": ["layout": "per-tenant", "portStride": 10]]
            json["defaultScenario"] = "saas"
        }
        defer { fixture.close() }
        let server = fixture.postgresServers[0]
        print("bench: \(tenants) tenants × \(fixture.plan.instances.count / tenants) services = \(server.databases.count) databases, \(server.roles.count) roles")
        // A provisioner per round: it keeps idle connections, which die with each fresh cluster.
        func makeProvisioner() -> Provisioner {
            var provisioner = fixture.provisioner()
            if let p = Int(Self.environment["OVUDEV_BENCH_PARALLELISM"] ?? "") { provisioner.parallelism = p }
            if Self.environment["OVUDEV_BENCH_NO_TEMPLATE"] != nil { provisioner.templateThreshold = nil }
            if Self.environment["OVUDEV_BENCH_WAL_LOG"] != nil { provisioner.fileCopyThreshold = nil }
            return provisioner
        }

        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var psqlTimes: [Double] = [], nativeTimes: [Double] = [], warmTimes: [Double] = [], checkTimes: [Double] = [], recheckTimes: [Double] = [], floorTimes: [Double] = []
        var logins: [Int] = []
        for run in 0..<runs {
            // Alternate which side goes first, each on a fresh cluster.
            // OVUDEV_BENCH_NATIVE_ONLY: provisioner side only (to try settings).
            let sides = Self.environment["OVUDEV_BENCH_NATIVE_ONLY"] != nil ? ["native"] : (run % 2 == 0 ? ["psql", "native"] : ["native", "psql"])
            for side in sides {
                try fixture.restartFresh()
                if side == "psql" {
                    psqlTimes.append(try seconds { try fixture.runRenderedInit(psqlOutput: "\(fixture.directory)/psql.out") })
                } else {
                    let provisioner = makeProvisioner()
                    var report = ProvisionReport()
                    let start = DispatchTime.now().uptimeNanoseconds
                    let trace = Self.environment["OVUDEV_BENCH_TRACE"] != nil
                    nativeTimes.append(try seconds {
                        report = try provisioner.provision { step in
                            if trace { print(String(format: "bench:   %6.2f s  %@", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, step)) }
                        }
                    })
                    #expect(report.changes.count > server.databases.count)
                    var again = ProvisionReport()
                    warmTimes.append(try seconds { again = try provisioner.provision() })
                    #expect(again.isEmpty)
                    // `ovudev check` on every database: catalog matrix plus sampled real logins.
                    var checker = Checker(plan: fixture.postgresOnlyPlan, secrets: fixture.secrets)
                    checker.checkHealth = false
                    checker.adminSockets = fixture.engine.adminSockets()
                    var checked: CheckReport?
                    checkTimes.append(try seconds { checked = try checker.run() })
                    let check = try #require(checked)
                    let problems: [CheckFinding] = check.findings.filter { $0.status != CheckFinding.Status.ok }
                    #expect(check.passed, "\(problems)")
                    let probes: [CheckFinding] = check.findings.filter { if case .connects = $0.kind { $0.status == .ok } else { false } }
                    logins.append(probes.count)
                    // Again, as a developer runs it later: the new databases' catalogs are read,
                    // the disk has written back what provisioning copied.
                    var recheck: CheckReport?
                    recheckTimes.append(try seconds { recheck = try checker.run() })
                    #expect(recheck?.findings == check.findings)
                    // The floor under it: the superuser opens one connection to every database and
                    // runs `SELECT 1`, with as many connections at once as the check uses. A new
                    // backend per database is the part of the check no query shape removes.
                    let socket = try #require(fixture.engine.adminSockets()[server.name])
                    let names = server.databases.map(\.name), workers = checker.parallelism
                    let next = SharedCounter()
                    let failures = SharedCounter()
                    floorTimes.append(seconds {
                        DispatchQueue.concurrentPerform(iterations: workers) { _ in
                            while case let i = next.increment(), i < names.count {
                                let parameters = PGConnectionParameters(host: socket, port: server.port, user: server.superuser ?? "postgres", password: nil, database: names[i])
                                if (try? PGConnection(parameters).exec("SELECT 1")) == nil { _ = failures.increment() }
                            }
                        }
                    })
                    #expect(failures.current == 0, "connections to \(failures.current) databases failed")
                }
            }
        }
        func median(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.sorted()[xs.count / 2] }
        let psql = median(psqlTimes), native = median(nativeTimes), warm = median(warmTimes)
        let provisioner = makeProvisioner()
        print(String(format: "bench: psql -f init-db.sql %.2f s (runs: %@)", psql, psqlTimes.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
        print(String(format: "bench: ovudev provision  %.2f s (runs: %@), parallelism %d, templates %@, FILE_COPY %@", native,
                     nativeTimes.map { String(format: "%.2f", $0) }.joined(separator: ", "), provisioner.parallelism,
                     provisioner.templateThreshold == nil ? "off" : "on", provisioner.fileCopyThreshold == nil ? "off" : "on"))
        print(String(format: "bench: second provision (nothing to change) %.2f s", warm))
        print(String(format: "bench: ratio provision / psql -f = %.2f (target <= 0.70)", native / psql))
        print(String(format: "bench: check on %d databases %.2f s right after provisioning, %.2f s again (target <= 2 s; runs: %@ / %@), %d roles probed by real login, the rest by catalog, %d connections",
                     server.databases.count, median(checkTimes), median(recheckTimes),
                     checkTimes.map { String(format: "%.2f", $0) }.joined(separator: ", "), recheckTimes.map { String(format: "%.2f", $0) }.joined(separator: ", "),
                     logins.first ?? 0, Checker(plan: fixture.plan, secrets: [:]).parallelism))
        print(String(format: "bench: connect + SELECT 1 on every database (the floor) %.2f s; ratio check again / floor = %.2f",
                     median(floorTimes), median(recheckTimes) / median(floorTimes)))
    }
}

/// A counter shared by threads: `increment` returns the value before.
final class SharedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.withLock { defer { value += 1 }; return value } }
    var current: Int { lock.withLock { value } }
}
