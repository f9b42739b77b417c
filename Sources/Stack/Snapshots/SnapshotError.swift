import Foundation
import Topology

/// Why a snapshot command refused or failed. Bad input (a name, an unknown snapshot, `reset svc`)
/// is exit status 2; everything else a failed action, 1. Nothing was changed when one is thrown,
/// except `.restoreFailed`, which says whether the previous data was put back.
public enum SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The name does not match `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$` (or holds `..`).
    case badName(String)
    /// No snapshot of that name in this scenario; the ones there are.
    case unknown(name: String, scenario: String, available: [String])
    /// `save NAME` where NAME exists (without `--force`).
    case exists(name: String, scenario: String)
    /// `save` needs every server of the scenario running; these are not.
    case notRunning(scenario: String, servers: [String])
    /// Another ovudev holds the stack's lock.
    case busy(scenario: String, detail: String)
    /// The snapshot would not fit on the disk.
    case noSpace(path: String, needed: Int64, free: Int64)
    /// The scenario's topology changed since the snapshot: servers, databases, roles or instances.
    case topologyChanged(name: String, differences: [String])
    /// A snapshot taken under another scenario or project.
    case otherScenario(name: String, scenario: String, expected: String)
    /// `--git` outside a git work tree or on a detached HEAD.
    case noGitBranch(String)
    /// `reset <svc>`: per-service restore is not built; the whole stack is.
    case perServiceReset(service: String)
    /// A server engine that snapshots do not cover (MongoDB, docker-only).
    case unsupported(String)
    /// A restore that failed after it started swapping; `rolledBack` says whether the data before it is back.
    case restoreFailed(name: String, reason: String, rolledBack: Bool)
    /// A copy, stop or start failed during save (the servers were started again).
    case saveFailed(name: String, reason: String)

    public var description: String {
        switch self {
        case let .badName(name):
            return "\"\(name)\" is not a snapshot name: 1 to 64 characters of letters, digits, `.`, `_` and `-`, starting with a letter or digit, no `/` and no `..`"
        case let .unknown(name, scenario, available):
            let list = available.isEmpty ? "there are none yet (`ovudev snapshot save NAME`)" : "there are: \(available.joined(separator: ", "))"
            return "no snapshot \"\(name)\" in scenario \(scenario); \(list)"
        case let .exists(name, scenario):
            return "snapshot \"\(name)\" exists in scenario \(scenario); pass --force to replace it, or `ovudev snapshot rm \(name)`"
        case let .notRunning(scenario, servers):
            return "scenario \(scenario) is not running (\(servers.joined(separator: ", ")) stopped): `ovudev up --scenario \(scenario)` first; a snapshot is taken from a running stack"
        case let .busy(scenario, detail):
            return "scenario \(scenario): \(detail)"
        case let .noSpace(path, needed, free):
            return "the snapshot needs \(Self.size(needed)) and \(path) has \(Self.size(free)) free; nothing was copied (free some space, or `ovudev snapshot rm` an old one)"
        case let .topologyChanged(name, differences):
            return "snapshot \"\(name)\" was taken from another topology; nothing was restored:\n  " + differences.joined(separator: "\n  ")
                + "\n`ovudev up` converges the stack to the new topology; restore a snapshot taken since, or put the topology back first"
        case let .otherScenario(name, scenario, expected):
            return "snapshot \"\(name)\" holds scenario \(scenario), not \(expected); nothing was restored"
        case let .noGitBranch(detail):
            return "--git names the snapshot after the current git branch, and \(detail)"
        case let .perServiceReset(service):
            return "`ovudev reset \(service)`: resetting one service is not supported yet (its database lives in a cluster shared with the others, and snapshots are copies of whole data folders); `ovudev reset` puts the whole stack back to its seeded state, or `ovudev seed \(service) --force` reloads its seed files"
        case let .unsupported(detail):
            return detail
        case let .restoreFailed(name, reason, rolledBack):
            return "restore of snapshot \"\(name)\" failed: \(reason); " + (rolledBack ? "rolled back: the data from before the restore is back" : "the data could not be put back either: see .ovu/<scenario>/snapshot-restore/")
        case let .saveFailed(name, reason):
            return "snapshot \"\(name)\" failed: \(reason); nothing was kept, the servers were started again"
        }
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}

extension SnapshotError: ExitStatusError {
    public var exitStatus: Int32 {
        switch self {
        case .badName, .unknown, .exists, .noGitBranch, .perServiceReset: return 2
        default: return 1
        }
    }
}

/// Snapshot names: what may be a folder name anywhere and a git branch's sanitised form.
public enum SnapshotName {
    public static func validate(_ name: String) throws {
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) != nil, !name.contains("..") else {
            throw SnapshotError.badName(name)
        }
    }

    /// The default name: the UTC time, `20250102T030405Z`.
    public static func timestamp(_ date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: date)
    }

    /// A branch name as a snapshot name: every character outside `[A-Za-z0-9._-]` becomes `-`,
    /// `..` becomes `.`, a leading `.`/`-`/`_` goes, at most 64 characters (`feature/x` → `feature-x`).
    public static func sanitised(branch: String) -> String {
        var out = String(branch.map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") ? c : "-"
        })
        while out.contains("..") { out = out.replacingOccurrences(of: "..", with: ".") }
        while let first = out.first, !(first.isLetter || first.isNumber) { out.removeFirst() }
        return String(out.prefix(64))
    }

    /// The current branch of the git work tree at `directory`, sanitised.
    public static func gitBranch(in directory: String) throws -> String {
        var r = try Subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], directory: directory)
        if r.status != 0 {
            // A branch with no commit yet: rev-parse has no HEAD to resolve, symbolic-ref names it.
            let unborn = try Subprocess.run(["git", "symbolic-ref", "--short", "-q", "HEAD"], directory: directory)
            if unborn.status == 0 { r = unborn }
        }
        let branch = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard r.status == 0 else { throw SnapshotError.noGitBranch("\(directory) is not in a git work tree (\(branch.split(separator: "\n").first ?? ""))") }
        guard branch != "HEAD", !branch.isEmpty else { throw SnapshotError.noGitBranch("HEAD is detached (no branch checked out) in \(directory)") }
        let name = sanitised(branch: branch)
        try validate(name)
        return name
    }
}
