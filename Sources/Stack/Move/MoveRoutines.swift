import Foundation
import Statements
import Topology

/// The functions, procedures and types (enums, domains, composite types) a moved service owns:
/// in its source schema and owned by its source role (or anywhere in a schema that is wholly
/// the service's), extension members left out. They are made in the target from the catalogs
/// (`pg_get_functiondef`, enum labels, domain constraints, composite attributes) before the
/// tables, so that a column of such a type and a trigger calling such a function move along.
struct OwnedRoutines: Sendable {
    struct Object: Sendable {
        var oid: String
        var schema: String
        var name: String
        /// `e`, `d`, `c` for types; `f`, `p` for functions and procedures.
        var kind: String
        /// A routine's identity arguments (schema-qualified type names).
        var arguments: String = ""
        var qualifiedName: String { "\(Escape.sqlIdentifier(schema)).\(Escape.sqlIdentifier(name))" }
    }
    var types: [Object] = []
    var functions: [Object] = []
    var isEmpty: Bool { types.isEmpty && functions.isEmpty }

    /// One line each, for the plan.
    var lines: [String] {
        let kinds = ["e": "enum", "d": "domain", "c": "composite type", "f": "function", "p": "procedure"]
        return types.map { "\(kinds[$0.kind]!) \($0.schema).\($0.name)" } + functions.map { "\(kinds[$0.kind]!) \($0.schema).\($0.name)(\($0.arguments))" }
    }
}

extension Mover {
    /// What `service` owns in its source database (names schema-qualified: the session's
    /// search_path is set to pg_catalog).
    static func ownedRoutines(_ conn: PGConnection, service: MoveService) throws -> OwnedRoutines {
        try conn.exec("SET search_path = pg_catalog")
        let whole = service.wholeSchema ? "true" : "false"
        var owned = OwnedRoutines()
        owned.types = try conn.query("""
            SELECT t.oid::text, n.nspname, t.typname, t.typtype::text FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
            WHERE n.nspname = $1 AND ($2::boolean OR t.typowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $3))
              AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND c.relkind = 'c'))
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.objid IN (t.oid, t.typrelid) AND d.deptype = 'e')
            ORDER BY CASE t.typtype WHEN 'e' THEN 0 WHEN 'd' THEN 1 ELSE 2 END, t.typname
            """, [service.from.schema, whole, service.sourceRole]).rows.map { OwnedRoutines.Object(oid: $0[0]!, schema: $0[1]!, name: $0[2]!, kind: $0[3]!) }
        owned.functions = try conn.query("""
            SELECT p.oid::text, n.nspname, p.proname, p.prokind::text, pg_catalog.pg_get_function_identity_arguments(p.oid)
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = $1 AND ($2::boolean OR p.proowner = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $3)) AND p.prokind IN ('f', 'p')
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
            ORDER BY 3, 5
            """, [service.from.schema, whole, service.sourceRole]).rows.map {
                OwnedRoutines.Object(oid: $0[0]!, schema: $0[1]!, name: $0[2]!, kind: $0[3]!, arguments: $0[4] ?? "")
            }
        return owned
    }

    /// Source type name (`schema.name`, as the catalogs print it) → its target's, for a move
    /// inside one database into another schema (elsewhere the names stay).
    func typeMap(_ owned: OwnedRoutines, service: MoveService, into schema: String) -> [String: String] {
        guard schema != service.from.schema else { return [:] }
        return Dictionary(owned.types.map { ($0.qualifiedName, qualified(schema, $0.name)) }, uniquingKeysWith: { a, _ in a })
    }

    /// `text` with every whole occurrence of a map key replaced.
    func retype(_ text: String, types: [String: String]) -> String {
        var out = text
        for (from, to) in types.sorted(by: { $0.key.count > $1.key.count }) {
            let pattern = "(?<![A-Za-z0-9_.\"])" + NSRegularExpression.escapedPattern(for: from) + "(?![A-Za-z0-9_\"])"
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            out = regex.stringByReplacingMatches(in: out, range: NSRange(out.startIndex..., in: out), withTemplate: NSRegularExpression.escapedTemplate(for: to))
        }
        return out
    }

