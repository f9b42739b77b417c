import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// `docs/<svc>/DATABASE.md`: one per service in every bundle, its diagram well-formed Mermaid,
/// no password in it, `reads` told from both ends.
@Suite(.ownThread) struct DatabaseDocTests {
    @Test(arguments: try Bundles.scenarioNames())
    func everyServiceHasOneWithoutSecrets(scenario: String) throws {
        let (plan, files) = try Bundles.render(scenario)
        let docs = files.filter { $0.path.hasPrefix("docs/") }
        #expect(docs.map(\.path) == DatabaseDoc.services(plan).map { "docs/\($0)/DATABASE.md" })
        let secrets = Bundles.fixedSecretValues(plan).values
        for doc in docs {
            #expect(!secrets.contains { doc.contents.contains($0) }, "\(doc.path) shows a password")
            #expect(doc.mode == 0o644)
            let mermaid = doc.contents.components(separatedBy: "```mermaid\n").last?.components(separatedBy: "```").first ?? ""
            #expect(MermaidCheck.problems(mermaid) == [], "\(scenario) \(doc.path):\n\(mermaid)")
        }
    }

    @Test func readsAreToldFromBothEnds() throws {
        let (_, files) = try Bundles.render("stage")
        let ulm = try #require(files.first { $0.path == "docs/ulm/DATABASE.md" }).contents
        let aam = try #require(files.first { $0.path == "docs/aam/DATABASE.md" }).contents
        #expect(aam.contains("- `aam` reads `ulm`: `roles`, `users` in `ulm_db`"), "\(aam)")
        #expect(ulm.contains("- `aam` (as `aam_user`) reads `roles`, `users` of `ulm`"), "\(ulm)")
        #expect(ulm.contains("the read-only role `analytics` may SELECT its tables in `ulm_db`"))
        #expect(ulm.contains("| `DATABASE_URL` | `postgresql://ulm_user:\(DatabaseDoc.mask)@127.0.0.1:5432/ulm_db` |"))
        #expect(ulm.contains("Schedule `0 2 * * *` (backup/crontab), kept 7 days"))
        #expect(ulm.contains("svc_aam -.->|\"reads roles, users\"| data_postgres_ulm_db"), "\(ulm)")
    }
}
