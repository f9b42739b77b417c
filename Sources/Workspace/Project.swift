import Foundation
import Topology

/// A topology file and the folder around it (`templates/`, `.ovu/`): what the CLI works on.
public struct Project: Sendable {
    /// Absolute path of the topology file.
    public let topologyPath: String
    public let directory: String
    public let topology: Topology

    /// Loads `path`, or `ovu.topology.json` in the current folder.
    public static func load(topologyPath path: String?) throws -> Project {
        let cwd = FileManager.default.currentDirectoryPath
        let given = path ?? TopologyLoader.defaultFileName
        let absolute = given.hasPrefix("/") ? given : (cwd as NSString).appendingPathComponent(given)
        let standardized = URL(fileURLWithPath: absolute).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: standardized) else {
            let hint = path == nil ? " (run in the folder that holds it, or pass --topology PATH)" : ""
            throw TopologyError(file: given, issues: [TopologyIssue(path: "", message: "no such file\(hint)")])
        }
        let topology = try TopologyLoader.load(path: standardized)
        return Project(topologyPath: standardized, directory: (standardized as NSString).deletingLastPathComponent, topology: topology)
    }

    public var topologyFileName: String { (topologyPath as NSString).lastPathComponent }

    public func plan(scenario: String?) throws -> Plan {
        do {
            return try resolve(topology, scenario: scenario)
        } catch let error as ResolveError {
            throw TopologyError(file: topologyFileName, issues: error.issues)
        }
    }

    public var secretStore: SecretStore { SecretStore(topologyDirectory: directory) }
}
