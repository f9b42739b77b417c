import Foundation
import Topology

/// A file a backup command reads its password from: `.pgpass`, a MySQL option file, a
/// mongodump config. Rendered into the bundle (0600) with generated secrets; written by the
/// cron line itself from an environment variable with external ones; written to a private
/// temporary file by `ovudev backup`.
public struct CredentialFile: Sendable, Equatable {
    public enum Kind: String, Sendable { case pgpass, myCnf, mongodumpConfig, redisPassword }
    public var kind: Kind
    /// In the bundle, e.g. `backup/pgpass`.
    public var path: String
    public var port: Int
    public var user: String

    public init(kind: Kind, path: String, port: Int, user: String) {
        self.kind = kind
        self.path = path
        self.port = port
        self.user = user
    }

    /// The file's text for a password (escaped for the format).
    public func text(password: String) -> String {
        switch kind {
        case .pgpass: return text(field: Self.pgpassField(password))
        case .myCnf: return text(field: Escape.mysqlOptionValue(password))
        case .mongodumpConfig: return text(field: Escape.yamlDoubleQuoted(password))
        case .redisPassword: return text(field: password)
        }
    }

    /// The text with `field` (the escaped password) in place.
    private func text(field: String) -> String {
        switch kind {
        case .pgpass: return "127.0.0.1:\(port):*:\(Self.pgpassField(user)):\(field)\n"
        case .myCnf: return "[client]\nuser=\(Escape.mysqlOptionValue(user))\npassword=\(field)\n"
        case .mongodumpConfig: return "password: \(field)\n"
        case .redisPassword: return "\(field)\n"
        }
    }

