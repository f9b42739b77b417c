import Foundation
import Statements
import Topology

/// `docker-compose.yml`: a service per server (and its provisioning and grants jobs) and per instance
/// (and its migration).
extension BundleRenderer {
    /// The data directory of the postgres images (their `PGDATA` and `VOLUME`).
    static let postgresData = "/var/lib/postgresql/data"

    func compose() throws -> String {
        var services: [[String: Any]] = []
        var volumes: [String] = []
        let projectPath = options.projectFromBundle

        func service(name: String, image: String?, build: String?, command: String?, environment: [(String, String)],
                     ports: [String], volumes: [String], dependsOn: [(String, String)], healthcheck: [String: String]?,
                     restart: String, initProcess: Bool = false, tmpfs: [String] = []) -> [String: Any] {
            var s: [String: Any] = [
                "name": name, "restart": Escape.yamlDoubleQuoted(restart),
                "environment": environment.map { ["key": $0.0, "value": $0.1] }, "hasEnvironment": !environment.isEmpty,
                "ports": ports, "hasPorts": !ports.isEmpty, "volumes": volumes, "hasVolumes": !volumes.isEmpty,
                "dependsOn": dependsOn.map { ["name": $0.0, "condition": $0.1] }, "hasDependsOn": !dependsOn.isEmpty,
                "init": initProcess, "tmpfs": tmpfs, "hasTmpfs": !tmpfs.isEmpty,
            ]
            if let image { s["image"] = Escape.composeString(image) }
            if let build { s["build"] = Escape.composeString(build) }
            if let command { s["command"] = command }
            if let healthcheck { s["healthcheck"] = healthcheck }
            return s
        }
        func flow(_ items: [String]) -> String { "[" + items.map(Escape.composeString).joined(separator: ", ") + "]" }
        func secretEnv(_ ref: SecretRef) -> String { composeValue(secretValue(ref)) }

        // An existing server (`servers.<s>.host`) has no service here: provision-<server>.sh provisions it.
        for server in plan.servers where server.host == nil {
            let volume = "\(server.name)-data"
            volumes.append(volume)
            var env: [(String, String)] = []
            var mounts: [String] = []
            var command: String?
            let test: [String]
            switch server.engine {
            case .postgres:
                env.append(("POSTGRES_USER", Escape.composeString(server.superuserName)))
                env.append(("POSTGRES_PASSWORD", secretEnv(server.superuserSecret!)))
                if external {
                    for role in server.roles { env.append((role.secret.variable, secretEnv(role.secret))) }
                }
                // No init folder at /docker-entrypoint-initdb.d: `<server>-provision` runs the init
                // file on every up (the image would run it a second time on an empty volume).
                mounts = ["\(volume):\(Self.postgresData)"]
                if let max = server.maxConnections { command = flow(["postgres", "-c", "max_connections=\(max)"]) }
                // Healthy only once the final server runs: on an empty volume the image's entrypoint
                // first runs a temporary server (initdb, init scripts), stops it and then execs the
                // real one as PID 1. A bare `pg_isready` (socket, or TCP with an image whose temporary
                // server listens on TCP) can pass during that phase and let a one-shot connect to a
                // server about to restart; the postmaster pid file names PID 1 only for the real one.
                test = ["CMD-SHELL", "[ \"$$(head -n 1 \"$${PGDATA:-\(Self.postgresData)}/postmaster.pid\" 2>/dev/null)\" = 1 ] && pg_isready -h 127.0.0.1 -U \(server.superuserName) -d postgres"]
            case .redis where server.redisUsers != nil:
                command = flow(["sh", "-c", RedisACLContainer.script(server)])
                for ref in RedisACLContainer.secrets(server) { env.append((ref.variable, secretEnv(ref))) }
                mounts = ["\(volume):/data"]
                test = ["CMD"] + RedisACLContainer.probe
            case .redis:
                command = flow(["redis-server", "--databases", String(server.redisDatabases ?? 16), "--appendonly", "yes"])
                mounts = ["\(volume):/data"]
                test = ["CMD", "redis-cli", "ping"]
            case .mysql:
                env.append(("MYSQL_ROOT_PASSWORD", secretEnv(server.superuserSecret!)))
                if external {
                    for role in server.roles { env.append((role.secret.variable, secretEnv(role.secret))) }
                }
                mounts = ["\(volume):/var/lib/mysql", "./init/\(server.name):/docker-entrypoint-initdb.d:ro"]
                if let max = server.maxConnections { command = flow(["--max-connections=\(max)"]) }
                test = ["CMD-SHELL", "MYSQL_PWD=\"$$MYSQL_ROOT_PASSWORD\" mysqladmin ping -h 127.0.0.1 -uroot --silent"]
            case .mongodb:
                env.append(("MONGO_INITDB_ROOT_USERNAME", Escape.composeString(server.superuserName)))
                env.append(("MONGO_INITDB_ROOT_PASSWORD", secretEnv(server.superuserSecret!)))
                if external {
                    for role in server.roles { env.append((role.secret.variable, secretEnv(role.secret))) }
                }
                mounts = ["\(volume):/data/db", "./init/\(server.name):/docker-entrypoint-initdb.d:ro"]
                test = ["CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"]
            }
            // The compose test must not be interpolated: its `$$` is already escaped above.
            let testFlow = "[" + test.map { Escape.yamlDoubleQuoted($0) }.joined(separator: ", ") + "]"
            services.append(service(
                name: server.name, image: server.image, build: nil, command: command, environment: env,
                ports: [Escape.composeString("127.0.0.1:\(server.port):\(server.containerPort)")],
                volumes: mounts.map(Escape.composeString), dependsOn: [],
                healthcheck: ["test": testFlow, "interval": "5s", "retries": "30", "startPeriod": server.engine == .redis ? "5s" : "30s"],
                restart: "unless-stopped"))
        }

        // One-shot provisioning on every `docker compose up`, per PostgreSQL server: the same
        // idempotent init file the image runs once on an empty volume, run again over TCP, so an
        // existing volume converges to the Plan instead of drifting.
        var provisionOf: [String: String] = [:]
        for server in plan.servers where server.engine == .postgres && server.host == nil {
            let name = "\(server.name)-provision"
            provisionOf[server.name] = name
            let superuser = server.superuserName
            var env: [(String, String)] = [
                ("PGHOST", Escape.composeString(server.name)), ("PGPORT", Escape.composeString(String(server.containerPort))),
                ("PGUSER", Escape.composeString(superuser)), ("PGPASSWORD", secretEnv(server.superuserSecret!)),
            ]
            let command: [String]
            if external {
                // init-db.sh reads the passwords from the environment and runs psql, which
                // connects through PGHOST instead of the image's socket.
                env.append(("POSTGRES_USER", Escape.composeString(superuser)))
                for ref in Set(server.roles.map(\.secret)).sorted(by: { $0.variable < $1.variable }) { env.append((ref.variable, secretEnv(ref))) }
                command = ["sh", "/ovu/init-db.sh"]
            } else {
                command = ["psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-d", "postgres", "-f", "/ovu/init-db.sql"]
            }
            // Only the init file is mounted (not the folder, which holds post-migrate/ too); a
            // tmpfs over the image's data VOLUME keeps the one-shot from leaving an anonymous volume.
            let file = external ? "init-db.sh" : "init-db.sql"
            services.append(service(
                name: name, image: server.image, build: nil, command: flow(command), environment: env, ports: [],
                volumes: [Escape.composeString("./init/\(server.name)/\(file):/ovu/\(file):ro")], dependsOn: [(server.name, "service_healthy")],
                healthcheck: nil, restart: "no", tmpfs: [Escape.composeString(Self.postgresData)]))
        }
        /// The provision services of the PostgreSQL servers an instance uses.
        func provisionDeps(_ servers: [String]) -> [(String, String)] {
            Set(servers).sorted().compactMap { provisionOf[$0].map { ($0, "service_completed_successfully") } }
        }

        // One-shot grants after migrations, per PostgreSQL server with table-level grants.
        var grantsOf: [String: String] = [:]
        for server in plan.servers where server.engine == .postgres && server.host == nil && !PostgresSQL.postMigrateSections(server).isEmpty {
            let name = "\(server.name)-grants"
            grantsOf[server.name] = name
            var deps: [(String, String)] = [(server.name, "service_healthy")] + provisionDeps([server.name])
            let migrations = plan.instances.filter { i in i.migrate != nil && server.clients.contains(i.name) && i.database?.server == server.name }
            deps += migrations.map { ("\($0.name)-migrate", "service_completed_successfully") }
            services.append(service(
                name: name, image: server.image, build: nil,
                command: flow(["psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-h", server.name, "-U", server.superuserName, "-d", "postgres", "-f", "/ovu/grants.sql"]),
                environment: [("PGPASSWORD", secretEnv(server.superuserSecret!))], ports: [],
                volumes: [Escape.composeString("./init/\(server.name)/post-migrate/grants.sql:/ovu/grants.sql:ro")], dependsOn: deps,
                healthcheck: nil, restart: "no", tmpfs: [Escape.composeString(Self.postgresData)]))
        }

        // MySQL: the same one-shot, with the mysql client as root.
        for server in plan.servers where server.engine == .mysql && !MySQLInit.postMigrateSections(server).isEmpty {
            let name = "\(server.name)-grants"
            grantsOf[server.name] = name
            let migrations = plan.instances.filter { i in i.migrate != nil && server.clients.contains(i.name) && i.database?.server == server.name }
            let deps: [(String, String)] = [(server.name, "service_healthy")] + migrations.map { ("\($0.name)-migrate", "service_completed_successfully") }
            services.append(service(
                name: name, image: server.image, build: nil,
                command: flow(["sh", "-c", "exec mysql -h \(server.name) -u\(server.superuserName) < /ovu/grants.sql"]),
                environment: [("MYSQL_PWD", secretEnv(server.superuserSecret!))], ports: [],
                volumes: [Escape.composeString("./init/\(server.name)/post-migrate/grants.sql:/ovu/grants.sql:ro")], dependsOn: deps,
                healthcheck: nil, restart: "no", tmpfs: []))
        }

        let healthy = Set(plan.instances.filter { $0.health != nil }.map(\.name))
        for instance in plan.instances {
            let image = instance.image ?? (instance.path == nil ? nil : "\(sqlName(plan.project))-\(instance.service):\(plan.scenario)")
            let build = instance.image == nil ? instance.path.map { projectPath == "." ? "./\($0)" : "\(projectPath)/\($0)" } : nil
            guard image != nil else { continue }
            let env = instance.environment.map { ($0.key, composeValue($0.network)) }
            var serverDeps: [(String, String)] = []
            var used = Set<String>()
            if let db = instance.database { used.insert(db.server) }
            if let r = instance.redis { used.insert(r.server) }
            for read in instance.reads { used.insert(read.server) }
            for s in used.sorted() where plan.server(s)?.host == nil { serverDeps.append((s, "service_healthy")) }

            // Migrations and apps start once their PostgreSQL servers are provisioned.
            let provisioned = provisionDeps([instance.database?.server].compactMap { $0 } + instance.reads.map(\.server))
            if let migrate = instance.migrate {
                services.append(service(
                    name: "\(instance.name)-migrate", image: image, build: build, command: flow(["sh", "-c", migrate]),
                    environment: env, ports: [], volumes: [], dependsOn: serverDeps + provisioned, healthcheck: nil, restart: "no",
                    initProcess: true))
            }
            guard let command = instance.command else { continue }
            var deps = serverDeps + provisioned
            if instance.migrate != nil { deps.append(("\(instance.name)-migrate", "service_completed_successfully")) }
            for read in Set(instance.reads.map(\.server)).sorted() {
                if let g = grantsOf[read] { deps.append((g, "service_completed_successfully")) }
            }
            for dep in instance.dependsOn {
                guard let target = plan.instance(dep), target.command != nil, target.image != nil || target.path != nil else { continue }
                deps.append((dep, healthy.contains(dep) ? "service_healthy" : "service_started"))
            }
            var healthcheck: [String: String]?
            if let health = instance.health, let port = instance.port {
                let url = "http://127.0.0.1:\(port)\(health)"
                let probe = "wget -q -O /dev/null \(url) || curl -fsS -o /dev/null \(url) || python3 -c \"import urllib.request; urllib.request.urlopen('\(url)', timeout=4)\""
                healthcheck = ["test": flow(["CMD-SHELL", probe]), "interval": "5s", "retries": "30", "startPeriod": "10s"]
            }
            // `init: true` (migrations too): a small init as PID 1 forwards SIGTERM to `sh -c …` and
            // its child; without it PID 1 ignores SIGTERM and every stop waits out the grace period.
            services.append(service(
                name: instance.name, image: image, build: build, command: flow(["sh", "-c", command]), environment: env,
                ports: instance.port.map { [Escape.composeString("127.0.0.1:\($0):\($0)")] } ?? [], volumes: [],
                dependsOn: deps, healthcheck: healthcheck, restart: "unless-stopped", initProcess: true))
        }
        services.sort { ($0["name"] as! String) < ($1["name"] as! String) }
        return templates.render("docker-compose.yml.mustache", [
            "header": header, "services": services, "volumes": volumes.sorted(), "hasVolumes": !volumes.isEmpty,
        ])
    }
}
