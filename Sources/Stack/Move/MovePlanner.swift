import Foundation
import Statements
import Topology

/// What a move will do, read from both Plans and the source's catalogs: per service where its
/// tables go, the dependencies that cross the new boundaries, tables nobody declares and
/// declared tables that do not exist. Changes nothing.
public struct MoveReport: Sendable {
    public var journal: MoveJournal
    public var undeclared: [String] = []
    public var missing: [String] = []
    public var notes: [String] = []
    /// Types, functions (and, inside one database, views) that move with their service,
    /// `service: kind schema.name`.
    public var routines: [String] = []
    /// What the switch, rollback or finish did, one line each.
    public var done: [String] = []
    public var check: CheckReport?
}

extension Mover {
    /// Each service's source and target location; the services that stay are kept too.
    func locations(source: Plan, target: Plan, only: [String]) throws -> [MoveService] {
        var services: [MoveService] = []
        var left: [String] = []
        for instance in target.instances {
            guard let to = instance.database, let from = source.instance(instance.name)?.database else { continue }
            if !only.isEmpty && !only.contains(instance.service) {
                let port = { (plan: Plan, server: String) in plan.server(server)?.port }
                if port(source, from.server) != port(target, to.server) || from.database != to.database || from.schema != to.schema || from.tablePrefix != to.tablePrefix {
                    left.append(instance.name)
                }
                continue
            }
            if to.engine == .mysql && from.engine == .mysql { continue }  // MoveMySQL.swift
            guard to.engine == .postgres, from.engine == .postgres else {
                if to.server != from.server || to.database != from.database { throw MoveError.notPostgres(service: instance.name, engine: to.engine.rawValue) }
                continue
            }
            let f = MoveLocation(server: from.server, port: source.server(from.server)!.port, database: from.database,
                                 schema: from.schema ?? "public", prefix: from.tablePrefix ?? "")
            let t = MoveLocation(server: to.server, port: target.server(to.server)!.port, database: to.database,
                                 schema: to.schema ?? "public", prefix: to.tablePrefix ?? "")
            let exclusive = source.server(from.server)?.databases.first { $0.name == from.database }?.instances == [instance.name]
            let stays = f.port == t.port && f.database == t.database && f.schema == t.schema && f.prefix == t.prefix
            services.append(MoveService(service: instance.name, role: to.role, sourceRole: from.role, from: f, to: t, stays: stays,
                                        wholeSchema: f.prefix.isEmpty && from.tables == nil && (f.schema != "public" || exclusive)))
        }
        if !left.isEmpty { throw MoveError.notIncluded(services: left) }
        return services
    }

