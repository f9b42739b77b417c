import Foundation
import Statements
import Topology

extension NativeStack {
    /// Revokes the `reads` grants the last `up` made and the Plan no longer has (a table taken
    /// out of a service's `reads`, a reader removed). Provisioning grants what is missing; this
    /// takes back what was dropped, so a changed `reads` list changes exactly the difference.
    func revokeDroppedReads(_ applied: AppliedState) throws -> [String] {
        var changes: [String] = []
        for (key, before) in applied.reads.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let server = plan.server(parts[0]), server.engine == .postgres else { continue }
            let now = Set((server.databases.first { $0.name == parts[1] }?.tableReads ?? []).map { "\($0.role)\u{0}\($0.schema)\u{0}\($0.table)" })
            let dropped = before.filter { !now.contains("\($0.role)\u{0}\($0.schema)\u{0}\($0.table)") }
            if dropped.isEmpty { continue }
            let superuser = Superuser(server, secrets: secrets)
            let conn = try superuser.connect(database: parts[1], socket: adminSockets[server.name])
            for read in dropped {
                // Only what still exists: the table may have gone with its service, the role with its reader.
                let exists = try conn.query("SELECT to_regclass($1) IS NOT NULL AND EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = $2)",
                                            ["\(Escape.sqlIdentifier(read.schema)).\(Escape.sqlIdentifier(read.table))", read.role]).rows.first?.first == "t"
                guard exists else { continue }
                try conn.exec("REVOKE SELECT ON TABLE \(Escape.sqlIdentifier(read.schema)).\(Escape.sqlIdentifier(read.table)) FROM \(Escape.sqlIdentifier(read.role))")
                changes.append("database \(parts[1]): revoked SELECT on \(read.schema).\(read.table) from \(read.role)")
            }
        }
        return changes
    }
}
