import Foundation
import Topology

/// Existing servers (`servers.<s>.host`) under `up --engine docker`: the compose bundle runs no
/// service for them, so ovudev provisions them itself over TCP with their admin URLs, as the
/// native engine does — before compose starts the migrations, and the table grants after.
extension DockerStack {
    /// The plan restricted to its existing servers.
    var existingServersPlan: Plan {
        var existing = plan
        existing.servers = plan.servers.filter { $0.host != nil }
        return existing
    }

    /// Refuses without a usable admin URL (nothing started), provisions the existing servers, and
    /// returns the secrets with the admin URLs (in memory only).
    func provisionExistingServers(_ secrets: [String: String]) throws -> [String: String] {
        guard plan.servers.contains(where: { $0.host != nil }) else { return secrets }
        try requireExistingServers(plan)
        let all = secrets.merging(NativeStack.existingServerURLs(plan)) { $1 }
        progress("provision existing servers")
        _ = try Maintenance(plan: existingServersPlan, secrets: all, paths: nil).provisioner().provision(progress: progress)
        return all
    }

    /// The `reads` and analytics grants on the existing servers, once the migrations made the tables.
    func grantExistingServers(_ secrets: [String: String]) throws {
        guard plan.servers.contains(where: { $0.host != nil }) else { return }
        _ = try Maintenance(plan: existingServersPlan, secrets: secrets, paths: nil).provisioner().applyPostMigrate(progress: progress)
    }
}
