import ArgumentParser
import Foundation
import Workspace
import Stack
import Topology

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What this machine lacks for ovudev, and the exact command that fixes each.")

    @OptionGroup var options: ScenarioOptions

    func run() throws {
        var rows: [[String]] = []
        var missing = 0
        func check(_ what: String, _ ok: Bool, _ fix: String) {
            rows.append([ok ? "ok" : "MISSING", what, ok ? "" : fix])
            if !ok { missing += 1 }
        }
        let bin = NativeEngine.postgresBinDir()
        check("PostgreSQL server (initdb, pg_ctl)", bin != nil, "apt-get install postgresql")
        check("psql", Subprocess.which("psql") != nil, "apt-get install postgresql-client")
        check("pg_dump", Subprocess.which("pg_dump") != nil, "apt-get install postgresql-client")
        check("redis-server", Subprocess.which("redis-server") != nil, "apt-get install redis-server")
        check("redis-cli", Subprocess.which("redis-cli") != nil, "apt-get install redis-tools")
        check("libpq headers (build)", FileManager.default.fileExists(atPath: "/usr/include/postgresql/libpq-fe.h"), "apt-get install libpq-dev")
        check("hiredis headers (build)", FileManager.default.fileExists(atPath: "/usr/include/hiredis/hiredis.h"), "apt-get install libhiredis-dev")
        check("OpenSSL libcrypto headers (build)", FileManager.default.fileExists(atPath: "/usr/include/openssl/evp.h"), "apt-get install libssl-dev")
        check("python3 (example services)", Subprocess.which("python3") != nil, "apt-get install python3")
        if Subprocess.isRoot {
            check("unprivileged account `postgres` for servers", SystemAccount.named("postgres") != nil, "apt-get install postgresql (creates it) or useradd -r postgres")
        }
        let stack = try? options.stack(progress: { _ in })
        let engines = Set(stack?.plan.servers.map(\.engine) ?? [])
        if engines.contains(.mysql) {
            // This scenario puts services on MySQL: the native engine runs them with MariaDB.
            let scenario = stack.map { " (scenario \($0.plan.scenario))" } ?? ""
            check("MySQL server mariadbd or mysqld\(scenario)", MySQLTools.server != nil, MySQLTools.installCommand)
            check("mariadb-install-db\(scenario)", MySQLTools.installDB != nil, MySQLTools.installCommand)
            check("mariadb client\(scenario)", MySQLTools.client != nil, "apt-get install mariadb-client")
            check("mysqldump (backups)\(scenario)", Subprocess.which("mysqldump") != nil, "apt-get install mariadb-client")
            if Subprocess.isRoot {
                check("unprivileged account `mysql` for mariadbd", SystemAccount.named("mysql") != nil, "apt-get install mariadb-server (creates it) or useradd -r mysql")
            }
        } else {
            rows.append([MySQLTools.server != nil ? "ok" : "info", "MySQL server mariadbd or mysqld",
                         MySQLTools.server != nil ? "" : "only for scenarios with MySQL services: \(MySQLTools.installCommand)"])
        }
        let docker = (try? Subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"]))?.status == 0
        let mongo = engines.contains(.mongodb) ? " — this scenario puts services on MongoDB, so it needs one" : ""
        rows.append([docker ? "ok" : "info", "docker engine",
                     docker ? "" : "not running: ovudev uses the native engine (PostgreSQL, Redis, MySQL); MongoDB scenarios need docker\(mongo)"])

        // Ports are not packages: a taken port is reported as such, and `make deps` is not the fix.
        var taken = 0
        if let stack {
            let running = Dictionary(uniqueKeysWithValues: stack.status().servers.map { ($0.name, $0.running) })
            for server in stack.plan.servers where server.engine != .mongodb {
                guard !PortProbe.isFree(server.port) && running[server.name] != true else {
                    rows.append(["ok", "port \(server.port) for \(server.name)", ""])
                    continue
                }
                rows.append(["TAKEN", "port \(server.port) for \(server.name)",
                             "held by \(PortProbe.holder(of: server.port) ?? "another process"): stop it, or change servers.\(server.name).port"])
                taken += 1
            }
        }
        print(table(["", "what", "fix"], rows))
        if missing > 0 { print("\n\(missing) missing; `make deps` (scripts/install-deps.sh) installs the packages") }
        if taken > 0 { print("\(missing > 0 ? "" : "\n")\(taken) port\(taken == 1 ? "" : "s") taken by other processes; stop them or change the ports in the topology") }
        if missing + taken > 0 { throw ExitCode(1) }
    }
}
