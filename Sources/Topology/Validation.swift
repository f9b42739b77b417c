/// Walks a `TopologySpec`, collects every problem with its JSON path, and builds the `Topology`.
struct Validator {
    let spec: TopologySpec
    let d: Diagnostics
    /// Paths whose value could not be read (wrong type, unknown key), already reported.
    let malformed: Set<String>

    /// The declared services in name order, their names, and the same as a set: made once
    /// (validation asks for them per service and per reference).
    let specServices: [(key: String, value: ServiceSpec)]
    let serviceNames: [String]
    let knownServices: Set<String>

    init(spec: TopologySpec, diagnostics: Diagnostics, malformed: Set<String> = []) {
        self.spec = spec
        self.d = diagnostics
        self.malformed = malformed
        specServices = (spec.services ?? [:]).sorted(by: { $0.key < $1.key })
        serviceNames = specServices.map(\.key)
        knownServices = Set(serviceNames)
    }

    static let maxNameLength = 40

    /// Databases that exist on a fresh server: `database.name` must not take one over.
    static let systemDatabases: Set<String> = ["postgres", "template0", "template1", "mysql", "information_schema",
                                               "performance_schema", "sys", "admin", "local", "config"]
    /// Schemas every PostgreSQL database has (names starting with `pg_` are rejected as role names).
    static let systemSchemas: Set<String> = ["public", "information_schema"]

    /// `^[a-z][a-z0-9_-]*$`, at most 40 characters.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), name.utf8.count <= maxNameLength else { return false }
        return name.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isLowerAlnum(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
    }

    /// A table, database or extension name that can go into SQL without quoting.
    static func isPlainIdentifier(_ name: String, allowDash: Bool = false) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || first == UInt8(ascii: "_"),
              name.utf8.count <= 63 else { return false }
        return name.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || (allowDash && $0 == UInt8(ascii: "-")) }
    }

    func checkName(_ name: String, _ path: String, what: String, isKey: Bool = true) {
        guard !Validator.isValidName(name) else { return }
        // A name that is a key (services, servers, scenarios) is pointed at where the key is written.
        let at = (isKey ? d.keyPositions[path] : nil) ?? d.positions[path]
        if name.utf8.count > Validator.maxNameLength {
            d.error(path, "\(what) name \"\(name)\" is longer than \(Validator.maxNameLength) characters", at: at)
        } else {
            d.error(path, "\(what) name \"\(name)\" is invalid: use lowercase letters, digits, '_' and '-', starting with a letter (^[a-z][a-z0-9_-]*$)", at: at)
        }
    }

    /// Two names that become the same SQL identifier after `-` → `_`.
    func checkCollisions(_ names: [String], parent: String, what: String) {
        var seen: [String: String] = [:]
        for name in names.sorted() {
            let id = sqlName(name)
            if let other = seen[id] {
                d.error(jsonPath(parent, name), "\(what) \"\(name)\" and \"\(other)\" both become the SQL name \"\(id)\"; rename one",
                        at: d.keyPositions[jsonPath(parent, name)])
            } else {
                seen[id] = name
            }
        }
    }

    func requirePort(_ port: Int, _ path: String) -> Bool {
        guard (1...65535).contains(port) else {
            d.error(path, "port \(port) is out of range (1-65535)")
            return false
        }
        return true
    }

    /// The value of the required `key` of the object at `path`, one of `T`'s cases: a missing or
    /// unknown value is reported (`engine` of a server, `layout` of a scenario).
    func requiredChoice<T: RawRepresentable & CaseIterable>(_ value: String?, _ path: String, key: String) -> T? where T.RawValue == String {
        let allowed = T.allCases.map(\.rawValue)
        guard let value else {
            d.error(path + "." + key, "missing: one of \(quoted(allowed))", at: d.positions[path])
            return nil
        }
        guard let choice = T(rawValue: value) else {
            d.error(path + "." + key, "unknown \(key) \"\(value)\"\(didYouMean(value, among: allowed)) (allowed: \(allowed.joined(separator: ", ")))")
            return nil
        }
        return choice
    }

    /// Services by name, as written (valid or not).
    /// Declared servers, valid or not: a reference to a broken server is not "unknown".
    var declaredServers: Set<String> { Set((spec.servers ?? [:]).keys) }

    /// Every section in turn, each recording its issues; the topology only when there are none.
    func validate() -> Topology? {
        let project = validateProject()
        let servers = validateServers()
        let services = validateServices(servers: servers)
        let tenants = validateTenants()
        let backups = validateBackups()
        let scenarios = validateScenarios(servers: servers, tenants: tenants)

        guard d.isEmpty else { return nil }
        let topology = Topology(project: project, servers: servers, services: services, tenants: tenants, backups: backups,
                                scenarios: scenarios, defaultScenario: spec.defaultScenario,
                                warnings: positionalRedisWarnings(services) + ignoredDatabaseNameWarnings(services, scenarios))
        resolveEveryScenario(topology)
        return d.isEmpty ? topology : nil
    }

    /// Resolves every scenario now, so that `validate` reports what `render` would. Each scenario
    /// with its own collector: a failure in one must not hide the problems of the next.
    private func resolveEveryScenario(_ topology: Topology) {
        for scenario in topology.scenarios {
            let scoped = d.scoped()
            _ = Resolver(topology: topology, scenario: scenario, diagnostics: scoped).resolve()
            d.append(scoped.issues)
        }
    }
}
