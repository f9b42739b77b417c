import Foundation
import Statements
import Topology

/// backup/crontab and the credential files its commands read.
extension BundleRenderer {
    /// Debian's cron (vixie cron, MAX_COMMAND) silently cuts a command at 999 bytes.
    static let cronCommandLimit = 999

    func crontab() throws -> [RenderedFile] {
        var files: [RenderedFile] = []
        for (key, value) in [("bundle", options.bundleDirectory), ("backups", options.backupsDirectory)] {
            if value.contains(where: { $0 == "\"" || $0 == "'" || $0 == "%" || $0 == "$" || $0 == "\\" || $0 == "`" || $0.isNewline }) {
                throw RenderError(message: "the \(key) folder \(value) contains a character that cannot be written to a crontab safely")
            }
        }
        var targets: [[String: String]] = []
        for command in BackupCommand.all(plan) {
            let t = command.target
            targets.append([
                "title": "\(t.kind.rawValue): \(t.database.map { "database \($0)" } ?? "server \(t.server)")\(t.schema.map { ", schema \($0)" } ?? "") on \(t.server)",
                "backup": "\(plan.backups.schedule) \(try cron(backupLine(command)))",
                "retention": "\(plan.backups.schedule) \(try cron(retentionLine(t)))",
            ])
        }
        if !external {
            var pgpass: [String] = []
            var seen = Set<String>()
            for command in BackupCommand.all(plan) {
                guard let credentials = command.credentials, let ref = command.secret, let password = secrets.value(ref) else { continue }
                let text = credentials.text(password: password)
                switch credentials.kind {
                case .pgpass:
                    if seen.insert(text).inserted { pgpass.append(text) }
                case .myCnf, .mongodumpConfig, .redisPassword:
                    if seen.insert(credentials.path).inserted { files.append(RenderedFile(path: credentials.path, contents: text, mode: 0o600)) }
                }
            }
            if !pgpass.isEmpty {
                files.append(RenderedFile(path: "backup/pgpass", contents: pgpass.joined(), mode: 0o600))
            }
        }
        let text = templates.render("crontab.mustache", [
            "header": header, "schedule": plan.backups.schedule, "keepDays": String(plan.backups.keepDays),
            "externalNote": external, "bundle": options.bundleDirectory, "backups": options.backupsDirectory, "targets": targets,
        ])
        files.append(RenderedFile(path: "backup/crontab", contents: text, mode: 0o644))
        return files
    }

    /// A shell word for an argument that may hold the output and credentials tokens.
    func shellArgument(_ argument: String, output: String, credentials: String) -> String {
        var out = ""
        var rest = Substring(argument)
        while let token = [BackupCommand.outputToken, BackupCommand.credentialsToken].compactMap({ rest.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let literal = rest[..<token.lowerBound]
            if !literal.isEmpty { out += Escape.shellWord(String(literal)) }
            out += rest[token] == BackupCommand.outputToken ? output : credentials
            rest = rest[token.upperBound...]
        }
        if !rest.isEmpty || out.isEmpty { out += Escape.shellWord(String(rest)) }
        return out
    }

    /// One target's dump: written to `<file>.part` and renamed when complete (a failed or
    /// interrupted dump never looks like a backup), files and folders private (umask 077),
    /// output and errors with a timestamped ok/FAILED line in `$OVU_BACKUPS/backup.log`.
    func backupLine(_ command: BackupCommand) -> String {
        let t = command.target
        let dir = "$OVU_BACKUPS/\(BackupCommand.folder(t))"
        let stamp = "$(date -u +%Y%m%dT%H%M%SZ)"
        let now = "$(date -u +%FT%TZ)"
        let written = command.gzip ? "\"$f.raw\"" : "\"$f.part\""
        var credentials = "\"$c\""
        var steps: [String] = []
        var cleanup = ["\"$f.part\""]
        if command.gzip { cleanup.append("\"$f.raw\"") }
        var head = "f=\"\(dir)/\(t.name)-\(stamp).\(t.fileExtension)\"; "
        if let file = command.credentials {
            if external, let ref = command.secret {
                // Credentials from the environment (or the bundle's .env, which docker compose reads
                // too) into a private temporary file: never on a command line or in an environment.
                head += "c=$(mktemp) && "
                cleanup.append("\"$c\"")
                steps.append("{ [ ! -r \"$OVU_BUNDLE/.env\" ] || . \"$OVU_BUNDLE/.env\"; }")
                steps.append(": \"${\(ref.variable):?\(ref.variable) is not set (secrets: external)}\"")
                steps.append("printf '\(file.printfFormat)' \"$\(ref.variable)\" > \"$c\"")
                // Exported by cron's environment, it would reach the dump tool's environment (`ps e`).
                steps.append("unset \(ref.variable)")
            } else {
                credentials = "\"$OVU_BUNDLE/\(file.path)\""
            }
        }
        head += "trap 'rm -f \(cleanup.joined(separator: " "))' EXIT; "
        let env = command.environment.map { "\($0.key)=\(shellArgument($0.value, output: written, credentials: credentials)) " }.joined()
        steps.append(env + command.arguments.map { shellArgument($0, output: written, credentials: credentials) }.joined(separator: " "))
        if command.gzip { steps.append("gzip -c \"$f.raw\" > \"$f.part\"") }
        steps.append("mv \"$f.part\" \"$f\"")
        steps.append("echo \"\(now) ok $f\"")
        if let upload = plan.backups.uploadCommand(file: "\"$f\"") {
            // After the dump is complete; a failed upload is logged with its status and fails the line.
            steps.append("{ { \(upload); } || { s=$?; echo \"\(now) FAILED upload $f (exit $s)\"; false; }; }")
        }
        let body = head + steps.joined(separator: " && ") + " || { echo \"\(now) FAILED \(t.name)\"; false; }"
        return "umask 077 && mkdir -p \"\(dir)\" && { \(body); } >> \"$OVU_BACKUPS/backup.log\" 2>&1"
    }

    /// Deletes the target's dumps older than keepDays days (and stale `.part` files), only when
    /// a dump younger than that exists: failing backups never delete the last good ones.
    func retentionLine(_ t: BackupTarget) -> String {
        let dir = "\"$OVU_BACKUPS/\(BackupCommand.folder(t))\""
        let keep = plan.backups.keepDays
        let dumps = "-type f -name '\(t.name)-*.\(t.fileExtension)'"
        return "[ -d \(dir) ] && { find \(dir) \(dumps) -mtime -\(keep) | grep -q . && find \(dir) -type f \\( -name '\(t.name)-*.\(t.fileExtension)' -o -name '\(t.name)-*.\(t.fileExtension).part' \\) -mtime +\(keep - 1) -print -delete; } >> \"$OVU_BACKUPS/backup.log\" 2>&1"
    }

    func cron(_ command: String) throws -> String {
        let line: String
        do { line = try Escape.cronCommand(command) } catch { throw RenderError(message: "backup/crontab: \(error.message)") }
        if line.utf8.count > Self.cronCommandLimit {
            throw RenderError(message: "backup/crontab: a command is \(line.utf8.count) bytes; cron cuts commands at \(Self.cronCommandLimit) (shorten the names): \(line)")
        }
        return line
    }
}
