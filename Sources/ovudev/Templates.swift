import ArgumentParser
import Renderers

struct Templates: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the templates and which file wins: built-in, or the project's templates/<name>.",
        subcommands: [List.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the templates and where each comes from.")
        @OptionGroup var options: TopologyOptions

        func run() throws {
            let set = try options.load().templates()
            let width = set.list.map(\.name.count).max() ?? 0
            for entry in set.list {
                print(entry.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + entry.origin)
            }
        }
    }
}
