import Statements
import Topology
import Workspace

/// Data servers: StatefulSet + headless Service, the provision Job, post-migration grants and
/// backup CronJobs.
extension KubernetesRenderer {
    static let dataMount = "ovu"

    func portName(_ engine: Engine) -> String { engine.rawValue }

    // MARK: - Servers

    /// A headless Service (the server's name resolves to its pod, like the compose service name)
    /// and a one-replica StatefulSet with a volume claim, probes and resource requests.
    func serverManifests(_ server: PlannedServer) -> [YAMLNode] {
        let port = server.containerPort
        var container = K8sContainer(name: server.engine.rawValue, image: server.image, command: [])
        container.ports = [.map(["name": .string(portName(server.engine)), "containerPort": .int(port)])]
        let dataPath: String
        switch server.engine {
        case .postgres:
            container.command = ["docker-entrypoint.sh", "postgres"] + (server.maxConnections.map { ["-c", "max_connections=\($0)"] } ?? [])
            container.env = [env("POSTGRES_USER", server.superuserName), env("POSTGRES_PASSWORD", secret: server.superuserSecret!)]
            // 127.0.0.1: the image's first-start server listens on its socket only, so a socket
            // probe would call it ready before it accepts the connections of the provision Job.
            let probe = ["pg_isready", "-h", "127.0.0.1", "-U", server.superuserName, "-d", "postgres"]
            container.readinessProbe = execProbe(probe, initialDelay: 5, period: 5, failureThreshold: 6)
            container.livenessProbe = execProbe(probe, initialDelay: 60, period: 10, failureThreshold: 6)
            (container.cpu, container.memory) = ("100m", "256Mi")
            dataPath = "/var/lib/postgresql/data"
        case .redis:
            container.command = ["redis-server", "--databases", String(server.redisDatabases ?? 16), "--appendonly", "yes"]
            var probe = ["redis-cli", "ping"]
            if server.redisUsers != nil {
                container.command = shell(RedisACLContainer.script(server))
                container.env = RedisACLContainer.secrets(server).map { env($0.variable, secret: $0) }
                probe = RedisACLContainer.probe
            }
            container.readinessProbe = execProbe(probe, initialDelay: 2, period: 5, failureThreshold: 6)
            container.livenessProbe = execProbe(probe, initialDelay: 30, period: 10, failureThreshold: 6)
            (container.cpu, container.memory) = ("50m", "64Mi")
            dataPath = "/data"
        case .mysql:
            container.command = ["docker-entrypoint.sh", "mysqld"] + (server.maxConnections.map { ["--max-connections=\($0)"] } ?? [])
            container.env = [env("MYSQL_ROOT_PASSWORD", secret: server.superuserSecret!)]
            let probe = ["sh", "-c", "MYSQL_PWD=\"$MYSQL_ROOT_PASSWORD\" mysqladmin ping -h 127.0.0.1 -uroot --silent"]  // probes are not expanded
            container.readinessProbe = execProbe(probe, initialDelay: 10, period: 5, failureThreshold: 12)
            container.livenessProbe = execProbe(probe, initialDelay: 120, period: 10, failureThreshold: 6)
            (container.cpu, container.memory) = ("100m", "512Mi")
            dataPath = "/var/lib/mysql"
        case .mongodb:
            container.command = ["docker-entrypoint.sh", "mongod"]
            container.env = [env("MONGO_INITDB_ROOT_USERNAME", server.superuserName), env("MONGO_INITDB_ROOT_PASSWORD", secret: server.superuserSecret!)]
            let probe = ["mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"]
            container.readinessProbe = execProbe(probe, initialDelay: 10, period: 5, failureThreshold: 12)
            container.livenessProbe = execProbe(probe, initialDelay: 60, period: 10, failureThreshold: 6)
            (container.cpu, container.memory) = ("100m", "512Mi")
            dataPath = "/data/db"
        }
        // A subPath: a fresh volume's root may hold lost+found, which initdb and mysqld refuse.
        container.volumeMounts = [mount("data", at: dataPath, subPath: "data")]

        let service: YAMLNode = .map([
            "apiVersion": .string("v1"),
            "kind": .string("Service"),
            "metadata": metadata(server.name, labels: serverLabels(server)),
            "spec": .map([
                "clusterIP": .string("None"),
                "selector": .strings(serverSelector(server)),
                "ports": .list([.map(["name": .string(portName(server.engine)), "port": .int(port), "targetPort": .string(portName(server.engine))])]),
            ]),
        ])
        let statefulSet: YAMLNode = .map([
            "apiVersion": .string("apps/v1"),
            "kind": .string("StatefulSet"),
            "metadata": metadata(server.name, labels: serverLabels(server)),
            "spec": .map([
                "serviceName": .string(server.name),
                "replicas": .int(1),
                "selector": .map(["matchLabels": .strings(serverSelector(server))]),
                "template": podTemplate(labels: serverLabels(server), containers: [container]),
                "volumeClaimTemplates": .list([.map([
                    "metadata": .map(["name": .string("data"), "labels": .strings(serverLabels(server))]),
                    "spec": .map([
                        "accessModes": .list([.string("ReadWriteOnce")]),
                        "resources": .map(["requests": .strings([("storage", "1Gi")])]),
                    ]),
                ])]),
            ]),
        ])
        return [service, statefulSet]
    }

