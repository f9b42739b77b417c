import Foundation
import Testing
import Topology
import Renderers
import Workspace

/// Shared helpers for the bundle tests: the example topology, fixed secrets, rendering, temp
/// folders and running the real validators.
enum Bundles {
    /// The package root, from this file's path (Tests/RenderersTests/Support/Bundles.swift).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var topologyPath: String { "\(repoRoot)/ovu.topology.json" }
    static var goldenRoot: String { "\(repoRoot)/Tests/RenderersTests/Golden" }

    static func topology() throws -> Topology { try TopologyLoader.load(path: topologyPath) }

    /// Every scenario of the example topology, sorted.
    static func scenarioNames() throws -> [String] { try topology().scenarios.map(\.name).sorted() }

    static func plan(_ scenario: String) throws -> Plan { try resolve(try topology(), scenario: scenario) }

    /// A fixed, alphanumeric password per secret variable: `AAM_DB_PASSWORD` → `pwAamDbPassword7`.
    static func fixedPassword(_ variable: String) -> String {
        "pw" + variable.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined() + "7"
    }

    static func fixedSecretValues(_ plan: Plan) -> [String: String] {
        Dictionary(uniqueKeysWithValues: plan.secretRefs.map { ($0.variable, fixedPassword($0.variable)) })
    }

    /// Fixed values for generated secrets; references only for `secrets: external`.
    static func secrets(for plan: Plan) -> Secrets {
        plan.secrets == .external ? .external : Secrets(values: fixedSecretValues(plan))
    }

    /// The options the golden files are rendered with.
    static func goldenOptions(_ scenario: String) -> RenderOptions {
        RenderOptions(topologyFile: "ovu.topology.json", bundleDirectory: "/srv/ovu/render/\(scenario)",
                      projectFromBundle: "../..", backupsDirectory: "/srv/ovu/backups")
    }

    static func render(_ scenario: String, options: RenderOptions? = nil, templates: TemplateSet? = nil) throws -> (plan: Plan, files: [RenderedFile]) {
        let plan = try plan(scenario)
        let files = try BundleRenderer(plan: plan, secrets: secrets(for: plan), templates: try templates ?? TemplateSet.builtin(),
                                       options: options ?? goldenOptions(scenario)).render()
        return (plan, files)
    }

    /// A bundle written to disk the way `ovudev render` writes it, into a throwaway folder
    /// (`<root>/render/<scenario>`, backups in `<root>/backups`). docker-compose checks that every
    /// build context exists, so by default the compose build contexts point at this repository
    /// (where the example services live); with `realProject: false` they point at `<root>`,
    /// which has no service folders.
    struct Written {
        var root: String
        var bundle: String
        var plan: Plan
        var files: [RenderedFile]
        func path(_ relative: String) -> String { "\(bundle)/\(relative)" }
        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    static func write(_ scenario: String, realProject: Bool = true) throws -> Written {
        let root = try temporaryDirectory("bundle-\(scenario)")
        let bundle = "\(root)/render/\(scenario)"
        let options = RenderOptions(topologyFile: "ovu.topology.json", bundleDirectory: bundle,
                                    projectFromBundle: realProject ? relativePath(from: bundle, to: repoRoot) : "../..",
                                    backupsDirectory: "\(root)/backups")
        let (plan, files) = try render(scenario, options: options)
        try BundleWriter.write(files, to: bundle)
        return Written(root: root, bundle: bundle, plan: plan, files: files)
    }

    static func temporaryDirectory(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "ovudev-test-\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Resolve symlinks (/tmp on some systems) so relative paths computed later agree.
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// The value a host process should see for an env variable (nil: needs an external secret).
    static func expectedHostValue(_ value: EnvValue, secrets: [String: String]?) -> String? {
        var out = ""
        for part in value.parts {
            switch part {
            case let .text(t): out += t
            case let .secret(ref, inURL):
                guard let v = secrets?[ref.variable] else { return nil }
                out += inURL ? Escape.urlComponent(v) : v
            }
        }
        return out
    }
}

// MARK: - Running the real tools

struct ToolMissing: Error, CustomStringConvertible {
    var description: String
}

struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + (stdout.isEmpty || stderr.isEmpty ? "" : "\n") + stderr }
}

