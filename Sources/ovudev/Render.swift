import ArgumentParser
import Foundation
import Renderers

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the deployment bundle: docker-compose.yml, init SQL, .env files, crontab, manifest.",
        discussion: "Writes all files or none. Generated passwords are kept in .ovu/secrets.json (mode 0600) and reused.")

    @OptionGroup var options: TopologyOptions

    @Option(name: .long, help: "The scenario (default: the topology's defaultScenario).")
    var scenario: String?

    @Option(name: .long, help: ArgumentHelp("The bundle folder (default: render/<scenario> next to the topology).", valueName: "dir"))
    var out: String?

    func run() throws {
        let project = try options.load()
        let rendered = try project.render(scenario: scenario, output: out)
        let cwd = FileManager.default.currentDirectoryPath
        let shown = rendered.directory.hasPrefix(cwd + "/") ? String(rendered.directory.dropFirst(cwd.count + 1)) : rendered.directory
        print("rendered scenario \(rendered.plan.scenario) (\(rendered.plan.layout.rawValue)) into \(shown)/: \(rendered.files.count) files")
        for file in rendered.files { print("  \(file.path)") }
        if rendered.plan.secrets == .external {
            print("secrets: external — set the variables listed in \(shown)/.env.example before deploying")
        }
    }
}
