import Foundation
import Statements
import Topology

/// One database engine of the runtime, in its own folder (`Engines/<Engine>/`): its servers'
/// lifecycle, provisioning, checks, seeds, and backups (dump, verify, restore). The orchestration
/// (`NativeEngine`, `Provisioner`, `Checker`, `Seeder`, `BackupRunner`) iterates the modules
/// and hands each its own servers; what an engine cannot do is said once, below, in the
/// protocol's defaults. Adding an engine is adding a folder and a line in `EngineModules.all`.
protocol EngineModule: Sendable {
    var engine: Engine { get }
    /// The folder under `.ovu/<scenario>/` that holds its servers' data; nil when it runs none.
    var dataFolder: String? { get }
    /// As root, its servers run as the first of these accounts that exists (else `nobody`).
    var serverAccounts: [String] { get }
    /// Why the native engine cannot run its servers on this machine; nil when it can.
    var nativeRefusal: String? { get }

    func start(_ server: PlannedServer, on host: NativeEngine) throws -> ServerState
    func stop(_ server: PlannedServer, on host: NativeEngine) throws
    /// Stops the server without saving what it holds, because its data folder is about to be
    /// replaced (a snapshot restore): no checkpoint, no dump. A start on the same folder
    /// recovers as after a crash, which is what a rollback of the restore needs.
    func discard(_ server: PlannedServer, on host: NativeEngine) throws
    func isRunning(_ server: PlannedServer, on host: NativeEngine) -> Bool

    /// Converges the server to the plan (before migrations).
    func provision(_ server: PlannedServer, by provisioner: Provisioner, state: inout ProvisionState, progress: (String) -> Void) throws -> ProvisionReport
    /// What is granted after migrations (tables that exist only then).
    func applyPostMigrate(_ server: PlannedServer, by provisioner: Provisioner, progress: (String) -> Void) throws -> ProvisionReport

    /// Its checks wait on round trips, not on the CPU: they run on a thread of their own while
    /// the other engines are checked (and report no progress).
    var checksAlongside: Bool { get }
    func check(_ server: PlannedServer, by checker: Checker, progress: (String) -> Void) throws -> [CheckFinding]

    func seed(_ instance: ServiceInstance, into db: DatabaseAccess, on server: PlannedServer, by seeder: Seeder, force: Bool, progress: (String) -> Void) throws -> [SeedResult]

    /// The dump its servers give (backup/crontab's command for it).
    var dumpKind: BackupTarget.Kind { get }
    /// Why `ovudev backup` cannot run the dump program natively; nil when it can.
    func dumpRefusal(program: String) -> String?
    /// What installs the dump and restore programs.
    var clientInstallCommand: String { get }
    /// Readies the server for a dump; returns what puts it back afterwards.
    func prepareDump(_ server: PlannedServer, secrets: [String: String]) -> (() -> Void)?
    func backupAndVerify(_ target: BackupTarget, by runner: BackupRunner) throws -> (BackupFile, VerifyReport)
    func verify(file: String, target: BackupTarget, by runner: BackupRunner, expected: [String: Fingerprint]?, expectedKeys: Int64?) throws -> VerifyReport
    func restore(file: String, target: BackupTarget, into: String?, by runner: BackupRunner) throws -> RestoreReport

    /// `ovudev docs`: the tables of an instance's data now.
    func catalog(_ instance: ServiceInstance, access: DatabaseAccess, on server: PlannedServer, maintenance: Maintenance) throws -> [CatalogTable]
}

/// What an engine does not do, in one place.
extension EngineModule {
    var dataFolder: String? { engine.rawValue }
    var nativeRefusal: String? { nil }
    var checksAlongside: Bool { false }
    func discard(_ server: PlannedServer, on host: NativeEngine) throws { try stop(server, on: host) }

    func provision(_ server: PlannedServer, by provisioner: Provisioner, state: inout ProvisionState, progress: (String) -> Void) throws -> ProvisionReport {
        ProvisionReport()
    }

    func applyPostMigrate(_ server: PlannedServer, by provisioner: Provisioner, progress: (String) -> Void) throws -> ProvisionReport {
        ProvisionReport()
    }

    func seed(_ instance: ServiceInstance, into db: DatabaseAccess, on server: PlannedServer, by seeder: Seeder, force: Bool, progress: (String) -> Void) throws -> [SeedResult] {
        [SeedResult(instance: instance.name, file: instance.seed.joined(separator: ", "), outcome: .skipped,
                    note: "ovudev loads seeds into PostgreSQL and MySQL; \(instance.name) is on \(db.engine.rawValue) (server \(db.server)) in this scenario")]
    }

    func dumpRefusal(program: String) -> String? { nil }
    var clientInstallCommand: String { "apt-get install postgresql-client redis-tools" }
    func prepareDump(_ server: PlannedServer, secrets: [String: String]) -> (() -> Void)? { nil }

    func backupAndVerify(_ target: BackupTarget, by runner: BackupRunner) throws -> (BackupFile, VerifyReport) {
        throw EngineError("\(target.name): ovudev backup runs PostgreSQL, Redis and MySQL dumps; \(target.kind.rawValue) runs from the rendered crontab with the docker engine")
    }

    func verify(file: String, target: BackupTarget, by runner: BackupRunner, expected: [String: Fingerprint]?, expectedKeys: Int64?) throws -> VerifyReport {
        throw EngineError("\(target.name): only PostgreSQL, MySQL and Redis dumps can be verified natively")
    }

    func catalog(_ instance: ServiceInstance, access: DatabaseAccess, on server: PlannedServer, maintenance: Maintenance) throws -> [CatalogTable] { [] }

    func restore(file: String, target: BackupTarget, into: String?, by runner: BackupRunner) throws -> RestoreReport {
        throw EngineError("\(target.name): ovudev restore restores PostgreSQL and MySQL dumps; \(target.kind.rawValue) files are restored by hand (see the README)")
    }
}

/// The registry: every engine of `Topology.Engine`, in the order their checks are reported.
enum EngineModules {
    static let all: [any EngineModule] = [PostgreSQLEngine(), RedisEngine(), MySQLEngine(), MongoDBEngine()]

    static func module(_ engine: Engine) -> any EngineModule {
        guard let module = all.first(where: { $0.engine == engine }) else { preconditionFailure("no engine module for \(engine.rawValue)") }
        return module
    }

    static func module(dumping kind: BackupTarget.Kind) -> any EngineModule {
        guard let module = all.first(where: { $0.dumpKind == kind }) else { preconditionFailure("no engine module dumps \(kind.rawValue)") }
        return module
    }
}
