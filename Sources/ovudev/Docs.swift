import ArgumentParser
import Foundation
import Renderers
import Stack
import Statements

struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "Print a service's DATABASE.md (as `render` writes it) with the live catalog of the running stack: tables, rows, sizes, indexes.")

    @OptionGroup var options: ScenarioOptions

    @Argument(help: "Only this service (default: every service).")
    var service: String?

    func run() throws {
        let stack = try options.stack()
        let services = DatabaseDoc.services(stack.plan)
        if let service, !services.contains(service) {
            throw ValidationError("no service \"\(service)\" in scenario \(stack.plan.scenario); services: \(services.joined(separator: ", "))")
        }
        try stack.loadSecrets(create: false)
        let running = stack.status().servers.allSatisfy(\.running)
        let header = RenderHeader.text(plan: stack.plan, topologyFile: stack.project.topologyFileName)
        var texts: [String] = []
        let names = services.filter { service == nil || service == $0 }
        for (name, page) in zip(names, DatabaseDoc.markdown(plan: stack.plan, services: names, header: header)) {
            var text = page
            text += running ? LiveCatalogText.markdown(try stack.liveCatalog(service: name))
                : "\n## Live catalog\n\nThe stack of scenario \(stack.plan.scenario) is not running (`ovudev up` starts it).\n"
            texts.append(text)
        }
        print(texts.joined(separator: "\n---\n\n"), terminator: "")
    }
}
