import Foundation
import Statements
import Topology

/// MySQL services of a move: plan (the source database's tables and views), the target's
/// servers provisioned as `up` does, the copy (per table, `mariadb-dump` of the table piped into
/// the `mariadb` client: its `DROP TABLE IF EXISTS` empties a table copied again), and the
/// verification (row count and `CHECKSUM TABLE … EXTENDED` on both sides).
///
/// Measured on 1,000,000 rows (130 MB, one table, same machine): dump | client 7.7–11.2 s,
/// `SELECT … INTO OUTFILE` + `LOAD DATA INFILE` 5.7–7.7 s. The dump is kept: it carries the
/// table's definition, triggers (created after the rows, so they do not fire) and binary
/// values as hex, and needs no file both servers can read; tables are copied in parallel.
extension Mover {
    // MARK: - Logins (ovudev's maintenance account over each server's private socket)

    func mysqlLogin(_ socket: String) -> MySQLLogin {
        MySQLLogin(route: .socket(socket), user: NativeEngine.mysqlMaintenanceAccount)
    }

    func sourceMySQL(_ server: String) -> MySQLLogin { mysqlLogin(source.paths.mysqlSocket(server)) }

    /// Before the switch a shared server still lives in the source's folder.
    func targetMySQL(_ server: String) -> MySQLLogin {
        journal.sharedServers.contains(server) && journal.step < .switched
            ? mysqlLogin(source.paths.mysqlSocket(sourceName(server))) : mysqlLogin(target.paths.mysqlSocket(server))
    }

    /// Whichever server listens on `port` now (a rollback, a copy-back or a finish).
    func mysqlAdmin(port: Int) -> MySQLLogin? {
        if let s = source.plan.servers.first(where: { $0.port == port && $0.engine == .mysql }) {
            if journal.step >= .switched, let t = targetName(s.name) { return targetMySQL(t) }
            return sourceMySQL(s.name)
        }
        return target.plan.servers.first { $0.port == port && $0.engine == .mysql }.map { targetMySQL($0.name) }
    }

    // MARK: - Plan

    func mysqlPlan(source: Plan, target: Plan, only: [String], report: inout MoveReport) throws -> [MoveMySQLService] {
        var moves: [MoveMySQLService] = []
        for instance in target.instances {
            guard only.isEmpty || only.contains(instance.service), let to = instance.database, let from = source.instance(instance.name)?.database,
                  to.engine == .mysql, from.engine == .mysql else { continue }
            let f = MoveLocation(server: from.server, port: source.server(from.server)!.port, database: from.database, schema: "", prefix: "")
            let t = MoveLocation(server: to.server, port: target.server(to.server)!.port, database: to.database, schema: "", prefix: "")
            if f.sameDatabase(t) { continue }
            let rows = try sourceMySQL(from.server).exec("""
                SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = \(Escape.mysqlLiteral(from.database)) ORDER BY 1;
                """).rows
            let tables = rows.filter { $0.count == 2 && $0[1] == "BASE TABLE" }.map { MoveTable(service: instance.name, source: $0[0], target: $0[0]) }
            let views = rows.filter { $0.count == 2 && $0[1] == "VIEW" }.map { $0[0] }
            for table in from.tables ?? [] where !tables.contains(where: { $0.source == table }) {
                report.missing.append("\(from.database).\(table) (\(instance.name))")
            }
            moves.append(MoveMySQLService(service: instance.name, user: to.role, sourceUser: from.role, from: f, to: t, tables: tables, views: views))
        }
        return moves
    }