    /// The statements that make `owned` in `schema` (types first, then routines), owned by
    /// `role`; objects already there are left (a copy continued after a kill).
    func createRoutines(_ owned: OwnedRoutines, from source: PGConnection, into schema: String, role: String, service: MoveService, existing target: PGConnection) throws -> [String] {
        try source.exec("SET search_path = pg_catalog")
        let types = typeMap(owned, service: service, into: schema)
        let rename = types.merging(Dictionary(owned.functions.map { ($0.qualifiedName, qualified(schema, $0.name)) }, uniquingKeysWith: { a, _ in a })) { a, _ in a }
        let haveTypes = Set(try target.query("SELECT t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1",
                                             [schema]).rows.map { $0[0]! })
        var statements: [String] = []
        for type in owned.types where !haveTypes.contains(type.name) {
            let name = qualified(schema, type.name)
            switch type.kind {
            case "e":
                let labels = try source.query("SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = $1::oid ORDER BY enumsortorder", [type.oid]).rows.map { Escape.sqlLiteral($0[0]!) }
                statements.append("CREATE TYPE \(name) AS ENUM (\(labels.joined(separator: ", ")));")
            case "d":
                let d = try source.query("SELECT pg_catalog.format_type(typbasetype, typtypmod), typnotnull, typdefault FROM pg_catalog.pg_type WHERE oid = $1::oid", [type.oid]).rows[0]
                statements.append("CREATE DOMAIN \(name) AS \(retype(d[0]!, types: types))\(d[2].map { " DEFAULT \(retype($0, types: types))" } ?? "")\(d[1] == "t" ? " NOT NULL" : "");")
                for c in try source.query("SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint WHERE contypid = $1::oid ORDER BY 1", [type.oid]).rows {
                    statements.append("ALTER DOMAIN \(name) ADD CONSTRAINT \(Escape.sqlIdentifier(c[0]!)) \(retype(c[1]!, types: types));")
                }
            default:
                let attributes = try source.query("""
                    SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.typrelid = a.attrelid
                    WHERE t.oid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                    """, [type.oid]).rows.map { "\(Escape.sqlIdentifier($0[0]!)) \(retype($0[1]!, types: types))" }
                statements.append("CREATE TYPE \(name) AS (\(attributes.joined(separator: ", ")));")
            }
            statements.append("ALTER TYPE \(name) OWNER TO \(Escape.sqlIdentifier(role));")
        }
        for function in owned.functions {
            // CREATE OR REPLACE: made again when the copy is continued.
            let def = try source.query("SELECT pg_catalog.pg_get_functiondef($1::oid)", [function.oid]).rows[0][0]!
            statements.append(retype(def, types: rename) + ";")
            statements.append("ALTER ROUTINE \(qualified(schema, function.name))(\(retype(function.arguments, types: types))) OWNER TO \(Escape.sqlIdentifier(role));")
        }
        return statements
    }

    /// The service's types and routines made in the target before its tables: inside the same
    /// database in the target schema (unless it is the same schema); in another database in
    /// the staging schema, unless the schema's dump brings them (`pg_dump -n`).
    func copyRoutines(_ service: MoveService, into schema: String? = nil) throws {
        if service.within && service.from.schema == service.to.schema { return }
        if !service.within && service.wholeSchema { return }
        let source = try sourceAdmin(service.from.server, database: service.from.database)
        let owned = try Self.ownedRoutines(source, service: service)
        guard !owned.isEmpty else { return }
        let into = schema ?? service.to.schema
        let target = try targetAdmin(service.to.server, database: service.to.database)
        try target.exec("BEGIN; SELECT \(Self.moveLock("routines " + service.service))")
        let statements = try createRoutines(owned, from: source, into: into, role: service.role, service: service, existing: target)
        try target.execute(["SET LOCAL check_function_bodies = off;"] + statements + ["COMMIT;"]) {
            EngineError("types and functions of \(service.service) in \(service.to.database): \($0)")
        }
        progress("copy \(service.service): \(owned.lines.joined(separator: ", "))")
    }

    /// Source type name → the target's, and the same with the routines too, for a table's
    /// columns and defaults inside one database.
    func movedNames(_ service: MoveService) throws -> (types: [String: String], all: [String: String]) {
        guard service.within, service.from.schema != service.to.schema else { return ([:], [:]) }
        let owned = try Self.ownedRoutines(try sourceAdmin(service.from.server, database: service.from.database), service: service)
        let types = typeMap(owned, service: service, into: service.to.schema)
        return (types, types.merging(owned.functions.map { ($0.qualifiedName, qualified(service.to.schema, $0.name)) }) { a, _ in a })
    }

