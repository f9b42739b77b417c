import Foundation
import Statements
import Topology

extension MySQLEngine {
    /// The instance's database through the maintenance login: tables, exact row counts, data and
    /// index size, index names.
    func catalog(_ instance: ServiceInstance, access: DatabaseAccess, on server: PlannedServer, maintenance: Maintenance) throws -> [CatalogTable] {
        let admin = maintenance.mysqlAdmins[server.name] ?? Superuser(server, secrets: maintenance.secrets).tcpLogin()
        let db = Escape.mysqlLiteral(access.database)
        let rows = try admin.exec("""
            SELECT 'table', TABLE_NAME, DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = \(db) AND TABLE_TYPE = 'BASE TABLE';
            SELECT DISTINCT 'index', TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = \(db);
            """).rows
        let tables = rows.filter { $0.count == 3 && $0[0] == "table" }.map { ($0[1], Int64($0[2])) }.sorted { $0.0 < $1.0 }
        guard !tables.isEmpty else { return [] }
        let counts = try admin.exec(tables.map { "SELECT 'count', \(Escape.mysqlLiteral($0.0)), COUNT(*) FROM \(Escape.mysqlIdentifier(access.database)).\(Escape.mysqlIdentifier($0.0));" }
            .joined(separator: "\n")).rows.filter { $0.count == 3 && $0[0] == "count" }
        return tables.map { name, bytes in
            CatalogTable(instance: instance.name, name: "\(access.database).\(name)", rows: Int64(counts.first { $0[1] == name }?[2] ?? "0") ?? 0, bytes: bytes,
                         indexes: rows.filter { $0.count == 3 && $0[0] == "index" && $0[1] == name }.map { $0[2] }.sorted())
        }
    }
}
