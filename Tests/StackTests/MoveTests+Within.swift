import Foundation
import Stack
import Testing
import Topology
import Workspace

extension MoveTests {
    /// The fixture's checksums keyed by service and bare table name (a prefix taken off).
    static func bareChecksums(_ stack: NativeStack) throws -> [String: String] {
        var sums: [String: String] = [:]
        for (key, value) in try checksums(stack) {
            let service = String(key.prefix { $0 != "." })
            let table = String(key.dropFirst(service.count + 1))
            let prefix = stack.plan.instance(service)?.database?.tablePrefix ?? ""
            sums["\(service).\(table.hasPrefix(prefix) ? String(table.dropFirst(prefix.count)) : table)"] = value
        }
        return sums
    }

    /// The views of `schema` in suite_db, each with the relations it reads: `v → a, b`.
    static func views(_ stack: NativeStack, in schema: String) throws -> [String] {
        try MoveFixture.superuser(stack, database: "suite_db").query("""
            SELECT c.relname || ' → ' || string_agg(DISTINCT d.refobjid::regclass::text, ', ') FROM pg_class c JOIN pg_rewrite w ON w.ev_class = c.oid
            JOIN pg_depend d ON d.objid = w.oid AND d.refobjid <> c.oid AND d.refclassid = 'pg_class'::regclass
            WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'v' GROUP BY c.relname ORDER BY 1
            """, [schema]).rows.map { $0[0]! }
    }

    static func loaded(_ project: TempProject, _ scenario: String) throws -> NativeStack {
        let stack = try project.stack(scenario)
        try stack.loadSecrets()
        return stack
    }

    /// Inside one database: the monolith (`isolation: none`, tables in public) → a schema per
    /// service → prefixes; the source only read until the switch, its tables' writes revoked
    /// and kept, `--rollback` drops the copies, `--finish` drops the kept tables.
    @Test func movesInsideOneDatabase() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        let before = try Self.bareChecksums(monolith)
        #expect(before.count == 17)
        // forms' view over its tables, web's over auth's users (its `reads`): they move along.
        try MoveFixture.connect(monolith, "forms").exec("CREATE VIEW form_titles AS SELECT f.id, f.title, t.name AS theme FROM forms f LEFT JOIN form_themes t ON t.id = f.theme_id")
        try MoveFixture.connect(monolith, "web").exec("CREATE VIEW tool_users AS SELECT u.id, u.email FROM users u")
        #expect(try Self.mover(project).plan(to: "schemas").routines == ["forms: view public.form_titles", "web: view public.tool_users"])
        // The server restarts at each switch: a new connection each time.
        let su = { try MoveFixture.superuser(monolith, database: "suite_db") }
        let tablesIn = { (schema: String) in try su().query("SELECT count(*) FROM pg_tables WHERE schemaname = $1", [schema]).rows[0][0]! }

        let report = try Self.mover(project).run(to: "schemas")
        #expect(report.journal.services.allSatisfy { $0.within })
        #expect(report.check?.passed == true, "\(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        let schemas = try Self.loaded(project, "schemas")
        #expect(try Self.bareChecksums(schemas) == before)
        // Foreign keys point at the copies; every copy is its role's.
        let fks = try su().exec("""
            SELECT conrelid::regclass::text || ' → ' || confrelid::regclass::text FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE c.contype = 'f' AND n.nspname = 'auth' ORDER BY 1
            """).rows.map { $0[0]! }
        #expect(fks.contains("auth.sessions → auth.users") && fks.contains("auth.api_token_usage → auth.api_tokens") && fks.count == 6, "\(fks)")
        #expect(try su().exec("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'forms'").rows.map { $0[0]! } == ["forms_user"])
        #expect(try Self.views(monolith, in: "forms") == ["form_titles → forms.form_themes, forms.forms"])
        #expect(try Self.views(monolith, in: "web") == ["tool_users → auth.users"])
        // The kept monolith tables: readable, not writable.
        let kept = try PGConnection(PGConnectionParameters(port: schemas.plan.servers[0].port, user: "auth_user", password: schemas.secrets["AUTH_DB_PASSWORD"], database: "suite_db"))
        #expect(try kept.exec("SELECT count(*) FROM public.users").rows[0][0] == "20")
        #expect(throws: PGError.self) { try kept.exec("INSERT INTO public.tenants (name) VALUES ('late')") }

