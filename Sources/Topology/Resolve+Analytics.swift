extension Resolver {
    /// The analytics role (`analytics.role`): CONNECT and SELECT on the data of every service,
    /// or of `analytics.services` only; nothing else.
    func grantAnalytics(_ instances: [ServiceInstance], _ builders: ServerBuilders) {
        let role = scenario.analyticsRole
        let allowed = scenario.analyticsServices.map(Set.init)
        let serviceOf = Dictionary(uniqueKeysWithValues: instances.map { ($0.name, $0.service) })
        func reads(instance: String?) -> Bool { allowed == nil || instance.flatMap { serviceOf[$0] }.map { allowed!.contains($0) } == true }
        for b in builders.byName.values.sorted(by: { $0.server.name < $1.server.name }) where b.server.engine != .redis {
            if let clash = b.roles[role], !clash.readOnly {
                fail("\(scenarioPath).analytics.role", "the analytics role \"\(role)\" is also the role of \(clash.instance ?? "a service") on \(b.server.name)")
                continue
            }
            for (name, var database) in b.databases.sorted(by: { $0.key < $1.key }) {
                let owners = database.instances.filter { reads(instance: $0) }
                guard !owners.isEmpty else { continue }
                var readers: [SchemaReader] = []
                if b.server.engine == .postgres {
                    if database.schemas.isEmpty {
                        if allowed != nil && owners.count < database.instances.count {
                            fail("\(scenarioPath).analytics.services", "under prefix isolation every service's tables share schema public of \(name): the role cannot read some services and not others; use schema isolation or leave \"services\" out")
                            continue
                        }
                        let owners = database.publicCreate.isEmpty ? [database.owner].compactMap { $0 } : database.publicCreate
                        readers.append(SchemaReader(role: role, schema: "public", owners: owners.sorted()))
                    } else {
                        for schema in database.schemas where reads(instance: b.roles[schema.owner]?.instance) {
                            readers.append(SchemaReader(role: role, schema: schema.name, owners: [schema.owner]))
                        }
                    }
                }
                b.addRole(role, instance: nil, readOnly: true)
                database.connect.append(role)
                database.schemaReaders += readers
                b.databases[name] = database
            }
        }
    }
}
