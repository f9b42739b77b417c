import Statements
import Topology
import Workspace

/// Service instances: their environment, migration Job, Deployment and Service; the waits that
/// order them; the NetworkPolicies.
extension KubernetesRenderer {
    /// An instance's environment: plain values in a ConfigMap (`envFrom`), values with a password
    /// as `env` entries — the password from its Secret, and a URL around it through Kubernetes'
    /// `$(VAR)` expansion. The same variables as `env/<svc>.env`, with in-cluster hosts.
    struct AppEnvironment {
        var configMapName: String
        var configMap: YAMLNode
        var env: [YAMLNode]
        var envFrom: [YAMLNode] { [.map(["configMapRef": .map(["name": .string(configMapName)])])] }
        /// Changes when any value changes: a pod annotation, so that Deployments roll.
        var hash: String
    }

    func environment(_ instance: ServiceInstance) throws -> AppEnvironment {
        var plain: [(String, String)] = []
        var direct: [SecretRef: String] = [:]
        var secretEnv: [YAMLNode] = []
        var composite: [EnvVar] = []
        for variable in instance.environment {
            let parts = variable.network.parts
            if !variable.network.hasSecret {
                plain.append((variable.key, parts.map { if case let .text(t) = $0 { return t } else { return "" } }.joined()))
            } else if parts.count == 1, case let .secret(ref, false) = parts[0] {
                secretEnv.append(env(variable.key, secret: ref))
                if direct[ref] == nil { direct[ref] = variable.key }
            } else {
                composite.append(variable)
            }
        }
        // A password needed inside a URL but not available as a variable of its own.
        var helpers: [YAMLNode] = []
        for variable in composite {
            for case let .secret(ref, _) in variable.network.parts where direct[ref] == nil {
                direct[ref] = "OVU_SECRET_\(ref.variable)"
                helpers.append(env("OVU_SECRET_\(ref.variable)", secret: ref))
            }
        }
        var expanded: [YAMLNode] = []
        for variable in composite {
            var value = ""
            for part in variable.network.parts {
                switch part {
                case let .text(t): value += t.replacingOccurrences(of: "$", with: "$$")
                case let .secret(ref, inURL):
                    // Kubernetes inserts the value as it is: a generated password that would need
                    // percent-encoding cannot be written this way (external ones are documented).
                    if inURL, let v = secrets.value(ref), Escape.urlComponent(v) != v {
                        throw RenderError(message: "\(instance.name): \(variable.key) holds \(ref.variable) inside a URL, and its value needs percent-encoding, which Kubernetes' $(VAR) expansion cannot do; use a password of A-Z a-z 0-9 - . _ ~ (edit or delete it in .ovu/secrets.json)")
                    }
                    value += "$(\(direct[ref]!))"
                }
            }
            expanded.append(env(variable.key, expanding: value))
        }
        let name = "\(instance.name)-env"
        let config = configMap(name, labels: instanceLabels(instance, component: "config"), data: plain)
        let env = secretEnv + helpers + expanded
        return AppEnvironment(configMapName: name, configMap: config, env: env,
                              hash: stableHash(config.document + YAMLNode.list(env).document))
    }

    // MARK: - Migrations

    /// A Job per instance with `migrate`: it waits until its database is provisioned for its role,
    /// runs the migration with the app's image and environment, then records the Job's name in
    /// the instance's own database (`ovudev_migrations`), which its Deployment waits for.
    func migrationManifest(_ instance: ServiceInstance, _ appEnv: AppEnvironment) -> (job: YAMLNode, name: String)? {
        guard let migrate = instance.migrate else { return nil }
        let labels = instanceLabels(instance, component: "migration")
        var run = K8sContainer(name: "migrate", image: image(instance), command: shell(migrate))
        run.envFrom = appEnv.envFrom
        run.env = appEnv.env
        (run.cpu, run.memory) = ("50m", "128Mi")
        func template(recording name: String) -> YAMLNode {
            guard let access = instance.database, let server = plan.server(access.server) else {
                return podTemplate(labels: labels, containers: [run], restartPolicy: "Never")
            }
            return podTemplate(labels: labels, initContainers: [databaseWait(instance, access, server, until: .provisioned), run],
                               containers: [migrationRecord(access, server, job: name)], restartPolicy: "Never")
        }
        // The hash cannot cover the name it records; the base stands in for it.
        let base = "\(instance.name)-migrate"
        let name = jobName(base, hashing: [appEnv.configMap.document, template(recording: base).document])
        return (job(name: name, labels: labels, template: template(recording: name)), name)
    }

