import Foundation
import Statements
import Topology

/// Canonical order for grouped statements: larger privilege sets first, then by name.
func groupOrder(_ a: Set<String>, _ b: Set<String>) -> Bool {
    a.count != b.count ? a.count > b.count : a.sorted().joined(separator: ",") < b.sorted().joined(separator: ",")
}

func ordered(_ privileges: Set<String>, _ order: [String]) -> String {
    (order.filter(privileges.contains) + privileges.subtracting(order).sorted()).joined(separator: ", ")
}

/// Schemas, extensions and schema privileges of one database, diffed against the catalog.
struct InsideDatabase: Sendable {
    let db: PlannedDatabase
    let planRoles: [String]
    let superuser: String

    struct Schema {
        var owner: String
        var privileges: [String: Set<String>] = [:]
    }

    /// Applies what is missing or wrong; returns one line per change (without the database name).
    func converge(_ conn: PGConnection, server: String) throws -> [String] {
        let wanted = PostgresSQL.schemaPrivileges(db)
        let managed = Set(["public"] + db.schemas.map(\.name) + wanted.keys)
        let rows = try conn.query("""
            SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner),
                   CASE WHEN a.grantee IS NULL THEN NULL WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                   a.privilege_type
            FROM pg_catalog.pg_namespace n
            LEFT JOIN LATERAL pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a ON true
            WHERE n.nspname = ANY($1::text[])
            """, [pgArray(managed.sorted())])
        var schemas: [String: Schema] = [:]
        for row in rows.rows {
            let name = row[0]!
            if schemas[name] == nil { schemas[name] = Schema(owner: row[1]!) }
            if let grantee = row[2], let privilege = row[3] { schemas[name]!.privileges[grantee, default: []].insert(privilege) }
        }
        let installed = Set(try conn.exec("SELECT extname FROM pg_catalog.pg_extension").rows.compactMap { $0[0] })

        var statements: [String] = []
        var lines: [String] = []
        guard var publicSchema = schemas["public"] else {
            throw ProvisionError(server: server, database: db.name, message: "the schema public is missing; ovudev puts extensions and shared tables there: recreate it (CREATE SCHEMA public) or drop the database")
        }
        if publicSchema.privileges["PUBLIC"]?.contains("CREATE") == true {
            statements.append(PostgresSQL.revokeCreateOnPublicSchema)
            lines.append("revoked CREATE on schema public from PUBLIC")
        }
        if let owner = db.owner, publicSchema.owner != owner {
            statements.append(PostgresSQL.alterOwner(.schema("public"), to: owner))
            lines.append("schema public owner set to \(owner) (was \(publicSchema.owner))")
            publicSchema.owner = owner
            schemas["public"] = publicSchema
        }
        for ext in db.extensions where !installed.contains(ext) {
            statements.append(PostgresSQL.createExtension(ext))
            lines.append("extension \(ext) created")
        }
        for schema in db.schemas {
            if let actual = schemas[schema.name] {
                if actual.owner != schema.owner {
                    statements.append(PostgresSQL.alterOwner(.schema(schema.name), to: schema.owner))
                    lines.append("schema \(schema.name) owner set to \(schema.owner) (was \(actual.owner))")
                    schemas[schema.name]!.owner = schema.owner
                }
                if let publicHas = actual.privileges["PUBLIC"], !publicHas.isEmpty {
                    statements.append(PostgresSQL.revokeAllFromPublic(.schema(schema.name)))
                    lines.append("revoked \(ordered(publicHas, PostgresSQL.schemaPrivilegeOrder)) on schema \(schema.name) from PUBLIC")
                }
            } else {
                statements.append(PostgresSQL.createSchema(schema.name, owner: schema.owner))
                statements.append(PostgresSQL.revokeAllFromPublic(.schema(schema.name)))
                lines.append("schema \(schema.name) created, owned by \(schema.owner)")
                schemas[schema.name] = Schema(owner: schema.owner, privileges: [schema.owner: ["USAGE", "CREATE"]])
            }
        }
        // The plan's roles hold exactly the schema privileges the plan gives (owners aside).
        for name in managed.sorted() {
            guard let schema = schemas[name] else {
                throw ProvisionError(server: server, database: db.name, message: "schema \(name) does not exist, but the plan grants privileges on it")
            }
            var grants: [Set<String>: [String]] = [:], revokes: [Set<String>: [String]] = [:]
            for role in planRoles where role != schema.owner {
                let has = schema.privileges[role] ?? [], want = wanted[name]?[role] ?? []
                let missing = want.subtracting(has), extra = has.subtracting(want)
                if !missing.isEmpty { grants[missing, default: []].append(role) }
                if !extra.isEmpty { revokes[extra, default: []].append(role) }
            }
            for (set, roles) in revokes.sorted(by: { groupOrder($0.key, $1.key) }) {
                statements.append(PostgresSQL.revoke(set, on: .schema(name), from: roles))
                for role in roles { lines.append("revoked \(ordered(set, PostgresSQL.schemaPrivilegeOrder)) on schema \(name) from \(role)") }
            }
            for (set, roles) in grants.sorted(by: { groupOrder($0.key, $1.key) }) {
                statements.append(PostgresSQL.grant(set, on: .schema(name), to: roles))
                for role in roles { lines.append("granted \(ordered(set, PostgresSQL.schemaPrivilegeOrder)) on schema \(name) to \(role)") }
            }
        }
        // Read-only schema readers (analytics): SELECT on existing tables and on future ones.
        if !db.schemaReaders.isEmpty {
            for (reader, tables) in try Provisioner.tablesLackingSelect(db.schemaReaders, conn: conn) {
                statements.append(PostgresSQL.grantSelectOnAllTables(schema: reader.schema, to: reader.role))
                lines.append("granted SELECT on \(Provisioner.describe(tables)) of schema \(reader.schema) to \(reader.role)")
            }
            let defaults = try conn.exec("""
                SELECT pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, pg_catalog.pg_get_userbyid(a.grantee)
                FROM pg_catalog.pg_default_acl d
                JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
                CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a
                WHERE d.defaclobjtype = 'r' AND a.privilege_type = 'SELECT'
                """)
            let present = Set(defaults.rows.map { "\($0[0] ?? "") \($0[1] ?? "") \($0[2] ?? "")" })
            for reader in db.schemaReaders {
                for owner in reader.owners where !present.contains("\(owner) \(reader.schema) \(reader.role)") {
                    statements.append(PostgresSQL.defaultSelect(owner: owner, schema: reader.schema, reader: reader.role))
                    lines.append("new tables of \(owner) in schema \(reader.schema): SELECT for \(reader.role) by default")
                }
            }
        }
        try conn.execute(statements) {
            ProvisionError(server: server, database: db.name, message: "schemas, extensions and privileges failed (nothing of this database's step was applied): \($0)")
        }
        return lines
    }
}