    // MARK: - Provisioning

    func provisionComment(_ server: PlannedServer) -> [String] {
        [
            "Provisioning of server \(server.name): the Job runs the idempotent init script of the ConfigMap against the",
            "server's Service. Its name ends in a hash of the script and of the Job, and a finished Job is deleted after",
            "\(Self.jobTTLSeconds) s: `kubectl apply -k` runs it again whenever the Plan changes it, and on any later deploy.",
            "To converge right now (a restored volume, drift): kubectl -n \(namespace) delete job -l app.kubernetes.io/component=provision,ovudev.io/server=\(server.name)",
            "and apply again. Passwords come from the Secrets, as environment variables; none is in the ConfigMap.",
        ]
    }

    /// The ConfigMap with the init script and the Job that runs it; nil for Redis.
    func provisionManifests(_ server: PlannedServer) throws -> [YAMLNode]? {
        guard server.engine != .redis else { return nil }
        let labels = serverJobLabels(server, component: "provision")
        let configName = "\(server.name)-provision"
        let roleSecrets = Array(Set(server.roles.map(\.secret))).sorted { $0.variable < $1.variable }
        let roleEnv = roleSecrets.map { env($0.variable, secret: $0) }
        var data: [(String, String)]
        var wait: K8sContainer
        var main: K8sContainer
        switch server.engine {
        case .postgres:
            let sql = templates.render("init-db.sql.mustache", [
                "header": header, "sections": PostgresSQL.psqlContext(PostgresSQL.initSections(server, passwords: .psqlVariable)),
            ])
            data = [("init-db.sql", sql)]
            let connection = postgresClientEnv(server, user: server.superuserName, database: "postgres", secret: server.superuserSecret!)
            wait = K8sContainer(name: "wait-for-server", image: server.image, command: waitLoop("pg_isready -q", waitingFor: "server \(server.name)"))
            wait.env = connection
            var command = ["psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc"]
            for ref in roleSecrets { command += ["-v", "\(PostgresSQL.psqlVariable(ref))=$(\(ref.variable))"] }
            command += ["-f", "/\(Self.dataMount)/init-db.sql"]
            main = K8sContainer(name: "provision", image: server.image, command: command)
            main.env = connection + roleEnv
        case .mysql:
            data = [("provision.sh", mysqlProvisionScript(server))]
            let connection = mysqlClientEnv(server, secret: server.superuserSecret!)
            wait = K8sContainer(name: "wait-for-server", image: server.image,
                                command: waitLoop("mysqladmin ping -h \"$MYSQL_HOST\" -P \"$MYSQL_TCP_PORT\" --silent >/dev/null 2>&1", waitingFor: "server \(server.name)"))
            wait.env = connection
            main = K8sContainer(name: "provision", image: server.image, command: ["sh", "/\(Self.dataMount)/provision.sh"])
            main.env = connection + roleEnv
        case .mongodb:
            let script = BundleRenderer(plan: plan, secrets: .external, templates: templates,
                                        options: RenderOptions(topologyFile: topologyFile, bundleDirectory: "/", projectFromBundle: ".", backupsDirectory: "/"))
                .mongoInit(server)
            data = [("init-db.js", script)]
            let connection = [env("OVU_HOST", server.name), env("OVU_PORT", String(server.containerPort))]
            wait = K8sContainer(name: "wait-for-server", image: server.image,
                                command: waitLoop("mongosh --quiet --host \"$OVU_HOST\" --port \"$OVU_PORT\" --eval 'db.adminCommand({ping: 1}).ok' >/dev/null 2>&1", waitingFor: "server \(server.name)"))
            wait.env = connection
            let user = server.superuserName
            main = K8sContainer(name: "provision", image: server.image, command: [
                "mongosh", "--quiet", "--host", "$(OVU_HOST)", "--port", "$(OVU_PORT)", "--username", user,
                "--password", "$(OVU_ROOT_PASSWORD)", "--authenticationDatabase", "admin", "/\(Self.dataMount)/init-db.js",
            ])
            main.env = connection + [env("OVU_ROOT_PASSWORD", secret: server.superuserSecret!)] + roleEnv
        case .redis:
            return nil
        }
        main.volumeMounts = [mount("init", at: "/\(Self.dataMount)", readOnly: true)]
        let config = configMap(configName, labels: labels, data: data)
        let template = podTemplate(labels: labels, initContainers: [wait], containers: [main],
                                   volumes: [configMapVolume("init", configMap: configName)], restartPolicy: "Never")
        let name = jobName("\(server.name)-provision", hashing: [config.document, template.document])
        return [config, job(name: name, labels: labels, template: template)]
    }

