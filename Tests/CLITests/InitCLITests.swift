import Foundation
import Testing
import TestSupport

/// `ovudev init` as a user runs it: it writes a topology `ovudev validate` accepts, refuses to
/// replace one (exit 2, the file untouched) unless --force, and refuses bad names with exit 2.
@Suite(.ownThread) struct InitCLI {
    @Test func writesThenRefusesToOverwrite() throws {
        let box = try Sandbox()
        let first = try box.run(["init", "--services", "orders,billing", "--redis", "--project", "shop"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasSuffix("next: ovudev up\n"), "\(first.stdout)")
        let path = box.project.appendingPathComponent("ovu.topology.json").path
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try box.run(["validate"]).status == 0)

        let again = try box.run(["init", "--services", "other"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("ovu.topology.json already exists; nothing was written (pass --force to replace it)"), "\(again.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == written)

        let forced = try box.run(["init", "--services", "other", "--project", "shop", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"other\""))
    }

    @Test func badNamesAndFlagsExit2WritingNothing() throws {
        let box = try Sandbox()
        for arguments in [["init", "--services", "Orders"], ["init", "--services", "a", "--project", "My Shop"],
                          ["init"], ["init", "--services", "a", "--from", "x.yml"], ["init", "--from", "missing.yml"]] {
            let r = try box.run(arguments)
            #expect(r.status == 2, "\(arguments): \(r.status) \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: "), "\(arguments): \(r.stderr)")
        }
        #expect(box.contents(box.project) == [])
    }
}
