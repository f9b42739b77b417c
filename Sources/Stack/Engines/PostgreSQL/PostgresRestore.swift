import Foundation
import Statements
import Topology

/// A pg_dump restored into a new database, or in place (staging database swapped in, or the
/// schema set aside), with provisioning and the checks before what it replaces is dropped.
extension BackupRunner {
    func restorePostgres(file: String, target: BackupTarget, into: String?) throws -> RestoreReport {
        let server = try postgresServer(target)
        let database = target.database ?? "postgres"
        let start = Date()
        try checkArchive(file, server: server)
        let admin = try connect(server, database: "postgres")
        let schemas = target.schema.map { [$0] }
        let dbExists = try !admin.query("SELECT FROM pg_catalog.pg_database WHERE datname = $1", [database]).rows.isEmpty

        if let into {
            if try !admin.query("SELECT FROM pg_catalog.pg_database WHERE datname = $1", [into]).rows.isEmpty {
                throw EngineError(.restoreRefused(database: into, server: server.name, reason: .exists))
            }
            progress("restore \(target.name) into new database \(into)")
            try createDatabase(into, like: dbExists ? database : nil, owner: nil, admin: admin)
            do {
                if let schemas, dbExists { try createExtensions(of: try connect(server, database: database), into: server, database: into, except: schemas) }
                try pgRestore(file, server: server, database: into)
            } catch {
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(Escape.sqlIdentifier(into)) WITH (FORCE)")
                throw error
            }
            let prints = try Self.fingerprints(try connect(server, database: into), schemas: schemas)
            return RestoreReport(target: target.name, file: file, database: into, schema: target.schema, fingerprints: prints,
                                 kept: nil, seconds: Date().timeIntervalSince(start))
        }
        guard dbExists else {
            throw EngineError(.restoreRefused(database: database, server: server.name, reason: .missing))
        }
        if let schema = target.schema {
            return try restoreSchema(file, target: target, schema: schema, server: server, database: database, start: start)
        }
        return try restoreDatabase(file, target: target, server: server, database: database, admin: admin, start: start)
    }