    /// libpq's variables: psql and pg_isready read them, and tests can point them elsewhere.
    func postgresClientEnv(_ server: PlannedServer, user: String, database: String, secret: SecretRef) -> [YAMLNode] {
        [env("PGHOST", server.networkHost), env("PGPORT", String(server.containerPort)), env("PGUSER", user),
         env("PGDATABASE", database), env("PGPASSWORD", secret: secret), env("PGCONNECT_TIMEOUT", "5")]
    }

    /// The mysql client's variables (MYSQL_PWD is read by mysql and mysqladmin).
    func mysqlClientEnv(_ server: PlannedServer, secret: SecretRef) -> [YAMLNode] {
        [env("MYSQL_HOST", server.name), env("MYSQL_TCP_PORT", String(server.containerPort)), env("MYSQL_PWD", secret: secret)]
    }

    /// The MySQL init SQL over TCP, passwords from the environment (the compose bundle's
    /// external-secrets script talks to the local socket of the server's own container).
    func mysqlProvisionScript(_ server: PlannedServer) -> String {
        let bundle = BundleRenderer(plan: plan, secrets: .external, templates: templates,
                                    options: RenderOptions(topologyFile: topologyFile, bundleDirectory: "/", projectFromBundle: ".", backupsDirectory: "/"))
        let marker = "\u{1}OVU_SECRET:"
        var sql = bundle.mysqlInitSQL(server) { "'\(marker)\($0.variable)\u{2}'" }.trimmingCharacters(in: .newlines)
        // An unquoted here-document: `\`, `` ` `` and `$` escaped, then the placeholders become
        // shell variables holding SQL-escaped values.
        sql = sql.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "`", with: "\\`").replacingOccurrences(of: "$", with: "\\$")
        var lines = [
            "#!/bin/sh",
            "# \(header)",
            "# Converges users, databases and grants; passwords come from the environment (Kubernetes Secrets).",
            "set -eu",
            "sql_literal() { printf '%s' \"$1\" | sed -e 's/\\\\/\\\\\\\\/g' -e \"s/'/\\\\\\\\'/g\"; }",
        ]
        for ref in Set(server.roles.map(\.secret)).sorted(by: { $0.variable < $1.variable }) {
            sql = sql.replacingOccurrences(of: "\(marker)\(ref.variable)\u{2}", with: "${\(ref.variable)_SQL}")
            lines.append(": \"${\(ref.variable):?\(ref.variable) must be set}\"")
            lines.append("\(ref.variable)_SQL=$(sql_literal \"$\(ref.variable)\")")
        }
        lines.append("mysql -h \"$MYSQL_HOST\" -P \"$MYSQL_TCP_PORT\" -u\(Escape.shellWord(server.superuserName)) <<OVUDEV_SQL")
        lines.append(sql)
        lines.append("OVUDEV_SQL")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - Grants after migrations

