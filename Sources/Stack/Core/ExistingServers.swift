internal import CLibPQ
import Foundation
import Topology

/// The admin login of an existing server (`servers.<s>.host`), read from the URL in its
/// `OVU_<SERVER>_ADMIN_URL`: where ovudev connects to provision and check it.
struct AdminLogin: Sendable, Equatable {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String

    /// `postgresql://user:password@host:port/db?…` (or `key=value …`), read by libpq itself; host,
    /// port and database default to the server's when the URL leaves them out.
    static func parse(_ url: String, server: PlannedServer) throws -> AdminLogin {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &error) else {
            let message = error.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "not a connection URL"
            if let error { PQfreemem(error) }
            throw ExistingServerRefusal.Reason.invalid(message)
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        guard let user = values["user"], !user.isEmpty else { throw ExistingServerRefusal.Reason.invalid("it names no user (postgresql://ADMIN:PASSWORD@host:port/postgres)") }
        let port = values["port"].flatMap { Int($0) } ?? server.port
        return AdminLogin(host: values["host"] ?? server.hostAddress, port: port, user: user, password: values["password"],
                          database: values["dbname"] ?? "postgres")
    }
}

/// `up` of a scenario with an existing server that cannot be reached as its admin: the variable
/// is unset or not a URL, or the server does not answer. Nothing was created (exit status 2).
public struct ExistingServerRefusal: Error, ExitStatusError, CustomStringConvertible, Equatable, Sendable {
    public enum Reason: Error, Equatable, Sendable {
        /// The variable is not set (or empty).
        case unset
        /// The variable is not a connection URL with a user: what libpq said.
        case invalid(String)
        /// The server did not take the admin login: what libpq said (the URL never appears).
        case unreachable(String)
    }

    public var server: String
    public var host: String
    public var port: Int
    public var variable: String
    public var reason: Reason
    public var exitStatus: Int32 { 2 }

    public init(server: String, host: String, port: Int, variable: String, reason: Reason) {
        (self.server, self.host, self.port, self.variable, self.reason) = (server, host, port, variable, reason)
    }

    public var description: String {
        let what = "server \(server) is an existing PostgreSQL at \(host):\(port) (servers.\(server).host), which ovudev provisions but does not start"
        switch reason {
        case .unset:
            return "\(what); set \(variable) to its admin URL, e.g. export \(variable)='postgresql://ADMIN:PASSWORD@\(host):\(port)/postgres' — nothing was started or changed"
        case let .invalid(message):
            return "\(what); \(variable) is not a usable admin URL: \(message) — nothing was started or changed"
        case let .unreachable(message):
            return "\(what); it does not answer the admin login from \(variable): \(message) — nothing was started or changed"
        }
    }
}

extension Superuser {
    /// An existing server's admin from its URL in the secrets (`loadSecrets` reads the variable).
    static func admin(_ server: PlannedServer, secrets: [String: String]) -> AdminLogin? {
        guard let variable = server.adminURLVariable, let url = secrets[variable] else { return nil }
        return try? AdminLogin.parse(url, server: server)
    }
}

/// Every existing server's admin login from the environment, each one tried: the refusal
/// for the first that cannot be used, before anything is created.
func requireExistingServers(_ plan: Plan, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    for server in plan.servers {
        guard let host = server.host, let variable = server.adminURLVariable else { continue }
        func refuse(_ reason: ExistingServerRefusal.Reason) -> ExistingServerRefusal {
            ExistingServerRefusal(server: server.name, host: host, port: server.port, variable: variable, reason: reason)
        }
        guard let url = environment[variable], !url.isEmpty else { throw refuse(.unset) }
        let login: AdminLogin
        do { login = try AdminLogin.parse(url, server: server) } catch let reason as ExistingServerRefusal.Reason { throw refuse(reason) }
        do {
            _ = try PGConnection(PGConnectionParameters(host: login.host, port: login.port, user: login.user, password: login.password, database: login.database))
        } catch {
            throw refuse(.unreachable("\(error)"))
        }
    }
}

extension NativeStack {
    /// The refusal `up` gives for `plan`'s existing servers with `environment`, or nothing.
    public static func checkExistingServers(_ plan: Plan, environment: [String: String]) throws {
        try requireExistingServers(plan, environment: environment)
    }

    /// The admin URLs of the existing servers, from the environment (kept in memory only).
    static func existingServerURLs(_ plan: Plan, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var urls: [String: String] = [:]
        for variable in plan.servers.compactMap(\.adminURLVariable) {
            if let url = environment[variable], !url.isEmpty { urls[variable] = url }
        }
        return urls
    }
}

extension PlannedServer {
    /// Whether an existing server answers at its host and port (PQping: running, whatever the login).
    var existingServerAnswers: Bool {
        let pairs = [("host", hostAddress), ("port", String(port)), ("dbname", "postgres"), ("connect_timeout", "5")]
        let keys = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer { (keys + values).forEach { free($0) } }
        let ping = keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { k in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { v in PQpingParams(k.baseAddress, v.baseAddress, 0) }
        }
        return ping == PQPING_OK || ping == PQPING_REJECT
    }

    /// An existing server's state: never started or stopped by ovudev, running when it answers.
    var existingServerState: ServerState {
        let running = existingServerAnswers
        return ServerState(name: name, engine: engine, port: port, action: running ? .running : .stopped, running: running)
    }
}
