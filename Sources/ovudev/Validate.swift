import ArgumentParser
import Renderers

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the topology: syntax, names, references, ports, and every scenario.")

    @OptionGroup var options: TopologyOptions

    func run() throws {
        let project = try options.load()
        let t = project.topology
        // Valid but fragile: on stderr, and the exit status stays 0.
        for warning in t.warnings { printError("warning: \(warning.path): \(warning.message)") }
        print("\(project.topologyFileName): ok — \(t.services.count) services, \(t.servers.count) servers, \(t.tenants.count) tenants, scenarios: \(t.scenarios.map(\.name).joined(separator: ", "))")
    }
}
