import ArgumentParser
import Foundation
import Renderers
import Stack
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
            Init.self, Validate.self, Render.self, PlanCommand.self, Schema.self, Templates.self,
            Up.self, Down.self, Status.self, Seed.self, CheckCommand.self, EnvCommand.self, PsqlCommand.self, Logs.self, Doctor.self, BackupCLI.self, RestoreCLI.self, SnapshotCLI.self, ResetCLI.self, GraphCommand.self,
            DashboardCommand.self, MoveCommand.self, DocsCommand.self, CacheSpare.self,
        ])

    /// The one place errors are printed: `error: …` on stderr. Usage errors (exit 2) come with
    /// the usage of the subcommand they belong to; an error that carries an exit status
    /// (`ExitStatusError`, e.g. a topology error: 2) ends with it, every other with 1.
    static func main() {
        var command: ParsableCommand?
        // New PostgreSQL servers take spare copies of the cached pristine cluster; this binary makes them.
        if ProcessInfo.processInfo.environment["OVUDEV_CLUSTER_SPARES"] != "off" {
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            ClusterCache.spareMaker.withLock { $0 = executable }
        }
        do {
            command = try parseAsRoot()
            try command!.run()
        } catch {
            if error is ExitCode || error is CleanExit { exit(withError: error) }
            if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
                guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
                let usage = command.map { type(of: $0).fullMessage(for: error) } ?? fullMessage(for: error)
                printError(usage.hasPrefix("Error: ") ? "error: " + usage.dropFirst(7) : usage)
                Foundation.exit(2)
            }
            printError("error: \(error)")
            Foundation.exit((error as? ExitStatusError)?.exitStatus ?? 1)
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
