import Foundation
import Renderers
@testable import Stack
import Testing
import TestSupport
import Topology

/// The engine registry and the one place that builds provisioners and checkers. No servers.
@Suite(.ownThread) struct EngineModuleTests {
    @Test func everyEngineHasOneModule() {
        for engine in Engine.allCases {
            #expect(EngineModules.all.filter { $0.engine == engine }.count == 1, "\(engine.rawValue)")
        }
        let kinds: [BackupTarget.Kind] = [.pgDump, .redisRDB, .mysqldump, .mongodump]
        for kind in kinds {
            #expect(EngineModules.all.filter { $0.dumpKind == kind }.count == 1, "\(kind.rawValue)")
        }
    }

    /// Restore converges with the same provisioner as `up`: MySQL servers included (their
    /// maintenance login and init SQL), PostgreSQL over the admin sockets.
    @Test func restoreProvisionsAndChecksLikeUp() throws {
        let temp = try TempProject { json in
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["mysqlmix"] = ["layout": "mixed", "engines": ["sam": "mysql"]]
            json["scenarios"] = scenarios
        }
        defer { temp.close() }
        let stack = try temp.stack("mysqlmix")
        stack.useSecrets(Dictionary(uniqueKeysWithValues: stack.plan.secretRefs.map { ($0.variable, "pw-\($0.variable)") }))
        let mysql = try #require(stack.plan.servers.first { $0.engine == .mysql })
        let fromStack = BackupRunner(stack: stack).maintenance
        let bare = BackupRunner(plan: stack.plan, secrets: stack.secrets, backupsDirectory: temp.directory, stateDirectory: stack.paths.root).maintenance
        for maintenance in [fromStack, bare] {
            let provisioner = maintenance.provisioner()
            #expect(provisioner.mysqlAdmins[mysql.name] != nil)
            #expect(provisioner.mysqlInitSQL[mysql.name]?.contains("CREATE USER IF NOT EXISTS 'sam_user'@'%'") == true)
            #expect(provisioner.adminSockets == stack.adminSockets)
            #expect(maintenance.checker().mysqlAdmins.keys.sorted() == stack.mysqlAdmins.keys.sorted())
        }
        #expect(try fromStack.provisioner().mysqlInitSQL == stack.mysqlInitSQL())
    }
}
