extension Validator {
    /// `project`: present and a valid name.
    func validateProject() -> String {
        let project = spec.project ?? ""
        if spec.project == nil {
            d.error("project", "missing: name the project, e.g. \"project\": \"shop\"")
        } else {
            checkName(project, "project", what: "project", isKey: false)
        }
        return project
    }

    /// `servers`: at least one; each with a known engine, a version, a port and an image.
    func validateServers() -> [Server] {
        var servers: [Server] = []
        for (name, s) in (spec.servers ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let server = validateServer(name, s) { servers.append(server) }
        }
        checkCollisions(servers.map(\.name), parent: "servers", what: "server")
        if spec.servers == nil || servers.isEmpty && (spec.servers ?? [:]).isEmpty {
            d.error("servers", "missing: declare at least one server, e.g. \"postgres\": { \"engine\": \"postgres\", \"port\": 5432 }")
        }
        return servers
    }

    private func validateServer(_ name: String, _ s: ServerSpec) -> Server? {
        let path = jsonPath("servers", name)
        checkName(name, path, what: "server")
        guard let engine: Engine = requiredChoice(s.engine, path, key: "engine") else { return nil }
        let version = s.version ?? engine.defaultVersion
        if !isImageToken(version) {
            d.error(path + ".version", "version \"\(version)\" is invalid: use letters, digits, '.', '_' and '-'")
        }
        let port = s.port ?? engine.containerPort
        if s.port != nil { _ = requirePort(port, path + ".port") }
        let image = s.image ?? "\(engine.defaultImage):\(version)"
        if s.image != nil && !isImageReference(image) {
            d.error(path + ".image", "image \"\(image)\" is not a valid image reference")
        }
        checkACL(s, engine: engine, path: path)
        var server = Server(name: name, engine: engine, version: version, port: port, image: image,
                            host: existingHost(s, name: name, engine: engine, path: path), acl: s.acl ?? false)
        server.params = validateParams(s.params, path + ".params")
        if let max = s.maxConnections {
            if engine != .postgres && engine != .mysql {
                d.error(path + ".maxConnections", "applies to postgres and mysql servers, not \(engine.rawValue)")
            } else if max < 10 || max > 100_000 {
                d.error(path + ".maxConnections", "\(max) is out of range (10-100000)")
            }
            server.maxConnections = max
        }
        return server
    }
}
