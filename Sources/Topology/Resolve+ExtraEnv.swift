/// `services.<svc>.env`: extra variables and aliases. A value is text with `${NAME}` references to
/// the variables ovudev computes for the instance (`"USER_SERVICE_DATABASE_URL": "${DATABASE_URL}"`);
/// a reference copies that variable's value (secrets stay references), for the host and the network.
enum ExtraEnvPart: Equatable {
    case text(String)
    case reference(String)
}

/// The parts of an extra variable's value, or the problem with it.
func parseExtraEnv(_ value: String) -> Result<[ExtraEnvPart], ExtraEnvProblem> {
    var parts: [ExtraEnvPart] = []
    var rest = value[...]
    while let open = rest.range(of: "${") {
        if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
        guard let close = rest[open.upperBound...].firstIndex(of: "}") else { return .failure(.unterminated) }
        let name = String(rest[open.upperBound..<close])
        guard isEnvName(name) else { return .failure(.badReference(name)) }
        parts.append(.reference(name))
        rest = rest[rest.index(after: close)...]
    }
    if !rest.isEmpty { parts.append(.text(String(rest))) }
    return .success(parts)
}

enum ExtraEnvProblem: Error, Equatable {
    case unterminated
    case badReference(String)
}

/// `^[A-Za-z_][A-Za-z0-9_]*$`.
func isEnvName(_ name: String) -> Bool {
    guard let first = name.utf8.first, first == UInt8(ascii: "_") || Validator.isLowerAlnum(first) && !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) else { return false }
    return name.utf8.allSatisfy { Validator.isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: "_") }
}

extension Validator {
    /// Names, and values every file format can hold: one line, no `'` or `\` (a .env file read by
    /// compose, python-dotenv and sh alike cannot hold them), references well formed.
    func validateExtraEnv(_ env: [String: String]?, _ path: String) -> [String: String] {
        guard let env else { return [:] }
        for (key, value) in env.sorted(by: { $0.key < $1.key }) {
            let at = jsonPath(path, key)
            if !isEnvName(key) {
                d.error(at, "variable name \"\(key)\" is invalid: use letters, digits and '_', not starting with a digit", at: d.keyPositions[at])
                continue
            }
            if key.hasPrefix("OVU_") {
                d.error(at, "names starting with OVU_ are ovudev's; choose another name", at: d.keyPositions[at])
            }
            if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "'" || $0 == "\\" || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
                d.error(at, "the value must be one line without a single quote, backslash or control character (a .env file cannot hold them so that docker compose, python-dotenv and sh read it alike)")
            }
            switch parseExtraEnv(value) {
            case .success: break
            case .failure(.unterminated): d.error(at, "\"${\" without a closing \"}\"; write a reference as ${NAME}")
            case let .failure(.badReference(name)): d.error(at, "\"${\(name)}\" is not a variable name; write a reference as ${NAME}")
            }
        }
        return env
    }
}

extension Resolver {
    /// The service's extra variables for one instance, sorted by name: each reference replaced by the
    /// computed variable's value. A name ovudev computes, or a reference to one it does not, is an error.
    func extraEnvironment(for instance: ServiceInstance, computed: [EnvVar]) -> [EnvVar] {
        guard let service = topology.service(instance.service), !service.env.isEmpty else { return [] }
        let byKey = Dictionary(computed.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [EnvVar] = []
        for (key, value) in service.env.sorted(by: { $0.key < $1.key }) {
            let path = jsonPath("services.\(service.name).env", key)
            if byKey[key] != nil {
                fail(path, "\(key) is a variable ovudev computes for \(instance.name); alias it under another name, e.g. \"MY_\(key)\": \"${\(key)}\"")
                continue
            }
            guard case let .success(parts) = parseExtraEnv(value) else { continue }
            var host: [EnvValue.Part] = [], network: [EnvValue.Part] = []
            var ok = true
            for part in parts {
                switch part {
                case let .text(t):
                    host.append(.text(t)); network.append(.text(t))
                case let .reference(name):
                    guard let v = byKey[name] else {
                        fail(path, "unknown reference ${\(name)}\(didYouMean(name, among: computed.map(\.key))); the variables ovudev computes for \(instance.name) here are \(computed.map(\.key).joined(separator: ", "))")
                        ok = false
                        continue
                    }
                    host += v.host.parts; network += v.network.parts
                }
            }
            if ok { out.append(EnvVar(key: key, host: EnvValue(merged(host)), network: EnvValue(merged(network)))) }
        }
        return out
    }

    /// Adjacent text parts joined, so that equal values compare equal.
    private func merged(_ parts: [EnvValue.Part]) -> [EnvValue.Part] {
        var out: [EnvValue.Part] = []
        for part in parts {
            if case let .text(t) = part, case let .text(prev)? = out.last {
                out[out.count - 1] = .text(prev + t)
            } else if case let .text(t) = part, t.isEmpty {
                continue
            } else {
                out.append(part)
            }
        }
        return out
    }
}
