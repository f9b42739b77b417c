extension Validator {
    /// `scenarios.<s>.analytics` as an object: the role's name (a plain SQL identifier, not a
    /// service's role) and the services it may read (known services that own a database).
    func analyticsAccess(_ a: AnalyticsSpec, path: String) -> (role: String, services: [String]?) {
        let role = a.role ?? "analytics"
        if a.role != nil {
            if !Validator.isPlainIdentifier(role) || role.hasPrefix("pg_") {
                d.error(path + ".role", "role name \"\(role)\" is invalid: use lowercase letters, digits and '_', starting with a letter or '_', not pg_ (at most 63)")
            } else if role.hasSuffix("_user") && serviceNames.contains(where: { sqlName($0) + "_user" == role || role.hasSuffix("_\(sqlName($0))_user") }) {
                d.error(path + ".role", "role name \"\(role)\" is a service's role; name the analytics role apart, e.g. \"analytics_readonly\"")
            } else if ["postgres", "root", "public", "mysql"].contains(role) {
                d.error(path + ".role", "role name \"\(role)\" is reserved by the servers")
            }
        }
        guard let services = a.services else { return (role, nil) }
        if services.isEmpty { d.error(path + ".services", "is empty: name the services the role may read, or leave \"services\" out for every service") }
        var seen = Set<String>()
        for (i, name) in services.enumerated() {
            let at = "\(path).services[\(i)]"
            if !seen.insert(name).inserted {
                d.error(at, "\"\(name)\" is listed twice")
            } else if let s = spec.services?[name] {
                if s.database == nil { d.error(at, "service \"\(name)\" owns no database: there is nothing of it to read") }
            } else {
                d.error(at, "unknown service \"\(name)\"\(didYouMean(name, among: serviceNames))")
            }
        }
        return (role, services.sorted())
    }
}
