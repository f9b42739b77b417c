import Foundation
import Statements
import Topology

/// MongoDB is rendered for the docker engine (compose, init-db.js, mongodump in the crontab) and
/// not run natively: mongod is not packaged in Debian. What the runtime says about it is here.
struct MongoDBEngine: EngineModule {
    var engine: Engine { .mongodb }
    var dataFolder: String? { nil }
    var serverAccounts: [String] { ["nobody"] }
    var dumpKind: BackupTarget.Kind { .mongodump }

    var nativeRefusal: String? {
        "the native engine runs PostgreSQL, Redis and MySQL (MariaDB), not MongoDB (mongod is not packaged in Debian)"
    }

    func start(_ server: PlannedServer, on host: NativeEngine) throws -> ServerState {
        ServerState(name: server.name, engine: server.engine, port: server.port, action: .unsupported, running: false)
    }

    func stop(_ server: PlannedServer, on host: NativeEngine) throws {}
    func isRunning(_ server: PlannedServer, on host: NativeEngine) -> Bool { false }

    func provision(_ server: PlannedServer, by provisioner: Provisioner, state: inout ProvisionState, progress: (String) -> Void) throws -> ProvisionReport {
        ProvisionReport(notes: [provisioner.dockerOnlyNote(server, why: "the native engine does not run MongoDB")])
    }

    func check(_ server: PlannedServer, by checker: Checker, progress: (String) -> Void) throws -> [CheckFinding] {
        [CheckFinding(subject: server.name, check: "server", status: .skipped, kind: .notChecked(server: server.name, engine: engine.rawValue))]
    }

    func dumpRefusal(program: String) -> String? {
        "\(program) needs the \(engine.rawValue) server, which only the docker engine runs (the line in backup/crontab is for that deployment)"
    }
}
