import Foundation
import Renderers
import Stack
import Testing
import Topology

/// The checkout (Tests/StackTests/../..).
let repositoryDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The example topology in a temp folder under /tmp (traversable by the servers' account),
/// with free server ports, resolved under one scenario; PostgreSQL servers run by the native
/// engine; generated secrets (external ones too).
final class ProvisionFixture {
    let directory: String
    let plan: Plan
    var secrets: [String: String]
    let paths: StackPaths

    init(scenario: String, tenants: [String]? = nil, edit: (inout [String: Any]) -> Void = { _ in }) throws {
        var template = Array((NSTemporaryDirectory() + "ovudev-prov.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw EngineError("mkdtemp failed: errno \(errno)") }
        directory = String(cString: made)
        chmod(directory, 0o755)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(repositoryDirectory)/ovu.topology.json"))
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let base = try TempProject.freeBlock(size: 300)  // shared with the other suites of this target (Support.swift)
        var servers = json["servers"] as! [String: [String: Any]]
        for (i, name) in servers.keys.sorted().enumerated() { servers[name]!["port"] = base + i * 10 }
        json["servers"] = servers
        if let tenants {
            json["tenants"] = tenants
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios[scenario]!["portStride"] = 10
            json["scenarios"] = scenarios
        }
        edit(&json)
        let bytes = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        try bytes.write(to: URL(fileURLWithPath: "\(directory)/ovu.topology.json"))
        let topology = try TopologyLoader.parse(Array(bytes), file: "ovu.topology.json")
        plan = try resolve(topology, scenario: scenario)
        secrets = Dictionary(uniqueKeysWithValues: plan.secretRefs.map { ($0.variable, SecretStore.generatePassword()) })
        paths = StackPaths(root: "\(directory)/.ovu/\(scenario)")
    }

    var postgresServers: [PlannedServer] { plan.servers.filter { $0.engine == .postgres } }

    /// The plan with only its PostgreSQL servers: what the engine starts here (no Redis needed).
    var postgresOnlyPlan: Plan {
        var p = plan
        p.servers = postgresServers
        return p
    }

    var engine: NativeEngine { NativeEngine(plan: postgresOnlyPlan, paths: paths, secrets: secrets) }
    var statePath: String { "\(paths.root)/provisioned.json" }

    /// As `ovudev up` makes it: superuser connections over the clusters' sockets (peer).
    func provisioner() -> Provisioner {
        var provisioner = Provisioner(plan: plan, secrets: secrets, stateDirectory: paths.root)
        provisioner.adminSockets = engine.adminSockets()
        return provisioner
    }

    func start() throws { _ = try engine.start() }

    func restartFresh() throws {
        _ = try engine.stop(removeData: true)
        try? FileManager.default.removeItem(atPath: statePath)
        _ = try engine.start()
    }

    func close() {
        _ = try? engine.stop(removeData: true)
        try? FileManager.default.removeItem(atPath: directory)
    }

    func admin(server: PlannedServer? = nil, database: String) throws -> PGConnection {
        let server = server ?? postgresServers[0]
        return try PGConnection(PGConnectionParameters(port: server.port, user: server.superuser ?? "postgres",
                                                       password: secrets[server.superuserSecret!.variable], database: database))
    }

    /// psql -v ON_ERROR_STOP=1 -f init/<server>/init-db.sql, rendered with these secrets, as the
    /// superuser over 127.0.0.1.
    func runRenderedInit() throws {
        try runRenderedInit(psqlOutput: nil)
    }

    func runRenderedInit(psqlOutput: String?) throws {
        let options = RenderOptions(topologyFile: "ovu.topology.json", bundleDirectory: "\(directory)/render", projectFromBundle: "..",
                                    backupsDirectory: "\(directory)/backups")
        let files = try BundleRenderer(plan: plan, secrets: Secrets(values: secrets), templates: try TemplateSet.builtin(), options: options).render()
        for server in postgresServers {
            let file = try #require(files.first { $0.path == "init/\(server.name)/init-db.sql" })
            let path = "\(directory)/\(server.name)-init-db.sql"
            try file.contents.write(toFile: path, atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            environment["PGPASSWORD"] = secrets[server.superuserSecret!.variable]
            let r = try Subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(server.port),
                                        "-U", server.superuser ?? "postgres", "-d", "postgres", "-f", path], environment: environment, log: psqlOutput)
            #expect(r.status == 0, "psql -f \(path): \(r.output)")
        }
    }

    /// The catalog of every PostgreSQL server, OIDs as names. ACLs: whether the column is NULL
    /// (the built-in default), and their items as a sorted `grantor>grantee:privilege` list.
    func snapshot() throws -> CatalogSnapshot {
        var s = CatalogSnapshot()
        for server in postgresServers {
            let p = "\(server.name) "
            let admin = try admin(server: server, database: "postgres")
            s.roles += try admin.exec("""
                SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil,
                       rolpassword IS NOT NULL AND rolpassword LIKE 'SCRAM-SHA-256$%'
                FROM pg_authid WHERE rolname !~ '^pg_' ORDER BY 1
                """).rows.map { p + line($0) }
            s.databases += try admin.exec("""
                SELECT datname, pg_get_userbyid(datdba), datistemplate, datallowconn, datconnlimit, pg_encoding_to_char(encoding), datcollate,
                       datacl IS NULL, (SELECT string_agg(item, ' ' ORDER BY item) FROM (SELECT format('%s>%s:%s%s', CASE WHEN a.grantor = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantor) END,
                                                                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                                                                  a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END) AS item
                                        FROM aclexplode(datacl) a) items)
                FROM pg_database ORDER BY 1
                """).rows.map { p + line($0) }
            s.settings += try admin.exec("""
                SELECT coalesce(d.datname, '*'), coalesce(r.rolname, '*'), s.setconfig
                FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole ORDER BY 1, 2
                """).rows.map { p + line($0) }
            let databases = try admin.exec("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1").rows.compactMap { $0[0] }
            for database in databases {
                let conn = try self.admin(server: server, database: database)
                let q = "\(p)\(database) "
                s.schemas += try conn.exec("""
                    SELECT nspname, pg_get_userbyid(nspowner), nspacl IS NULL,
                           (SELECT string_agg(item, ' ' ORDER BY item) FROM (SELECT format('%s>%s:%s%s', pg_get_userbyid(a.grantor), CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                                                     a.privilege_type, CASE WHEN a.is_grantable THEN '*' ELSE '' END) AS item
                            FROM aclexplode(nspacl) a) items)
                    FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY 1
                    """).rows.map { q + line($0) }
                s.extensions += try conn.exec("""
                    SELECT e.extname, e.extversion, n.nspname, pg_get_userbyid(e.extowner), e.extrelocatable
                    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1
                    """).rows.map { q + line($0) }
                s.defaultACLs += try conn.exec("""
                    SELECT pg_get_userbyid(d.defaclrole), coalesce(n.nspname, '*'), d.defaclobjtype,
                           (SELECT string_agg(item, ' ' ORDER BY item) FROM (SELECT format('%s>%s:%s', pg_get_userbyid(a.grantor), pg_get_userbyid(a.grantee), a.privilege_type) AS item
                            FROM aclexplode(d.defaclacl) a) items)
                    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 1, 2, 3
                    """).rows.map { q + line($0) }
                s.tables += try conn.exec("""
                    SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner), c.relacl IS NULL,
                           (SELECT string_agg(item, ' ' ORDER BY item) FROM (SELECT format('%s>%s:%s', pg_get_userbyid(a.grantor), CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type) AS item
                            FROM aclexplode(c.relacl) a) items)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1, 2
                    """).rows.map { q + line($0) }
            }
        }
        return s
    }

    private func line(_ row: [String?]) -> String { row.map { $0 ?? "∅" }.joined(separator: " | ") }
}

/// Catalog rows as text, per category; compared as sorted lists.
struct CatalogSnapshot: Equatable {
    var roles: [String] = []
    var databases: [String] = []
    var settings: [String] = []
    var schemas: [String] = []
    var extensions: [String] = []
    var defaultACLs: [String] = []
    var tables: [String] = []

    /// "- only here" / "+ only there" lines, per category.
    func differences(from other: CatalogSnapshot) -> [String] {
        let pairs: [(String, [String], [String])] = [
            ("role", roles, other.roles), ("database", databases, other.databases), ("setting", settings, other.settings),
            ("schema", schemas, other.schemas), ("extension", extensions, other.extensions), ("default ACL", defaultACLs, other.defaultACLs),
            ("table", tables, other.tables),
        ]
        var out: [String] = []
        for (name, mine, theirs) in pairs {
            let a = Set(mine), b = Set(theirs)
            out += a.subtracting(b).sorted().map { "- \(name): \($0)" }
            out += b.subtracting(a).sorted().map { "+ \(name): \($0)" }
        }
        return out
    }
}
