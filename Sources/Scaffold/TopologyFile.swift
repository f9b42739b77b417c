import Foundation
import Renderers
import Topology

/// Bad input to `ovudev init` (a name, an existing file, a compose file it cannot read): exit 2,
/// nothing written. The message names the place: the flag, or `file:line` and the key path.
public struct InitError: Error, ExitStatusError, CustomStringConvertible, Equatable {
    public var description: String
    public var exitStatus: Int32 { 2 }
    public init(_ description: String) { self.description = description }
}

public enum Names {
    /// The topology's rule for every name (services, servers, tenants, the project).
    public static func check(_ name: String, _ place: String) throws {
        guard name.count <= 40 else {
            throw InitError("\(place): \"\(name)\" is longer than 40 characters")
        }
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first),
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) else {
            throw InitError("\(place): \"\(name)\" is not a valid name: use lowercase letters, digits, '_' and '-', starting with a letter (^[a-z][a-z0-9_-]*$)")
        }
    }

    /// A name for something that has none of ours (a folder, a compose service): lowercase,
    /// other characters as `-`, a leading letter; nil when nothing usable is left.
    public static func derive(_ raw: String) -> String? {
        var name = String(raw.lowercased().unicodeScalars.map { c -> Character in
            ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-" ? Character(c) : "-"
        })
        while let f = name.unicodeScalars.first, !("a"..."z").contains(f) { name.removeFirst() }
        name = String(name.prefix(40))
        while name.hasSuffix("-") { name.removeLast() }
        return name.isEmpty ? nil : name
    }
}

public enum TopologyFile {
    /// Writes `draft` to `path` only when it is a valid topology whose every scenario resolves:
    /// parsed by the topology loader first, then written to a private file next to the target,
    /// loaded from there the way `ovudev validate` loads (Project.load), and renamed into place.
    /// Without `force` an existing file is refused before anything else happens.
    @discardableResult
    public static func write(_ draft: Draft, to path: String, force: Bool) throws -> Topology {
        let fm = FileManager.default
        let shown = (path as NSString).lastPathComponent
        if fm.fileExists(atPath: path) && !force {
            throw InitError("\(path) already exists; nothing was written (pass --force to replace it)")
        }
        let text = draft.json
        let topology = try TopologyLoader.parse(Array(text.utf8), file: shown)
        for scenario in topology.scenarios {
            do { _ = try resolve(topology, scenario: scenario.name) } catch let error as ResolveError {
                throw TopologyError(file: shown, issues: error.issues)
            }
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let staging = (directory.isEmpty ? "." : directory) + "/.\(shown).init-\(getpid())"
        defer { try? fm.removeItem(atPath: staging) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: staging))
        _ = try Project.load(topologyPath: staging)
        if rename(staging, path) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "cannot write \(path): \(String(cString: strerror(errno)))"])
        }
        return topology
    }
}

/// Which TCP ports on 127.0.0.1 are free right now: a port is free when a listening socket can
/// be bound to it (no SO_REUSEADDR, so a port still in TIME_WAIT counts as taken).
public enum PortProbe {
    public static func isFree(_ port: Int) -> Bool {
        guard (1...65535).contains(port) else { return false }
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }

    /// The first port from `start` up that is free and, with `also` (per-tenant copies at a
    /// stride), whose copies are free too; none of them in `taken`.
    public static func firstFree(from start: Int, taken: Set<Int>, also offsets: [Int] = [0], isFree: (Int) -> Bool = isFree) -> Int? {
        var port = start
        while port <= 65535 - (offsets.max() ?? 0) {
            let all = offsets.map { port + $0 }
            if all.allSatisfy({ !taken.contains($0) && isFree($0) }) { return port }
            port += 1
        }
        return nil
    }
}
