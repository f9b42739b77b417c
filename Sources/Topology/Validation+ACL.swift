extension Validator {
    /// `servers.<s>.acl`: Redis only.
    func checkACL(_ s: ServerSpec, engine: Engine, path: String) {
        if s.acl == true && engine != .redis {
            d.error(path + ".acl", "\"acl\" gives each service a Redis ACL user; server \"\(path.dropFirst("servers.".count))\" is a \(engine.rawValue) server (its roles are already per service)")
        }
    }

    /// `services.<svc>.redis.prefix`: 1-64 characters that stand for themselves in an ACL key
    /// pattern (no glob characters, no spaces or quotes).
    func redisPrefix(_ prefix: String, path: String) -> String? {
        let forbidden: Set<Character> = ["*", "?", "[", "]", "\\", "\"", "'", "{", "}", "$", "`"]
        guard !prefix.isEmpty, prefix.count <= 64,
              prefix.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7f }),
              !prefix.contains(where: forbidden.contains) else {
            d.error(path, "prefix \"\(prefix)\" is invalid: use 1-64 printable ASCII characters without spaces, quotes or $, ` or the glob characters * ? [ ] \\ { }, e.g. \"auth:\"")
            return nil
        }
        return prefix
    }

    /// On one ACL server no service's prefix may start another's: `~auth*` would match `auth2:` keys.
    func checkRedisPrefixes(_ services: [Service], servers: [Server]) {
        let acl = Set(servers.filter(\.acl).map(\.name))
        let users = services.compactMap { s -> (name: String, server: String, prefix: String)? in
            guard let server = s.redisServer, acl.contains(server) else { return nil }
            return (s.name, server, s.redisPrefix ?? "\(s.name):")
        }
        for a in users {
            for b in users where a.name != b.name && a.server == b.server && b.prefix.hasPrefix(a.prefix) && (a.prefix != b.prefix || a.name < b.name) {
                d.error(jsonPath("services", b.name) + ".redis.prefix",
                        "prefix \"\(b.prefix)\" starts with \"\(a.prefix)\", the prefix of service \"\(a.name)\" on ACL server \"\(a.server)\": \(a.name)'s user could read \(b.name)'s keys; give each a prefix that does not start another's")
            }
        }
    }
}
