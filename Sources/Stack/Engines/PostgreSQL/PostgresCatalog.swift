import Foundation
import Statements
import Topology

extension PostgreSQLEngine {
    /// The instance's tables (its schema, or its prefix in `public`) as the superuser: exact row
    /// counts, total size, index names.
    func catalog(_ instance: ServiceInstance, access: DatabaseAccess, on server: PlannedServer, maintenance: Maintenance) throws -> [CatalogTable] {
        let superuser = Superuser(server, secrets: maintenance.secrets)
        let conn = try adminConnection(port: server.port, user: superuser.name, password: superuser.password,
                                       database: access.database, socket: maintenance.adminSockets[server.name])
        let schema = access.schema ?? "public"
        let like = (access.tablePrefix ?? "").replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "_", with: "\\_")
            .replacingOccurrences(of: "%", with: "\\%") + "%"
        let rows = try conn.query("""
            SELECT c.relname, pg_catalog.pg_total_relation_size(c.oid),
                   coalesce((SELECT string_agg(i.relname, ',' ORDER BY i.relname) FROM pg_catalog.pg_index x
                             JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), '')
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname = $1 AND c.relname LIKE $2 ORDER BY 1
            """, [schema, like]).rows
        return try rows.map { row in
            let table = "\(Escape.sqlIdentifier(schema)).\(Escape.sqlIdentifier(row[0]!))"
            let count = Int64(try conn.exec("SELECT count(*) FROM \(table)").rows.first?.first.flatMap { $0 } ?? "0") ?? 0
            return CatalogTable(instance: instance.name, name: "\(schema).\(row[0]!)", rows: count, bytes: Int64(row[1] ?? ""),
                                indexes: (row[2] ?? "").split(separator: ",").map(String.init))
        }
    }
}
