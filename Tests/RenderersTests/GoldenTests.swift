import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// Every file of every scenario's bundle, compared byte for byte (and by mode) with
/// Tests/RenderersTests/Golden/<scenario>/…; the list of files and their modes is
/// Golden/<scenario>.files. Re-record on purpose with `OVUDEV_RECORD=1 swift test --filter GoldenTests`
/// (that run fails, so a recording is never mistaken for a pass), then read `git diff`.
@Suite(.ownThread) struct GoldenTests {
    static var recording: Bool { ProcessInfo.processInfo.environment["OVUDEV_RECORD"] == "1" }

    /// One line per file: `0644 docker-compose.yml`.
    static func listing(_ files: [RenderedFile]) -> String {
        files.map { "0" + String($0.mode, radix: 8) + " " + $0.path }.joined(separator: "\n") + "\n"
    }

    @Test func everyScenarioHasGoldenFiles() throws {
        let scenarios = try Bundles.scenarioNames()
        let onDisk = ((try? FileManager.default.contentsOfDirectory(atPath: Bundles.goldenRoot)) ?? [])
            .filter { !$0.hasSuffix(".files") && !$0.hasPrefix(".") && $0 != "extra" && !$0.hasPrefix("k8s-") }.sorted()
        if Self.recording { return }
        #expect(onDisk == scenarios, "Golden/ holds \(onDisk) but the topology's scenarios are \(scenarios); record with OVUDEV_RECORD=1")
    }

    @Test(arguments: try Bundles.scenarioNames())
    func bundleMatchesGolden(scenario: String) throws {
        let (_, files) = try Bundles.render(scenario)
        try GoldenFolder.compare(files, folder: scenario)
    }

    /// Same plan, secrets and options twice → the same bytes (fresh templates and plan each time),
    /// in memory and on disk through BundleWriter. Golden files catch what differs between
    /// processes (Swift's hash seed changes per process).
    @Test(arguments: try Bundles.scenarioNames())
    func renderingTwiceIsByteIdentical(scenario: String) throws {
        let first = try Bundles.render(scenario).files
        let second = try Bundles.render(scenario).files
        #expect(first == second)

        let a = try Bundles.write(scenario, realProject: false)
        let b = try Bundles.write(scenario, realProject: false)
        defer { a.remove(); b.remove() }
        // Different folders: compare with the paths that name them removed.
        for file in a.files {
            let x = try Data(contentsOf: URL(fileURLWithPath: a.path(file.path)))
            let y = try Data(contentsOf: URL(fileURLWithPath: b.path(file.path)))
            let strip = { (d: Data, root: String) in String(decoding: d, as: UTF8.self).replacingOccurrences(of: root, with: "<root>") }
            #expect(strip(x, a.root) == strip(y, b.root), "\(file.path) differs between two writes")
        }
    }

    /// BundleWriter writes the modes the renderer asked for, and the bundle folder is private.
    @Test(arguments: try Bundles.scenarioNames())
    func writtenModesMatch(scenario: String) throws {
        let w = try Bundles.write(scenario, realProject: false)
        defer { w.remove() }
        for file in w.files {
            let attributes = try FileManager.default.attributesOfItem(atPath: w.path(file.path))
            let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value
            #expect(mode == file.mode, "\(file.path): mode \(String(mode ?? 0, radix: 8)), expected \(String(file.mode, radix: 8))")
        }
        let bundleMode = (try FileManager.default.attributesOfItem(atPath: w.bundle)[.posixPermissions] as? NSNumber)?.uint16Value
        #expect(bundleMode == 0o700)
    }

    @Test func embeddedTemplatesMatchTemplatesFolder() throws {
        try Tools.require("python3")
        let r = try Tools.run(["python3", "scripts/embed-templates.py", "--check"], in: Bundles.repoRoot)
        #expect(r.status == 0, "Sources/Renderers/BuiltinTemplates.swift is out of date with Templates/: run `python3 scripts/embed-templates.py`\n\(r.output)")
    }

