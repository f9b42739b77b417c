import Foundation
import Statements
import Topology

extension Mover {
    /// The restored objects moved from the staging schema into the target schema, renamed to
    /// their target names (prefixes), and owned by the service's role — in one transaction.
    func place(_ service: MoveService, tables: [MoveTable], staging: String, list: String, conn: PGConnection) throws {
        let q = Escape.sqlIdentifier
        let final = service.to.schema
        var statements: [String] = []
        // Other relations the dump restored (views, sequences not owned by a column).
        let toc = (try? String(contentsOfFile: list, encoding: .utf8)) ?? ""
        var extras: [(kind: String, name: String)] = []
        for line in toc.split(separator: "\n") where !line.hasPrefix(";") {
            for kind in ["MATERIALIZED VIEW", "VIEW", "SEQUENCE"] {
                guard let r = line.range(of: " \(kind) \(staging) ") else { continue }
                let name = line[r.upperBound...].split(separator: " ").first.map(String.init) ?? ""
                if !name.isEmpty && !extras.contains(where: { $0.name == name }) { extras.append((kind, name)) }
                break
            }
        }
        let owned = Set(try conn.query("""
            SELECT s.relname FROM pg_catalog.pg_class s JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
            WHERE s.relkind = 'S' AND n.nspname = $1
            """, [staging]).rows.map { $0[0]! })
        let stillStaged = Set(try conn.query("SELECT relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
                                             [staging]).rows.map { $0[0]! })
        if staging != final {
            for table in tables where stillStaged.contains(table.source) {
                statements.append("ALTER TABLE \(q(staging)).\(q(table.source)) SET SCHEMA \(q(final));")
            }
            for extra in extras where stillStaged.contains(extra.name) && !owned.contains(extra.name) {
                statements.append("ALTER \(extra.kind) \(q(staging)).\(q(extra.name)) SET SCHEMA \(q(final));")
            }
        }
        let present = Set(try conn.query("SELECT relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
                                         [final]).rows.map { $0[0]! })
        for table in tables where table.source != table.target && !present.contains(table.target) {
            statements.append("ALTER TABLE \(q(final)).\(q(table.source)) RENAME TO \(q(table.target));")
        }
        for table in tables {
            statements.append("ALTER TABLE \(q(final)).\(q(table.target)) OWNER TO \(q(service.role));")
        }
        for extra in extras where !owned.contains(extra.name) {
            statements.append("ALTER \(extra.kind) \(q(final)).\(q(extra.name)) OWNER TO \(q(service.role));")
        }
        statements += try placeRoutines(service, staging: staging, final: final)
        try conn.exec("BEGIN; " + statements.joined(separator: "\n") + " COMMIT;")
        if staging != final, journal.createdSchemas.contains(where: { $0.database == service.to.database && $0.server == service.to.server && $0.schema == staging }) {
            _ = try? conn.exec("DROP SCHEMA IF EXISTS \(q(staging)) RESTRICT")
        }
    }
}
