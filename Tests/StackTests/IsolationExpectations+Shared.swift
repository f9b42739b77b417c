import Foundation
import Stack
import Testing
import Topology

/// Issue #13's acceptance for `scenarios.<s>.shared`: a per-tenant scenario whose user service is
/// shared (the example's `ulm`, which owns `users`) across three tenants.
extension IsolationExpectations {
    static func sharedProject() throws -> TempProject {
        try TempProject { json in
            json["tenants"] = ["acme", "globex", "initech"]
            var scenarios = json["scenarios"] as! [String: [String: Any]]
            // Stride 50: three tenants' ports stay inside the project's block of 300.
            scenarios["saas-shared"] = ["layout": "per-tenant", "shared": ["ulm"], "portStride": 50]
            json["scenarios"] = scenarios
        }
    }

    /// One `ulm_db`, three tenant databases for each other service; every tenant's aam and sam
    /// read ulm's `users` (and `roles`) and nothing of another tenant, in the real catalogs (the
    /// hand-written `Expected.saasShared`), and `check` passes on it.
    @Test func sharedServiceAcrossThreeTenants() throws {
        let project = try Self.sharedProject()
        defer { project.close() }
        try verify("saas-shared", in: project, expected: Expected.saasShared)
        let stack = try project.stack("saas-shared")
        try stack.loadSecrets()
        let report = try stack.checker().run()
        #expect(report.passed, "\(report.findings.filter { $0.status != .ok && $0.status != .skipped })")
        // The shared instance runs once, without a tenant; the others once per tenant.
        let instances = stack.status().instances.map(\.instance).sorted()
        #expect(instances == ["aam-acme", "aam-globex", "aam-initech", "sam-acme", "sam-globex", "sam-initech",
                              "smm-acme", "smm-globex", "smm-initech", "ulm"])
    }
}

extension Expected {
    static let sharedTenants = ["acme", "globex", "initech"]

    /// per-tenant with `"shared": ["ulm"]`, tenants acme, globex, initech: ulm once (`ulm_db`,
    /// `ulm_user`), the other services per tenant; each tenant's aam and sam read ulm's users and
    /// roles.
    static let saasShared = ExpectedScenario(
        grants: ["postgres": maintenance
            + serviceDB("ulm_db", owner: "ulm_user", tables: ulmTables, readers: sharedTenants.flatMap { ["\($0)_aam_user", "\($0)_sam_user"] })
            + sharedTenants.flatMap { t in
                serviceDB("\(t)_aam_db", owner: "\(t)_aam_user", tables: aamTables)
                    + serviceDB("\(t)_sam_db", owner: "\(t)_sam_user", tables: ["sessions"])
                    + serviceDB("\(t)_smm_db", owner: "\(t)_smm_user", tables: ["messages"])
            }],
        roles: ["postgres": ["ulm_user"] + sharedTenants.flatMap { t in ["aam", "sam", "smm"].map { "\(t)_\($0)_user" } }],
        // Index × tenants + tenant's position; the shared ulm takes the first tenant's (0).
        redis: ["ulm": 0, "aam-acme": 3, "aam-globex": 4, "aam-initech": 5, "sam-acme": 6, "sam-globex": 7, "sam-initech": 8,
                "smm-acme": 9, "smm-globex": 10, "smm-initech": 11],
        logins: sharedTenants.flatMap { t in [
            .init(server: "postgres", role: "\(t)_aam_user", password: "\(t.uppercased())_AAM_DB_PASSWORD", database: "ulm_db", sql: "SELECT count(*) FROM users", sqlstate: nil),
            .init(server: "postgres", role: "\(t)_sam_user", password: "\(t.uppercased())_SAM_DB_PASSWORD", database: "ulm_db", sql: "SELECT count(*) FROM roles", sqlstate: nil),
            .init(server: "postgres", role: "\(t)_aam_user", password: "\(t.uppercased())_AAM_DB_PASSWORD", database: "ulm_db", sql: "SELECT count(*) FROM secrets", sqlstate: "42501"),
            .init(server: "postgres", role: "\(t)_smm_user", password: "\(t.uppercased())_SMM_DB_PASSWORD", database: "ulm_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "\(t)_aam_user", password: "\(t.uppercased())_AAM_DB_PASSWORD", database: "\(t)_aam_db", sql: "SELECT count(*) FROM accounts", sqlstate: nil),
        ] } + [
            // Nothing of another tenant.
            .init(server: "postgres", role: "acme_aam_user", password: "ACME_AAM_DB_PASSWORD", database: "globex_aam_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "globex_sam_user", password: "GLOBEX_SAM_DB_PASSWORD", database: "initech_sam_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "initech_smm_user", password: "INITECH_SMM_DB_PASSWORD", database: "acme_smm_db", sql: "SELECT 1", sqlstate: "42501"),
            .init(server: "postgres", role: "ulm_user", password: "ULM_DB_PASSWORD", database: "acme_aam_db", sql: "SELECT 1", sqlstate: "42501"),
        ])
}