    /// grants.sql (the compose bundle's post-migrate file) and a Job that waits until every table
    /// it grants exists, then applies it; nil when the server has no such grants.
    func grantsManifests(_ server: PlannedServer) -> [YAMLNode]? {
        if server.engine == .mysql { return mysqlGrantsManifests(server) }
        let sections = PostgresSQL.postMigrateSections(server)
        guard server.engine == .postgres, !sections.isEmpty else { return nil }
        let labels = serverJobLabels(server, component: "grants")
        let configName = "\(server.name)-grants"
        let sql = templates.render("grants.sql.mustache", ["header": header, "sections": PostgresSQL.psqlContext(sections)])
        let config = configMap(configName, labels: labels, data: [("grants.sql", sql)])
        var waits: [K8sContainer] = []
        for db in server.databases where !db.tableReads.isEmpty {
            let tables = Set(db.tableReads.map { "\(Escape.sqlIdentifier($0.schema)).\(Escape.sqlIdentifier($0.table))" }).sorted()
            let query = "SELECT count(*) = \(tables.count) FROM unnest(ARRAY[\(tables.map(Escape.sqlLiteral).joined(separator: ", "))]) AS t WHERE to_regclass(t) IS NOT NULL"
            var wait = K8sContainer(name: "wait-for-tables-\(waits.count + 1)", image: server.image,
                                    command: waitLoop("[ \"$(psql -XAtq -c \"$OVU_CHECK\" 2>/dev/null)\" = t ]", waitingFor: "the migrations to create \(tables.joined(separator: ", ")) in \(db.name)"))
            wait.env = postgresClientEnv(server, user: server.superuserName, database: db.name, secret: server.superuserSecret!) + [env("OVU_CHECK", query)]
            waits.append(wait)
        }
        var main = K8sContainer(name: "grants", image: server.image,
                                command: ["psql", "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-f", "/\(Self.dataMount)/grants.sql"])
        main.env = postgresClientEnv(server, user: server.superuserName, database: "postgres", secret: server.superuserSecret!)
        main.volumeMounts = [mount("grants", at: "/\(Self.dataMount)", readOnly: true)]
        let template = podTemplate(labels: labels, initContainers: waits, containers: [main],
                                   volumes: [configMapVolume("grants", configMap: configName)], restartPolicy: "Never")
        let name = jobName("\(server.name)-grants", hashing: [config.document, template.document])
        return [config, job(name: name, labels: labels, template: template)]
    }

    // MARK: - Backups