    /// The plan of a move: services, tables, blockers, undeclared and missing tables.
    func makeReport(source: Plan, target: Plan, only: [String], dropCrossFKs: Bool) throws -> MoveReport {
        let services = try locations(source: source, target: target, only: only)
        var tables: [MoveTable] = []
        var report = MoveReport(journal: MoveJournal(source: source.scenario, target: target.scenario, only: only, dropCrossForeignKeys: dropCrossFKs,
                                                     step: .planned, services: services, tables: [], blockers: [],
                                                     sharedServers: Array(sharedServers(source: source, target: target).keys).sorted(),
                                                     sharedSources: sharedServers(source: source, target: target)))
        // Catalog of each source database involved: its tables by schema.
        let byDatabase = Dictionary(grouping: services) { "\($0.from.server)/\($0.from.database)" }
        for key in byDatabase.keys.sorted() {
            let group = byDatabase[key]!
            let first = group[0].from
            let conn = try sourceAdmin(first.server, database: first.database)
            let schemas = Array(Set(group.map(\.from.schema))).sorted()
            let rows = try conn.query("""
                SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[]) AND NOT c.relispartition ORDER BY 1, 2
                """, [pgArray(schemas)]).rows
            var claimed = Set<String>()
            for service in group {
                let declared = source.instance(service.service)?.database?.tables
                let present = rows.filter { $0[0] == service.from.schema }.map { $0[1]! }
                let mine: [String]
                if let declared {
                    mine = declared.filter(present.contains)
                    report.missing += declared.filter { !present.contains($0) }.map { "\(service.service): \(service.from.schema).\($0)" }
                } else if !service.from.prefix.isEmpty {
                    mine = present.filter { $0.hasPrefix(service.from.prefix) }
                } else if service.wholeSchema {
                    mine = present
                } else {
                    mine = rows.filter { $0[0] == service.from.schema && $0[2] == service.sourceRole }.map { $0[1]! }
                }
                for table in mine {
                    claimed.insert("\(service.from.schema).\(table)")
                    let bare = String(table.dropFirst(service.from.prefix.count))
                    if !service.stays { tables.append(MoveTable(service: service.service, source: table, target: service.to.prefix + bare)) }
                }
                // The seed ledger goes along (under its target name), so seeds do not load twice.
                if let from = source.instance(service.service)?.database, let to = target.instance(service.service)?.database {
                    let ledger = Seeder.ledgerName(from, in: source)
                    if present.contains(ledger) && !mine.contains(ledger) {
                        claimed.insert("\(service.from.schema).\(ledger)")
                        if !service.stays { tables.append(MoveTable(service: service.service, source: ledger, target: Seeder.ledgerName(to, in: target))) }
                    }
                }
            }
            report.undeclared += rows.filter { !claimed.contains("\($0[0]!).\($0[1]!)") && !$0[1]!.contains("ovudev_seeds") }
                .map { "\(first.database): \($0[0]!).\($0[1]!) (owner \($0[2]!))" }
            report.journal.blockers += try crossings(conn, services: group, allServices: services, tables: tables, dropCrossFKs: dropCrossFKs)
            for service in group where !service.stays {
                report.routines += try Self.ownedRoutines(conn, service: service).lines.map { "\(service.service): \($0)" }
                if service.within {
                    report.routines += try Self.ownedViews(conn, service: service).map { "\(service.service): \($0.kind == "m" ? "materialized view" : "view") \(service.from.schema).\($0.name)" }
                }
            }
        }
        report.journal.tables = tables
        try planEngines(source: source, target: target, only: only, report: &report)
        return report
    }

    /// Same port and engine in both scenarios: one server (target name → source name).
    func sharedServers(source: Plan, target: Plan) -> [String: String] {
        var shared: [String: String] = [:]
        for t in target.servers {
            if let s = source.servers.first(where: { $0.port == t.port && $0.engine == t.engine }) { shared[t.name] = s.name }
        }
        return shared
    }

