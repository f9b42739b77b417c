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

    /// A MySQL string literal (backslash escapes on, the server default).
    public static func mysqlLiteral(_ text: String) -> String {
        var out = "'"
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\0": out += "\\0"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\u{1A}": out += "\\Z"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "'"
    }

    /// A JavaScript string literal (for mongosh scripts).
    public static func jsString(_ text: String) -> String {
        var out = "\""
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if ch.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(ch.value, radix: 16).count) + String(ch.value, radix: 16) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }

    /// A YAML double-quoted scalar for a compose file: YAML escapes, and `$` doubled because
    /// compose interpolates `$` in every value.
    public static func composeString(_ text: String) -> String {
        yamlDoubleQuoted(text.replacingOccurrences(of: "$", with: "$$"))
    }

    /// A YAML double-quoted scalar, verbatim (no compose interpolation escaping).
    public static func yamlDoubleQuoted(_ text: String) -> String {
        var out = "\""
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 || ch.value == 0x7F || ch.value == 0x85 || ch.value == 0x2028 || ch.value == 0x2029 {
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - String(ch.value, radix: 16).count)) + String(ch.value, radix: 16)
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out + "\""
    }

    /// A shell word in single quotes (`'` as `'\''`); bare when it is plainly safe.
    public static func shellWord(_ text: String) -> String {
        if !text.isEmpty && text.utf8.allSatisfy({ isAlnum($0) || "@%+=:,./_-".utf8.contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A crontab command: cron turns an unescaped `%` into a newline, so each becomes `\%`.
    public static func cronCommand(_ command: String) -> String {
        var out = ""
        var previousBackslash = false
        for ch in command {
            if ch == "%" && !previousBackslash { out += "\\%" } else { out.append(ch) }
            previousBackslash = ch == "\\" && !previousBackslash
        }
        return out
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
    /// all three (`'`, `\`, newlines) are refused.
    public static func dotenvValue(_ text: String) throws(EscapeError) -> String {
        if text.utf8.allSatisfy({ isAlnum($0) || "@%+=:,./_-".utf8.contains($0) }) { return text }
        if text.contains(where: { $0 == "'" || $0 == "\\" || $0.isNewline }) {
            throw EscapeError(message: "a value with a quote, backslash or newline cannot be written to a .env file so that docker compose, python-dotenv and sh read it alike")
        }
        return "'" + text + "'"
    }

    static func isAlnum(_ b: UInt8) -> Bool {
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
