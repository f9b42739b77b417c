import Foundation
import Stack

/// The structures the CLI's `--json` outputs and the dashboard's `/api/` share: one definition
/// each, so `ovudev status --json` and `GET /api/status` cannot drift apart.

/// `ovudev status --json` and `GET /api/status`.
public struct StatusOutput: Codable, Sendable {
    public var scenario: String
    public var servers: [ServerState]
    public var services: [NativeStack.InstanceStatus]
    /// A move not finished or rolled back (`Mover.inProgress`); absent when there is none.
    public var move: String?

    public init(scenario: String, servers: [ServerState], services: [NativeStack.InstanceStatus], move: String? = nil) {
        self.scenario = scenario
        self.servers = servers
        self.services = services
        self.move = move
    }
}

/// `ovudev check --json` and `GET|POST /api/check`: the findings and their totals.
public struct CheckOutput: Codable, Sendable {
    public var passed: Bool
    public var leaks: Int
    public var failures: Int
    public var findings: [CheckFinding]

    public init(_ report: CheckReport) {
        passed = report.passed
        leaks = report.leaks
        failures = report.failures
        findings = report.findings
    }
}

/// The JSON the CLI prints and the API answers: pretty, keys sorted.
public enum APIJSON {
    public static func encode<T: Encodable>(_ value: T, escapingSlashes: Bool = true) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = escapingSlashes ? [.prettyPrinted, .sortedKeys] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func string<T: Encodable>(_ value: T, escapingSlashes: Bool = true) throws -> String {
        String(decoding: try encode(value, escapingSlashes: escapingSlashes), as: UTF8.self)
    }

    /// One line, for Server-Sent Events (a `data:` field cannot hold a newline).
    static func line<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// What the dashboard adds to a service's status: how long it has run, how often the dashboard
/// saw it restart, and its environment with every secret masked.
public struct ServiceDetail: Codable, Sendable {
    public var instance: String
    /// When the process started, seconds since 1970 (from /proc), nil when it does not run;
    /// the page counts the uptime from it (so that the state changes only when something happens).
    public var startedAt: Int?
    /// Times the dashboard saw its pid change (or come back after it stopped).
    public var restarts: Int
    /// `KEY=value` with every secret part shown as `********`.
    public var environment: [String: String]
}

/// `GET /api/services`, and the `state` event of `/api/events`.
public struct DashboardState: Codable, Sendable {
    public var status: StatusOutput
    public var details: [ServiceDetail]
    /// Server name → when its process started, seconds since 1970 (absent when stopped or unknown).
    public var serverStartedAt: [String: Int]
}

/// `GET /api/logs` (the list) and `GET /api/logs/<name>` (the tail).
public struct LogList: Codable, Sendable {
    public var logs: [String]
}

public struct LogTail: Codable, Sendable {
    public var name: String
    public var lines: [String]
    /// Lines before these ones that the tail left out.
    public var truncated: Bool
}

/// `GET /api/seeds`: per instance, its seed files and what `ovudev_seeds` records.
public struct SeedsOutput: Codable, Sendable {
    public struct Record: Codable, Sendable {
        public var file: String
        public var checksum: String?
        public var rows: Int?
        public var loadedAt: String?
    }
    public struct Instance: Codable, Sendable {
        public var instance: String
        public var files: [String]
        public var applied: [Record]
        /// Why the records could not be read, if they could not.
        public var note: String?
    }
    public var instances: [Instance]
}

/// `GET /api/backups`: dump files under the backups folder, and snapshots if any.
public struct BackupsOutput: Codable, Sendable {
    public struct File: Codable, Sendable {
        public var server: String
        public var target: String
        public var name: String
        public var bytes: Int64
        public var modified: String
    }
    public var directory: String
    public var files: [File]
    /// Folders under `.ovu/<scenario>/snapshots/`, when it exists.
    public var snapshots: [String]
}

/// An action started by a POST: its id; its output comes as `job` events on `/api/events`
/// and whole from `GET /api/jobs/<id>`.
public struct JobOutput: Codable, Sendable {
    public var id: String
    public var action: String
    public var lines: [String]
    /// nil while it runs.
    public var ok: Bool?
}
