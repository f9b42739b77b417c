import Statements

/// The statement sections laid out for a psql script (init-db.sql, grants.sql).
extension PostgresSQL {
    /// Sections as psql script lines: `\connect` before each database's statements.
    static func psqlContext(_ sections: [SQLSection]) -> [[String: Any]] {
        var current: String?
        return sections.map { section in
            var statements = section.statements
            let target = section.database ?? "postgres"
            if target != current {
                statements.insert("\\connect \(Escape.sqlIdentifier(target))", at: 0)
                current = target
            }
            return ["title": section.title, "statements": statements]
        }
    }
}
