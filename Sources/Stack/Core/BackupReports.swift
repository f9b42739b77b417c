import Foundation

/// One dump written by `ovudev backup`.
public struct BackupFile: Sendable, Codable {
    public var target: String
    public var server: String
    public var kind: String
    public var path: String
    public var bytes: Int64
    public var seconds: Double
}

/// One table (or sequence, or a Redis server's keys) compared between the source and the dump
/// restored into a scratch database.
public struct TableCheck: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case same, different, missing, extra }
    public var target: String
    /// `ulm.users`, `sequence ulm.users_id_seq`, `keys (all indexes)`.
    public var object: String
    public var sourceRows: Int64?
    public var restoredRows: Int64?
    public var sourceChecksum: String?
    public var restoredChecksum: String?
    public var status: Status
}

public struct VerifyReport: Sendable, Codable {
    public var target: String
    public var file: String
    /// Why the dump could not be restored (damaged, truncated, not a dump); nil when it was.
    public var error: String?
    public var tables: [TableCheck]
    public var note: String?
    /// `error` as a value: the dump that could not be restored or loaded, and how (not in the JSON).
    public var failure: EngineError.Kind? = nil
    enum CodingKeys: String, CodingKey { case target, file, error, tables, note }
    public var differences: Int { tables.filter { $0.status != .same }.count + (error == nil ? 0 : 1) }
    public var passed: Bool { differences == 0 }
}

/// A table's row count and content checksum: md5 over the md5 of every row's text, in primary
/// key order (rows of tables without one in the order of their own hashes).
public struct Fingerprint: Sendable, Codable, Equatable {
    public var rows: Int64?
    public var checksum: String?
}

public struct RestoreReport: Sendable {
    public struct Table: Sendable, Codable { public var name: String; public var rows: Int64? }
    public var target: String
    public var file: String
    public var database: String
    public var schema: String?
    /// The restored tables (and sequences) with their fingerprints.
    public var fingerprints: [String: Fingerprint]
    /// What held the data before, when it could not be dropped (kept for the user).
    public var kept: String?
    public var notes: [String] = []
    public var check: CheckReport?
    /// The check findings that concern the restored service (the restore is undone when they fail).
    public var serviceCheck: CheckReport?
    public var seconds: Double
}
