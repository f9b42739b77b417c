import ArgumentParser
import Foundation
import Scaffold
import Topology

extension Layout: ExpressibleByArgument {}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a project: write ovu.topology.json for new services, or from a docker-compose file.",
        discussion: """
            --services orders,billing: a postgres server (and redis with --redis), a database per service, \
            ports free on this machine now, dev/stage/prod scenarios for the layout.
            --from docker-compose.yml: database images become servers, the apps' DATABASE_URL/REDIS_URL \
            their data, depends_on their dependsOn; every field that has no place in a topology is listed.
            The file is validated before it is written; an existing one is kept unless --force.
            """)

    @Option(name: .long, help: ArgumentHelp("The topology file to write.", valueName: "path"))
    var topology: String = TopologyLoader.defaultFileName

    @Option(name: .long, help: ArgumentHelp("Comma-separated service names.", valueName: "names"))
    var services: String?

    @Option(name: .long, help: ArgumentHelp("A docker-compose file to start from.", valueName: "compose-file"))
    var from: String?

    @Option(name: .long, help: "db-per-service (default), single-db or per-tenant.")
    var layout: Layout = .dbPerService

    @Flag(name: .long, help: "Add a Redis server and give each service an index (--services only).")
    var redis = false

    @Option(name: .long, help: "The project name (default: the compose file's name, else the folder's).")
    var project: String?

    @Flag(name: .long, help: "Replace an existing topology file.")
    var force = false

    func validate() throws {
        guard (services == nil) != (from == nil) else {
            throw ValidationError("give either --services NAMES or --from COMPOSE-FILE")
        }
        if from != nil && redis { throw ValidationError("--redis goes with --services; with --from, Redis comes from the compose file") }
        if layout == .mixed { throw ValidationError("--layout: db-per-service, single-db or per-tenant (mixed needs engines per service: add it by hand)") }
    }

    func run() throws {
        let cwd = FileManager.default.currentDirectoryPath
        let path = URL(fileURLWithPath: topology.hasPrefix("/") ? topology : cwd + "/" + topology).standardizedFileURL.path
        // Refused before anything is read or probed, so that the message is about the file.
        if FileManager.default.fileExists(atPath: path) && !force {
            throw InitError("\(topology) already exists; nothing was written (pass --force to replace it)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        let draft: Draft
        var skipped: [String] = []
        var added: [String] = []
        if let from {
            let compose = from.hasPrefix("/") ? from : cwd + "/" + from
            let imported = try ComposeImport.read(composePath: compose, topologyDirectory: directory, project: project, layout: layout)
            draft = imported.draft
            skipped = imported.notCarriedOver
            added = imported.added
        } else {
            let names = (services ?? "").split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let name = project ?? Names.derive((directory as NSString).lastPathComponent) ?? "app"
            draft = try NewProject.draft(project: name, services: names, layout: layout, redis: redis)
        }
        let written = try TopologyFile.write(draft, to: path, force: force)
        print("wrote \(topology): project \(written.project), \(count(written.servers.count, "server")), \(count(written.services.count, "service")), scenarios \(written.scenarios.map(\.name).joined(separator: ", ")) (validated)")
        for server in written.servers { print("  server \(server.name): \(server.engine.rawValue) \(server.version) on 127.0.0.1:\(server.port)") }
        for service in written.services {
            print("  service \(service.name)" + (service.port.map { " on port \($0)" } ?? ""))
        }
        for line in skipped { print("not carried over: \(line)") }
        for line in added { print("added: \(line)") }
        let flag = topology == TopologyLoader.defaultFileName ? "" : " --topology \(topology)"
        print("next: ovudev up\(flag)")
    }
}

/// `1 server`, `2 services`.
private func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
