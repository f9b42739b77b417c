import Foundation
import Statements
import Topology

/// MySQL, natively MariaDB: a mariadbd per server (MySQLServer.swift), the init SQL of
/// `MySQLInit` applied through the client (MySQLProvision), the catalog and real logins
/// (MySQLCheck), seeds by the client (MySQLSeed), mysqldump, verify and restore (MySQLBackup,
/// MySQLRestore). The client programs are found by `MySQLTools` (MySQLClient).
struct MySQLEngine: EngineModule {
    var engine: Engine { .mysql }
    var serverAccounts: [String] { ["mysql", "postgres", "nobody"] }
    var dumpKind: BackupTarget.Kind { .mysqldump }
    var clientInstallCommand: String { MySQLTools.installCommand }

    var nativeRefusal: String? {
        guard let missing = MySQLTools.missing() else { return nil }
        return "the native engine runs MySQL with mariadbd or mysqld, and \(missing) \(missing.contains(",") ? "are" : "is") not installed (`\(MySQLTools.installCommand)`)"
    }

    func start(_ server: PlannedServer, on host: NativeEngine) throws -> ServerState { try host.startMySQL(server) }
    func stop(_ server: PlannedServer, on host: NativeEngine) throws { try host.stopMySQL(server) }
    func discard(_ server: PlannedServer, on host: NativeEngine) throws { try host.stopMySQL(server, signal: SIGKILL) }
    func isRunning(_ server: PlannedServer, on host: NativeEngine) -> Bool { host.isMySQLRunning(server) }

    /// The init SQL as the maintenance account; without a login and SQL for it (no native server
    /// was given) the server is skipped with a note.
    func provision(_ server: PlannedServer, by provisioner: Provisioner, state: inout ProvisionState, progress: (String) -> Void) throws -> ProvisionReport {
        guard let admin = provisioner.mysqlAdmins[server.name], let sql = provisioner.mysqlInitSQL[server.name] else {
            return ProvisionReport(notes: [provisioner.dockerOnlyNote(server, why: "no MySQL server of the native engine was given to provision")])
        }
        progress("provision \(server.name): \(server.roles.count) users, \(server.databases.count) databases")
        let password = Superuser(server, secrets: provisioner.secrets).password
        let changes = try MySQLProvisioning(server: server, admin: admin, sql: sql, superuserPassword: password).run()
        return ProvisionReport(changes: changes.map { "\(server.name): \($0)" })
    }

    func restore(file: String, target: BackupTarget, into: String?, by runner: BackupRunner) throws -> RestoreReport {
        try runner.restoreMySQL(file: file, target: target, into: into)
    }
}