    enum DatabaseCondition {
        /// The role logs in to its database and owns its space there (schema, database, or
        /// CREATE on `public` with prefix isolation).
        case provisioned
        /// The migration Job of this name recorded its success.
        case migrated(String)
    }

    /// An init container (the data server's image, for its client) that loops until `condition`
    /// holds, logged in as the instance's own role.
    func databaseWait(_ instance: ServiceInstance, _ access: DatabaseAccess, _ server: PlannedServer, until condition: DatabaseCondition) -> K8sContainer {
        let name: String, what: String
        switch condition {
        case .provisioned: (name, what) = ("wait-for-database", "\(access.role) to be provisioned in \(access.database) on \(server.name)")
        case let .migrated(job): (name, what) = ("wait-for-migration", "job \(job) (the migrations of \(instance.name))")
        }
        var container: K8sContainer
        switch access.engine {
        case .postgres:
            let check: String
            switch condition {
            case .provisioned:
                check = postgresProvisionedCheck(access, server)
            case let .migrated(job):
                check = "SELECT count(*) FROM \(migrationTable(access)) WHERE job = \(Escape.sqlLiteral(job))"
            }
            container = K8sContainer(name: name, image: server.image, command: waitLoop("[ \"$(psql -XAtq -c \"$OVU_CHECK\" 2>/dev/null)\" = 1 ]", waitingFor: what))
            container.env = postgresClientEnv(server, user: access.role, database: access.database, secret: access.secret) + [env("OVU_CHECK", check)]
        case .mysql:
            let check: String
            switch condition {
            case .provisioned: check = "SELECT 1"
            case let .migrated(job): check = "SELECT count(*) FROM ovudev_migrations WHERE job = \(Escape.mysqlLiteral(job))"
            }
            container = K8sContainer(name: name, image: server.image, command: waitLoop(
                "[ \"$(mysql -h \"$MYSQL_HOST\" -P \"$MYSQL_TCP_PORT\" -u \"$OVU_USER\" -N -B -e \"$OVU_CHECK\" \"$OVU_DATABASE\" 2>/dev/null)\" = 1 ]", waitingFor: what))
            container.env = mysqlClientEnv(server, secret: access.secret) + [env("OVU_USER", access.role), env("OVU_DATABASE", access.database), env("OVU_CHECK", check)]
        case .mongodb:
            let check: String
            switch condition {
            case .provisioned: check = "db.runCommand({ping: 1}).ok"
            case let .migrated(job): check = "db.ovudev_migrations.countDocuments({_id: \(Escape.jsString(job))})"
            }
            container = K8sContainer(name: name, image: server.image, command: waitLoop(
                "[ \"$(mongosh --quiet --host \"$OVU_HOST\" --port \"$OVU_PORT\" --username \"$OVU_USER\" --password \"$OVU_PASSWORD\" --authenticationDatabase \"$OVU_DATABASE\" \"$OVU_DATABASE\" --eval \"$OVU_CHECK\" 2>/dev/null)\" = 1 ]", waitingFor: what))
            container.env = mongoClientEnv(server, access) + [env("OVU_CHECK", check)]
        case .redis:
            container = K8sContainer(name: name, image: server.image, command: ["true"])
        }
        return container
    }

