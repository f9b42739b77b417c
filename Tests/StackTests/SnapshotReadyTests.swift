import Foundation
import Stack
import Testing
import TestSupport
import Topology

/// A snapshot's ready copy (SnapshotReady): made by `snapshot prepare` and in the background
/// after each restore; a restore renames it into place instead of copying, and the data is the
/// snapshot's either way.
@Suite(.ownThread) struct SnapshotReadyTests {
    init() { signal(SIGPIPE, SIG_IGN) }

    @Test func restoreRenamesTheReadyCopyAndTheNextOneIsMadeInTheBackground() throws {
        let project = try TempProject()
        defer { project.close() }
        let (stack, _) = try SnapshotTests.seededStack(project, rows: 50_000)
        let dir = project.directory
        let snapshots = Snapshots(stack: stack)
        let before = try SnapshotTests.fingerprints(stack)
        #expect(!snapshots.hasReadyCopy("seeded"), "up through the API starts no maker")

        let prepared = try ovudev(["snapshot", "prepare", "seeded", "--scenario", "stage"], directory: dir)
        #expect(prepared.status == 0 && prepared.output.contains("ready copy of snapshot seeded made"), "\(prepared.output)")
        #expect(snapshots.list().first { $0.name == "seeded" }?.ready == true)

        func damageAndRestore() throws -> String {
            _ = try SnapshotTests.aam(stack).exec("DELETE FROM accounts WHERE id > 2000")
            #expect(try SnapshotTests.fingerprints(stack) != before)
            let restored = try ovudev(["snapshot", "restore", "seeded", "--yes", "--scenario", "stage"], directory: dir)
            #expect(restored.status == 0, "\(restored.output)")
            #expect(try SnapshotTests.fingerprints(stack) == before)
            return restored.output
        }
        #expect(try damageAndRestore().contains("staging by renaming the ready copy"))

        // The restore took it; a maker started in the background makes the next one.
        let deadline = Date().addingTimeInterval(120)
        while !snapshots.hasReadyCopy("seeded") && Date() < deadline { usleep(20_000) }
        #expect(snapshots.hasReadyCopy("seeded"), "the ready copy was made again after the restore")
        #expect(try damageAndRestore().contains("staging by renaming the ready copy"), "the re-made copy restores the same data")

        // Without one (taken, the maker stopped by `down`'s rule), a restore copies.
        snapshots.stopPreparers()
        try? FileManager.default.removeItem(atPath: snapshots.readyPath("seeded"))
        #expect(try damageAndRestore().contains("staging copy"))
        snapshots.stopPreparers()
    }
}