    /// Every built-in template is used by some scenario, so the goldens cover each of them.
    @Test func goldensCoverEveryTemplate() throws {
        let markers: [String: (RenderedFile) -> Bool] = [
            "crontab.mustache": { $0.path == "backup/crontab" },
            "docker-compose.yml.mustache": { $0.path == "docker-compose.yml" },
            "env.example.mustache": { $0.path == ".env.example" },
            "grants.sql.mustache": { $0.path.hasSuffix("post-migrate/grants.sql") },
            "init-db.sh.mustache": { $0.path.hasSuffix("init-db.sh") && $0.contents.contains("psql ") },
            "init-db.sql.mustache": { $0.path.hasSuffix("init-db.sql") && $0.contents.contains("\\connect") },
            "mongo-init.js.mustache": { $0.path.hasSuffix("init-db.js") },
            "mysql-init.sh.mustache": { $0.path.hasSuffix("init-db.sh") && $0.contents.contains("mysql ") },
            "mysql-init.sql.mustache": { $0.path.hasSuffix("init-db.sql") && $0.contents.contains("CREATE USER IF NOT EXISTS") },
            "service.env.mustache": { $0.path.hasPrefix("env/") },
        ]
        #expect(Set(markers.keys) == Set(TemplateSet.builtinNames), "a template was added or removed: update this table")
        var all: [RenderedFile] = []
        for scenario in try Bundles.scenarioNames() { all += try Bundles.render(scenario).files }
        let unused = markers.filter { _, used in !all.contains(where: used) }.keys.sorted()
        // The MySQL external-secrets script is not reached by the example topology (hybrid uses
        // generated secrets); it is covered by a topology made for it below.
        #expect(unused.filter { $0 != "mysql-init.sh.mustache" } == [], "no scenario renders \(unused)")
    }