    /// Foreign keys, views and sequence defaults of one source database that would cross from
    /// one service's new home into another's.
    func crossings(_ conn: PGConnection, services: [MoveService], allServices: [MoveService], tables: [MoveTable],
                   dropCrossFKs: Bool) throws -> [MoveBlocker] {
        // schema.table → service, for every service with data in this database.
        var owner: [String: MoveService] = [:]
        for s in services {
            for t in tables where t.service == s.service { owner["\(s.from.schema).\(t.source)"] = s }
        }
        let schemas = Array(Set(services.map(\.from.schema)))
        let byRole = Dictionary(services.map { ($0.sourceRole, $0) }, uniquingKeysWith: { a, _ in a })
        func serviceOf(_ schema: String, _ name: String, role: String?) -> MoveService? {
            owner["\(schema).\(name)"] ?? services.first { $0.wholeSchema && $0.from.schema == schema } ?? role.flatMap { byRole[$0] }
        }
        func crosses(_ a: MoveService, _ b: MoveService) -> Bool { a.service != b.service && !a.to.sameDatabase(b.to) }
        var blockers: [MoveBlocker] = []
        let fks = try conn.query("""
            SELECT sn.nspname, s.relname, c.conname, tn.nspname, t.relname, pg_catalog.pg_get_userbyid(s.relowner), pg_catalog.pg_get_userbyid(t.relowner)
            FROM pg_catalog.pg_constraint c
            JOIN pg_catalog.pg_class s ON s.oid = c.conrelid JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_catalog.pg_class t ON t.oid = c.confrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
            WHERE c.contype = 'f' AND sn.nspname = ANY($1::text[]) ORDER BY 1, 2, 3
            """, [pgArray(schemas)]).rows
        for r in fks {
            guard let a = serviceOf(r[0]!, r[1]!, role: r[5]), let b = serviceOf(r[3]!, r[4]!, role: r[6]), crosses(a, b) else { continue }
            blockers.append(MoveBlocker(kind: .foreignKey, object: "\(r[0]!).\(r[1]!).\(r[2]!)", service: a.service, dependsOn: "\(r[3]!).\(r[4]!)",
                                        otherService: b.service, wayOut: "`ovudev move --drop-cross-fks` (the application validates), or keep \(a.service) and \(b.service) in one database",
                                        dropped: dropCrossFKs))
        }
        let views = try conn.query("""
            SELECT DISTINCT vn.nspname, v.relname, tn.nspname, t.relname, pg_catalog.pg_get_userbyid(v.relowner), pg_catalog.pg_get_userbyid(t.relowner)
            FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class v ON v.oid = w.ev_class JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = w.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
            JOIN pg_catalog.pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
            WHERE v.relkind IN ('v', 'm') AND vn.nspname = ANY($1::text[]) ORDER BY 1, 2, 3, 4
            """, [pgArray(schemas)]).rows
        for r in views {
            guard let a = serviceOf(r[0]!, r[1]!, role: r[4]), let b = serviceOf(r[2]!, r[3]!, role: r[5]), crosses(a, b) else { continue }
            blockers.append(MoveBlocker(kind: .view, object: "\(r[0]!).\(r[1]!)", service: a.service, dependsOn: "\(r[2]!).\(r[3]!)", otherService: b.service,
                                        wayOut: "drop the view, or read \(r[3]!) in \(a.service)'s code over \(envName(b.service))_READ_DATABASE_URL (`reads`)"))
        }
        let sequences = try conn.query("""
            SELECT tn.nspname, t.relname, sn.nspname, s.relname, pg_catalog.pg_get_userbyid(t.relowner), pg_catalog.pg_get_userbyid(s.relowner),
                   (SELECT o.relname FROM pg_catalog.pg_depend od JOIN pg_catalog.pg_class o ON o.oid = od.refobjid
                    WHERE od.classid = 'pg_catalog.pg_class'::regclass AND od.objid = s.oid AND od.deptype IN ('a', 'i') AND od.refclassid = 'pg_catalog.pg_class'::regclass LIMIT 1)
            FROM pg_catalog.pg_attrdef ad
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
            JOIN pg_catalog.pg_class s ON s.oid = d.refobjid AND s.relkind = 'S' JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_catalog.pg_class t ON t.oid = ad.adrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
            WHERE tn.nspname = ANY($1::text[]) ORDER BY 1, 2, 3, 4
            """, [pgArray(schemas)]).rows
        for r in sequences {
            guard let a = serviceOf(r[0]!, r[1]!, role: r[4]) else { continue }
            let b = r[6].flatMap { serviceOf(r[2]!, $0, role: nil) } ?? serviceOf(r[2]!, r[3]!, role: r[5])
            guard let b, crosses(a, b) else { continue }
            blockers.append(MoveBlocker(kind: .sequence, object: "\(r[0]!).\(r[1]!)", service: a.service, dependsOn: "\(r[2]!).\(r[3]!)", otherService: b.service,
                                        wayOut: "give \(r[1]!) a sequence of its own (ALTER TABLE … ALTER COLUMN … SET DEFAULT nextval of a new sequence)"))
        }
        _ = allServices
        return blockers
    }
}
