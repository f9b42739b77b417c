import ArgumentParser
import Renderers

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema of ovu.topology.json (also Templates/topology.schema.json).")

    func run() throws {
        print(TemplateSet.builtinFile("topology.schema.json") ?? "", terminator: "")
    }
}
