import Foundation
import Statements
import Topology

/// One finding of `ovudev check`.
public struct CheckFinding: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case ok, leak, fail, skipped }
    /// The instance (or `PUBLIC`, or a server) the finding is about.
    public var subject: String
    /// `own-data`, `isolation`, `reads`, `public`, `redis`, `health`, `analytics`.
    public var check: String
    public var status: Status
    /// What was found, with the names involved.
    public var kind: FindingKind
    /// The sentence of the matrix, from `kind`.
    public var detail: String { kind.detail }

    public init(subject: String, check: String, status: Status, kind: FindingKind) {
        self.subject = subject
        self.check = check
        self.status = status
        self.kind = kind
    }

    enum CodingKeys: String, CodingKey { case subject, check, status, detail, kind }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(subject: try c.decode(String.self, forKey: .subject), check: try c.decode(String.self, forKey: .check),
                  status: try c.decode(Status.self, forKey: .status), kind: try c.decode(FindingKind.self, forKey: .kind))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(subject, forKey: .subject)
        try c.encode(check, forKey: .check)
        try c.encode(status, forKey: .status)
        try c.encode(detail, forKey: .detail)
        try c.encode(kind, forKey: .kind)
    }
}

public struct CheckReport: Sendable, Codable {
    public var findings: [CheckFinding]
    public var leaks: Int { findings.filter { $0.status == .leak }.count }
    public var failures: Int { findings.filter { $0.status == .fail }.count }
    public var passed: Bool { leaks == 0 && failures == 0 }
}

/// `ovudev check`: proves every service reaches its own data and nothing else. The full
/// privilege matrix comes from catalog functions (`has_database_privilege`, …) in one query
/// per server and database; real logins and probes confirm it for a sample.
public struct Checker: Sendable {
    public let plan: Plan
    public let secrets: [String: String]
    /// Real cross-database login attempts per sampled role (the catalog matrix covers every pair).
    public var loginSample = 3
    /// Roles whose cross-database logins are tried: all up to this many, else this many spread
    /// evenly over them (per-tenant plans have hundreds; the catalog matrix covers the rest).
    public var loginSampleRoles = 12
    /// Connections used at once for the checks inside databases and the real logins (they
    /// wait on connection setup more than on the CPU).
    /// Server name → socket folder where the superuser logs in by peer authentication (native engine).
    public var adminSockets: [String: String] = [:]
    /// MySQL server name → ovudev's maintenance login (native engine); without one, the
    /// server's superuser logs in over TCP with its password (docker engine).
    public var mysqlAdmins: [String: MySQLLogin] = [:]
    public var parallelism = Int(ProcessInfo.processInfo.environment["OVUDEV_CHECK_PARALLELISM"] ?? "") ?? 8
    public var checkHealth = true

    public init(plan: Plan, secrets: [String: String]) {
        self.plan = plan
        self.secrets = secrets
    }

    /// `progress` is called on this thread only.
    public func run(progress: (String) -> Void = { _ in }) throws -> CheckReport {
        var findings: [CheckFinding] = []
        // Engines whose probes wait on round trips, not on CPU (Redis), are checked on a thread
        // of their own while the others are.
        let checker = self
        var alongside: [Engine: OnThread<Result<[CheckFinding], Error>>] = [:]
        for module in EngineModules.all where module.checksAlongside {
            let servers = plan.servers.filter { $0.engine == module.engine }
            if servers.isEmpty { continue }
            alongside[module.engine] = OnThread { Result { try servers.flatMap { try module.check($0, by: checker, progress: { _ in }) } } }
        }
        for module in EngineModules.all {
            let servers = plan.servers.filter { $0.engine == module.engine }
            if let pending = alongside[module.engine] {
                progress("check \(module.engine.rawValue): \(servers.map(\.name).joined(separator: ", "))")
                findings += try pending.wait().get()
            } else {
                for server in servers { findings += try module.check(server, by: self, progress: progress) }
            }
        }
        if checkHealth {
            for instance in plan.instances where instance.health != nil && instance.port != nil {
                findings.append(checkHealth(instance))
            }
        }
        return CheckReport(findings: findings)
    }

    /// The roles a service instance logs in as on `server` (its own data there), not readers.
    func serviceRoles(of server: PlannedServer) -> [PlannedRole] {
        server.roles.filter { role in
            guard !role.readOnly, let access = role.instance.flatMap(plan.instance)?.database else { return false }
            return access.server == server.name && access.role == role.name
        }
    }

    /// Up to `count` items spread evenly over `items` (all of them when there are no more).
    static func spread(_ items: [String], count: Int) -> [String] {
        guard items.count > count, count > 0 else { return count > 0 ? items : [] }
        return (0..<count).map { items[$0 * items.count / count] }
    }

    // MARK: - Health

    func checkHealth(_ instance: ServiceInstance) -> CheckFinding {
        let url = "http://127.0.0.1:\(instance.port!)\(instance.health!)"
        switch HTTPProbe.get(port: instance.port!, path: instance.health!) {
        case let .success(status):
            return CheckFinding(subject: instance.name, check: "health", status: status == 200 ? .ok : .fail,
                                kind: .health(instance: instance.name, url: url, status: status))
        case let .failure(error):
            return CheckFinding(subject: instance.name, check: "health", status: .fail,
                                kind: .healthUnanswered(instance: instance.name, url: url, error: error.message))
        }
    }
}
