import Foundation
import Statements
import Topology

/// A server's superuser as ovudev logs in: the name the plan gives (`PlannedServer.superuserName`)
/// and the password from the stack's secrets. Every superuser login of the runtime starts here.
struct Superuser: Sendable {
    let server: PlannedServer
    let name: String
    /// nil when the secret is not set (external secrets not exported).
    let password: String?

    init(_ server: PlannedServer, secrets: [String: String]) {
        self.server = server
        name = server.superuserName
        password = server.superuserSecret.flatMap { secrets[$0.variable] }
    }

    func requirePassword() throws -> String {
        guard let password else {
            throw EngineError("no password for the superuser of \(server.name) (\(server.superuserSecret?.variable ?? "?")); external secrets: export it")
        }
        return password
    }

    /// MySQL: the superuser over TCP 127.0.0.1 with its password (the crontab's login, and the
    /// docker engine's; natively ovudev converges `root@127.0.0.1` to it).
    func tcpLogin() -> MySQLLogin {
        MySQLLogin(route: .tcp(port: server.port), user: name, password: password)
    }
}