    /// Foreign keys between a moved database and another database that would end up on
    /// another server (MySQL keeps a foreign key only within one server): each a blocker.
    func mysqlBlockers(_ moves: [MoveMySQLService], source: Plan, target: Plan, dropCrossFKs: Bool) throws -> [MoveBlocker] {
        var blockers: [MoveBlocker] = []
        // Where a database of the source is after the move: its service's target port, or the same.
        func portAfter(_ database: String, on port: Int) -> (port: Int, service: String) {
            guard let owner = source.instances.first(where: { $0.database?.database == database && source.server($0.database!.server)?.port == port }) else {
                return (port, "no service")
            }
            let to = target.instance(owner.name)?.database.flatMap { target.server($0.server)?.port } ?? port
            return (to, owner.name)
        }
        for m in moves {
            let db = Escape.mysqlLiteral(m.from.database)
            let rows = try sourceMySQL(m.from.server).exec("""
                SELECT 'out', CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME, DELETE_RULE, UPDATE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS
                  WHERE CONSTRAINT_SCHEMA = \(db) AND UNIQUE_CONSTRAINT_SCHEMA <> \(db);
                SELECT 'in', CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_SCHEMA, REFERENCED_TABLE_NAME, DELETE_RULE, UPDATE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS
                  WHERE UNIQUE_CONSTRAINT_SCHEMA = \(db) AND CONSTRAINT_SCHEMA <> \(db);
                """).rows.filter { $0.count == 8 }
            for r in rows {
                let other = r[0] == "out" ? r[4] : r[1]
                let after = portAfter(other, on: m.from.port)
                guard after.port != m.to.port else { continue }
                let (service, otherService) = r[0] == "out" ? (m.service, after.service) : (after.service, m.service)
                let q = Escape.mysqlIdentifier
                let columns = try sourceMySQL(m.from.server).exec("""
                    SELECT COLUMN_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
                      WHERE CONSTRAINT_SCHEMA = \(Escape.mysqlLiteral(r[1])) AND TABLE_NAME = \(Escape.mysqlLiteral(r[2])) AND CONSTRAINT_NAME = \(Escape.mysqlLiteral(r[3]))
                      ORDER BY ORDINAL_POSITION;
                    """).rows.filter { $0.count == 2 }
                // RESTRICT is what MariaDB reports for a key declared without a rule: written so, it
                // would come back as NO ACTION (the same check in InnoDB, another catalog entry).
                let rules = [("DELETE", r[6]), ("UPDATE", r[7])].filter { $0.1 != "RESTRICT" }.map { " ON \($0.0) \($0.1)" }.joined()
                let restore = "ALTER TABLE \(q(r[1])).\(q(r[2])) ADD CONSTRAINT \(q(r[3])) FOREIGN KEY (\(columns.map { q($0[0]) }.joined(separator: ", "))) "
                    + "REFERENCES \(q(r[4])).\(q(r[5])) (\(columns.map { q($0[1]) }.joined(separator: ", ")))" + rules
                blockers.append(MoveBlocker(kind: .foreignKey, object: "\(r[1]).\(r[2]).\(r[3])", service: service, dependsOn: "\(r[4]).\(r[5])",
                                            otherService: otherService,
                                            wayOut: "drop the foreign key (MySQL keeps one only within a server; the application validates; --drop-cross-fks does it), or keep \(m.from.database) and \(other) on one server",
                                            dropped: dropCrossFKs,
                                            mysql: MoveMySQLForeignKey(server: m.from.server, database: r[1], table: r[2], name: r[3], inMoved: r[0] == "out", restore: restore)))
            }
        }
        return blockers
    }

    // MARK: - Provision

    /// The target's MySQL servers converged with its init SQL (users, databases, grants), on a
    /// shared server through the source's socket; the databases made here are recorded.
    func provisionMySQLTarget() throws {
        guard !engines.mysql.isEmpty else { return }
        var plan = target.plan
        plan.servers = plan.servers.filter { $0.engine == .mysql }
        var before = Set<String>()
        for server in plan.servers {
            for row in try targetMySQL(server.name).exec("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA;").rows { before.insert("\(server.name)/\(row[0])") }
        }
        var provisioner = Provisioner(plan: plan, secrets: target.secrets, stateDirectory: (directory as NSString).appendingPathComponent(".ovu"))
        provisioner.mysqlAdmins = Dictionary(uniqueKeysWithValues: plan.servers.map { ($0.name, targetMySQL($0.name)) })
        provisioner.mysqlInitSQL = Maintenance(plan: plan, secrets: target.secrets, paths: target.paths).mysqlInitSQL
        _ = try provisioner.provision(progress: progress)
        try updateEngines { $0.mysqlCreated = Self.databases(of: plan, notIn: before) }
    }

    // MARK: - Copy

