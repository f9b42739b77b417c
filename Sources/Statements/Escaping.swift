/// Quoting for every language the bundle is written in. Values reach templates already escaped;
/// templates never quote.
public enum Escape {
    /// A SQL identifier. Names were validated (`^[a-z_][a-z0-9_]*$`); anything else is double-quoted
    /// with `"` doubled, so even an unexpected name cannot break out.
    public static func sqlIdentifier(_ name: String) -> String {
        let plain = name.utf8.first.map { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F } == true
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
            && !sqlReservedWords.contains(name)
        return plain ? name : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A SQL string literal (standard_conforming_strings on): `'` doubled. An `E''` form is used
    /// when the text holds a backslash, so the literal means the same whatever the setting.
    public static func sqlLiteral(_ text: String) -> String {
        if text.contains("\\") {
            return "E'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A MySQL identifier in backticks.
    public static func mysqlIdentifier(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// A database name in a MySQL GRANT: `_` and `%` are wildcards there, so they are escaped
    /// (a grant on `sam_db` would also reach a database `samxdb`).
    public static func mysqlGrantDatabase(_ name: String) -> String {
        mysqlIdentifier(mysqlGrantPattern(name))
    }

    /// The name as MySQL stores it in grant tables (`mysql.db.Db`): wildcards escaped.
    public static func mysqlGrantPattern(_ name: String) -> String {
        name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "_", with: "\\_").replacingOccurrences(of: "%", with: "\\%")
    }

    /// A MySQL string literal (backslash escapes on, the server default).
    public static func mysqlLiteral(_ text: String) -> String {
        quoted(text, in: "'", escapes: ["\\": "\\\\", "'": "\\'", "\0": "\\0", "\n": "\\n", "\r": "\\r", "\u{1A}": "\\Z"])
    }

    /// `text` between `quote`s, each character of `escapes` replaced by its escape; `escapeOther`
    /// for the characters the table leaves out (nil: the character as it is).
    static func quoted(_ text: String, in quote: String, escapes: [Unicode.Scalar: String],
                       escapeOther: (Unicode.Scalar) -> String? = { _ in nil }) -> String {
        var out = quote
        for ch in text.unicodeScalars {
            if let escape = escapes[ch] ?? escapeOther(ch) { out += escape } else { out.unicodeScalars.append(ch) }
        }
        return out + quote
    }

    /// `\u` and four hex digits.
    static func unicodeEscape(_ ch: Unicode.Scalar) -> String {
        "\\u" + String(repeating: "0", count: max(0, 4 - String(ch.value, radix: 16).count)) + String(ch.value, radix: 16)
    }

    /// A JavaScript string literal (for mongosh scripts).
    public static func jsString(_ text: String) -> String {
        quoted(text, in: "\"", escapes: ["\\": "\\\\", "\"": "\\\"", "\n": "\\n", "\r": "\\r", "\u{2028}": "\\u2028", "\u{2029}": "\\u2029"],
               escapeOther: { $0.value < 0x20 ? unicodeEscape($0) : nil })
    }

    /// A YAML double-quoted scalar for a compose file: YAML escapes, and `$` doubled because
    /// compose interpolates `$` in every value.
    public static func composeString(_ text: String) -> String {
        yamlDoubleQuoted(text.replacingOccurrences(of: "$", with: "$$"))
    }

    /// A YAML double-quoted scalar, verbatim (no compose interpolation escaping).
    public static func yamlDoubleQuoted(_ text: String) -> String {
        quoted(text, in: "\"", escapes: ["\\": "\\\\", "\"": "\\\"", "\n": "\\n", "\t": "\\t", "\r": "\\r"], escapeOther: { ch in
            ch.value < 0x20 || ch.value == 0x7F || ch.value == 0x85 || ch.value == 0x2028 || ch.value == 0x2029 ? unicodeEscape(ch) : nil
        })
    }

    /// A shell word in single quotes (`'` as `'\''`); bare when it is plainly safe.
    public static func shellWord(_ text: String) -> String {
        if !text.isEmpty && text.utf8.allSatisfy({ isAlnum($0) || "@%+=:,./_-".utf8.contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A crontab command that cron hands to the shell unchanged. Cron (Debian's vixie cron,
    /// do_command.c) reads the command left to right: a `\` escapes the next character, and
    /// only `\%` loses its backslash (becoming `%`); any other pair is kept as written; an
    /// unescaped `%` ends the command (the rest, with every `%` made a newline, becomes stdin).
    /// So each `%` is written `\%`, and every backslash is kept as is. A `%` right after an odd
    /// run of backslashes cannot be written at all (the last backslash would pair with ours) and
    /// is refused.
    public static func cronCommand(_ command: String) throws(EscapeError) -> String {
        var out = ""
        var backslashes = 0
        for ch in command {
            if ch == "%" {
                if backslashes % 2 == 1 {
                    throw EscapeError(message: "a crontab command cannot hold a backslash right before `%`: \(command)")
                }
                out += "\\%"
            } else if ch.isNewline {
                throw EscapeError(message: "a crontab command must be one line: \(command)")
            } else {
                out.append(ch)
            }
            backslashes = ch == "\\" ? backslashes + 1 : 0
        }
        return out
    }

    /// A value in a MySQL option file (`my.cnf`): double-quoted, with the escapes the option
    /// file reader undoes (`\\`, `\"`, `\n`, `\r`, `\t`, `\b`); a `#` inside quotes is not a comment.
    public static func mysqlOptionValue(_ text: String) -> String {
        quoted(text, in: "\"", escapes: ["\\": "\\\\", "\"": "\\\"", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u{8}": "\\b"])
    }

    /// Percent-encoding for the user-info part of a URL (RFC 3986 unreserved characters kept).
    public static func urlComponent(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            if isAlnum(b) || "-._~".utf8.contains(b) {
                out.unicodeScalars.append(UnicodeScalar(b))
            } else {
                let hex = String(b, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }

    /// A dotenv value that python-dotenv, docker compose's env_file and `set -a; . file` all read
    /// the same: bare when safe, else single-quoted. Values that no quoting makes mean the same in
    /// all three are refused: `'`, `\` (python-dotenv unescapes `\\` and `\'` even inside single
    /// quotes), line breaks and other control characters, and `${` (python-dotenv — and so
    /// docker-compose 1.x — expands `${NAME}` even inside single quotes, sh does not).
    public static func dotenvValue(_ text: String) throws(EscapeError) -> String {
        if text.utf8.allSatisfy({ isAlnum($0) || "@%+=:,./_-".utf8.contains($0) }) { return text }
        if text.unicodeScalars.contains(where: { $0 == "'" || $0 == "\\" || ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F || $0.properties.generalCategory == .lineSeparator || $0.properties.generalCategory == .paragraphSeparator || $0 == "\u{85}" }) {
            throw EscapeError(message: "a value with a quote, backslash, line break or control character cannot be written to a .env file so that docker compose, python-dotenv and sh read it alike")
        }
        if text.contains("${") {
            throw EscapeError(message: "a value with `${` cannot be written to a .env file so that docker compose, python-dotenv and sh read it alike (python-dotenv expands it even in single quotes)")
        }
        return "'" + text + "'"
    }

    public static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Keywords that cannot stand as bare identifiers in PostgreSQL.
    static let sqlReservedWords: Set<String> = [
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary", "both", "case",
        "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog",
        "current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "default",
        "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze", "from",
        "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join",
        "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null",
        "offset", "on", "only", "or", "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right",
        "select", "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample", "then", "to",
        "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with",
    ]
}

public struct EscapeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
