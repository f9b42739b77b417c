import Foundation

/// `.ovu/<scenario>/state.json`: what `up` did that it need not do again (migrations run).
extension NativeStack {
    struct State: Codable {
        var migrations: [String: String] = [:]
    }

    func loadState() -> State {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: paths.state)),
              let state = try? JSONDecoder().decode(State.self, from: data) else { return State() }
        return state
    }

    func saveState(_ state: State) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: URL(fileURLWithPath: paths.state), options: .atomic)
    }
}
