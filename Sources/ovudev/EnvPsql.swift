import ArgumentParser
import Foundation
import Renderers
import Stack
import Topology

/// The instance a runtime command names: `sam`, or `sam-acme` / `sam --tenant acme` per tenant.
func instanceNamed(_ name: String, tenant: String?, in plan: Plan) throws -> ServiceInstance {
    let full = tenant.map { "\(name)-\($0)" } ?? name
    if let instance = plan.instance(full) { return instance }
    let choices = plan.instances.map(\.name).joined(separator: ", ")
    throw ValidationError("no service instance \"\(full)\" in scenario \(plan.scenario); instances: \(choices)")
}

struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print a service's environment for a process on this machine (passwords masked unless --reveal).")

    @OptionGroup var options: ScenarioOptions
    @Argument(help: "The service (or instance, e.g. sam-acme).") var service: String
    @Option(name: .long, help: "The tenant, in per-tenant scenarios.") var tenant: String?
    @Flag(name: .long, help: "Print passwords, e.g. for `eval \"$(ovudev env sam --reveal)\"`.") var reveal = false

    func run() throws {
        let stack = try options.stack()
        let instance = try instanceNamed(service, tenant: tenant, in: stack.plan)
        try stack.loadSecrets(create: false)
        for variable in instance.environment {
            let masked = EnvValue(variable.host.parts.map { part in
                if case .secret = part, !reveal { return .text("********") }
                return part
            })
            let secrets = reveal ? stack.secrets : [:]
            guard let value = ServiceProcesses.resolve(masked, secrets) else { continue }
            print("\(variable.key)=\(Escape.shellWord(value))")
        }
    }
}

struct PsqlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psql",
        abstract: "Open psql (for a service on MySQL: the mariadb client) as a service's own role in its own database.")

    @OptionGroup var options: ScenarioOptions
    @Argument(help: "The service (or instance).") var service: String
    @Option(name: .long, help: "The tenant, in per-tenant scenarios.") var tenant: String?
    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to psql (or mariadb), e.g. -c 'select 1'.") var arguments: [String] = []

    /// ovudev's own options may also follow the service (`psql ulm --scenario saas -c …`): neither
    /// client has them. A `--` ends them; it is not passed on.
    mutating func takeOwnOptions() throws {
        var rest: [String] = []
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument == "--" { rest += arguments[(i + 1)...]; break }
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard ["--scenario", "--topology", "--tenant"].contains(name) else { rest.append(argument); i += 1; continue }
            let value: String
            if argument.contains("=") {
                value = String(argument.dropFirst(name.count + 1))
            } else {
                guard i + 1 < arguments.count else { throw ValidationError("\(name) needs a value") }
                value = arguments[i + 1]
                i += 1
            }
            switch name {
            case "--scenario": options.scenario = value
            case "--topology": options.topology.topology = value
            default: tenant = value
            }
            i += 1
        }
        arguments = rest
    }

    mutating func run() throws {
        try takeOwnOptions()
        let stack = try options.stack()
        let instance = try instanceNamed(service, tenant: tenant, in: stack.plan)
        guard let db = instance.database, db.engine == .postgres || db.engine == .mysql, let server = stack.plan.server(db.server) else {
            throw ValidationError("\(instance.name) has no PostgreSQL or MySQL database in scenario \(stack.plan.scenario)")
        }
        try stack.loadSecrets(create: false)
        if db.engine == .mysql {
            guard let client = MySQLTools.client else {
                printError("the mariadb client is not installed: \(MySQLTools.installCommand)")
                throw ExitCode(1)
            }
            // No option file (a user's ~/.my.cnf must not change whom we log in as); the
            // password through the environment, never the command line, as PGPASSWORD for psql.
            setenv("MYSQL_PWD", stack.secrets[db.secret.variable] ?? "", 1)
            let argv = [client, "--no-defaults", "--protocol=TCP", "--host=127.0.0.1", "--port=\(server.port)",
                        "--user=\(db.role)", "--database=\(db.database)"] + arguments
            execv(client, argv.map { strdup($0) } + [nil])
            printError("cannot run \(client): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        guard let psql = Subprocess.which("psql") else {
            printError("psql is not installed: apt-get install postgresql-client")
            throw ExitCode(1)
        }
        // The password goes through the environment, never the command line.
        setenv("PGPASSWORD", stack.secrets[db.secret.variable] ?? "", 1)
        let argv = [psql, "-h", server.hostAddress, "-p", String(server.port), "-U", db.role, "-d", db.database] + arguments
        let cargs = argv.map { strdup($0) } + [nil]
        execv(psql, cargs)
        printError("cannot run psql: \(String(cString: strerror(errno)))")
        throw ExitCode(1)
    }
}

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a service's log (or every log), optionally following it.")

    @OptionGroup var options: ScenarioOptions
    @Argument(help: "The service or server (default: all).") var name: String?
    @Flag(name: .shortAndLong, help: "Follow the log.") var follow = false

    func run() throws {
        let stack = try options.stack()
        let dir = stack.paths.logs
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".log") }.sorted()
        let files: [String]
        if let name {
            files = all.filter { $0 == "\(name).log" || $0 == "\(name).migrate.log" || $0.hasPrefix("\(name)-") }
            if files.isEmpty { throw ValidationError("no log for \"\(name)\" in \(dir); logs: \(all.map { String($0.dropLast(4)) }.joined(separator: ", "))") }
        } else {
            files = all
        }
        let paths = files.map { "\(dir)/\($0)" }
        let argv = ["/usr/bin/tail", "-n", follow ? "50" : "+1"] + (follow ? ["-F"] : []) + paths
        let cargs = argv.map { strdup($0) } + [nil]
        execv(argv[0], cargs)
        throw ExitCode(1)
    }
}
