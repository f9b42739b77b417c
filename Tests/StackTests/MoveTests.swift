import Foundation
import Stack
import Testing
import Topology

/// `ovudev move` on real servers: the monolith split of issue 11 (single-db, `isolation: none`
/// → a database per service), rollback and finish; the dry run's blockers; a move killed during
/// the copy and continued.
@Suite struct MoveTests {
    /// "rows:md5" of every fixture table, as its service's own role sees it.
    static func checksums(_ stack: NativeStack) throws -> [String: String] {
        var sums: [String: String] = [:]
        for (service, _) in MoveFixture.ddl {
            let conn = try MoveFixture.connect(stack, service)
            for table in stack.plan.instance(service)!.database!.tables! {
                let keys = try conn.query("""
                    SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                    WHERE i.indisprimary AND i.indrelid = $1::regclass ORDER BY array_position(i.indkey::int2[], a.attnum)
                    """, [table]).rows.map { "t.\($0[0]!)" }
                let row = try conn.exec("SELECT count(*), md5(string_agg(t::text, E'\\n' ORDER BY \(keys.joined(separator: ", ")))) FROM \(table) t").rows[0]
                sums["\(service).\(table)"] = "\(row[0]!):\(row[1] ?? "")"
            }
        }
        return sums
    }

    static func mover(_ project: TempProject) -> Mover { Mover(project: project.project) }

    @Test func theMonolithSplitsIntoADatabasePerServiceAndComesBack() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try project.stack("monolith")
        _ = try monolith.up(check: false)
        try MoveFixture.populate(monolith)
        let before = try Self.checksums(monolith)
        #expect(before.count == 17 && before.values.allSatisfy { !$0.hasPrefix("0:") })

        let report = try Self.mover(project).run(to: "separated")
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "separated")
        let separated = try project.stack("separated")
        try separated.loadSecrets()
        #expect(try Self.checksums(separated) == before)

        // Sequences continue: an insert after the move takes the next id.
        let auth = try MoveFixture.connect(separated, "auth")
        #expect(try auth.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'new@example.com') RETURNING id").rows.first?.first == "21")
        #expect(try auth.exec("INSERT INTO api_tokens (user_id, label) VALUES (1, 'new') RETURNING id").rows.first?.first == "5")
        // web reads auth's users (its READ url), cannot write them, cannot reach forms.
        let web = try #require(separated.plan.instance("web"))
        let read = try #require(web.reads.first { $0.service == "auth" })
        let port = separated.plan.server(read.server)!.port
        let reader = try PGConnection(PGConnectionParameters(port: port, user: read.role, password: separated.secrets[read.secret.variable], database: read.database))
        #expect(try reader.exec("SELECT count(*) FROM users").rows.first?.first == "21")
        #expect(throws: PGError.self) { try reader.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'w@example.com')") }
        #expect(throws: PGError.self) { try reader.exec("SELECT count(*) FROM sessions") }
        #expect(throws: PGError.self) {
            try PGConnection(PGConnectionParameters(port: port, user: web.database!.role, password: separated.secrets[web.database!.secret.variable], database: "forms_db"))
        }
        // The monolith is kept, read-only.
        let server = try #require(separated.plan.servers.first)
        let keptAsAuth = try PGConnection(PGConnectionParameters(port: port, user: "auth_user", password: separated.secrets["AUTH_DB_PASSWORD"], database: "suite_db"))
        #expect(try keptAsAuth.exec("SELECT count(*) FROM users").rows.first?.first == "20")
        do {
            try keptAsAuth.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'late@example.com')")
            Issue.record("the kept monolith took a write")
        } catch let error as PGError {
            #expect(error.sqlstate == "25006", "\(error)")
        }
        _ = server

        // Rollback is refused once the target was written…
        #expect(throws: MoveError.targetWritten(tables: ["auth: api_tokens", "auth: users"])) { try Self.mover(project).rollback() }
        try auth.exec("DELETE FROM users WHERE id = 21; DELETE FROM api_tokens WHERE id = 5")
        // …and goes through when the rows are as they were at the switch: nothing is lost.
        let back = try Self.mover(project).rollback()
        #expect(back.check?.passed == true)
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "monolith")
        let again = try project.stack("monolith")
        try again.loadSecrets()
        #expect(try Self.checksums(again) == before)
        #expect(try MoveFixture.connect(again, "auth").exec("INSERT INTO users (tenant_id, email) VALUES (1, 'back@example.com') RETURNING id").rows.first?.first == "21")
        let su = try PGConnection(PGConnectionParameters(port: port, user: "postgres", password: again.secrets[server.superuserSecret!.variable], database: "postgres"))
        #expect(try su.exec("SELECT datname FROM pg_database WHERE datname LIKE '%_db' ORDER BY 1").rows.map { $0[0]! } == ["suite_db"])

        // Move again, then --finish drops the monolith.
        _ = try Self.mover(project).run(to: "separated")
        #expect(try Self.mover(project).finishList() == ["database postgres/suite_db"])
        _ = try Self.mover(project).finish()
        let su2 = try PGConnection(PGConnectionParameters(port: port, user: "postgres", password: again.secrets[server.superuserSecret!.variable], database: "postgres"))
        #expect(try su2.exec("SELECT datname FROM pg_database WHERE datname LIKE '%_db' ORDER BY 1").rows.map { $0[0]! } == ["auth_db", "forms_db", "web_db"])
        #expect(Mover.inProgress(projectDirectory: project.directory) == nil)
        #expect(try Self.checksums(separated)["auth.users"]?.hasPrefix("21:") == true)
    }
}