        let back = try Self.mover(project).rollback()
        #expect(back.check?.passed == true, "\(back.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        #expect(try [tablesIn("auth"), tablesIn("public")] == ["0", "17"])
        #expect(try Self.bareChecksums(try Self.loaded(project, "monolith")) == before)
        #expect(try MoveFixture.connect(monolith, "auth").exec("INSERT INTO tenants (name) VALUES ('writable again') RETURNING id").rows.count == 1)
        try MoveFixture.connect(monolith, "auth").exec("DELETE FROM tenants WHERE name = 'writable again'")

        _ = try Self.mover(project).run(to: "schemas")
        let drops = try Self.mover(project).finishList()
        #expect(drops.count == 17 && drops.contains("table postgres/suite_db public.users"), "\(drops)")
        _ = try Self.mover(project).finish()
        #expect(try [tablesIn("public"), tablesIn("auth")] == ["0", "7"])
        #expect(try MoveFixture.connect(schemas, "forms").exec("SELECT count(*) FROM form_titles").rows[0][0] == "8")
        // Sequences carried: the next id follows the source's.
        #expect(try MoveFixture.connect(schemas, "auth").exec("INSERT INTO users (tenant_id, email) VALUES (1, 'n@example.com') RETURNING id").rows[0][0] == "21")
        #expect(try MoveFixture.connect(schemas, "auth").exec("INSERT INTO api_tokens (user_id, label) VALUES (1, 'n') RETURNING id").rows[0][0] == "5")
        let after = try Self.bareChecksums(schemas)

        // Schemas → prefixes: public.auth_users and so on.
        let prefixed = try Self.mover(project).run(to: "prefix")
        #expect(prefixed.check?.passed == true, "\(prefixed.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        #expect(prefixed.journal.tables.contains { $0.source == "users" && $0.target == "auth_users" })
        let prefix = try Self.loaded(project, "prefix")
        #expect(try Self.bareChecksums(prefix) == after)
        _ = try Self.mover(project).finish()
        #expect(try [tablesIn("auth"), tablesIn("public")] == ["0", "17"])
        #expect(try Self.views(monolith, in: "public") == ["forms_form_titles → forms_form_themes, forms_forms", "web_tool_users → auth_users"])
        #expect(try MoveFixture.connect(prefix, "auth").exec("INSERT INTO auth_users (tenant_id, email) VALUES (1, 'p@example.com') RETURNING id").rows[0][0] == "22")
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "prefix")
    }
}

extension MoveTests {
    /// kill -9 of `ovudev move` while it copies inside the database: `ovudev move` again
    /// completes with equal checksums and no duplicate rows.
    @Test func aMoveInsideOneDatabaseKilledContinues() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith", scale: 3000)
        let before = try Self.bareChecksums(monolith)
        // Stopped where its first table's copy is recorded; the other copies, large enough to
        // be running then, go on in the server after the kill (the continued move waits for them).
        let pid = try MoveFixture.spawnMove(project, ["--to", "schemas", "--yes"], stopAt: "move.table-copied")
        #expect(MoveFixture.stopped(pid), "the move ended before its first table was copied")
        let at = try #require(try MoveJournal.load(projectDirectory: project.directory))
        MoveFixture.kill9(pid)
        let journal = try #require(try MoveJournal.load(projectDirectory: project.directory))
        #expect(journal.step < .switched, "killed after \(at.tables.filter(\.copied).count) tables, step \(journal.step)")
        let again = try ovudev(["move", "--yes"], directory: project.directory)
        #expect(again.status == 0, "\(again.output)")
        #expect(try Self.bareChecksums(try Self.loaded(project, "schemas")) == before)
        print("killed after \(at.tables.filter(\.copied).count) of \(at.tables.count) tables copied")
    }
}
