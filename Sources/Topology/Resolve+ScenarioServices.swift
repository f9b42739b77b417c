extension Resolver {
    /// The services the scenario runs (`scenarios.<s>.services`, default all), sorted by name.
    var services: [Service] { topology.services.filter { scenario.runs($0.name) } }

    /// The instance of `service` that an instance of `tenant` talks to: `sam-acme` per tenant,
    /// `auth` for a shared service (`scenarios.<s>.shared`) and outside per-tenant.
    func instanceName(_ service: String, tenant: String?) -> String {
        guard let tenant, !scenario.isShared(service) else { return service }
        return "\(service)-\(tenant)"
    }
}
