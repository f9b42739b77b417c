import Foundation
import Statements
import Topology

/// Views and materialized views a service owns (in its schema and owned by its role, or in a
/// schema wholly its own), made again over the copies when the service moves inside its
/// database: `pg_get_viewdef` with schema-qualified names, the moved tables', types' and
/// functions' names replaced by their targets'. A view that cannot be made stops the move
/// before the switch, named (never dropped silently: `--finish` would drop the original with
/// the source tables).
extension Mover {
    /// (name, relkind, definition) of the service's views in its source schema, in creation
    /// order (connection with search_path = pg_catalog).
    static func ownedViews(_ conn: PGConnection, service: MoveService) throws -> [(name: String, kind: String, definition: String)] {
        try conn.query("""
            SELECT c.relname, c.relkind::text, pg_catalog.pg_get_viewdef(c.oid) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('v', 'm') AND ($2::boolean OR c.relowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $3))
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY c.oid
            """, [service.from.schema, service.wholeSchema ? "true" : "false", service.sourceRole]).rows.map { ($0[0]!, $0[1]!, $0[2]!) }
    }

    /// A view's name at the target: the source's prefix off, the target's on.
    func targetName(ofView name: String, _ service: MoveService) -> String {
        service.to.prefix + (name.hasPrefix(service.from.prefix) ? String(name.dropFirst(service.from.prefix.count)) : name)
    }

    /// The statements that make `service`'s views over the copies (those not made yet).
    /// `renames`: qualified source name → qualified target name, for every table moving inside
    /// this database.
    func viewsWithin(_ service: MoveService, renames tables: [String: String], conn: PGConnection) throws -> [String] {
        let source = try sourceAdmin(service.from.server, database: service.from.database)
        try source.exec("SET search_path = pg_catalog")
        let views = try Self.ownedViews(source, service: service)
        guard !views.isEmpty else { return [] }
        var renames = tables
        let owned = try Self.ownedRoutines(source, service: service)
        renames.merge(typeMap(owned, service: service, into: service.to.schema)) { a, _ in a }
        if service.from.schema != service.to.schema {
            for f in owned.functions { renames[f.qualifiedName] = qualified(service.to.schema, f.name) }
        }
        for v in views { renames[qualified(service.from.schema, v.name)] = qualified(service.to.schema, targetName(ofView: v.name, service)) }
        let present = Set(try conn.query("SELECT relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
                                         [service.to.schema]).rows.map { $0[0]! })
        var statements: [String] = []
        for v in views where !present.contains(targetName(ofView: v.name, service)) {
            let name = qualified(service.to.schema, targetName(ofView: v.name, service))
            var body = retype(v.definition, types: renames).trimmingCharacters(in: .whitespacesAndNewlines)
            if body.hasSuffix(";") { body.removeLast() }
            statements.append("CREATE \(v.kind == "m" ? "MATERIALIZED VIEW" : "VIEW") \(name) AS \(body);")
            statements.append("ALTER \(v.kind == "m" ? "MATERIALIZED VIEW" : "VIEW") \(name) OWNER TO \(Escape.sqlIdentifier(service.role));")
        }
        return statements
    }
}
