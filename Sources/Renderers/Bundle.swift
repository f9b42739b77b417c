import Foundation
import Statements
import Topology
import Workspace

/// One file of the rendered bundle.
public struct RenderedFile: Sendable, Equatable {
    /// Relative to the bundle folder.
    public var path: String
    public var contents: String
    /// 0o644, 0o755 for scripts, 0o600 for files that hold secrets.
    public var mode: UInt16
}

public struct RenderOptions: Sendable {
    /// The topology file's name, for headers.
    public var topologyFile: String
    /// Absolute path of the bundle folder (the crontab names it).
    public var bundleDirectory: String
    /// The project folder (where the topology file is) relative to the bundle folder: compose build contexts.
    public var projectFromBundle: String
    /// Absolute path of the backups folder.
    public var backupsDirectory: String

    public init(topologyFile: String, bundleDirectory: String, projectFromBundle: String, backupsDirectory: String) {
        self.topologyFile = topologyFile
        self.bundleDirectory = bundleDirectory
        self.projectFromBundle = projectFromBundle
        self.backupsDirectory = backupsDirectory
    }
}

/// Plan → every file of the bundle, sorted by path. Deterministic: the same plan, secrets and
/// options give the same bytes.
public struct BundleRenderer {
    public let plan: Plan
    public let secrets: Secrets
    public let templates: TemplateSet
    public let options: RenderOptions

    public init(plan: Plan, secrets: Secrets, templates: TemplateSet, options: RenderOptions) {
        self.plan = plan
        self.secrets = secrets
        self.templates = templates
        self.options = options
    }

    var header: String { RenderHeader.text(plan: plan, topologyFile: options.topologyFile) }

    var external: Bool { secrets.isExternal }

    public func render() throws -> [RenderedFile] {
        var files: [RenderedFile] = []
        // Init files stay world-readable: the database images read them as their own user
        // through the bind mount. The bundle folder itself is 0700 (see BundleWriter).
        let secretMode: UInt16 = external ? 0o644 : 0o600
        files.append(RenderedFile(path: "docker-compose.yml", contents: try compose(), mode: secretMode))
        for server in plan.servers {
            switch server.engine {
            case .postgres:
                if external {
                    files.append(RenderedFile(path: "init/\(server.name)/init-db.sh", contents: postgresInitScript(server), mode: 0o755))
                } else {
                    files.append(RenderedFile(path: "init/\(server.name)/init-db.sql", contents: postgresInitSQL(server, .literal(secrets)), mode: 0o644))
                }
                let post = PostgresSQL.postMigrateSections(server)
                if !post.isEmpty {
                    let text = templates.render("grants.sql.mustache", ["header": header, "sections": PostgresSQL.psqlContext(post)])
                    files.append(RenderedFile(path: "init/\(server.name)/post-migrate/grants.sql", contents: text, mode: 0o644))
                }
            case .mysql:
                if external {
                    files.append(RenderedFile(path: "init/\(server.name)/init-db.sh", contents: mysqlInitScript(server), mode: 0o755))
                } else {
                    files.append(RenderedFile(path: "init/\(server.name)/init-db.sql", contents: mysqlInitSQL(server), mode: 0o644))
                }
            case .mongodb:
                files.append(RenderedFile(path: "init/\(server.name)/init-db.js", contents: mongoInit(server), mode: 0o644))
            case .redis:
                break
            }
        }
        for instance in plan.instances {
            files.append(RenderedFile(path: instance.envFile, contents: try envFile(instance), mode: secretMode))
        }
        if external {
            files.append(RenderedFile(path: ".env.example", contents: templates.render("env.example.mustache", ["header": header, "variables": plan.secretRefs.map(\.variable)]), mode: 0o644))
        }
        files += try crontab()
        files.append(RenderedFile(path: "manifest.json", contents: try manifest(), mode: 0o644))
        return files.sorted { $0.path < $1.path }
    }

    // MARK: - PostgreSQL

    func postgresInitSQL(_ server: PlannedServer, _ form: PostgresSQL.PasswordForm) -> String {
        let sections = PostgresSQL.initSections(server, passwords: form)
        return templates.render("init-db.sql.mustache", ["header": header, "sections": PostgresSQL.psqlContext(sections)])
    }

    func postgresInitScript(_ server: PlannedServer) -> String {
        let sql = postgresInitSQL(server, .psqlVariable).trimmingCharacters(in: .newlines)
        let refs = server.roles.map(\.secret)
        return templates.render("init-db.sh.mustache", [
            "header": header,
            "checks": refs.map { requireVariable($0.variable) },
            "psqlVariables": refs.map { "\(PostgresSQL.psqlVariable($0))=\"$\($0.variable)\"" },
            "sql": sql,
        ])
    }