    /// A printf(1) format that writes the file with `%s` for the password, for the external
    /// secrets crontab. The value is not escaped there: external secrets must be URL-safe (see
    /// .env.example), which every one of these formats takes as it is.
    public var printfFormat: String {
        let marker = "OVUSECRETVALUE"
        let text = text(field: kind == .pgpass || kind == .redisPassword ? marker : "\"\(marker)\"")
        var out = ""
        for ch in text {
            switch ch {
            case "\\": out += "\\\\"
            case "%": out += "%%"
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out.replacingOccurrences(of: marker, with: "%s")
    }

    /// `:` and `\` escaped as .pgpass requires.
    public static func pgpassField(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:")
    }
}

/// One backup command of the Plan. backup/crontab renders it as a shell line; `ovudev backup`
/// runs it directly: the same program, arguments, and credential file format.
public struct BackupCommand: Sendable, Equatable {
    /// Stands, inside an argument, for the file being written.
    public static let outputToken = "\u{1}output\u{1}"
    /// Stands, inside an argument or environment value, for the credential file.
    public static let credentialsToken = "\u{1}credentials\u{1}"

    public var target: BackupTarget
    /// argv, program first; may hold the two tokens.
    public var arguments: [String]
    /// Sorted by name; values may hold the credentials token (`PGPASSFILE`).
    public var environment: [(key: String, value: String)]
    public var credentials: CredentialFile?
    /// The superuser password's variable (it fills the credential file).
    public var secret: SecretRef?
    /// mysqldump writes plain SQL; the file is gzipped afterwards.
    public var gzip: Bool

    public static func == (a: BackupCommand, b: BackupCommand) -> Bool {
        a.target == b.target && a.arguments == b.arguments && a.environment.map(\.key) == b.environment.map(\.key)
            && a.environment.map(\.value) == b.environment.map(\.value) && a.credentials == b.credentials && a.secret == b.secret && a.gzip == b.gzip
    }

    public var program: String { arguments[0] }

    /// The arguments with real paths in place of the tokens.
    public func argv(output: String, credentials path: String?) -> [String] {
        arguments.map { Self.substitute($0, output: output, credentials: path ?? "") }
    }

    public func environment(credentials path: String?) -> [String: String] {
        Dictionary(uniqueKeysWithValues: environment.map { ($0.key, Self.substitute($0.value, output: "", credentials: path ?? "")) })
    }

    static func substitute(_ s: String, output: String, credentials: String) -> String {
        s.replacingOccurrences(of: outputToken, with: output).replacingOccurrences(of: credentialsToken, with: credentials)
    }

    /// The command for one target of the plan.
    public static func make(_ t: BackupTarget, plan: Plan) -> BackupCommand? {
        guard let server = plan.server(t.server) else { return nil }
        let host = "127.0.0.1", port = String(server.port)
        let user = server.superuserName
        let out = outputToken, cred = credentialsToken
        switch t.kind {
        case .pgDump:
            var args = ["pg_dump", "-h", host, "-p", port, "-U", user, "-w", "-d", t.database ?? "postgres"]
            if let schema = t.schema { args += ["-n", schema] }
            args += ["--format=custom", "-f", out]
            return BackupCommand(target: t, arguments: args, environment: [("PGPASSFILE", cred)],
                                 credentials: CredentialFile(kind: .pgpass, path: "backup/pgpass", port: server.port, user: user),
                                 secret: server.superuserSecret, gzip: false)
        case .redisRDB where server.redisUsers != nil:
            // ACL: as ovudev's user, its password from the credential file into redis-cli's
            // environment (never on a command line).
            let script = "REDISCLI_AUTH=$(cat \"$1\") && export REDISCLI_AUTH && exec redis-cli --no-auth-warning --user \(RedisUser.admin) -h \(host) -p \(port) --rdb \"$2\""
            return BackupCommand(target: t, arguments: ["sh", "-c", script, "sh", cred, out], environment: [],
                                 credentials: CredentialFile(kind: .redisPassword, path: "backup/\(server.name).redis-auth", port: server.port, user: RedisUser.admin),
                                 secret: server.superuserSecret, gzip: false)
        case .redisRDB:
            return BackupCommand(target: t, arguments: ["redis-cli", "-h", host, "-p", port, "--rdb", out], environment: [],
                                 credentials: nil, secret: nil, gzip: false)
        case .mysqldump:
            // --defaults-extra-file must come first. No pipe into gzip: sh has no pipefail, so a
            // failed dump would still leave a valid .gz and exit 0.
            let args = ["mysqldump", "--defaults-extra-file=\(cred)", "-h", host, "-P", port, "-u", user,
                        "--single-transaction", "--routines", "--result-file=\(out)", "--databases", t.database ?? ""]
            return BackupCommand(target: t, arguments: args, environment: [],
                                 credentials: CredentialFile(kind: .myCnf, path: "backup/\(server.name).my.cnf", port: server.port, user: user),
                                 secret: server.superuserSecret, gzip: true)
        case .mongodump:
            let args = ["mongodump", "--host=\(host)", "--port=\(port)", "--username=\(user)", "--authenticationDatabase=admin",
                        "--config=\(cred)", "--db=\(t.database ?? "")", "--gzip", "--archive=\(out)"]
            return BackupCommand(target: t, arguments: args, environment: [],
                                 credentials: CredentialFile(kind: .mongodumpConfig, path: "backup/\(server.name).mongodump.yaml", port: server.port, user: user),
                                 secret: server.superuserSecret, gzip: false)
        }
    }

    public static func all(_ plan: Plan) -> [BackupCommand] { plan.backups.targets.compactMap { make($0, plan: plan) } }

    /// `<server>/<name>` under the backups folder.
    public static func folder(_ t: BackupTarget) -> String { "\(t.server)/\(t.name)" }

    /// `<name>-<UTC yyyymmddThhmmssZ>.<ext>`: the name cron and `ovudev backup` give a dump.
    public static func fileName(_ t: BackupTarget, date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "\(t.name)-\(f.string(from: date)).\(t.fileExtension)"
    }

    /// The timestamp part of a dump's file name (`20250102T030405Z`, `20250102T030405Z-2`), or nil if it is not a dump of `t`.
    public static func stamp(ofFile name: String, _ t: BackupTarget) -> String? {
        let prefix = "\(t.name)-", suffix = ".\(t.fileExtension)"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let stamp = String(name.dropFirst(prefix.count).dropLast(suffix.count))
        guard stamp.count >= 16, stamp.first?.isNumber == true, !stamp.contains("/") else { return nil }
        return stamp
    }
}
