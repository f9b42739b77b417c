import Foundation
import Statements
import Topology

/// PostgreSQL: a cluster per server (PostgresServer.swift), roles, databases and privileges
/// converged through libpq (PostgresProvision, PostgresInsideDatabase, PostgresPostMigrate), the
/// catalog matrix and real logins (PostgresCheck), seeds by COPY (PostgresSeed), pg_dump and
/// pg_restore (PostgresBackup, PostgresRestore); the libpq wrapper in PostgresConnection.
struct PostgreSQLEngine: EngineModule {
    var engine: Engine { .postgres }
    var serverAccounts: [String] { ["postgres", "nobody"] }
    var dumpKind: BackupTarget.Kind { .pgDump }

    func start(_ server: PlannedServer, on host: NativeEngine) throws -> ServerState { try host.startPostgres(server) }
    func stop(_ server: PlannedServer, on host: NativeEngine) throws { try host.stopPostgres(server) }
    func discard(_ server: PlannedServer, on host: NativeEngine) throws { try host.stopPostgres(server, immediately: true) }
    func isRunning(_ server: PlannedServer, on host: NativeEngine) -> Bool { host.isPostgresRunning(server) }

    func provision(_ server: PlannedServer, by provisioner: Provisioner, state: inout ProvisionState, progress: (String) -> Void) throws -> ProvisionReport {
        let run = try ServerRun(provisioner: provisioner, server: server, labelled: provisioner.servers(of: .postgres).count > 1)
        try run.provision(state: &state, saveState: { try $0.save(provisioner.statePath) }, progress: progress)
        return ProvisionReport(changes: run.changes, notes: run.notes)
    }

    func applyPostMigrate(_ server: PlannedServer, by provisioner: Provisioner, progress: (String) -> Void) throws -> ProvisionReport {
        try provisioner.applyPostgresPostMigrate(server, progress: progress)
    }

    func restore(file: String, target: BackupTarget, into: String?, by runner: BackupRunner) throws -> RestoreReport {
        try runner.restorePostgres(file: file, target: target, into: into)
    }
}
