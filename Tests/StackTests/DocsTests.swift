import Foundation
import Renderers
import Stack
import Testing
import TestSupport
import Topology

/// `ovudev docs [svc]` on a running stack: the DATABASE.md `render` writes, then the live catalog.
@Suite(.ownThread) struct DocsTests {
    @Test func docsPrintsTheBundlesTextAndTheLiveCatalog() throws {
        let project = try TempProject()
        defer { project.close() }
        let stack = try project.stack("stage")
        _ = try stack.up(check: false)
        let r = try ovudev(["docs", "ulm", "--scenario", "stage"], directory: project.directory)
        #expect(r.status == 0, "\(r.output)")
        // The rendered file, word for word, comes first.
        let rendered = try project.project.render(scenario: "stage", output: "\(project.directory)/render/stage")
        let doc = try String(contentsOfFile: "\(rendered.directory)/docs/ulm/DATABASE.md", encoding: .utf8)
        #expect(r.output.hasPrefix(doc), "\(r.output)")
        // Then what the database holds now: ulm's seeded users, with their primary key's index.
        #expect(r.output.contains("## Live catalog"))
        #expect(r.output.contains("| `public.users` | 3 | "), "\(r.output)")
        #expect(r.output.contains("`users_pkey`"), "\(r.output)")
        #expect(r.output.contains("| `redis db 0` | "), "\(r.output)")
        #expect(!r.output.contains(stack.secrets[try #require(stack.plan.instance("ulm")?.database?.secret.variable)]!))

        // An unknown service: exit 2 with the choices.
        let unknown = try ovudev(["docs", "ulmm", "--scenario", "stage"], directory: project.directory)
        #expect(unknown.status == 2 && unknown.output.contains("services: aam, sam, smm, ulm"), "\(unknown.output)")
    }
}