    /// A copied table's triggers (`pg_get_triggerdef`), on the copy, calling the target's
    /// function when it moved (connection with search_path = pg_catalog).
    func triggers(_ conn: PGConnection, source: String, target: String, service: MoveService) throws -> [String] {
        let present = Set(try conn.query("SELECT tgname FROM pg_catalog.pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal", [target]).rows.map { $0[0]! })
        let rows = try conn.query("SELECT tgname, pg_catalog.pg_get_triggerdef(oid) FROM pg_catalog.pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal ORDER BY 1",
                                  [source]).rows
        guard !rows.isEmpty else { return [] }
        var rename = [source: target]
        if service.from.schema != service.to.schema {
            let owned = try Self.ownedRoutines(try sourceAdmin(service.from.server, database: service.from.database), service: service)
            for f in owned.functions { rename[f.qualifiedName] = qualified(service.to.schema, f.name) }
        }
        return rows.filter { !present.contains($0[0]!) }.map { retype($0[1]!, types: rename) + ";" }
    }

    /// In `place`: the types and routines restored in the staging schema go to the final one
    /// and to the service's role (names from the source's catalog).
    func placeRoutines(_ service: MoveService, staging: String, final: String) throws -> [String] {
        let source = try sourceAdmin(service.from.server, database: service.from.database)
        let owned = try Self.ownedRoutines(source, service: service)
        var statements: [String] = [], owners: [String] = []
        let types = typeMap(owned, service: service, into: final)
        for f in owned.functions {
            if staging != final { statements.append("ALTER ROUTINE \(qualified(staging, f.name))(\(f.arguments)) SET SCHEMA \(Escape.sqlIdentifier(final));") }
            owners.append("ALTER ROUTINE \(qualified(final, f.name))(\(retype(f.arguments, types: types))) OWNER TO \(Escape.sqlIdentifier(service.role));")
        }
        for t in owned.types {
            if staging != final { statements.append("ALTER TYPE \(qualified(staging, t.name)) SET SCHEMA \(Escape.sqlIdentifier(final));") }
            owners.append("ALTER TYPE \(qualified(final, t.name)) OWNER TO \(Escape.sqlIdentifier(service.role));")
        }
        return statements + owners
    }

    /// A rollback into a database the source keeps using: the target's copies of the service's
    /// types and routines dropped (after its tables), unless they are the source's own (same
    /// database and schema).
    func dropRoutines(_ service: MoveService, conn: PGConnection) throws -> [String] {
        guard !(service.from.sameDatabase(service.to) && service.from.schema == service.to.schema) else { return [] }
        let owned = try Self.ownedRoutines(try sourceAdmin(service.from.server, database: service.from.database), service: service)
        let types = typeMap(owned, service: service, into: service.to.schema)
        let statements = owned.functions.map { "DROP ROUTINE IF EXISTS \(qualified(service.to.schema, $0.name))(\(retype($0.arguments, types: types))) CASCADE;" }
            + owned.types.reversed().map { "DROP TYPE IF EXISTS \(qualified(service.to.schema, $0.name)) CASCADE;" }
        try conn.execute(statements) { EngineError("dropping the copies of \(service.service)'s types and functions: \($0)") }
        return owned.isEmpty ? [] : ["dropped the copies of \(service.service)'s types and functions in \(service.to)"]
    }

    /// The source's types and routines `--finish` drops with the kept tables: of services whose
    /// source tables stay in a database the target still uses, unless the move kept their schema
    /// (then they are the target's too).
    func keptRoutines() throws -> [(service: MoveService, owned: OwnedRoutines)] {
        var kept: [(service: MoveService, owned: OwnedRoutines)] = []
        for service in journal.services where !service.stays && !(service.within && service.from.schema == service.to.schema) {
            guard journal.revokedTables.contains(where: { $0.port == service.from.port && $0.database == service.from.database && $0.schema == service.from.schema }) else { continue }
            let owned = try Self.ownedRoutines(try keptSourceAdmin(service), service: service)
            if !owned.isEmpty { kept.append((service, owned)) }
        }
        return kept
    }

    /// Drops them (each on its own: one still used elsewhere is kept, and said).
    func dropKeptRoutines(_ kept: [(service: MoveService, owned: OwnedRoutines)]) throws {
        for (service, owned) in kept {
            let conn = try keptSourceAdmin(service)
            let statements = owned.functions.map { "DROP ROUTINE IF EXISTS \($0.qualifiedName)(\($0.arguments))" }
                + owned.types.reversed().map { "DROP TYPE IF EXISTS \($0.qualifiedName)" }
            for statement in statements {
                do { try conn.exec(statement) } catch { progress("kept (still used): \(statement.dropFirst(5)): \(error)") }
            }
        }
    }
}
