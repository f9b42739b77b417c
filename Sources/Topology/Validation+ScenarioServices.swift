extension Validator {
    /// `scenarios.<s>.services` (the services the scenario runs) and `scenarios.<s>.shared`
    /// (per-tenant: the services that run once for all tenants). A service the scenario runs may
    /// not read or depend on one it leaves out; a shared service may not read or depend on one
    /// that runs per tenant (which tenant's would it be?). Returns both lists, sorted.
    func scenarioServices(_ s: ScenarioSpec, scenario name: String, layout: Layout, path: String) -> (services: [String]?, shared: [String]) {
        let services = s.services.map { serviceList($0, path: path + ".services", what: "services") }
        let runs = { (service: String) in services?.contains(service) ?? true }
        var shared: [String] = []
        if let list = s.shared {
            if layout != .perTenant {
                d.error(path + ".shared", "applies only to the per-tenant layout, not \(layout.rawValue)")
            } else {
                shared = serviceList(list, path: path + ".shared", what: "shared")
                for (i, service) in list.enumerated() where shared.contains(service) && !runs(service) {
                    d.error("\(path).shared[\(i)]", "service \"\(service)\" is not one of the scenario's \"services\"; add it there or remove it here")
                }
            }
        }
        for (service, spec) in specServices where runs(service) {
            let servicePath = jsonPath("services", service)
            let isShared = shared.contains(service)
            for (i, dep) in (spec.dependsOn ?? []).enumerated() where knownServices.contains(dep) {
                checkReference(from: service, to: dep, "\(servicePath).dependsOn[\(i)]", verb: "depends on", scenario: name, runs: runs,
                               sharedReadsTenant: isShared && !shared.contains(dep))
            }
            for target in (spec.reads ?? [:]).keys.sorted() where knownServices.contains(target) && target != service {
                checkReference(from: service, to: target, jsonPath(servicePath + ".reads", target), verb: "reads", scenario: name, runs: runs,
                               sharedReadsTenant: isShared && !shared.contains(target))
            }
        }
        return (services, shared)
    }

    private func checkReference(from service: String, to target: String, _ path: String, verb: String, scenario: String,
                                runs: (String) -> Bool, sharedReadsTenant: Bool) {
        if !runs(target) {
            d.error(path, "in scenario \"\(scenario)\": service \"\(service)\" \(verb) \"\(target)\", which the scenario leaves out (scenarios.\(scenario).services); add \"\(target)\" there or remove this entry")
        } else if sharedReadsTenant {
            d.error(path, "in scenario \"\(scenario)\": the shared service \"\(service)\" \(verb) \"\(target)\", which runs once per tenant, so there is no one \"\(target)\" for it; share \"\(target)\" too (scenarios.\(scenario).shared) or remove this entry")
        }
    }

    /// A list of service names: known, each once, not empty. Returns the valid names, sorted.
    private func serviceList(_ list: [String], path: String, what: String) -> [String] {
        if list.isEmpty {
            d.error(path, what == "services" ? "lists no service; name the services the scenario runs, or remove the key to run them all"
                                             : "lists no service; name the shared services, or remove the key")
        }
        var names: [String] = []
        for (i, service) in list.enumerated() {
            let p = "\(path)[\(i)]"
            if !knownServices.contains(service) {
                d.error(p, "unknown service \"\(service)\"\(didYouMean(service, among: serviceNames))")
            } else if names.contains(service) {
                d.error(p, "\"\(service)\" is listed twice")
            } else {
                names.append(service)
            }
        }
        return names.sorted()
    }
}
