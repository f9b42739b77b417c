import Foundation
import Testing
import Workspace

/// The `ovudev` binary SwiftPM built next to this test bundle.
private let ovudev: URL? = {
    var folders: [URL] = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        folders.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
    }
    if let arg0 = CommandLine.arguments.first {
        folders.append(URL(fileURLWithPath: arg0).deletingLastPathComponent())
    }
    for folder in folders {
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let binary = candidate.appendingPathComponent("ovudev")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: binary.path, isDirectory: &isDir), !isDir.boolValue,
               FileManager.default.isExecutableFile(atPath: binary.path) {
                return binary
            }
        }
    }
    return nil
}()

private let exampleTopology = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("ovu.topology.json")

struct Run {
    var status: Int32
    /// The signal that killed it, if one did.
    var signal: Int32?
    var stdout: String
    var stderr: String

    var exitedNormally: Bool { signal == nil }
}

/// A scratch folder: `project/` (the topology and nothing else), `io/` (captured output).
struct Sandbox: ~Copyable {
    let root: URL
    var project: URL { root.appendingPathComponent("project") }
    var io: URL { root.appendingPathComponent("io") }
    var out: URL { root.appendingPathComponent("out") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ovudev-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("project"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("io"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ text: String, name: String = "topology.json") throws -> URL {
        let url = project.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func contents(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    /// Runs ovudev in `project/` with stdout and stderr going to files (no pipe to fill up).
    func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Run {
        let binary = try #require(ovudev, "the ovudev binary was not found next to the test bundle (\(Bundle.main.bundlePath))")
        let r = try ChildProcess.run([binary.path] + arguments, directory: project.path, environment: environment)
        return Run(status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr)
    }
}

private func noCrash(_ run: Run, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.exitedNormally, "killed by signal \(run.status)\n\(run.stderr)", sourceLocation: sourceLocation)
    for sign in ["Fatal error", "Stack dump", "Segmentation fault", "Illegal instruction", "Current stack trace"] {
        #expect(!run.stderr.contains(sign), "\(run.stderr)", sourceLocation: sourceLocation)
    }
}

@Suite struct MalformedTopologyCLI {
    @Test func theBinaryIsThere() {
        #expect(ovudev != nil, "looked next to \(Bundle.main.bundlePath)")
        #expect(MalformedCase.all.count >= 40)
    }

    @Test(arguments: MalformedCase.all)
    func renderExits2AndWritesNothing(_ c: MalformedCase) throws {
        let box = try Sandbox()
        let file = try box.write(c.json)
        let run = try box.run(["render", "--topology", file.path, "--out", box.out.path])
        noCrash(run)
        #expect(run.status == 2, "exit \(run.status)\n\(run.stderr)")
        #expect(run.stdout.isEmpty, "\(run.stdout)")
        #expect(run.stderr.hasPrefix("error: "), "\(run.stderr)")
        #expect(run.stderr.contains(file.path), "the file is not named:\n\(run.stderr)")
        if !c.path.isEmpty {
            #expect(run.stderr.contains(" \(c.path): "), "the JSON path \(c.path) is not named:\n\(run.stderr)")
        }
        #expect(run.stderr.contains(c.fragment), "\(run.stderr)")
        if let line = c.line, let column = c.column {
            #expect(run.stderr.contains("\(file.path):\(line):\(column): "), "no file:line:column:\n\(run.stderr)")
        }
        // Nothing written: no bundle, no staging folder, no .ovu next to the topology.
        #expect(!FileManager.default.fileExists(atPath: box.out.path))
        #expect(box.contents(box.root) == ["io", "project"])
        #expect(box.contents(box.project) == ["topology.json"])
    }

    @Test(arguments: MalformedCase.all)
    func validateExits2(_ c: MalformedCase) throws {
        let box = try Sandbox()
        let file = try box.write(c.json, name: "ovu.topology.json")
        // The topology found in the current folder, without --topology.
        let run = try box.run(["validate"])
        noCrash(run)
        #expect(run.status == 2, "exit \(run.status)\n\(run.stderr)")
        if !c.path.isEmpty { #expect(run.stderr.contains(" \(c.path): "), "\(run.stderr)") }
        if let line = c.line, let column = c.column {
            #expect(run.stderr.contains("\(file.path):\(line):\(column): "), "\(run.stderr)")
        }
        #expect(box.contents(box.project) == ["ovu.topology.json"])
    }
}

@Suite struct CLIBehaviour {
    @Test func validateTheExample() throws {
        let box = try Sandbox()
        let run = try box.run(["validate", "--topology", exampleTopology.path])
        noCrash(run)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("ok"), "\(run.stdout)")
        #expect(run.stdout.contains("4 services"), "\(run.stdout)")
        // sam and smm take Redis databases 2 and 3 by position: a warning, not an error.
        #expect(run.stderr == #"warning: services.sam.redis: services "sam", "smm" take their Redis database on server "redis" by position ("redis": {} without "index"), so adding or removing such a service moves the others to another database; pin each where it is today: "index": 2 in sam, "index": 3 in smm"# + "\n",
                "\(run.stderr)")
    }

    /// Warnings go to stderr, one `warning: <path>: <message>` line each, and the exit status stays 0;
    /// with every Redis index pinned there is none.
    @Test func validateWarnsAboutPositionalRedisIndexesAndExits0() throws {
        let box = try Sandbox()
        let positional = try box.write(Fixture.topology(services: Fixture.services(
            ("billing", #"{ "redis": {} }"#), ("orders", #"{ "redis": {} }"#))), name: "positional.json")
        let warned = try box.run(["validate", "--topology", positional.path])
        noCrash(warned)
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stdout.contains("ok"), "\(warned.stdout)")
        let lines = warned.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("warning: services.billing.redis: services \"billing\", \"orders\" "), "\(warned.stderr)")
        #expect(warned.stderr.contains(#""index": 0 in billing, "index": 1 in orders"#), "\(warned.stderr)")

        let pinned = try box.write(Fixture.topology(services: Fixture.services(
            ("billing", #"{ "redis": { "index": 0 } }"#), ("orders", #"{ "redis": {} }"#))), name: "pinned.json")
        let quiet = try box.run(["validate", "--topology", pinned.path])
        noCrash(quiet)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
    }

    @Test func renderAnUnknownScenarioListsTheScenarios() throws {
        let box = try Sandbox()
        let file = try box.write(String(decoding: try Data(contentsOf: exampleTopology), as: UTF8.self), name: "ovu.topology.json")
        let run = try box.run(["render", "--topology", file.path, "--scenario", "nope", "--out", box.out.path])
        noCrash(run)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(#"unknown scenario "nope""#), "\(run.stderr)")
        #expect(run.stderr.contains("dev, hybrid, lean, prod, saas, stage"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: box.out.path))
        #expect(box.contents(box.project) == ["ovu.topology.json"])
    }

    @Test func noDefaultScenarioListsTheScenarios() throws {
        let box = try Sandbox()
        _ = try box.write(Fixture.topology(scenarios: #"{ "prod": { "layout": "db-per-service" }, "stage": { "layout": "single-db" } }"#),
                          name: "ovu.topology.json")
        let run = try box.run(["render", "--out", box.out.path])
        noCrash(run)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("prod, stage"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: box.out.path))
        #expect(box.contents(box.project) == ["ovu.topology.json"])
    }

    @Test(arguments: [["render", "--bogus"], ["validate", "--scenario"], ["render", "--scenario"], ["frobnicate"], ["render", "extra-argument"]])
    func wrongArgumentsExit2(_ arguments: [String]) throws {
        let box = try Sandbox()
        _ = try box.write(Fixture.topology(), name: "ovu.topology.json")
        let run = try box.run(arguments)
        noCrash(run)
        #expect(run.status == 2, "\(arguments): exit \(run.status)\n\(run.stderr)")
        #expect(!run.stderr.isEmpty)
        #expect(box.contents(box.project) == ["ovu.topology.json"])
    }

    @Test func aMissingTopologyFileExits2() throws {
        let box = try Sandbox()
        let run = try box.run(["render", "--out", box.out.path])
        noCrash(run)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("ovu.topology.json") && run.stderr.contains("no such file"), "\(run.stderr)")
        #expect(box.contents(box.root) == ["io", "project"])
    }

    /// The positive control for "nothing written": a valid topology does render into --out.
    @Test func aValidTopologyRenders() throws {
        let box = try Sandbox()
        let file = try box.write(Fixture.topology(), name: "ovu.topology.json")
        let run = try box.run(["render", "--topology", file.path, "--out", box.out.path])
        noCrash(run)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: box.out.appendingPathComponent("docker-compose.yml").path))
        #expect(box.contents(box.root) == ["io", "out", "project"])
    }
}
