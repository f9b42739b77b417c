import Foundation
import Topology
import Workspace

extension Project {
    /// The plan's secrets: generated ones from `.ovu/secrets.json` (created on first use, saved
    /// when `save`), external ones from the environment, every one of which must be set.
    func loadSecrets(for plan: Plan, save: Bool) throws -> [String: String] {
        switch plan.secrets {
        case .generated:
            let (values, updated) = try secretStore.values(for: plan)
            if let updated, save { try secretStore.save(updated) }
            return values
        case .external:
            let env = ProcessInfo.processInfo.environment
            let missing = plan.secretRefs.map(\.variable).filter { (env[$0] ?? "").isEmpty }
            if !missing.isEmpty {
                throw EngineError("scenario \(plan.scenario) takes its secrets from the environment; set \(missing.joined(separator: ", "))")
            }
            return Dictionary(uniqueKeysWithValues: plan.secretRefs.map { ($0.variable, env[$0.variable]!) })
        }
    }
}