    func restoreDatabase(_ file: String, target: BackupTarget, server: PlannedServer, database: String, admin: PGConnection, start: Date) throws -> RestoreReport {
        let q = Escape.sqlIdentifier
        let planned = server.databases.first { $0.name == database }
        let staging = try freeDatabaseName(Self.truncated("\(database)_restoring"), admin: admin)
        progress("restore \(target.name): restoring into \(staging)")
        try createDatabase(staging, like: database, owner: planned?.owner, admin: admin)
        do {
            try pgRestore(file, server: server, database: staging)
        } catch {
            _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(staging)) WITH (FORCE)")
            throw EngineError.restoreFailed(error, database: database)
        }
        let old = try freeDatabaseName(Self.truncated("\(database)_pre_restore"), admin: admin)
        progress("restore \(target.name): \(database) → \(old), \(staging) → \(database)")
        try swapDatabases(admin: admin, current: database, aside: old, replacement: staging)
        do {
            var report = try converge(target: target, server: server, database: database, file: file, start: start)
            try admin.exec("DROP DATABASE \(q(old)) WITH (FORCE)")
            report.notes.append("the previous \(database) was dropped")
            return report
        } catch {
            progress("restore \(target.name): failed after the swap, putting the previous \(database) back")
            let failed = (try? freeDatabaseName(Self.truncated("\(database)_failed_restore"), admin: admin)) ?? "\(database)_failed_restore"
            do {
                try swapDatabases(admin: admin, current: database, aside: failed, replacement: old)
                _ = try? admin.exec("DROP DATABASE IF EXISTS \(q(failed)) WITH (FORCE)")
            } catch let undo {
                throw EngineError("\(error)\nputting the previous database back failed too: \(undo); it is \(old) on \(server.name)")
            }
            throw error
        }
    }

    /// `current` → `aside`, `replacement` → `current`, with connections to `current` refused and ended.
    func swapDatabases(admin: PGConnection, current: String, aside: String, replacement: String) throws {
        let q = Escape.sqlIdentifier
        try admin.exec("ALTER DATABASE \(q(current)) ALLOW_CONNECTIONS false")
        do {
            try admin.query("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = ANY($1::text[]) AND pid <> pg_catalog.pg_backend_pid()",
                            [pgArray([current, replacement])])
            try admin.exec("ALTER DATABASE \(q(current)) RENAME TO \(q(aside))")
        } catch {
            _ = try? admin.exec("ALTER DATABASE \(q(current)) ALLOW_CONNECTIONS true")
            throw error
        }
        try admin.exec("ALTER DATABASE \(q(aside)) ALLOW_CONNECTIONS true")
        try admin.exec("ALTER DATABASE \(q(replacement)) ALLOW_CONNECTIONS true")
        try admin.exec("ALTER DATABASE \(q(replacement)) RENAME TO \(q(current))")
    }

    func restoreSchema(_ file: String, target: BackupTarget, schema: String, server: PlannedServer, database: String, start: Date) throws -> RestoreReport {
        let q = Escape.sqlIdentifier
        let conn = try connect(server, database: database)
        try conn.exec("SET lock_timeout = '30s'")
        let exists = try !conn.query("SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1", [schema]).rows.isEmpty
        var old: String?
        if exists {
            var name = Self.truncated("\(schema)_pre_restore"), n = 1
            while try !conn.query("SELECT FROM pg_catalog.pg_namespace WHERE nspname = $1", [name]).rows.isEmpty {
                n += 1
                name = Self.truncated("\(schema)_pre_restore") + "_\(n)"
            }
            progress("restore \(target.name): schema \(schema) → \(name)")
            try conn.exec("ALTER SCHEMA \(q(schema)) RENAME TO \(q(name))")
            old = name
        }
        func putBack() {
            guard let old else { return }
            _ = try? conn.exec("DROP SCHEMA IF EXISTS \(q(schema)) CASCADE")
            _ = try? conn.exec("ALTER SCHEMA \(q(old)) RENAME TO \(q(schema))")
        }
        progress("restore \(target.name): restoring schema \(schema) into \(database)")
        do {
            try pgRestore(file, server: server, database: database)
        } catch {
            putBack()
            throw EngineError.restoreFailed(error, database: database, schema: schema)
        }
        do {
            var report = try converge(target: target, server: server, database: database, file: file, start: start)
            if let old {
                if let blockers = try dropSchemaUnlessOthersDepend(conn, schema: old) {
                    report.kept = "\(database).\(old)"
                    report.notes.append("the previous schema is kept as \(database).\(old): \(blockers)")
                } else {
                    report.notes.append("the previous schema \(schema) was dropped")
                }
            }
            return report
        } catch {
            progress("restore \(target.name): failed after restoring, putting the previous schema \(schema) back")
            putBack()
            throw error
        }
    }

    /// Drops the schema unless that would also drop objects in other schemas (a view or foreign
    /// key of another service over its tables): returns what it would take along, and drops nothing.
    func dropSchemaUnlessOthersDepend(_ conn: PGConnection, schema: String) throws -> String? {
        let outside = """
            SELECT (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relkind IN ('r','p','v','m','f','S') AND c.relnamespace <> s.oid AND c.relnamespace <> 'pg_toast'::regnamespace)
                 + (SELECT count(*) FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid WHERE c.relnamespace <> s.oid)
                 + (SELECT count(*) FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_class c ON c.oid = d.adrelid WHERE c.relnamespace <> s.oid)
                 + (SELECT count(*) FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace <> s.oid)
                 + (SELECT count(*) FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid WHERE c.relnamespace <> s.oid)
                 + (SELECT count(*) FROM pg_catalog.pg_proc f WHERE f.pronamespace <> s.oid)
            FROM pg_catalog.pg_namespace s WHERE s.nspname = $1
            """
        try conn.exec("BEGIN")
        let before = try conn.query(outside, [schema]).rows.first?.first ?? nil
        _ = conn.takeNotices()
        try conn.exec("SET LOCAL client_min_messages = notice")
        try conn.exec("DROP SCHEMA \(Escape.sqlIdentifier(schema)) CASCADE")
        let notices = conn.takeNotices()
        let remaining = try conn.query("SELECT (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relkind IN ('r','p','v','m','f','S') AND c.relnamespace <> 'pg_toast'::regnamespace) + (SELECT count(*) FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid) + (SELECT count(*) FROM pg_catalog.pg_attrdef) + (SELECT count(*) FROM pg_catalog.pg_trigger) + (SELECT count(*) FROM pg_catalog.pg_policy) + (SELECT count(*) FROM pg_catalog.pg_proc)", []).rows.first?.first ?? nil
        if before == remaining {
            try conn.exec("COMMIT")
            return nil
        }
        try conn.exec("ROLLBACK")
        return "dropping it would also drop objects outside it (\(notices.joined(separator: "; ")))"
    }

    /// After the data is in place: provisioning converges database grants and settings (a new
    /// database has none of the old one's), post-migrate grants, then the checks of the services
    /// whose data this is. Throws when one of those fails.
    func converge(target: BackupTarget, server: PlannedServer, database: String, file: String, start: Date) throws -> RestoreReport {
        progress("restore \(target.name): converging grants and settings")
        let provisioner = maintenance.provisioner()
        let provisioned = try provisioner.provision(progress: progress)
        let post = try provisioner.applyPostMigrate(progress: progress)
        // The roles that read its tables (`reads`) lose their grants with a dump that lacks them.
        let readers = plan.instances.flatMap(\.reads).filter {
            $0.server == target.server && $0.database == target.database && (target.schema == nil || $0.schema == target.schema)
        }.map(\.role)
        let (check, mine) = try checkRestored(target, readers: readers)
        let prints = try Self.fingerprints(try connect(server, database: database), schemas: target.schema.map { [$0] })
        var report = RestoreReport(target: target.name, file: file, database: database, schema: target.schema, fingerprints: prints,
                                   kept: nil, check: check, serviceCheck: mine, seconds: Date().timeIntervalSince(start))
        report.notes += (provisioned.changes + post.changes).map { "provision: \($0)" }
        return report
    }
}