    /// Every table of every MySQL service, `parallelism` at once, each once (a table marked
    /// copied is skipped when a killed move continues); then each service's views, then the
    /// target's `reads` grants.
    func copyMySQL() throws {
        let moving = engines.mysql
        guard !moving.isEmpty else { return }
        let mover = self
        // A move killed with kill -9 leaves its copy pipelines behind (mariadb-dump | mariadb):
        // their loads would hold the tables the copy drops again. Our connections to the target
        // databases go first (no service uses them before the switch).
        for service in moving {
            let login = targetMySQL(service.to.server)
            let ids = try login.exec("""
                SELECT ID FROM information_schema.PROCESSLIST WHERE DB = \(Escape.mysqlLiteral(service.to.database))
                  AND USER = \(Escape.mysqlLiteral(NativeEngine.mysqlMaintenanceAccount)) AND ID <> CONNECTION_ID();
                """).rows.compactMap(\.first)
            for id in ids where Int(id) != nil { _ = try? login.run("KILL CONNECTION \(id);") }
        }
        // Tables joined by foreign keys are copied one after another: a table's DROP/CREATE
        // while a related one loads under LOCK TABLES fails (error 1100) or waits out a lock
        // (error 1205) now and then: 6 of 200 parallel parent/child copies on MariaDB 10.11.
        var todo: [(MoveMySQLService, [String])] = []
        for service in moving {
            let left = service.tables.filter { !$0.copied }.map(\.source)
            todo += try Self.mysqlRelatedGroups(left, database: service.from.database, login: sourceMySQL(service.from.server)).map { (service, $0) }
        }
        _ = try concurrently(todo, workers: parallelism) { item, _ in
            let (service, group) = item
            for table in group {
                try mover.mysqlCopy([table], of: service)
                try mover.updateEngines { e in
                    guard let i = e.mysql.firstIndex(where: { $0.service == service.service }),
                          let k = e.mysql[i].tables.firstIndex(where: { $0.source == table }) else { return }
                    e.mysql[i].tables[k].copied = true
                }
                StopPoint.reach("move.table-copied")
            }
        }
        // `--drop-cross-fks`: a foreign key of a moved table into a database that stays behind is
        // dropped from the copy (the source keeps it until --finish).
        for fk in journal.blockers.compactMap({ $0.dropped ? $0.mysql : nil }) where fk.inMoved {
            guard let m = moving.first(where: { $0.from.server == fk.server && $0.from.database == fk.database }) else { continue }
            try targetMySQL(m.to.server).exec("ALTER TABLE \(Escape.mysqlIdentifier(m.to.database)).\(Escape.mysqlIdentifier(fk.table)) DROP FOREIGN KEY IF EXISTS \(Escape.mysqlIdentifier(fk.name));")
            progress("dropped the foreign key \(fk.name) of \(m.to.database).\(fk.table) in the copy (--drop-cross-fks)")
        }
        for service in moving {
            if !service.views.isEmpty { try mysqlCopy(service.views, of: service) }
            // Stored procedures, functions and events (each dumped with its DROP … IF EXISTS).
            try mysqlCopy([], of: service, options: ["--no-data", "--no-create-info", "--skip-triggers", "--routines", "--events"])
            progress("copied \(service.service) (mysql): \(service.tables.count) tables\(service.views.isEmpty ? "" : ", \(service.views.count) views")")
        }
        var plan = target.plan
        plan.servers = plan.servers.filter { $0.engine == .mysql }
        var provisioner = Provisioner(plan: plan, secrets: target.secrets, stateDirectory: (directory as NSString).appendingPathComponent(".ovu"))
        provisioner.mysqlAdmins = Dictionary(uniqueKeysWithValues: plan.servers.map { ($0.name, targetMySQL($0.name)) })
        _ = try provisioner.applyPostMigrate(progress: progress)
    }

    /// `tables` of `database` in groups joined by foreign keys within it (each group in the
    /// tables' order; a table without any is a group of its own).
    static func mysqlRelatedGroups(_ tables: [String], database: String, login: MySQLLogin) throws -> [[String]] {
        let db = Escape.mysqlLiteral(database)
        let edges = try login.exec("""
            SELECT TABLE_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS
              WHERE CONSTRAINT_SCHEMA = \(db) AND UNIQUE_CONSTRAINT_SCHEMA = \(db);
            """).rows.filter { $0.count == 2 }
        var root = Dictionary(uniqueKeysWithValues: tables.map { ($0, $0) })
        func find(_ t: String) -> String { var t = t; while let r = root[t], r != t { t = r }; return t }
        for e in edges where root[e[0]] != nil && root[e[1]] != nil { root[find(e[0])] = find(e[1]) }
        var groups: [String: [String]] = [:], order: [String] = []
        for t in tables {
            let r = find(t)
            if groups[r] == nil { order.append(r) }
            groups[r, default: []].append(t)
        }
        return order.map { groups[$0]! }
    }

    /// `mariadb-dump --single-transaction` of `tables` piped into the client on the target: each
    /// table dropped and created anew before its rows (so a second copy doubles nothing).
    /// `options`: more mariadb-dump options (the routines' and events' pass).
    func mysqlCopy(_ tables: [String], of service: MoveMySQLService, options: [String] = []) throws {
        try mysqlDump(tables, from: sourceMySQL(service.from.server), database: service.from.database,
                      to: targetMySQL(service.to.server), into: service.to.database, options: options,
                      what: "copy of \(service.service)'s \(tables.joined(separator: ", ")) (\(service.from.server)/\(service.from.database) → \(service.to.server)/\(service.to.database))")
    }

