import ArgumentParser
import Foundation
import Renderers

extension RenderTarget: ExpressibleByArgument {}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the deployment bundle: docker-compose.yml, init SQL, .env files, crontab, manifest; or Kubernetes manifests.",
        discussion: """
            Writes all files or none. Generated passwords are kept in .ovu/secrets.json (mode 0600) and reused.
            --target kubernetes writes a kustomize folder (default render/<scenario>-k8s): deploy it with `kubectl apply -k DIR`.
            """)

    @OptionGroup var options: TopologyOptions

    @Option(name: .long, help: "The scenario (default: the topology's defaultScenario).")
    var scenario: String?

    @Option(name: .long, help: "compose (default) or kubernetes.")
    var target: RenderTarget = .compose

    @Option(name: .long, help: ArgumentHelp("The bundle folder (default: render/<scenario>, or render/<scenario>-k8s for kubernetes, next to the topology).", valueName: "dir"))
    var out: String?

    func run() throws {
        let project = try options.load()
        // A RenderError (exit 2): the topology or --out cannot be rendered for this target; nothing was written.
        let rendered = try project.render(scenario: scenario, output: out, target: target)
        let cwd = FileManager.default.currentDirectoryPath
        let shown = rendered.directory.hasPrefix(cwd + "/") ? String(rendered.directory.dropFirst(cwd.count + 1)) : rendered.directory
        print("rendered scenario \(rendered.plan.scenario) (\(rendered.plan.layout.rawValue)) into \(shown)/: \(rendered.files.count) files")
        for file in rendered.files { print("  \(file.path)") }
        switch (target, rendered.plan.secrets) {
        case (.compose, .external):
            print("secrets: external — set the variables listed in \(shown)/.env.example before deploying")
        case (.kubernetes, .external):
            print("secrets: external — create the Secrets listed in \(shown)/secrets.example.yaml, then: kubectl apply -k \(shown)")
        case (.kubernetes, .generated):
            print("deploy with: kubectl apply -k \(shown)   (secrets.yaml holds the generated passwords: a development cluster only)")
        default:
            break
        }
    }
}