enum Tools {
    /// How to install each external tool the validators use.
    static let install: [String: String] = [
        "check-jsonschema": "pip install check-jsonschema",
        "docker-compose": "apt-get install docker-compose",
        "crontab": "apt-get install cron",
        "python3": "apt-get install python3",
        "sh": "apt-get install dash",
        "kubernetes-validate": "pip install 'kubernetes-validate>=1.37' (or: sh scripts/install-deps.sh)",
        "kubectl": "apt-get install kubectl (from the Google Cloud SDK or the Kubernetes apt repository)",
    ]

    /// A small, fixed environment: no stray variables reach compose interpolation or `sh`.
    static func baseEnvironment() -> [String: String] {
        let current = ProcessInfo.processInfo.environment
        var env: [String: String] = ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
        for key in ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "VIRTUAL_ENV", "TMPDIR"] {
            if let v = current[key] { env[key] = v }
        }
        if env["PATH"] == nil { env["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        return env
    }

    static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Fails (throws) with the install command when a tool is missing.
    static func require(_ tool: String) throws {
        guard find(tool) != nil else {
            throw ToolMissing(description: "`\(tool)` is not installed; install it with: \(install[tool] ?? tool)")
        }
    }

    /// python-dotenv and PyYAML (to read `docker-compose config` output) for `python3`.
    static func requirePythonModules() throws {
        try require("python3")
        let r = try run(["python3", "-c", "import dotenv.parser, yaml"])
        guard r.status == 0 else {
            throw ToolMissing(description: "python3 lacks python-dotenv or PyYAML; install them with: pip install python-dotenv pyyaml\n\(r.stderr)")
        }
    }

    /// Runs `arguments` (looked up on PATH), output to files (no pipe can fill up), and waits.
    static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil, stdin: String? = nil) throws -> ToolResult {
        let r = try ChildProcess.run(arguments, directory: directory, environment: environment ?? baseEnvironment(), input: stdin ?? "")
        return ToolResult(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}

// MARK: - Cron's command rule

/// What cron (Debian's vixie cron, do_command.c) does to a crontab command before the shell
/// sees it: a backslash escapes the next character, and only `\%` drops its backslash; the
/// first unescaped `%` ends the command and the rest, with every `%` turned into a newline,
/// becomes the command's stdin.
func cronTranslate(_ command: String) -> (command: String, stdin: String?) {
    var out = ""
    var escaped = false
    var index = command.startIndex
    while index < command.endIndex {
        let ch = command[index]
        if escaped {
            if ch == "%" { out.removeLast(); out.append("%") } else { out.append(ch) }
            escaped = false
        } else if ch == "\\" {
            out.append(ch)
            escaped = true
        } else if ch == "%" {
            let rest = command[command.index(after: index)...]
            return (out, rest.replacingOccurrences(of: "%", with: "\n"))
        } else {
            out.append(ch)
        }
        index = command.index(after: index)
    }
    return (out, nil)
}

/// A crontab's lines split into environment assignments and jobs (schedule + command).
struct CrontabLines {
    var environment: [(key: String, value: String)] = []
    var jobs: [(schedule: String, command: String, line: Int)] = []

    init(_ text: String) {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let eq = line.firstIndex(of: "="), line[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                var value = String(line[line.index(after: eq)...])
                if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f { value = String(value.dropFirst().dropLast()) }
                environment.append((String(line[..<eq]), value))
                continue
            }
            // Five schedule fields, then the command.
            var rest = Substring(line)
            var fields: [Substring] = []
            while fields.count < 5, let space = rest.firstIndex(where: { $0 == " " || $0 == "\t" }) {
                fields.append(rest[..<space])
                rest = rest[space...].drop(while: { $0 == " " || $0 == "\t" })
            }
            jobs.append((fields.joined(separator: " "), String(rest), i + 1))
        }
    }
}
