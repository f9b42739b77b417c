import Foundation
import Statements
import Topology

/// `ovudev docs`: what a running service's data holds now. Each engine reads its own catalog
/// (`EngineModule.catalog`): tables with exact row counts, sizes and indexes; Redis: the keys of
/// the instance's index (and under its prefix).
public struct CatalogTable: Sendable, Codable, Equatable {
    public var instance: String
    /// `schema.table`, `db.table`, or `db 3` / `prefix auth:*` for Redis.
    public var name: String
    public var rows: Int64
    /// On-disk size with indexes and TOAST; nil where the engine does not say (Redis).
    public var bytes: Int64?
    public var indexes: [String]

    public init(instance: String, name: String, rows: Int64, bytes: Int64?, indexes: [String]) {
        self.instance = instance
        self.name = name
        self.rows = rows
        self.bytes = bytes
        self.indexes = indexes
    }
}

extension NativeStack {
    /// The catalog of each instance of `service` (every service when nil), in instance order.
    public func liveCatalog(service: String?) throws -> [CatalogTable] {
        var tables: [CatalogTable] = []
        for instance in plan.instances.sorted(by: { $0.name < $1.name }) where service == nil || instance.service == service {
            if let db = instance.database, let server = plan.server(db.server) {
                tables += try EngineModules.module(server.engine).catalog(instance, access: db, on: server, maintenance: maintenance)
            }
            if let slot = instance.redis, let server = plan.server(slot.server) {
                tables += try RedisEngine.keyCatalog(instance, slot: slot, on: server, secrets: secrets)
            }
        }
        return tables
    }
}

public enum LiveCatalogText {
    /// A Markdown table per instance.
    public static func markdown(_ tables: [CatalogTable]) -> String {
        var out = "\n## Live catalog\n"
        if tables.isEmpty { return out + "\nNo tables and no keys yet.\n" }
        for instance in Array(Set(tables.map(\.instance))).sorted() {
            out += "\n### \(instance)\n\n| Table | Rows | Size | Indexes |\n|---|---:|---:|---|\n"
            for t in tables where t.instance == instance {
                out += "| `\(t.name)` | \(t.rows) | \(t.bytes.map(size) ?? "–") | \(t.indexes.isEmpty ? "–" : t.indexes.map { "`\($0)`" }.joined(separator: ", ")) |\n"
            }
        }
        return out
    }

    static func size(_ bytes: Int64) -> String {
        bytes < 1024 ? "\(bytes) B" : bytes < 1 << 20 ? "\(bytes / 1024) kB" : String(format: "%.1f MB", Double(bytes) / Double(1 << 20))
    }
}
