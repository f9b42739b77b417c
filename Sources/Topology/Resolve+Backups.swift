extension Resolver {
    func backupPlan(_ servers: [PlannedServer]) -> BackupPlan {
        var targets: [BackupTarget] = []
        // An existing server (`servers.<s>.host`) is backed up by whoever runs it.
        for s in servers where s.host == nil {
            switch s.engine {
            case .postgres:
                for db in s.databases {
                    if db.schemas.isEmpty {
                        targets.append(BackupTarget(kind: .pgDump, server: s.name, name: db.name, database: db.name, schema: nil, fileExtension: "dump"))
                    } else {
                        for schema in db.schemas {
                            targets.append(BackupTarget(kind: .pgDump, server: s.name, name: "\(db.name).\(schema.name)", database: db.name, schema: schema.name, fileExtension: "dump"))
                        }
                    }
                }
            case .redis:
                targets.append(BackupTarget(kind: .redisRDB, server: s.name, name: s.name, database: nil, schema: nil, fileExtension: "rdb"))
            case .mysql:
                for db in s.databases {
                    targets.append(BackupTarget(kind: .mysqldump, server: s.name, name: db.name, database: db.name, schema: nil, fileExtension: "sql.gz"))
                }
            case .mongodb:
                for db in s.databases {
                    targets.append(BackupTarget(kind: .mongodump, server: s.name, name: db.name, database: db.name, schema: nil, fileExtension: "archive.gz"))
                }
            }
        }
        return BackupPlan(schedule: topology.backups.schedule, keepDays: topology.backups.keepDays, dir: topology.backups.dir, targets: targets,
                          upload: topology.backups.upload)
    }
}
