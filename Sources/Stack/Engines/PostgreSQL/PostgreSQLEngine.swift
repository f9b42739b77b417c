import Foundation
import Statements
import Topology

/// PostgreSQL: a cluster per server (Server.swift), roles, databases and privileges converged
/// through libpq (Provision.swift, InsideDatabase.swift, PostMigrate.swift), the catalog matrix
/// and real logins (Check.swift), seeds by COPY (Seed.swift), pg_dump and pg_restore
/// (Backup.swift, Restore.swift).
struct PostgreSQLEngine: EngineModule {
    var engine: Engine { .postgres }
    var serverAccounts: [String] { ["postgres", "nobody"] }
    var dumpKind: BackupTarget.Kind { .pgDump }

    func start(_ server: PlannedServer, on host: NativeEngine) throws -> ServerState { try host.startPostgres(server) }
    func stop(_ server: PlannedServer, on host: NativeEngine) throws { try host.stopPostgres(server) }
    func isRunning(_ server: PlannedServer, on host: NativeEngine) -> Bool { host.isPostgresRunning(server) }

    func provision(_ server: PlannedServer, by provisioner: Provisioner, state: inout ProvisionState, progress: (String) -> Void) throws -> ProvisionReport {
        let run = try ServerRun(provisioner: provisioner, server: server, labelled: provisioner.servers(of: .postgres).count > 1)
        try run.provision(state: &state, saveState: { try $0.save(provisioner.statePath) }, progress: progress)
        return ProvisionReport(changes: run.changes, notes: run.notes)
    }

    func applyPostMigrate(_ server: PlannedServer, by provisioner: Provisioner, progress: (String) -> Void) throws -> ProvisionReport {
        try provisioner.applyPostgresPostMigrate(server, progress: progress)
    }

    func check(_ server: PlannedServer, by checker: Checker, progress: (String) -> Void) throws -> [CheckFinding] {
        try checker.checkPostgres(server, progress: progress)
    }

    func seed(_ instance: ServiceInstance, into db: DatabaseAccess, on server: PlannedServer, by seeder: Seeder, force: Bool, progress: (String) -> Void) throws -> [SeedResult] {
        try seeder.seedPostgres(instance, db: db, server: server, force: force, progress: progress)
    }

    func backupAndVerify(_ target: BackupTarget, by runner: BackupRunner) throws -> (BackupFile, VerifyReport) {
        try runner.backupAndVerifyPostgres(target)
    }

    func verify(file: String, target: BackupTarget, by runner: BackupRunner, expected: [String: Fingerprint]?, expectedKeys: Int64?) throws -> VerifyReport {
        try runner.verifyPostgres(file: file, target: target, expected: expected)
    }

    func restore(file: String, target: BackupTarget, into: String?, by runner: BackupRunner) throws -> RestoreReport {
        try runner.restorePostgres(file: file, target: target, into: into)
    }
}
