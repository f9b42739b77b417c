import Statements
import Topology

/// An existing PostgreSQL server (`servers.<s>.host`, a managed PostgreSQL or RDS) that the
/// bundle does not run: its init SQL, the post-migrate grants, and `provision-<server>.sh`, which
/// applies them with the admin URL from `OVU_<SERVER>_ADMIN_URL` (never written in the bundle).
extension BundleRenderer {
    func existingServerFiles(_ server: PlannedServer) -> [RenderedFile] {
        // With external secrets the SQL takes the role passwords as psql variables, which the
        // script passes from the environment; with generated ones they are in the SQL.
        let form: PostgresSQL.PasswordForm = external ? .psqlVariable : .literal(secrets)
        var files = [
            RenderedFile(path: "init/\(server.name)/init-db.sql", contents: postgresInitSQL(server, form), mode: 0o644),
            RenderedFile(path: "provision-\(server.name).sh", contents: provisionScript(server), mode: 0o755),
        ]
        let post = PostgresSQL.postMigrateSections(server)
        if !post.isEmpty {
            let text = templates.render("grants.sql.mustache", ["header": header, "sections": PostgresSQL.psqlContext(post)])
            files.append(RenderedFile(path: "init/\(server.name)/post-migrate/grants.sql", contents: text, mode: 0o644))
        }
        return files
    }

    /// A bash script, re-runnable: `provision-<server>.sh` applies init-db.sql, then (after the
    /// migrations) `provision-<server>.sh --grants` applies post-migrate/grants.sql.
    func provisionScript(_ server: PlannedServer) -> String {
        let variable = server.adminURLVariable ?? "OVU_ADMIN_URL"
        let host = server.host ?? "127.0.0.1"
        let example = "postgresql://ADMIN:PASSWORD@\(host):\(server.port)/postgres"
        let refs = external ? Set(server.roles.map(\.secret)).sorted { $0.variable < $1.variable } : []
        let grants = !PostgresSQL.postMigrateSections(server).isEmpty
        var lines = [
            "#!/bin/bash",
            "# \(header)",
            "# Provisions server \(server.name), an existing PostgreSQL at \(host):\(server.port) that this bundle does not run:",
            "# roles, databases, schemas and grants from init/\(server.name)/init-db.sql (re-runnable: run it on every deploy).",
        ]
        if grants {
            lines.append("# After the migrations, `\(Escape.shellWord("provision-\(server.name).sh")) --grants` applies the table grants of post-migrate/grants.sql.")
        }
        lines += [
            "# The admin login is the URL in \(variable), e.g. \(example)?sslmode=require;",
            "# its password reaches psql through PGPASSWORD, never on a command line, and is written nowhere.",
            "set -euo pipefail",
            ": \"${\(variable):?\(variable) must be set to the admin URL of server \(server.name), e.g. \(example)}\"",
        ]
        for ref in refs { lines.append(requireVariable(ref.variable)) }
        lines += [
            "here=$(cd \"$(dirname \"$0\")\" && pwd)",
            "url=$\(variable)",
            "re='^(postgres(ql)?://)([^:@/?]*)(:([^@/?]*))?@(.*)$'",
            "if [[ $url =~ $re ]]; then",
            "  password=${BASH_REMATCH[5]}",
            "  url=\"${BASH_REMATCH[1]}${BASH_REMATCH[3]}@${BASH_REMATCH[6]}\"",
            "  if [[ -n $password ]]; then PGPASSWORD=$(printf '%b' \"${password//%/\\\\x}\"); export PGPASSWORD; fi",
            "fi",
            "export PGAPPNAME=ovudev-provision",
            "file=init/\(server.name)/init-db.sql",
        ]
        if grants {
            lines += [
                "if [[ ${1:-} == --grants ]]; then file=init/\(server.name)/post-migrate/grants.sql; fi",
            ]
        }
        let variables = refs.map { " -v \(PostgresSQL.psqlVariable($0))=\"$\($0.variable)\"" }.joined()
        lines.append("psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet\(variables) -d \"$url\" -f \"$here/$file\"")
        lines.append("echo \"provision-\(server.name).sh: applied $file to \(server.name)\"")
        return lines.joined(separator: "\n") + "\n"
    }
}
