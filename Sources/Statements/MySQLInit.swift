import Topology

/// A MySQL server's init SQL (`init/<server>/init-db.sql`): its users, databases and grants,
/// built here once for the renderer (which lays the sections out through its template) and for
/// the native provisioner (which applies `script`, the same bytes the built-in template gives).
public enum MySQLInit {
    /// `password`: the SQL for a role's password (a literal, or a placeholder the caller replaces).
    public static func sections(_ server: PlannedServer, password: (SecretRef) -> String) -> [SQLSection] {
        let q = Escape.mysqlIdentifier, lit = Escape.mysqlLiteral
        var sections: [SQLSection] = []
        var users: [String] = []
        for role in server.roles {
            let account = "\(lit(role.name))@'%'"
            users.append("CREATE USER IF NOT EXISTS \(account) IDENTIFIED BY \(password(role.secret));")
            users.append("ALTER USER \(account) IDENTIFIED BY \(password(role.secret)) WITH MAX_USER_CONNECTIONS \(role.connectionLimit ?? 0);")
            // Converge privileges to exactly the plan's: what an earlier plan granted goes (the
            // grants below give back what this plan wants).
            users.append("REVOKE ALL PRIVILEGES, GRANT OPTION FROM \(account);")
        }
        if !users.isEmpty { sections.append(SQLSection(title: "Users: one per service instance", database: nil, statements: users)) }
        for db in server.databases {
            var s = ["CREATE DATABASE IF NOT EXISTS \(q(db.name)) CHARACTER SET utf8mb4;"]
            let grantOn = Escape.mysqlGrantDatabase(db.name)
            if let owner = db.owner { s.append("GRANT ALL PRIVILEGES ON \(grantOn).* TO \(lit(owner))@'%';") }
            for role in db.connect where role != db.owner {
                s.append("GRANT SELECT ON \(grantOn).* TO \(lit(role))@'%';")
            }
            sections.append(SQLSection(title: "Database \(db.name)", database: db.name, statements: s))
        }
        return sections
    }

    /// `reads`: SELECT on each named table, once the migrations have created it (MySQL refuses
    /// a grant on a table that does not exist). `existing`: the tables that exist (`db.table`);
    /// nil renders every grant (the bundle's post-migrate file).
    public static func postMigrateSections(_ server: PlannedServer, existing: Set<String>? = nil) -> [SQLSection] {
        let q = Escape.mysqlIdentifier, lit = Escape.mysqlLiteral
        return server.databases.filter { !$0.tableReads.isEmpty }.compactMap { db in
            let grants = db.tableReads.filter { existing?.contains("\(db.name).\($0.table)") ?? true }.map {
                "GRANT SELECT ON \(q(db.name)).\(q($0.table)) TO \(lit($0.role))@'%';"
            }
            return grants.isEmpty ? nil : SQLSection(title: "Database \(db.name): reads", database: db.name, statements: grants)
        }
    }

    /// The post-migrate file: the header, then each database's grants.
    public static func postMigrateScript(_ sections: [SQLSection], header: String) -> String {
        var text = "-- \(header)\n-- Run after the migrations (the tables must exist); re-runnable.\n"
        for section in sections { text += "\n-- \(section.title)\n" + section.statements.map { $0 + "\n" }.joined() }
        return text
    }

    /// The password SQL with the secrets' values: `'…'` literals.
    public static func literalPasswords(_ secrets: [String: String]) -> (SecretRef) -> String {
        { Escape.mysqlLiteral(secrets[$0.variable] ?? "") }
    }

    /// The whole file, laid out as the built-in `mysql-init.sql.mustache` lays it out.
    public static func script(_ server: PlannedServer, header: String, password: (SecretRef) -> String) -> String {
        var text = "-- \(header)\n-- Re-runnable: every statement is guarded or idempotent.\n"
        for section in sections(server, password: password) {
            text += "\n-- \(section.title)\n" + section.statements.map { $0 + "\n" }.joined()
        }
        return text
    }
}

/// The first line of every rendered file (and of the SQL the native engine applies in its stead).
public enum RenderHeader {
    public static func text(plan: Plan, topologyFile: String) -> String {
        "Rendered by ovudev from \(topologyFile) (project \(plan.project), scenario \(plan.scenario), layout \(plan.layout.rawValue)). Do not edit: change the topology and run `ovudev render`."
    }
}
