import Foundation
import Stack
import Testing
import Topology
import Workspace

extension MoveTests {
    /// auth's enum (a column of users), domain and trigger function go with its tables: to
    /// databases of their own (`pg_dump -t` path), back, inside the database to a schema per
    /// service, and from there to databases again (`pg_dump -n` path).
    @Test func typesAndFunctionsMoveWithTheirService() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let monolith = try MoveFixture.up(project, "monolith")
        try MoveFixture.connect(monolith, "auth").exec("""
            CREATE TYPE mood AS ENUM ('calm', 'busy');
            CREATE DOMAIN email_text AS text CHECK (VALUE LIKE '%@%');
            ALTER TABLE users ADD COLUMN mood mood NOT NULL DEFAULT 'calm';
            ALTER TABLE sessions ADD COLUMN contact email_text;
            CREATE FUNCTION lower_email() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.email := lower(NEW.email); RETURN NEW; END $$;
            CREATE TRIGGER users_lower_email BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION lower_email();
            CREATE FUNCTION new_token() RETURNS text LANGUAGE sql AS $$ SELECT 'tok-' || md5(random()::text) $$;
            ALTER TABLE sessions ALTER COLUMN token SET DEFAULT new_token();
            UPDATE users SET mood = 'busy' WHERE id % 2 = 0;
            UPDATE sessions SET contact = 'c' || id || '@example.com' WHERE id < 5;
            """)
        let before = try Self.checksums(monolith)

        let plan = try Self.mover(project).plan(to: "separated")
        #expect(plan.routines == ["auth: enum public.mood", "auth: domain public.email_text", "auth: function public.lower_email()", "auth: function public.new_token()"], "\(plan.routines)")

        /// In `scenario`, the type of users.mood, the owners, and the trigger at work.
        func works(_ scenario: String, schema: String) throws {
            let stack = try Self.loaded(project, scenario)
            #expect(try Self.checksums(stack) == before, "\(scenario)")
            let auth = try MoveFixture.connect(stack, "auth")
            let types = try auth.exec("""
                SELECT t.typnamespace::regnamespace::text || '.' || t.typname, pg_get_userbyid(t.typowner) FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = 'users'::regclass AND a.attname = 'mood'
                """).rows
            #expect(types == [["\(schema).mood", "auth_user"]], "\(scenario): \(types)")
            let function = try auth.exec("SELECT pronamespace::regnamespace::text, pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'lower_email' ORDER BY 1").rows
            #expect(function.contains(["\(schema)", "auth_user"]), "\(scenario): \(function)")
            #expect(try auth.exec("INSERT INTO users (tenant_id, email) VALUES (1, 'UPPER@EXAMPLE.COM') RETURNING email, mood").rows == [["upper@example.com", "calm"]])
            #expect(throws: PGError.self) { try auth.exec("INSERT INTO sessions (user_id, token, contact) VALUES (1, 'x', 'no at sign')") }
            let token = try auth.exec("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'sessions'::regclass AND adnum = 3").rows
            // Unqualified: the function first on auth_user's search_path (in schemas, auth's copy
            // hides public's until --finish), so the default calls the service's own copy.
            #expect(token == [["new_token()"]], "\(scenario): \(token)")
            try auth.exec("DELETE FROM users WHERE email = 'upper@example.com'")
        }

        let separated = try Self.mover(project).run(to: "separated")
        #expect(separated.check?.passed == true, "\(separated.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        try works("separated", schema: "public")
        _ = try Self.mover(project).rollback()

        let schemas = try Self.mover(project).run(to: "schemas")
        #expect(schemas.check?.passed == true, "\(schemas.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        try works("schemas", schema: "auth")
        let drops = try Self.mover(project).finishList()
        #expect(drops.suffix(4) == ["enum postgres/suite_db public.mood", "domain postgres/suite_db public.email_text", "function postgres/suite_db public.lower_email()",
                                    "function postgres/suite_db public.new_token()"], "\(drops)")
        _ = try Self.mover(project).finish()
        let left = try MoveFixture.superuser(monolith, database: "suite_db").exec("""
            SELECT n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typname IN ('mood', 'email_text')
            UNION ALL SELECT pronamespace::regnamespace::text || '.' || proname FROM pg_proc WHERE proname IN ('lower_email', 'new_token') ORDER BY 1
            """).rows.map { $0[0]! }
        #expect(left == ["auth.email_text", "auth.lower_email", "auth.mood", "auth.new_token"])

        let again = try Self.mover(project).run(to: "separated")
        #expect(again.check?.passed == true, "\(again.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        try works("separated", schema: "public")
        _ = try Self.mover(project).finish()
    }
}