    /// A PVC for the dumps and a CronJob that writes every backup target of the server there and
    /// deletes dumps older than `keepDays`; nil when the server has no targets.
    func backupManifests(_ server: PlannedServer) -> [YAMLNode]? {
        let targets = plan.backups.targets.filter { $0.server == server.name }
        guard !targets.isEmpty else { return nil }
        let labels = serverJobLabels(server, component: "backup")
        let claim = "\(server.name)-backups"
        var script = ["set -eu", "stamp=$(date -u +%Y%m%dT%H%M%SZ)"]
        var environment: [YAMLNode]
        switch server.engine {
        case .postgres: environment = postgresClientEnv(server, user: server.superuserName, database: "postgres", secret: server.superuserSecret!)
        case .mysql: environment = mysqlClientEnv(server, secret: server.superuserSecret!)
        case .mongodb: environment = [env("OVU_HOST", server.name), env("OVU_PORT", String(server.containerPort)), env("OVU_ROOT_PASSWORD", secret: server.superuserSecret!)]
        case .redis:
            environment = [env("OVU_HOST", server.name), env("OVU_PORT", String(server.containerPort))]
            if let admin = server.superuserSecret { environment.append(env("OVU_ADMIN_PASSWORD", secret: admin)) }
        }
        for t in targets {
            let dir = "/backups/\(t.name)"
            let file = "\(dir)/\(t.name)-$stamp.\(t.fileExtension)"
            script.append("mkdir -p \(Escape.shellWord(dir))")
            switch t.kind {
            case .pgDump:
                var command = "pg_dump -d \(Escape.shellWord(t.database ?? "postgres"))"
                if let schema = t.schema { command += " -n \(Escape.shellWord(schema))" }
                script.append(command + " --format=custom -f \"\(file)\"")
            case .redisRDB:
                script.append(server.redisUsers != nil ? "\(RedisACLContainer.dump) \"\(file)\"" : "redis-cli -h \"$OVU_HOST\" -p \"$OVU_PORT\" --rdb \"\(file)\"")
            case .mysqldump:
                let plain = String(file.dropLast(t.fileExtension.hasSuffix(".gz") ? 3 : 0))
                script.append("mysqldump -h \"$MYSQL_HOST\" -P \"$MYSQL_TCP_PORT\" -u\(Escape.shellWord(server.superuserName)) --single-transaction --routines --result-file=\"\(plain)\" --databases \(Escape.shellWord(t.database ?? ""))")
                script.append("gzip -f \"\(plain)\"")
            case .mongodump:
                script.append("mongodump --host=\"$OVU_HOST\" --port=\"$OVU_PORT\" --username=\(Escape.shellWord(server.superuserName)) --password=\"$OVU_ROOT_PASSWORD\" --authenticationDatabase=admin --db=\(Escape.shellWord(t.database ?? "")) --gzip --archive=\"\(file)\"")
            }
            if let upload = plan.backups.uploadCommand(file: "\"\(file)\"") { script.append(upload) }
            script.append("find \(Escape.shellWord(dir)) -type f -name \(Escape.shellWord("\(t.name)-*.\(t.fileExtension)")) -mtime +\(plan.backups.keepDays - 1) -delete")
        }
        var container = K8sContainer(name: "backup", image: server.image, command: shell(script.joined(separator: "\n") + "\n"))
        container.env = environment
        container.volumeMounts = [mount("backups", at: "/backups")]
        (container.cpu, container.memory) = ("50m", "128Mi")
        let pvc: YAMLNode = .map([
            "apiVersion": .string("v1"),
            "kind": .string("PersistentVolumeClaim"),
            "metadata": metadata(claim, labels: labels),
            "spec": .map([
                "accessModes": .list([.string("ReadWriteOnce")]),
                "resources": .map(["requests": .strings([("storage", "5Gi")])]),
            ]),
        ])
        let cronJob: YAMLNode = .map([
            "apiVersion": .string("batch/v1"),
            "kind": .string("CronJob"),
            "metadata": metadata("\(server.name)-backup", labels: labels),
            "spec": .map([
                "schedule": .string(plan.backups.schedule),
                "concurrencyPolicy": .string("Forbid"),
                "successfulJobsHistoryLimit": .int(3),
                "failedJobsHistoryLimit": .int(3),
                "jobTemplate": .map([
                    "metadata": .map(["labels": .strings(labels)]),
                    "spec": .map([
                        "backoffLimit": .int(2),
                        "template": podTemplate(labels: labels, containers: [container],
                                                volumes: [.map(["name": .string("backups"), "persistentVolumeClaim": .map(["claimName": .string(claim)])])],
                                                restartPolicy: "OnFailure"),
                    ]),
                ]),
            ]),
        ])
        return [pvc, cronJob]
    }
}
