extension Validator {
    /// `servers.<s>.host`: an existing PostgreSQL server ovudev does not start (a managed
    /// PostgreSQL, an RDS endpoint): a host name or IPv4 address; `port` is its port; no `image`
    /// (ovudev runs no container for it). Returns the host when it is valid.
    func existingHost(_ s: ServerSpec, name: String, engine: Engine, path: String) -> String? {
        guard let host = s.host else { return nil }
        var valid = true
        if !Validator.isHostName(host) {
            d.error(path + ".host", "\"\(host)\" is not a host name or IPv4 address (letters, digits, '.' and '-', at most 253 characters)")
            valid = false
        }
        if engine != .postgres {
            d.error(path + ".host", "an existing server is supported for PostgreSQL only; server \"\(name)\" is \(engine.rawValue)")
            valid = false
        }
        if s.image != nil {
            d.error(path + ".image", "server \"\(name)\" is an existing server (\"host\"): ovudev runs no container for it, so it takes no image")
        }
        return valid ? host : nil
    }

    /// `db.example.com`, `10.0.0.5`: DNS labels of letters, digits and inner '-', joined by '.'.
    static func isHostName(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let bytes = Array(label.utf8)
            return !bytes.isEmpty && bytes.count <= 63 && bytes.first != UInt8(ascii: "-") && bytes.last != UInt8(ascii: "-")
                && bytes.allSatisfy { isLowerAlnum($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 == UInt8(ascii: "-") }
        }
    }
}

/// `OVU_<SERVER>_ADMIN_URL`: where the admin URL of an existing server is read from.
func adminURLVariable(_ server: String) -> String { "OVU_\(envName(server))_ADMIN_URL" }

extension PlannedServer {
    /// Where a process on this machine reaches the server: its host, or 127.0.0.1 for the servers ovudev runs.
    public var hostAddress: String { host ?? "127.0.0.1" }
    /// Where a container (compose, Kubernetes) reaches it: its host, or the server's service name.
    public var networkHost: String { host ?? name }
}
