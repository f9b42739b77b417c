import Foundation
import Renderers
import Testing
import TestSupport
import Topology

/// The native provisioner applies `MySQLInit.script` (no templates at run time); the renderer
/// lays the same sections out through `mysql-init.sql.mustache`. With the built-in template the
/// two are the same bytes.
@Suite(.ownThread) struct MySQLInitTests {
    @Test func scriptIsTheRenderedInitSQL() throws {
        var compared = 0
        for scenario in try Bundles.scenarioNames() {
            let (plan, files) = try Bundles.render(scenario)
            let values = Bundles.secrets(for: plan)
            for server in plan.servers where server.engine == .mysql {
                guard let file = files.first(where: { $0.path == "init/\(server.name)/init-db.sql" }) else { continue }
                let header = RenderHeader.text(plan: plan, topologyFile: "ovu.topology.json")
                let passwords: (SecretRef) -> String = { Escape.mysqlLiteral(values.value($0) ?? "") }
                #expect(MySQLInit.script(server, header: header, password: passwords) == file.contents, "\(scenario) \(server.name)")
                compared += 1
            }
        }
        #expect(compared > 0, "no scenario renders a MySQL init-db.sql")
    }
}
