/// `-` becomes `_` in SQL identifiers.
public func sqlName(_ name: String) -> String {
    name.replacingOccurrences(of: "-", with: "_")
}

/// `-` becomes `_`, letters upper-case: the form used in environment variable names.
public func envName(_ name: String) -> String {
    sqlName(name).uppercased()
}

func isImageToken(_ s: String) -> Bool {
    !s.isEmpty && s.count <= 128 && s.utf8.allSatisfy { Validator.isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
}

func isImageReference(_ s: String) -> Bool {
    // [registry/]name[:tag][@digest], in a conservative character set.
    guard let first = s.unicodeScalars.first, first.properties.isASCIIHexDigit || ("a"..."z").contains(first), s.count <= 255 else { return false }
    return s.utf8.allSatisfy { Validator.isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || "._-/:@".utf8.contains($0) }
}

func isURLScheme(_ s: String) -> Bool {
    guard let first = s.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), s.count <= 40 else { return false }
    return s.utf8.allSatisfy { Validator.isLowerAlnum($0) || "+.-".utf8.contains($0) }
}

/// A relative path that stays inside the project and is safe in compose, shell and cron lines.
func isRelativePath(_ s: String) -> Bool {
    guard !s.isEmpty, !s.hasPrefix("/"), s.count <= 255 else { return false }
    let parts = s.split(separator: "/", omittingEmptySubsequences: false)
    guard !parts.contains(where: { $0 == ".." || $0.isEmpty && parts.count > 1 && $0 != parts.last }) else { return false }
    return s.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F && !"\"'`$\\%;&|<>*?".unicodeScalars.contains($0) }
}

/// A five-field cron schedule (or an @-macro) that Vixie cron accepts; nil when valid.
func cronScheduleProblem(_ schedule: String) -> String? {
    let macros = ["@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]
    if schedule.hasPrefix("@") {
        return macros.contains(schedule) ? nil : "unknown macro (allowed: \(macros.joined(separator: ", ")))"
    }
    let fields = schedule.split(separator: " ", omittingEmptySubsequences: true)
    guard fields.count == 5 else { return "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)" }
    let ranges = [(0, 59, "minute"), (0, 23, "hour"), (1, 31, "day of month"), (1, 12, "month"), (0, 7, "day of week")]
    let names: [[String]] = [[], [], [], ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]]
    for (i, field) in fields.enumerated() {
        let (lo, hi, what) = ranges[i]
        func value(_ t: Substring) -> Int? {
            if let v = Int(t) { return v }
            if let n = names[i].firstIndex(of: t.lowercased()) { return i == 3 ? n + 1 : n }
            return nil
        }
        for item in field.split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard stepParts.count <= 2 else { return "bad \(what) field \"\(field)\"" }
            if stepParts.count == 2 {
                guard let step = Int(stepParts[1]), step >= 1, step <= hi else { return "bad step in \(what) field \"\(field)\"" }
            }
            let range = stepParts[0]
            if range == "*" { continue }
            let bounds = range.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2, let a = value(bounds[0]), a >= lo, a <= hi else { return "\(what) \"\(range)\" is out of range \(lo)-\(hi)" }
            if bounds.count == 2 {
                guard let b = value(bounds[1]), b >= lo, b <= hi, b >= a else { return "\(what) range \"\(range)\" is invalid" }
            }
        }
    }
    return nil
}
