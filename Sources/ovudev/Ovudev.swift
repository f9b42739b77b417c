import ArgumentParser
import Foundation
import Renderers
import Topology

@main
struct Ovudev: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ovudev",
        abstract: "Local development environments for microservice projects, from one topology file.",
        discussion: """
            Describe services and the data each owns in ovu.topology.json; ovudev resolves it under a \
            scenario (single-db, db-per-service, per-tenant, mixed) and renders the deployment bundle.
            Exit codes: 0 ok, 1 a check or command failed, 2 the topology or the arguments are wrong.
            """,
        version: "0.1.0",
        subcommands: [
            Validate.self, Render.self, PlanCommand.self, Schema.self, Templates.self,
            Up.self, Down.self, Status.self, Seed.self, CheckCommand.self, EnvCommand.self, PsqlCommand.self, Logs.self, Doctor.self, BackupCLI.self, RestoreCLI.self,
        ])

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as TopologyError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            Foundation.exit(2)
        } catch let error as TemplateError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                // Wrong arguments: the documented exit code is 2.
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Flags every command that reads a topology shares.
struct TopologyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The topology file.", valueName: "path"))
    var topology: String?

    func load() throws -> Project { try Project.load(topologyPath: topology) }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