    /// The example has no external-secrets MySQL/MongoDB scenario: render one so the golden
    /// files cover init-db.sh for MySQL and the env lookups in init-db.js.
    @Test func externalMixedScenarioMatchesGolden() throws {
        var topology = try Bundles.topology()
        guard let i = topology.scenarios.firstIndex(where: { $0.name == "hybrid" }) else {
            Issue.record("the example topology has no hybrid scenario"); return
        }
        topology.scenarios[i].secrets = .external
        let plan = try resolve(topology, scenario: "hybrid")
        let files = try BundleRenderer(plan: plan, secrets: .external, templates: try .builtin(), options: Bundles.goldenOptions("hybrid-external")).render()
        let picked = files.filter { $0.path.hasPrefix("init/mysql/") || $0.path.hasPrefix("init/mongodb/") || $0.path == ".env.example" }
        #expect(picked.map(\.path) == [".env.example", "init/mongodb/init-db.js", "init/mysql/init-db.sh"])
        let dir = "\(Bundles.goldenRoot)/extra/hybrid-external"
        for file in picked {
            let path = "\(dir)/\(file.path)"
            if Self.recording {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path))
                continue
            }
            guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
                Issue.record("missing golden file \(path); record with OVUDEV_RECORD=1"); continue
            }
            if let diff = firstDifference(expected: expected, actual: file.contents) { Issue.record("\(path) differs: \(diff)") }
            #expect(file.mode == (file.path.hasSuffix(".sh") ? 0o755 : 0o644), "\(file.path) mode \(String(file.mode, radix: 8))")
        }
        if Self.recording { Issue.record("recorded \(dir); rerun without OVUDEV_RECORD=1") }
    }

    // MARK: - BundleWriter

    /// Re-rendering into the same folder keeps what the user put there (a filled-in `.env`),
    /// drops what ovudev wrote before and no longer renders, and leaves no staging folder.
    @Test func rewriteKeepsUserFilesAndDropsStaleOnes() throws {
        let root = try Bundles.temporaryDirectory("writer")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bundle = "\(root)/render/x"
        let fm = FileManager.default
        let external = try #require(try Bundles.scenarioNames().first { try Bundles.plan($0).secrets == .external })
        let generated = try #require(try Bundles.scenarioNames().first { try Bundles.plan($0).secrets == .generated })
        let first = try Bundles.render(external).files
        try BundleWriter.write(first, to: bundle)
        try "AAM_DB_PASSWORD=filled\n".write(toFile: "\(bundle)/.env", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: "\(bundle)/notes", withIntermediateDirectories: true)
        try "mine\n".write(toFile: "\(bundle)/notes/todo.txt", atomically: true, encoding: .utf8)

        let second = try Bundles.render(generated).files
        try BundleWriter.write(second, to: bundle)
        #expect(try String(contentsOfFile: "\(bundle)/.env", encoding: .utf8) == "AAM_DB_PASSWORD=filled\n")
        #expect(fm.fileExists(atPath: "\(bundle)/notes/todo.txt"))
        for stale in Set(first.map(\.path)).subtracting(second.map(\.path)) {
            #expect(!fm.fileExists(atPath: "\(bundle)/\(stale)"), "\(stale) from the previous render is still there")
        }
        for file in second {
            #expect(try String(contentsOfFile: "\(bundle)/\(file.path)", encoding: .utf8) == file.contents)
        }
        #expect(try fm.contentsOfDirectory(atPath: "\(root)/render") == ["x"], "staging or retired folders left behind")
    }

    /// All or nothing: a bundle that cannot be written leaves the previous one untouched.
    @Test func failedWriteLeavesPreviousBundle() throws {
        let root = try Bundles.temporaryDirectory("writer")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bundle = "\(root)/render/x"
        let files = try Bundles.render("dev").files
        try BundleWriter.write(files, to: bundle)
        // `a` as a file and as a folder: the second cannot be created.
        let impossible = [RenderedFile(path: "a", contents: "1\n", mode: 0o644), RenderedFile(path: "a/b", contents: "2\n", mode: 0o644)]
        #expect(throws: (any Error).self) { try BundleWriter.write(impossible, to: bundle) }
        for file in files {
            #expect(try String(contentsOfFile: "\(bundle)/\(file.path)", encoding: .utf8) == file.contents)
        }
        #expect(!FileManager.default.fileExists(atPath: "\(bundle)/a"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/render") == ["x"])
    }

    // MARK: - Project template overrides

    @Test func projectTemplateOverridesBuiltin() throws {
        let dir = try Bundles.temporaryDirectory("templates")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let custom = "{{% CONTENT_TYPE: TEXT }}\n# our own crontab for {{{bundle}}}\n{{#targets}}\n{{{backup}}}\n{{/targets}}\n"
        try custom.write(toFile: "\(dir)/crontab.mustache", atomically: true, encoding: .utf8)
        try "not a template, ignored\n".write(toFile: "\(dir)/README.md", atomically: true, encoding: .utf8)

        let set = try TemplateSet(overrideDirectory: dir)
        let origins = Dictionary(uniqueKeysWithValues: set.list.map { ($0.name, $0.origin) })
        #expect(origins["crontab.mustache"] == "\(dir)/crontab.mustache")
        #expect(origins.filter { $0.key != "crontab.mustache" }.values.allSatisfy { $0 == "built-in" })

        let overridden = try Bundles.render("dev", templates: set).files
        let builtin = try Bundles.render("dev").files
        let crontab = try #require(overridden.first { $0.path == "backup/crontab" })
        #expect(crontab.contents.hasPrefix("# our own crontab for /srv/ovu/render/dev\n"))
        #expect(!crontab.contents.contains("MAILTO"))
        #expect(crontab.contents.contains("pg_dump"))
        // Everything else is unchanged.
        #expect(overridden.filter { $0.path != "backup/crontab" } == builtin.filter { $0.path != "backup/crontab" })
    }

    @Test func unknownTemplateNameIsAnError() throws {
        let dir = try Bundles.temporaryDirectory("templates")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{{% CONTENT_TYPE: TEXT }}\n".write(toFile: "\(dir)/crontabs.mustache", atomically: true, encoding: .utf8)
        do {
            _ = try TemplateSet(overrideDirectory: dir)
            Issue.record("an unknown template name was accepted")
        } catch let error as TemplateError {
            #expect(error.message.contains("\(dir)/crontabs.mustache"))
            #expect(error.message.contains("crontab.mustache"), "the message should list the real names: \(error.message)")
        }
    }

    @Test func brokenOverrideNamesItsFile() throws {
        let dir = try Bundles.temporaryDirectory("templates")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{{#targets}}\nunclosed\n".write(toFile: "\(dir)/crontab.mustache", atomically: true, encoding: .utf8)
        do {
            _ = try TemplateSet(overrideDirectory: dir)
            Issue.record("a malformed template was accepted")
        } catch let error as TemplateError {
            #expect(error.message.contains("\(dir)/crontab.mustache"))
        }
    }
}

/// The first line where two texts differ, readably; nil when equal.
func firstDifference(expected: String, actual: String) -> String? {
    if expected == actual { return nil }
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(e.count, a.count) {
        let x = i < e.count ? String(e[i]) : nil, y = i < a.count ? String(a[i]) : nil
        if x != y {
            return "first difference at line \(i + 1)\n  expected: \(x.map { String(reflecting: $0) } ?? "<end of file>")\n  actual:   \(y.map { String(reflecting: $0) } ?? "<end of file>")"
        }
    }
    return "the texts differ only in bytes the line split hides"
}
