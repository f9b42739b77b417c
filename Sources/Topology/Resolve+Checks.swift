extension Resolver {
    // MARK: - Checks that need the whole plan

    private func pathFor(instance: String) -> String {
        let service = topology.services.first { instance == $0.name || instance.hasPrefix($0.name + "-") && topology.tenants.contains(String(instance.dropFirst($0.name.count + 1))) }
        return service.map { "services.\($0.name)" } ?? scenarioPath
    }

    /// PostgreSQL truncates identifiers at 63 bytes and MySQL user names at 32: reject, never truncate.
    func checkIdentifiers(_ servers: [PlannedServer]) {
        var reported = Set<String>()
        for s in servers {
            let limit = s.engine == .mysql ? 32 : 63
            let names = s.roles.map { ($0.name, $0.instance) } + s.databases.map { ($0.name, $0.instances.first) }
            for (name, instance) in names where name.utf8.count > (s.engine == .mysql ? min(limit, 64) : limit) && reported.insert(name).inserted {
                fail(instance.map(pathFor(instance:)) ?? scenarioPath, "the generated name \"\(name)\" is longer than \(limit) bytes, the \(s.engine.rawValue) limit; use shorter service or tenant names")
            }
            if s.engine == .postgres {
                for r in s.roles where r.name.hasPrefix("pg_") && reported.insert(r.name).inserted {
                    fail(r.instance.map(pathFor(instance:)) ?? scenarioPath, "the role name \"\(r.name)\" starts with \"pg_\", which PostgreSQL reserves; rename the service or tenant")
                }
            }
        }
        // Different tenant × service pairs that give the same identifiers.
        for s in servers {
            var seen: [String: String] = [:]
            for r in s.roles where !r.readOnly {
                guard let inst = r.instance else { continue }
                if let other = seen[r.name], other != inst {
                    fail(pathFor(instance: inst), "instances \"\(other)\" and \"\(inst)\" both get the role \"\(r.name)\"; rename a service or tenant")
                }
                seen[r.name] = inst
            }
        }
    }

    func checkPorts(_ servers: [PlannedServer], _ instances: [ServiceInstance]) {
        var used: [Int: String] = [:]
        func claim(_ port: Int, _ what: String, _ path: String) {
            if !(1...65535).contains(port) {
                fail(path, "\(what) would listen on port \(port), outside 1-65535")
            } else if let other = used[port] {
                fail(path, "port \(port) of \(what) is also used by \(other)")
            } else {
                used[port] = what
            }
        }
        for s in servers where s.host == nil {
            let path = topology.server(s.name) != nil ? "servers.\(s.name).port" : "\(scenarioPath).servers"
            claim(s.port, "server \"\(s.name)\"", path)
        }
        for i in instances {
            guard let port = i.port else { continue }
            claim(port, "service \"\(i.name)\"", i.tenant == nil ? "services.\(i.service).port" : "\(scenarioPath).portStride")
        }
    }

    func checkComposeNames(_ servers: [PlannedServer], _ instances: [ServiceInstance]) {
        var used: [String: String] = [:]
        func claim(_ name: String, _ what: String, _ path: String) {
            if let other = used[name] { fail(path, "the compose service \"\(name)\" (\(what)) collides with \(other); rename one") }
            used[name] = what
        }
        for s in servers where s.host == nil {
            claim(s.name, "server", "servers.\(s.name)")
            if s.engine == .postgres { claim("\(s.name)-provision", "provisioning of server \(s.name)", "servers.\(s.name)") }
            if s.databases.contains(where: { !$0.tableReads.isEmpty }) { claim("\(s.name)-grants", "grants of server \(s.name)", "servers.\(s.name)") }
        }
        for i in instances {
            claim(i.name, "service", "services.\(i.service)")
            if i.migrate != nil { claim("\(i.name)-migrate", "migration of \(i.name)", "services.\(i.service).migrate") }
        }
    }
}
