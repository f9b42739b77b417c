import Foundation
import Stack
import Testing
import Topology

extension MoveTests {
    /// One service out and back: schemas → split (forms gets a database of its own) → a
    /// database per service → schemas again; every step finished, checksums equal to the start.
    @Test func oneServiceOutThenARoundTrip() throws {
        let project = try TempProject(topology: MoveFixture.topology)
        defer { project.close() }
        let schemas = try project.stack("schemas")
        _ = try schemas.up(check: false)
        try MoveFixture.populate(schemas)
        let start = try MoveTests.checksums(schemas)

        let split = try MoveTests.mover(project).run(to: "split")
        #expect(split.journal.services.filter { !$0.stays }.map(\.service) == ["forms"])
        #expect(split.check?.passed == true, "\(split.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
        #expect(try MoveTests.mover(project).finishList().count == 5)
        _ = try MoveTests.mover(project).finish()
        let s1 = try project.stack("split")
        try s1.loadSecrets()
        #expect(try MoveTests.checksums(s1) == start)

        for next in ["separated", "schemas"] {
            let report = try MoveTests.mover(project).run(to: next)
            #expect(report.check?.passed == true, "\(next): \(report.check?.findings.filter { $0.status != .ok }.map(\.detail) ?? [])")
            _ = try MoveTests.mover(project).finish()
            let stack = try project.stack(next)
            try stack.loadSecrets()
            #expect(try MoveTests.checksums(stack) == start, "after the move to \(next)")
        }
        #expect(ActiveStack(projectDirectory: project.directory).scenario == "schemas")
    }
}