    /// `mariadb-dump --single-transaction` of `tables` of `database` (through `from`) piped into
    /// the client on `into` (through `to`); `what` names it in the error.
    func mysqlDump(_ tables: [String], from source: MySQLLogin, database: String, to destination: MySQLLogin, into: String,
                   options: [String], what: String) throws {
        guard let dump = MySQLTools.find(["mariadb-dump", "mysqldump"]) else {
            throw EngineError("mariadb-dump (or mysqldump) is not installed: \(MySQLTools.installCommand)")
        }
        let script = """
            set -o pipefail
            dump=$1; from=$2; db=$3; to=$4; opts=$5; shift 5
            n=0; for a in "$@"; do n=$((n+1)); [ "$a" = "--" ] && break; done
            # Both ends die with this shell, and it with ovudev (a kill -9 leaves no load running).
            pd=""; command -v setpriv >/dev/null && pd="setpriv --pdeathsig KILL"
            $pd "$dump" "$from" --single-transaction --skip-lock-tables --skip-add-locks --no-create-db --skip-comments --hex-blob $opts "$db" "${@:n+1}" | $pd "${@:1:n-1}" --database="$to"
            """
        let r = try source.withClient(database: nil, force: false) { fromArgv, _ in
            try destination.withClient(database: nil, force: false) { toArgv, env in
                try Subprocess.run((Subprocess.which("setpriv") != nil ? ["setpriv", "--pdeathsig", "KILL"] : []) + ["bash", "-c", script, "copy", dump, fromArgv[1], database, into, options.joined(separator: " ")]
                                   + toArgv.filter { !$0.hasPrefix("--database=") } + ["--"] + tables, environment: env)
            }
        }
        guard r.status == 0 else { throw EngineError("\(what) failed:\n\(r.output)") }
    }

    // MARK: - Verify

    /// "300 rows, checksum 1234", or "missing", for a MoveError.
    static func describe(_ f: Fingerprint?) -> String {
        f.map { "\($0.rows.map(String.init) ?? "?") rows, checksum \($0.checksum ?? "?")" } ?? "missing"
    }

    /// Per table, row count and `CHECKSUM TABLE … EXTENDED` on both sides; a difference stops
    /// the move before the switch, naming the table. The source's values are recorded (a
    /// rollback compares the target with them).
    func verifyMySQL() throws {
        for service in engines.mysql {
            progress("verify \(service.service) (mysql): row counts and CHECKSUM TABLE of \(service.tables.count) tables\(service.views.isEmpty ? "" : ", rows of \(service.views.count) views,") on both sides")
            let a = try BackupRunner.mysqlFingerprints(sourceMySQL(service.from.server), database: service.from.database)
            let b = try BackupRunner.mysqlFingerprints(targetMySQL(service.to.server), database: service.to.database)
            for table in service.tables {
                let s = a[table.source], t = b[table.target]
                if s == nil || s != t {
                    throw MoveError.differs(table: "\(service.service): \(service.from.database).\(table.source) → \(service.to.database).\(table.target)", source: Self.describe(s), target: Self.describe(t))
                }
            }
            // Views hold no rows of their own: each answers with as many rows on both sides (a
            // view that fails to answer on the target is named with its error).
            for view in service.views {
                func rows(_ login: MySQLLogin, _ database: String) -> String {
                    do {
                        let n = try login.exec("SELECT COUNT(*) FROM \(Escape.mysqlIdentifier(database)).\(Escape.mysqlIdentifier(view));").rows.first?.first
                        return "\(n ?? "?") rows"
                    } catch { return "fails: \(error)" }
                }
                let s = rows(sourceMySQL(service.from.server), service.from.database), t = rows(targetMySQL(service.to.server), service.to.database)
                if s != t || s.hasPrefix("fails") {
                    throw MoveError.differs(table: "\(service.service): view \(service.from.database).\(view) → \(service.to.database).\(view)", source: s, target: t)
                }
            }
            try updateEngines { e in
                guard let i = e.mysql.firstIndex(where: { $0.service == service.service }) else { return }
                for k in e.mysql[i].tables.indices {
                    e.mysql[i].tables[k].rows = a[e.mysql[i].tables[k].source]?.rows.map { Int($0) }
                    e.mysql[i].tables[k].checksum = a[e.mysql[i].tables[k].source]?.checksum
                }
            }
        }
    }
}
