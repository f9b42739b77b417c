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
            case .postgres where server.host != nil:
                files += existingServerFiles(server)
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
                let post = MySQLInit.postMigrateSections(server)
                if !post.isEmpty {
                    files.append(RenderedFile(path: "init/\(server.name)/post-migrate/grants.sql", contents: MySQLInit.postMigrateScript(post, header: header), mode: 0o644))
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
        files.append(RenderedFile(path: "TOPOLOGY.md", contents: GraphMermaid.document(TopologyGraph(plan: plan), header: header), mode: 0o644))
        files += DatabaseDoc.files(plan: plan, header: header)
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