    func requireVariable(_ name: String) -> String {
        ": \"${\(name):?\(name) must be set (see .env.example)}\""
    }

    // MARK: - MySQL and MongoDB

    /// `init/<server>/init-db.sql` of a MySQL server with the secrets' values: what the native
    /// engine applies to its own MariaDB, byte for byte what `ovudev render` writes.
    public func mysqlInitSQL(_ server: PlannedServer) -> String {
        mysqlInitSQL(server, password: { Escape.mysqlLiteral(secrets.value($0) ?? "") })
    }

    /// The sections come from `MySQLInit` (Statements), which the native provisioner applies too.
    func mysqlInitSQL(_ server: PlannedServer, password: (SecretRef) -> String) -> String {
        let sections: [[String: Any]] = MySQLInit.sections(server, password: password).map { ["title": $0.title, "statements": $0.statements] }
        return templates.render("mysql-init.sql.mustache", ["header": header, "sections": sections])
    }

    func mysqlInitScript(_ server: PlannedServer) -> String {
        // An unquoted here-document: `\`, `` ` `` and `$` of the SQL are escaped, then the
        // password placeholders become shell variables holding SQL-escaped values.
        let marker = "\u{1}OVU_SECRET:"
        var sql = mysqlInitSQL(server) { "'\(marker)\($0.variable)\u{2}'" }.trimmingCharacters(in: .newlines)
        sql = sql.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "`", with: "\\`").replacingOccurrences(of: "$", with: "\\$")
        var checks: [String] = []
        for ref in Set(server.roles.map(\.secret)).sorted(by: { $0.variable < $1.variable }) {
            sql = sql.replacingOccurrences(of: "\(marker)\(ref.variable)\u{2}", with: "${\(ref.variable)_SQL}")
            checks.append(requireVariable(ref.variable))
            checks.append("\(ref.variable)_SQL=$(sql_literal \"$\(ref.variable)\")")
        }
        return templates.render("mysql-init.sh.mustache", ["header": header, "checks": checks, "sql": sql])
    }

    func mongoInit(_ server: PlannedServer) -> String {
        var users: [[String: Any]] = []
        for db in server.databases {
            for roleName in db.connect {
                guard let role = server.role(roleName) else { continue }
                let password = secrets.value(role.secret).map(Escape.jsString) ?? "process.env.\(role.secret.variable)"
                users.append(["database": Escape.jsString(db.name), "user": Escape.jsString(role.name), "password": password,
                              "role": Escape.jsString(roleName == db.owner ? "readWrite" : "read")])
            }
        }
        return templates.render("mongo-init.js.mustache", ["header": header, "users": users])
    }

    // MARK: - Values

    /// An env value as plain text for a host process; nil if it needs an external secret.
    func plainValue(_ value: EnvValue) -> String? {
        var out = ""
        for part in value.parts {
            switch part {
            case let .text(t): out += t
            case let .secret(ref, inURL):
                guard let v = secrets.value(ref) else { return nil }
                out += inURL ? Escape.urlComponent(v) : v
            }
        }
        return out
    }

    /// An env value for the compose file: `$` escaped, external secrets as `${VAR:?…}`.
    func composeValue(_ value: EnvValue) -> String {
        var out = ""
        for part in value.parts {
            switch part {
            case let .text(t): out += t.replacingOccurrences(of: "$", with: "$$")
            case let .secret(ref, inURL):
                if let v = secrets.value(ref) {
                    out += (inURL ? Escape.urlComponent(v) : v).replacingOccurrences(of: "$", with: "$$")
                } else {
                    out += "${\(ref.variable):?set \(ref.variable), see .env.example}"
                }
            }
        }
        return Escape.yamlDoubleQuoted(out)
    }

    func secretValue(_ ref: SecretRef) -> EnvValue { EnvValue([.secret(ref, inURL: false)]) }

    // MARK: - .env files

    func envFile(_ instance: ServiceInstance) throws -> String {
        var variables: [[String: String]] = []
        var omitted: [String] = []
        for v in instance.environment {
            if let text = plainValue(v.host) {
                do {
                    variables.append(["key": v.key, "value": try Escape.dotenvValue(text)])
                } catch {
                    throw RenderError(message: "\(instance.envFile): \(v.key): \(error.message)")
                }
            } else {
                let refs = v.host.parts.compactMap { if case let .secret(r, _) = $0 { return r.variable } else { return nil } }
                omitted.append("\(v.key) is not written (secrets: external): it needs $\(refs.joined(separator: ", $")).")
            }
        }
        return templates.render("service.env.mustache", ["header": header, "variables": variables, "external": omitted])
    }

    // MARK: - Compose

    func compose() throws -> String {
        var services: [[String: Any]] = []
        var volumes: [String] = []
        let projectPath = options.projectFromBundle

        func service(name: String, image: String?, build: String?, command: String?, environment: [(String, String)],
                     ports: [String], volumes: [String], dependsOn: [(String, String)], healthcheck: [String: String]?,
                     restart: String) -> [String: Any] {
            var s: [String: Any] = [
                "name": name, "restart": Escape.yamlDoubleQuoted(restart),
                "environment": environment.map { ["key": $0.0, "value": $0.1] }, "hasEnvironment": !environment.isEmpty,
                "ports": ports, "hasPorts": !ports.isEmpty, "volumes": volumes, "hasVolumes": !volumes.isEmpty,
                "dependsOn": dependsOn.map { ["name": $0.0, "condition": $0.1] }, "hasDependsOn": !dependsOn.isEmpty,
            ]
            if let image { s["image"] = Escape.composeString(image) }
            if let build { s["build"] = Escape.composeString(build) }
            if let command { s["command"] = command }
            if let healthcheck { s["healthcheck"] = healthcheck }
            return s
        }
        func flow(_ items: [String]) -> String { "[" + items.map(Escape.composeString).joined(separator: ", ") + "]" }
        func secretEnv(_ ref: SecretRef) -> String { composeValue(secretValue(ref)) }

        for server in plan.servers {
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
                mounts = ["\(volume):/var/lib/postgresql/data", "./init/\(server.name):/docker-entrypoint-initdb.d:ro"]
                // Over 127.0.0.1: the image's first-start server listens on its socket only, and a
                // socket check would let `provision` connect before the server accepts TCP.
                test = ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U \(server.superuserName) -d postgres"]
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
        for server in plan.servers where server.engine == .postgres {
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
            services.append(service(
                name: name, image: server.image, build: nil, command: flow(command), environment: env, ports: [],
                volumes: [Escape.composeString("./init/\(server.name):/ovu:ro")], dependsOn: [(server.name, "service_healthy")],
                healthcheck: nil, restart: "no"))
        }
        /// The provision services of the PostgreSQL servers an instance uses.
        func provisionDeps(_ servers: [String]) -> [(String, String)] {
            Set(servers).sorted().compactMap { provisionOf[$0].map { ($0, "service_completed_successfully") } }
        }

        // One-shot grants after migrations, per PostgreSQL server with table-level grants.
        var grantsOf: [String: String] = [:]
        for server in plan.servers where server.engine == .postgres && !PostgresSQL.postMigrateSections(server).isEmpty {
            let name = "\(server.name)-grants"
            grantsOf[server.name] = name
            var deps: [(String, String)] = [(server.name, "service_healthy")] + provisionDeps([server.name])
            let migrations = plan.instances.filter { i in i.migrate != nil && server.clients.contains(i.name) && i.database?.server == server.name }
            deps += migrations.map { ("\($0.name)-migrate", "service_completed_successfully") }
            services.append(service(
                name: name, image: server.image, build: nil,
                command: flow(["psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-h", server.name, "-U", server.superuserName, "-d", "postgres", "-f", "/ovu/grants.sql"]),
                environment: [("PGPASSWORD", secretEnv(server.superuserSecret!))], ports: [],
                volumes: [Escape.composeString("./init/\(server.name)/post-migrate:/ovu:ro")], dependsOn: deps,
                healthcheck: nil, restart: "no"))
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
            for s in used.sorted() { serverDeps.append((s, "service_healthy")) }

            // Migrations and apps start once their PostgreSQL servers are provisioned.
            let provisioned = provisionDeps([instance.database?.server].compactMap { $0 } + instance.reads.map(\.server))
            if let migrate = instance.migrate {
                services.append(service(
                    name: "\(instance.name)-migrate", image: image, build: build, command: flow(["sh", "-c", migrate]),
                    environment: env, ports: [], volumes: [], dependsOn: serverDeps + provisioned, healthcheck: nil, restart: "no"))
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
            services.append(service(
                name: instance.name, image: image, build: build, command: flow(["sh", "-c", command]), environment: env,
                ports: instance.port.map { [Escape.composeString("127.0.0.1:\($0):\($0)")] } ?? [], volumes: [],
                dependsOn: deps, healthcheck: healthcheck, restart: "unless-stopped"))
        }
        services.sort { ($0["name"] as! String) < ($1["name"] as! String) }
        return templates.render("docker-compose.yml.mustache", [
            "header": header, "services": services, "volumes": volumes.sorted(), "hasVolumes": !volumes.isEmpty,
        ])
    }

    // MARK: - Manifest

    func manifest() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(plan)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

public struct RenderError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
