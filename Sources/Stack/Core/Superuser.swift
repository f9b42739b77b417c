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
    /// Where it logs in over TCP: 127.0.0.1 and the server's port, or an existing server's admin URL's.
    let host: String
    let port: Int

    init(_ server: PlannedServer, secrets: [String: String]) {
        self.server = server
        if let admin = Self.admin(server, secrets: secrets) {
            (name, password, host, port) = (admin.user, admin.password, admin.host, admin.port)
        } else {
            name = server.superuserName
            password = server.superuserSecret.flatMap { secrets[$0.variable] }
            (host, port) = (server.hostAddress, server.port)
        }
    }

    func requirePassword() throws -> String {
        guard let password else {
            if let variable = server.adminURLVariable {
                throw EngineError("no admin login for server \(server.name), an existing server: set \(variable) to its admin URL (with the password)")
            }
            throw EngineError("no password for the superuser of \(server.name) (\(server.superuserSecret?.variable ?? "?")); external secrets: export it")
        }
        return password
    }

    /// The superuser's connection to `database`: by peer authentication over `socket` when given
    /// and it works, else over TCP with the password.
    func connect(database: String, socket: String?) throws -> PGConnection {
        try adminConnection(host: host, port: port, user: name, password: password, database: database, socket: socket)
    }

    /// MySQL: the superuser over TCP 127.0.0.1 with its password (the crontab's login, and the
    /// docker engine's; natively ovudev converges `root@127.0.0.1` to it).
    func tcpLogin() -> MySQLLogin {
        MySQLLogin(route: .tcp(port: server.port), user: name, password: password)
    }
}
