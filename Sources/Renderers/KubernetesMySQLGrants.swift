import Statements
import Topology

/// MySQL `reads` in the Kubernetes folder: the bundle's post-migrate grants.sql in a ConfigMap
/// and a Job that waits until the migrations created every granted table, then applies it.
extension KubernetesRenderer {
    func mysqlGrantsManifests(_ server: PlannedServer) -> [YAMLNode]? {
        let sections = MySQLInit.postMigrateSections(server)
        guard server.engine == .mysql, !sections.isEmpty else { return nil }
        let labels = serverJobLabels(server, component: "grants")
        let configName = "\(server.name)-grants"
        let config = configMap(configName, labels: labels, data: [("grants.sql", MySQLInit.postMigrateScript(sections, header: header))])
        let connection = mysqlClientEnv(server, secret: server.superuserSecret!)
        let user = Escape.shellWord(server.superuserName)
        var waits: [K8sContainer] = []
        for db in server.databases where !db.tableReads.isEmpty {
            let tables = Set(db.tableReads.map(\.table)).sorted()
            let query = "SELECT COUNT(*) = \(tables.count) FROM information_schema.TABLES WHERE TABLE_SCHEMA = \(Escape.mysqlLiteral(db.name)) AND TABLE_NAME IN (\(tables.map(Escape.mysqlLiteral).joined(separator: ", ")))"
            var wait = K8sContainer(name: "wait-for-tables-\(waits.count + 1)", image: server.image,
                                    command: waitLoop("[ \"$(mysql -h \"$MYSQL_HOST\" -P \"$MYSQL_TCP_PORT\" -u\(user) -N -B -e \"$OVU_CHECK\" 2>/dev/null)\" = 1 ]",
                                                      waitingFor: "the migrations to create \(tables.joined(separator: ", ")) in \(db.name)"))
            wait.env = connection + [env("OVU_CHECK", query)]
            waits.append(wait)
        }
        var main = K8sContainer(name: "grants", image: server.image,
                                command: shell("exec mysql -h \"$MYSQL_HOST\" -P \"$MYSQL_TCP_PORT\" -u\(user) < /\(Self.dataMount)/grants.sql"))
        main.env = connection
        main.volumeMounts = [mount("grants", at: "/\(Self.dataMount)", readOnly: true)]
        let template = podTemplate(labels: labels, initContainers: waits, containers: [main],
                                   volumes: [configMapVolume("grants", configMap: configName)], restartPolicy: "Never")
        let name = jobName("\(server.name)-grants", hashing: [config.document, template.document])
        return [config, job(name: name, labels: labels, template: template)]
    }
}
