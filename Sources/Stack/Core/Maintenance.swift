import Foundation
import Statements
import Topology

/// How ovudev reaches a stack's servers for its own work, and the `Provisioner` and `Checker`
/// built with it — in one place, so that `up`, `check`, `backup` and `restore` provision and
/// check the same way. With `paths` (the native engine): PostgreSQL's superuser by peer
/// authentication over the cluster's socket folder, MySQL's maintenance account over the
/// server's private socket, and each MySQL server's init SQL. Without (docker): superusers over
/// TCP with their passwords.
public struct Maintenance: Sendable {
    public let plan: Plan
    public let secrets: [String: String]
    public let paths: StackPaths?
    /// The topology file's name, for the header of the MySQL init SQL (as `ovudev render` writes it).
    public var topologyFile: String

    public init(plan: Plan, secrets: [String: String], paths: StackPaths?, topologyFile: String = "the topology") {
        self.plan = plan
        self.secrets = secrets
        self.paths = paths
        self.topologyFile = topologyFile
    }

    /// Server name → socket folder where PostgreSQL's superuser logs in by peer authentication.
    public var adminSockets: [String: String] {
        guard let paths else { return [:] }
        return Dictionary(uniqueKeysWithValues: plan.servers.filter { $0.engine == .postgres && $0.host == nil }.map { ($0.name, paths.pgRun($0.name)) })
    }

    /// MySQL server name → ovudev's maintenance login over the server's private socket.
    public var mysqlAdmins: [String: MySQLLogin] {
        guard let paths else { return [:] }
        return Dictionary(uniqueKeysWithValues: plan.servers.filter { $0.engine == .mysql }.map {
            ($0.name, MySQLLogin(route: .socket(paths.mysqlSocket($0.name)), user: NativeEngine.mysqlMaintenanceAccount))
        })
    }

    /// Each MySQL server's init SQL with these secrets: `init/<server>/init-db.sql` as rendered.
    public var mysqlInitSQL: [String: String] {
        let header = RenderHeader.text(plan: plan, topologyFile: topologyFile)
        return Dictionary(uniqueKeysWithValues: plan.servers.filter { $0.engine == .mysql }.map {
            ($0.name, MySQLInit.script($0, header: header, password: MySQLInit.literalPasswords(secrets)))
        })
    }

    public func provisioner() -> Provisioner {
        var provisioner = Provisioner(plan: plan, secrets: secrets, stateDirectory: paths?.root ?? FileManager.default.temporaryDirectory.path)
        provisioner.adminSockets = adminSockets
        if paths != nil {
            provisioner.mysqlAdmins = mysqlAdmins
            provisioner.mysqlInitSQL = mysqlInitSQL
        }
        return provisioner
    }

    public func checker() -> Checker {
        var checker = Checker(plan: plan, secrets: secrets)
        checker.adminSockets = adminSockets
        checker.mysqlAdmins = mysqlAdmins
        return checker
    }
}
