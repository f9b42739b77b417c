import Foundation
import Topology

extension NativeStack {
    /// The snapshot `ovudev reset` goes back to.
    public static let seededSnapshot = "seeded"

    /// `up` keeps the state right after seeding as snapshot `seeded`: taken when this `up` loaded
    /// seed files (the first seeding, a seed file added or, after `down --volumes`, all again),
    /// replacing the previous one. Called before the services start (on a first `up` none runs,
    /// so none is stopped), with the applied state `up` is about to record.
    func takeSeededSnapshot(applied: AppliedState, seeds: [SeedResult]) throws -> SnapshotManifest? {
        guard seeds.contains(where: { $0.outcome == .loaded }),
              !plan.servers.contains(where: { $0.engine == .mongodb || $0.host != nil }) else { return nil }
        progress("snapshot \(Self.seededSnapshot)")
        return try Snapshots(stack: self).save(Self.seededSnapshot, replace: true, applied: applied, holdingLock: true, progress: progress)
    }
}