    /// `1` once the provisioning script has done everything the role's own space needs — not
    /// just its first statement, so a migration cannot start between the database (or schema)
    /// and the extensions, the `public` handover or the search_path that follow it.
    func postgresProvisionedCheck(_ access: DatabaseAccess, _ server: PlannedServer) -> String {
        let me = "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        var conditions: [String] = []
        if let schema = access.schema {
            conditions.append("EXISTS (SELECT FROM pg_namespace WHERE nspname = \(Escape.sqlLiteral(schema)) AND nspowner = \(me))")
        } else if access.tablePrefix != nil {
            conditions.append("has_schema_privilege('public', 'CREATE')")
        } else {
            conditions.append("EXISTS (SELECT FROM pg_database WHERE datname = current_database() AND datdba = \(me))")
            conditions.append("EXISTS (SELECT FROM pg_namespace WHERE nspname = 'public' AND nspowner = \(me))")
        }
        let db = server.databases.first { $0.name == access.database }
        if let extensions = db?.extensions, !extensions.isEmpty {
            let names = Set(extensions).sorted()
            conditions.append("(SELECT count(*) FROM pg_extension WHERE extname IN (\(names.map(Escape.sqlLiteral).joined(separator: ", ")))) = \(names.count)")
        }
        // The session already runs with the role's search_path in this database: compare the
        // schemas it resolves to (names, so no quoting rules are involved).
        if let path = db?.searchPaths.first(where: { $0.role == access.role }) {
            conditions.append("current_schemas(false) = ARRAY[\(path.schemas.map(Escape.sqlLiteral).joined(separator: ", "))]::name[]")
        }
        return "SELECT (\(conditions.joined(separator: " AND ")))::int"
    }

    func mongoClientEnv(_ server: PlannedServer, _ access: DatabaseAccess) -> [YAMLNode] {
        [env("OVU_HOST", server.name), env("OVU_PORT", String(server.containerPort)), env("OVU_USER", access.role),
         env("OVU_DATABASE", access.database), env("OVU_PASSWORD", secret: access.secret)]
    }

    /// Where the instance's migrations are recorded: in its own space, like `ovudev_seeds`.
    func migrationTable(_ access: DatabaseAccess) -> String {
        "\(Escape.sqlIdentifier(access.schema ?? "public")).\(Escape.sqlIdentifier((access.tablePrefix ?? "") + "ovudev_migrations"))"
    }

    /// The migration Job's last step: its name into `ovudev_migrations`, as the instance's role.
    func migrationRecord(_ access: DatabaseAccess, _ server: PlannedServer, job: String) -> K8sContainer {
        var container: K8sContainer
        switch access.engine {
        case .postgres:
            let table = migrationTable(access)
            container = K8sContainer(name: "record", image: server.image, command: [
                "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-c", "CREATE TABLE IF NOT EXISTS \(table) (job text PRIMARY KEY, finished_at timestamptz NOT NULL DEFAULT now())",
                "-c", "INSERT INTO \(table) (job) VALUES (\(Escape.sqlLiteral(job))) ON CONFLICT (job) DO NOTHING",
            ])
            container.env = postgresClientEnv(server, user: access.role, database: access.database, secret: access.secret)
        case .mysql:
            container = K8sContainer(name: "record", image: server.image, command: [
                "mysql", "-h", "$(MYSQL_HOST)", "-P", "$(MYSQL_TCP_PORT)", "-u", access.role, "-e",
                "CREATE TABLE IF NOT EXISTS ovudev_migrations (job VARCHAR(253) PRIMARY KEY, finished_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); INSERT IGNORE INTO ovudev_migrations (job) VALUES (\(Escape.mysqlLiteral(job)))",
                access.database,
            ])
            container.env = mysqlClientEnv(server, secret: access.secret)
        case .mongodb:
            container = K8sContainer(name: "record", image: server.image, command: [
                "mongosh", "--quiet", "--host", "$(OVU_HOST)", "--port", "$(OVU_PORT)", "--username", "$(OVU_USER)",
                "--password", "$(OVU_PASSWORD)", "--authenticationDatabase", "$(OVU_DATABASE)", "$(OVU_DATABASE)", "--eval",
                literal("db.ovudev_migrations.updateOne({_id: \(Escape.jsString(job))}, {$setOnInsert: {finishedAt: new Date()}}, {upsert: true})"),
            ])
            container.env = mongoClientEnv(server, access)
        case .redis:
            container = K8sContainer(name: "record", image: server.image, command: ["true"])
        }
        return container
    }

    // MARK: - Deployments

