import Foundation
import Synchronization

/// Named points where a test stops ovudev to kill it exactly there. With
/// `OVUDEV_STOP_AT=<name>` in its environment, the process stops itself (SIGSTOP, every thread)
/// the first time it reaches `<name>`; the test sees the stop with `waitpid(…, WUNTRACED)`, then
/// kills it (or its server) and lets it go on or not. Without the variable a point costs one
/// comparison. Points: `move.table-copied` (a table's copy committed and recorded in the
/// journal), `move.copying-back` (the journal says so, nothing copied back yet),
/// `move.source-locked` (the switch made the source read-only, nothing handed over yet),
/// `move.handed-over` (a shared server's folder is the target's, the switch not finished),
/// `snapshot.restore-staging` (a folder staged, others may still be copying; the live data
/// untouched), `snapshot.restore-swapping` (one folder swapped into place, the others not).
public enum StopPoint {
    static let wanted = ProcessInfo.processInfo.environment["OVUDEV_STOP_AT"]
    static let reached = Atomic<Bool>(false)

    public static func reach(_ name: String) {
        guard let wanted, wanted == name, !reached.exchange(true, ordering: .relaxed) else { return }
        raise(SIGSTOP)
    }
}
