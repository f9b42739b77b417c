import Foundation
import Stack
import Statements
import Testing
import TestSupport
import Topology

/// `reads` into a service on MySQL (native MariaDB): SELECT on exactly the named tables, granted
/// once the tables exist, proven by real logins; a grant made by hand is reported and the next
/// `up` takes it back.
@Suite(.ownThread) struct MySQLReadsTests {
    @Test func readersGetExactlyTheNamedTables() throws {
        if let missing = MySQLTools.missing() { throw EngineError("\(missing) not installed: \(MySQLTools.installCommand)") }
        let project = try TempProject { json in
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            scenarios["ulmmysql"] = ["layout": "mixed", "engines": ["ulm": "mysql"]]
            json["scenarios"] = scenarios
            var services = json["services"] as! [String: [String: Any]]
            var ulm = services["ulm"]!
            ulm["database"] = [:] as [String: Any]  // no PostgreSQL extensions on MySQL
            ulm["seed"] = nil
            services["ulm"] = ulm
            json["services"] = services
        }
        defer { project.close() }
        let stack = try project.stack("ulmmysql")
        let mysql = try #require(stack.plan.servers.first { $0.engine == .mysql })
        let db = try #require(mysql.databases.first { $0.name == "ulm_db" })
        #expect(Set(db.tableReads.map { "\($0.role) \($0.table)" }) == ["aam_user users", "aam_user roles", "sam_user users", "sam_user roles"])
        #expect(!db.connect.contains("aam_user"))
        let aamEnv = try #require(stack.plan.instance("aam")).environment.first { $0.key == "ULM_READ_DATABASE_URL" }
        #expect(aamEnv.map { "\($0.host)".contains("mysql://aam_user:") } == true)

        let first = try stack.up()
        #expect(first.check?.passed == true, "\(first.check?.findings.filter { $0.status == .leak || $0.status == .fail }.map(\.detail) ?? [])")
        // The example migrations are PostgreSQL's: ulm's tables, made by ulm's own login.
        let ulm = try #require(stack.plan.instance("ulm")?.database)
        let owner = MySQLLogin(route: .tcp(port: mysql.port), user: ulm.role, password: stack.secrets[ulm.secret.variable])
        try owner.exec("CREATE TABLE users (id INT PRIMARY KEY); CREATE TABLE roles (id INT PRIMARY KEY); CREATE TABLE secrets (id INT PRIMARY KEY); INSERT INTO users VALUES (1);", database: "ulm_db")

        let second = try stack.up()
        #expect(second.postMigrate.contains("\(mysql.name): granted SELECT on ulm_db.users to aam_user"), "\(second.postMigrate)")
        let check = try #require(second.check)
        #expect(check.passed, "\(check.findings.filter { $0.status == .leak || $0.status == .fail }.map(\.detail))")
        #expect(check.findings.contains { $0.status == .ok && $0.kind == .reads(role: "aam_user", database: "ulm_db", table: "users") })

        // `ovudev docs`: ulm's tables on MySQL with their rows and primary keys.
        #expect(try stack.liveCatalog(service: "ulm").contains { $0.name == "ulm_db.users" && $0.rows == 1 && $0.indexes == ["PRIMARY"] })
        let aam = try #require(mysql.role("aam_user"))
        let reader = MySQLLogin(route: .tcp(port: mysql.port), user: "aam_user", password: stack.secrets[aam.secret.variable])
        #expect(try reader.exec("SELECT COUNT(*) FROM ulm_db.users").rows == [["1"]])
        #expect(try reader.run("SELECT COUNT(*) FROM ulm_db.secrets").errors.first?.code == 1142)
        #expect(try reader.run("INSERT INTO ulm_db.users VALUES (2)").errors.first?.code == 1142)

        // A grant by hand: reported by check (catalog and real login), taken back by up.
        let root = MySQLLogin(route: .tcp(port: mysql.port), user: mysql.superuserName, password: stack.secrets[mysql.superuserSecret!.variable])
        try root.exec("GRANT SELECT ON ulm_db.secrets TO 'aam_user'@'%';")
        let leaked = try stack.checker().run()
        #expect(!leaked.passed)
        #expect(leaked.findings.contains { $0.status == .leak && $0.kind == .mayRead(role: "aam_user", database: "ulm_db", table: "secrets") })
        #expect(try stack.up().check?.passed == true)
        #expect(try reader.run("SELECT COUNT(*) FROM ulm_db.secrets").errors.first?.code == 1142)
    }
}