    /// The env ConfigMap, and for an instance with a command: a Deployment whose init containers
    /// wait for its migration (or its database), the tables it `reads`, and the dependencies it
    /// has a health check for; a Service when it has a port.
    func serviceManifests(_ instance: ServiceInstance, _ appEnv: AppEnvironment, migrationJob: String?) -> [YAMLNode] {
        var documents = [appEnv.configMap]
        guard let command = instance.command else { return documents }
        let selector = instanceSelector(instance)
        var waits: [K8sContainer] = []
        if let access = instance.database, let server = plan.server(access.server) {
            waits.append(databaseWait(instance, access, server, until: migrationJob.map { .migrated($0) } ?? .provisioned))
        }
        for read in instance.reads {
            guard let server = plan.server(read.server) else { continue }
            let tables = read.tables.map { Escape.sqlLiteral("\(Escape.sqlIdentifier(read.schema)).\(Escape.sqlIdentifier($0))") }
            let check = "SELECT bool_and(has_table_privilege(t, 'SELECT'))::int FROM unnest(ARRAY[\(tables.joined(separator: ", "))]) AS t"
            var wait = K8sContainer(name: "wait-for-reads-\(read.instance)", image: server.image, command: waitLoop(
                "[ \"$(psql -XAtq -c \"$OVU_CHECK\" 2>/dev/null)\" = 1 ]",
                waitingFor: "SELECT on \(read.tables.joined(separator: ", ")) of \(read.instance) (the grants Job of \(server.name))"))
            wait.env = postgresClientEnv(server, user: read.role, database: read.database, secret: read.secret) + [env("OVU_CHECK", check)]
            waits.append(wait)
        }
        var probes: [String] = []
        var urls: [YAMLNode] = []
        var healthy: [String] = []
        for dep in instance.dependsOn {
            guard let target = plan.instance(dep), target.command != nil, target.image != nil || target.path != nil,
                  let health = target.health, let port = target.port else { continue }
            let variable = "OVU_HEALTH_URL_\(urls.count + 1)"
            urls.append(env(variable, "http://\(target.name):\(port)\(health)"))
            healthy.append(target.name)
            probes.append("{ wget -q -O /dev/null \"$\(variable)\" || curl -fsS -o /dev/null \"$\(variable)\" || python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=4)' \"$\(variable)\"; }")
        }
        if !probes.isEmpty {
            var wait = K8sContainer(name: "wait-for-dependencies", image: image(instance),
                                    command: waitLoop(probes.joined(separator: " && ") + " >/dev/null 2>&1", waitingFor: "\(healthy.joined(separator: ", ")) to be healthy"))
            wait.env = urls
            waits.append(wait)
        }

        var app = K8sContainer(name: instance.service, image: image(instance), command: shell(command))
        app.envFrom = appEnv.envFrom
        app.env = appEnv.env
        (app.cpu, app.memory) = ("50m", "128Mi")
        if let port = instance.port {
            app.ports = [.map(["name": .string("http"), "containerPort": .int(port)])]
            let check: YAMLNode = instance.health.map { .map(["httpGet": .map(["path": .string($0), "port": .string("http")])]) }
                ?? .map(["tcpSocket": .map(["port": .string("http")])])
            guard case var .map(entries) = check else { fatalError() }
            entries += [YAMLEntry("initialDelaySeconds", .int(2)), YAMLEntry("periodSeconds", .int(5)),
                        YAMLEntry("timeoutSeconds", .int(4)), YAMLEntry("failureThreshold", .int(6))]
            app.readinessProbe = .map(entries)
        }
        let labels = instanceLabels(instance)
        documents.append(.map([
            "apiVersion": .string("apps/v1"),
            "kind": .string("Deployment"),
            "metadata": metadata(instance.name, labels: labels),
            "spec": .map([
                "replicas": .int(1),
                "selector": .map(["matchLabels": .strings(selector)]),
                "template": podTemplate(labels: labels, annotations: [("ovudev.io/config-hash", appEnv.hash)],
                                        initContainers: waits, containers: [app]),
            ]),
        ]))
        if let port = instance.port {
            documents.append(.map([
                "apiVersion": .string("v1"),
                "kind": .string("Service"),
                "metadata": metadata(instance.name, labels: labels),
                "spec": .map([
                    "selector": .strings(selector),
                    "ports": .list([.map(["name": .string("http"), "port": .int(port), "targetPort": .string("http")])]),
                ]),
            ]))
        }
        return documents
    }

    // MARK: - NetworkPolicies

