/// URL query parameters: `servers.<s>.params` and `services.<svc>.database.params`.
extension Validator {
    /// Keys of letters, digits, `_`, `.`, `-`; values on one line. Empty maps give no parameters.
    func validateParams(_ params: [String: String]?, _ path: String) -> [String: String] {
        guard let params else { return [:] }
        for (key, value) in params.sorted(by: { $0.key < $1.key }) {
            let at = jsonPath(path, key)
            if key.isEmpty || !key.utf8.allSatisfy({ Validator.isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || "_.-".utf8.contains($0) }) {
                d.error(at, "parameter name \"\(key)\" is invalid: use letters, digits, '_', '.' and '-'", at: d.keyPositions[at])
            }
            if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                d.error(at, "the value must be on one line, without control characters")
            }
        }
        return params
    }
}

/// Percent-encoding for a URL query key or value: RFC 3986 unreserved characters stay, every
/// other byte of the UTF-8 text becomes `%XX` (a space is `%20`, `=` `%3D`, `&` `%26`).
public func urlQueryComponent(_ text: String) -> String {
    var out = ""
    for b in text.utf8 {
        if Validator.isLowerAlnum(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || "-._~".utf8.contains(b) {
            out.unicodeScalars.append(UnicodeScalar(b))
        } else {
            let hex = String(b, radix: 16, uppercase: true)
            out += "%" + (hex.count == 1 ? "0" : "") + hex
        }
    }
    return out
}

/// `?k=v&…` sorted by key, or "" when there are none.
func urlQuery(_ params: [String: String]) -> String {
    guard !params.isEmpty else { return "" }
    return "?" + params.sorted { $0.key < $1.key }.map { "\(urlQueryComponent($0.key))=\(urlQueryComponent($0.value))" }.joined(separator: "&")
}