    /// Deny everything, then allow: DNS for every pod; each data server accepts its clients
    /// (their Deployment and migration pods) and its own provision, grants and backup Jobs; each
    /// instance's pods reach only the data servers it uses and the instances it depends on, and
    /// accept connections on their port only.
    func networkPolicies() -> [YAMLNode] {
        func policy(_ name: String, selector: YAMLNode, types: [String], ingress: [YAMLNode]? = nil, egress: [YAMLNode]? = nil) -> YAMLNode {
            .map([
                "apiVersion": .string("networking.k8s.io/v1"),
                "kind": .string("NetworkPolicy"),
                "metadata": metadata(name, labels: commonLabels),
                "spec": .map([
                    "podSelector": selector,
                    "policyTypes": .list(types.map { .string($0) }),
                    "ingress": ingress.map { .list($0) },
                    "egress": egress.map { .list($0) },
                ]),
            ])
        }
        func tcp(_ port: Int) -> YAMLNode { .map(["protocol": .string("TCP"), "port": .int(port)]) }
        func matching(_ labels: [(String, String)]) -> YAMLNode { .map(["matchLabels": .strings(labels)]) }
        func to(_ selector: YAMLNode, port: Int) -> YAMLNode {
            .map(["to": .list([.map(["podSelector": selector])]), "ports": .list([tcp(port)])])
        }
        let jobComponents = YAMLNode.map([
            "key": .string("app.kubernetes.io/component"), "operator": .string("In"),
            "values": .list(["backup", "grants", "provision"].map { .string($0) }),
        ])

        var policies = [
            policy("default-deny", selector: .map([]), types: ["Ingress", "Egress"]),
            policy("allow-dns", selector: .map([]), types: ["Egress"], egress: [.map([
                "to": .list([.map([
                    "namespaceSelector": matching([("kubernetes.io/metadata.name", "kube-system")]),
                    "podSelector": matching([("k8s-app", "kube-dns")]),
                ])]),
                "ports": .list([.map(["protocol": .string("UDP"), "port": .int(53)]), tcp(53)]),
            ])]),
        ]
        for server in plan.servers where server.host == nil {
            var from: [YAMLNode] = []
            let clients = server.clients.filter { name in deployable.contains { $0.name == name } }
            if !clients.isEmpty {
                from.append(.map(["podSelector": .map(["matchExpressions": .list([.map([
                    "key": .string("ovudev.io/instance"), "operator": .string("In"), "values": .list(clients.map { .string($0) }),
                ])])])]))
            }
            let jobSelector: YAMLNode = .map(["matchLabels": .strings([("ovudev.io/server", server.name)]), "matchExpressions": .list([jobComponents])])
            from.append(.map(["podSelector": jobSelector]))
            policies.append(policy("server-\(server.name)", selector: matching(serverSelector(server)), types: ["Ingress"],
                                   ingress: [.map(["from": .list(from), "ports": .list([tcp(server.containerPort)])])]))
            policies.append(policy("jobs-\(server.name)", selector: jobSelector, types: ["Egress"],
                                   egress: [to(matching(serverSelector(server)), port: server.containerPort)]))
        }
        for instance in deployable {
            var used = Set<String>()
            if let db = instance.database { used.insert(db.server) }
            if let redis = instance.redis { used.insert(redis.server) }
            for read in instance.reads { used.insert(read.server) }
            var egress: [YAMLNode] = []
            for name in used.sorted() {
                guard let server = plan.server(name) else { continue }
                // An existing server is outside the cluster: its port, to wherever its host resolves.
                egress.append(server.host == nil ? to(matching(serverSelector(server)), port: server.containerPort)
                                                 : .map(["ports": .list([tcp(server.port)])]))
            }
            for dep in instance.dependsOn {
                guard let target = plan.instance(dep), target.command != nil, deployable.contains(where: { $0.name == dep }),
                      let port = target.port else { continue }
                egress.append(to(matching(instanceSelector(target)), port: port))
            }
            let serves = instance.command != nil && instance.port != nil
            policies.append(policy("instance-\(instance.name)", selector: matching([("ovudev.io/instance", instance.name)]),
                                   types: serves ? ["Ingress", "Egress"] : ["Egress"],
                                   ingress: serves ? [.map(["ports": .list([tcp(instance.port!)])])] : nil,
                                   egress: egress))
        }
        return policies
    }
}
