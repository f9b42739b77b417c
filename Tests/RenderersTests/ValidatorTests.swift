import Foundation
import Testing
import TestSupport
import Topology
import Renderers

/// Every rendered bundle checked by the real tools people deploy with: the Compose
/// Specification schema, docker-compose 1.29, python-dotenv, sh, and Debian's crontab.
/// A missing tool fails the test with the command that installs it.
@Suite(.ownThread) struct ValidatorTests {

    // MARK: - docker-compose.yml

    @Test(arguments: try Bundles.scenarioNames())
    func composeMatchesSpecificationSchema(scenario: String) throws {
        try Tools.require("check-jsonschema")
        let w = try Bundles.write(scenario)
        defer { w.remove() }
        let r = try Tools.run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"], in: w.bundle)
        #expect(r.status == 0, "check-jsonschema rejects \(scenario)/docker-compose.yml:\n\(r.output)")
        // Compose Specification: no `version:`; docker-compose 1.29 rejects a top-level `name:`.
        let text = try String(contentsOfFile: w.path("docker-compose.yml"), encoding: .utf8)
        let topLevel = text.split(separator: "\n").filter { !$0.hasPrefix(" ") && !$0.hasPrefix("#") }.map { String($0.prefix { $0 != ":" }) }
        #expect(topLevel == ["services", "volumes"], "top-level keys: \(topLevel)")
    }

    /// `docker-compose config` accepts the file, and the environment it gives every service is
    /// exactly what the Plan says (in-network values, secrets filled in). For external secrets
    /// the values come from a `.env` made from `.env.example`, as that file tells the deployer.
    @Test(arguments: try Bundles.scenarioNames())
    func dockerComposeAcceptsCompose(scenario: String) throws {
        try Tools.require("docker-compose")
        try Tools.requirePythonModules()
        let w = try Bundles.write(scenario)
        defer { w.remove() }
        let external = w.plan.secrets == .external
        var values = Bundles.fixedSecretValues(w.plan)
        if external {
            let example = try String(contentsOfFile: w.path(".env.example"), encoding: .utf8)
            let names = example.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.hasSuffix("=") }.map { String($0.dropLast()) }
            #expect(Set(names) == Set(w.plan.secretRefs.map(\.variable)), ".env.example must list every secret variable")
            // Distinct from the fixed generated values, so a leak of those would show.
            values = Dictionary(uniqueKeysWithValues: names.map { ($0, "ext" + Bundles.fixedPassword($0)) })
            try (names.map { "\($0)=\(values[$0]!)" }.joined(separator: "\n") + "\n").write(toFile: w.path(".env"), atomically: true, encoding: .utf8)
        }
        let quiet = try Tools.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"], in: w.bundle)
        #expect(quiet.status == 0, "docker-compose config -q rejects \(scenario):\n\(quiet.output)")
        #expect(!quiet.stderr.contains("WARNING"), "docker-compose warns about \(scenario):\n\(quiet.stderr)")

        let environments = try composeEnvironments(directory: w.bundle)
        for instance in w.plan.instances where instance.image != nil || instance.path != nil {
            let expected = Dictionary(uniqueKeysWithValues: instance.environment.map { ($0.key, Bundles.expectedHostValue($0.network, secrets: values)) })
            let services = instance.migrate != nil ? [instance.name, "\(instance.name)-migrate"] : [instance.name]
            for service in services where instance.command != nil || service.hasSuffix("-migrate") {
                let actual = try #require(environments[service], "docker-compose config has no service \(service)")
                if let d = mapDifference(want: expected.mapValues { $0 ?? "<missing>" }, got: actual) {
                    Issue.record("\(scenario): docker-compose gives \(service) another environment than the Plan: \(d)")
                }
            }
        }
    }

    /// External secrets: compose refuses to run while one is unset, and says what to set.
    @Test(arguments: try Bundles.scenarioNames().filter { try Bundles.plan($0).secrets == .external })
    func unsetExternalSecretFailsCompose(scenario: String) throws {
        try Tools.require("docker-compose")
        let w = try Bundles.write(scenario)
        defer { w.remove() }
        let names = w.plan.secretRefs.map(\.variable)
        let compose = try String(contentsOfFile: w.path("docker-compose.yml"), encoding: .utf8)
        for name in names {
            #expect(compose.contains("${\(name):?"), "\(name) is not required with ${\(name):?…} in docker-compose.yml")
        }
        let missing = try #require(names.first)
        let env = names.dropFirst().map { "\($0)=x\($0.lowercased().filter(\.isLetter))" }.joined(separator: "\n") + "\n"
        try env.write(toFile: w.path(".env"), atomically: true, encoding: .utf8)
        let r = try Tools.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"], in: w.bundle)
        #expect(r.status != 0, "docker-compose accepted \(scenario) with \(missing) unset")
        #expect(r.output.contains("set \(missing), see .env.example"), "the error should name the variable:\n\(r.output)")
    }

    /// What the tool taught us: docker-compose 1.29 checks that every build context exists
    /// (`build path … either does not exist, is not accessible, or is not a valid URL`), so the
    /// other tests point the build contexts at this repository, where the example services
    /// live (which also proves every `path` of the example topology exists).
    @Test func dockerComposeChecksBuildContexts() throws {
        try Tools.require("docker-compose")
        let scenario = try #require(try Bundles.scenarioNames().first { try Bundles.plan($0).secrets == .generated })
        let w = try Bundles.write(scenario, realProject: false)
        defer { w.remove() }
        let r = try Tools.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"], in: w.bundle)
        #expect(r.status != 0)
        #expect(r.output.contains("build path") && r.output.contains("does not exist"), "\(r.output)")
    }

    // MARK: - .env files

    /// Every env file reads to the same map with python-dotenv (strict), `sh` (`set -a; . file`)
    /// and docker-compose's `env_file`, and that map is the Plan's host-side environment.
    @Test(arguments: try Bundles.scenarioNames())
    func envFilesReadAlike(scenario: String) throws {
        let w = try Bundles.write(scenario)
        defer { w.remove() }
        let values = w.plan.secrets == .external ? nil : Bundles.fixedSecretValues(w.plan)
        var expected: [String: [String: String]] = [:]
        for instance in w.plan.instances {
            var map: [String: String] = [:]
            for v in instance.environment {
                if let text = Bundles.expectedHostValue(v.host, secrets: values) { map[v.key] = text }
            }
            expected[w.path(instance.envFile)] = map
        }
        #expect(Set(w.files.filter { $0.path.hasPrefix("env/") }.map { w.path($0.path) }) == Set(expected.keys))
        try checkReadersAgree(expected, directory: w.root, label: scenario)
    }

    /// `Escape.dotenvValue` on awkward values, each checked through the same three readers.
    @Test func dotenvValueReadsAlikeForAwkwardValues() throws {
        let awkward = [
            "plain", "", "a b", "  leading and trailing  ", "x$y", "$HOME", "$$", "cost: 5$", "$(echo hi)", "`echo hi`",
            "p#q", "#starts-with-hash", "a #comment?", "k=v", "=", "==x", "50%", "%s%d %%", "100% sure", "a;b&c|d",
            "*", "~", "~/x", "a:~/x", "\"double\"", "say \"hi\"", "tab\there", "ünïcödé ✓", "{}", "$}", "a$b{c}", "$ {x}",
            "postgresql://u:p%40ss@h:5432/db?sslmode=require&x=1",
        ]
        let dir = try Bundles.temporaryDirectory("dotenv")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "# awkward values\n"
        var expected: [String: String] = [:]
        for (i, value) in awkward.enumerated() {
            text += "V\(i)=\(try Escape.dotenvValue(value))\n"
            expected["V\(i)"] = value
        }
        let path = "\(dir)/awkward.env"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try checkReadersAgree([path: expected], directory: dir, label: "awkward values")
    }

    @Test(arguments: ["it's", "a\\b", "\\", "line\nbreak", "cr\rhere", "nul\u{0}", "bell\u{7}", "ls\u{2028}", "${HOME}", "x${A:-b}y", "${"+"x}"])
    func dotenvValueRefusesWhatReadersDisagreeOn(value: String) {
        #expect(throws: EscapeError.self, "\(String(reflecting: value)) was accepted") { try Escape.dotenvValue(value) }
    }

    // MARK: - Escaping through the real readers

    static let awkwardStrings = [
        "plain", "", "a b", " lead", "trail ", "it's", "say \"hi\"", "back\\slash", "\\", "two\nlines", "cr\rlf", "tab\tx",
        "$HOME", "${HOME}", "$$", "x$", "$(id)", "`id`", "#hash", "a #b", "k: v", "- item", "[1, 2]", "{a: b}", "*anchor", "&ref",
        "!tag", "%percent", "@at", "yes", "null", "0o17", "1e3", "~", "ünï ✓ 𝄞", "nel\u{85}x", "ls\u{2028}ps\u{2029}", "del\u{7F}", "ctl\u{1}\u{1B}",
    ]

    /// `Escape.composeString` (YAML double-quoted, `$` doubled) reads back unchanged through
    /// docker-compose's YAML parser and interpolation.
    @Test func composeStringReadsBackThroughDockerCompose() throws {
        try Tools.require("docker-compose")
        try Tools.requirePythonModules()
        let dir = try Bundles.temporaryDirectory("compose-strings")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "services:\n  probe:\n    image: busybox\n    environment:\n"
        for (i, value) in Self.awkwardStrings.enumerated() { text += "      V\(i): \(Escape.composeString(value))\n" }
        try text.write(toFile: "\(dir)/docker-compose.yml", atomically: true, encoding: .utf8)
        let read = try #require(try composeEnvironments(directory: dir)["probe"])
        // U+0085 (NEL) is skipped: compose reads it right, but its `config` output writes it raw
        // in a single-quoted scalar, where YAML folds it to a space on the way back.
        for (i, value) in Self.awkwardStrings.enumerated() where !value.unicodeScalars.contains("\u{85}") {
            #expect(read["V\(i)"] == value, "\(String(reflecting: value)) reads back as \(String(reflecting: read["V\(i)"]))")
        }
    }

    /// `Escape.shellWord` is one word that sh reads back unchanged.
    @Test func shellWordReadsBackThroughSh() throws {
        try Tools.require("sh")
        for value in Self.awkwardStrings {
            let r = try Tools.run(["sh", "-c", "printf '%s|' \(Escape.shellWord(value))"])
            #expect(r.status == 0 && r.stdout == value + "|", "\(String(reflecting: value)) → \(Escape.shellWord(value)) → \(String(reflecting: r.stdout))")
        }
    }

    /// `Escape.jsString` (mongosh scripts) is a JavaScript literal node reads back unchanged.
    @Test func jsStringReadsBackThroughNode() throws {
        guard Tools.find("node") != nil else {
            throw ToolMissing(description: "`node` is not installed; install it with: apt-get install nodejs")
        }
        let script = "process.stdout.write(JSON.stringify([" + Self.awkwardStrings.map(Escape.jsString).joined(separator: ", ") + "]))"
        let r = try Tools.run(["node", "-e", script])
        try #require(r.status == 0, "\(r.output)")
        let read = try JSONDecoder().decode([String].self, from: Data(r.stdout.utf8))
        #expect(read == Self.awkwardStrings)
    }

    // MARK: - backup/crontab

    /// Debian's `crontab -n` (dry run) accepts the file; no command holds an unescaped `%`;
    /// after cron's `%` rule every command is valid sh (`sh -n`); the schedule and the
    /// environment lines are the Plan's.
    @Test(arguments: try Bundles.scenarioNames())
    func crontabPassesCronAndShell(scenario: String) throws {
        try Tools.require("crontab")
        try Tools.require("sh")
        let w = try Bundles.write(scenario)
        defer { w.remove() }
        let r = try Tools.run(["crontab", "-n", w.path("backup/crontab")])
        #expect(r.status == 0, "crontab -n rejects \(scenario)/backup/crontab:\n\(r.output)")

        let text = try String(contentsOfFile: w.path("backup/crontab"), encoding: .utf8)
        let lines = CrontabLines(text)
        let env = Dictionary(lines.environment, uniquingKeysWith: { $1 })
        #expect(env["OVU_BUNDLE"] == w.bundle)
        #expect(env["OVU_BACKUPS"] == "\(w.root)/backups")
        #expect(env["SHELL"] == "/bin/sh")
        #expect(lines.jobs.count == 2 * w.plan.backups.targets.count, "one backup and one retention line per target")
        for job in lines.jobs {
            #expect(job.schedule == w.plan.backups.schedule, "line \(job.line)")
            let (command, stdin) = cronTranslate(job.command)
            #expect(stdin == nil, "line \(job.line): an unescaped % ends the command there: \(job.command)")
            #expect(!command.contains("\n"))
            let syntax = try Tools.run(["sh", "-n", "-c", command])
            #expect(syntax.status == 0, "line \(job.line) is not valid sh after cron's % rule:\n\(command)\n\(syntax.output)")
        }
    }

    /// `crontab -n` really checks: the same file with a broken schedule is refused.
    @Test func crontabDryRunRejectsABadSchedule() throws {
        try Tools.require("crontab")
        let w = try Bundles.write("dev", realProject: false)
        defer { w.remove() }
        let text = try String(contentsOfFile: w.path("backup/crontab"), encoding: .utf8)
        let broken = text.replacingOccurrences(of: "\n\(w.plan.backups.schedule) ", with: "\n61 2 * * * ")
        #expect(broken != text)
        try broken.write(toFile: w.path("backup/crontab.broken"), atomically: true, encoding: .utf8)
        let r = try Tools.run(["crontab", "-n", w.path("backup/crontab.broken")])
        #expect(r.status != 0, "crontab -n accepted minute 61")
    }

    /// Cron's rule applied by hand to a rendered line: `\%` → `%`, and nothing becomes a newline.
    @Test func cronPercentRuleOnARenderedLine() throws {
        let files = try Bundles.render("dev").files
        let text = try #require(files.first { $0.path == "backup/crontab" }).contents
        let job = try #require(CrontabLines(text).jobs.first { $0.command.contains("pg_dump") })
        #expect(job.command.contains("+\\%Y\\%m\\%d"), "the crontab must hold the escaped form: \(job.command)")
        let (command, stdin) = cronTranslate(job.command)
        #expect(stdin == nil)
        #expect(!command.contains("\n"))
        #expect(command.contains("+%Y%m%d"), "after cron's rule the shell must see date +%Y%m%d…: \(command)")
        #expect(!command.contains("\\%"))
    }

    /// The rule itself, on the cases that matter (and `Escape.cronCommand` round-trips through it).
    @Test func cronCommandEscapingRoundTrips() throws {
        #expect(cronTranslate("date +%Y").stdin == "Y")
        #expect(cronTranslate("a\\%b").command == "a%b")
        #expect(cronTranslate("a\\\\b").command == "a\\\\b")
        for command in ["date +%Y%m%d", "printf '%s\\n' x", "echo 100%% \\\\\\\\%", "a\\b%c", "no percent", "%"] {
            let escaped = try Escape.cronCommand(command)
            let back = cronTranslate(escaped)
            #expect(back.stdin == nil, "\(escaped)")
            #expect(back.command == command, "\(command) → \(escaped) → \(back.command)")
        }
        #expect(throws: EscapeError.self) { try Escape.cronCommand("a\\%b") }
        #expect(throws: EscapeError.self) { try Escape.cronCommand("two\nlines") }
    }

    /// The retention line, after cron's rule, run for real by sh with the crontab's environment,
    /// on back-dated dumps one per day (each an hour past its day boundary): exactly keepDays of
    /// them stay (ages 0 … keepDays-1 days), older ones and a stale `.part` go, other files stay.
    @Test func retentionLineDeletesOnlyOldDumps() throws {
        try Tools.require("sh")
        let w = try Bundles.write("dev", realProject: false)
        defer { w.remove() }
        let text = try String(contentsOfFile: w.path("backup/crontab"), encoding: .utf8)
        let lines = CrontabLines(text)
        let target = try #require(w.plan.backups.targets.first)
        let retention = lines.jobs.filter { $0.command.contains(" -delete") }
        #expect(retention.count == w.plan.backups.targets.count, "one retention line per target")
        let job = try #require(retention.first { $0.command.contains("/\(target.server)/\(target.name)\"") })
        let dir = "\(w.root)/backups/\(target.server)/\(target.name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keep = w.plan.backups.keepDays
        #expect(keep >= 2, "the example topology should keep more than one day")

        func make(_ name: String, daysAgo: Int) throws {
            let path = "\(dir)/\(name)"
            #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -Double(daysAgo) * 86_400 - 3_600)], ofItemAtPath: path)
        }
        var expected = Set<String>()
        for days in 0...(keep + 3) {
            let name = "\(target.name)-day\(days).\(target.fileExtension)"
            try make(name, daysAgo: days)
            if days < keep { expected.insert(name) }
        }
        try make("\(target.name)-stale.\(target.fileExtension).part", daysAgo: keep + 1)
        try make("notes-old.txt", daysAgo: 90)
        expected.insert("notes-old.txt")

        var env = Tools.baseEnvironment()
        for (k, v) in lines.environment { env[k] = v }
        let (command, stdin) = cronTranslate(job.command)
        #expect(stdin == nil)
        let r = try Tools.run(["sh", "-c", command], environment: env)
        #expect(r.status == 0, "\(r.output)")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
        #expect(left == expected)
        #expect(left.filter { $0.hasSuffix(".\(target.fileExtension)") }.count == keep, "exactly keepDays (\(keep)) days of dumps")
        let log = (try? String(contentsOfFile: "\(w.root)/backups/backup.log", encoding: .utf8)) ?? ""
        #expect(log.contains("\(target.name)-day\(keep).\(target.fileExtension)"), "the deleted files are logged: \(log)")
    }

    // MARK: - secrets: external

    /// Through the CLI's own path (Project.render) with a secret store full of passwords:
    /// none of them reaches an external bundle, every `…PASSWORD=` line is empty, compose takes
    /// each password from `${VAR:?…}`, and the store is not touched.
    @Test(arguments: try Bundles.scenarioNames().filter { try Bundles.plan($0).secrets == .external })
    func externalBundleHoldsNoPassword(scenario: String) throws {
        let root = try Bundles.temporaryDirectory("external")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(atPath: Bundles.topologyPath, toPath: "\(root)/ovu.topology.json")
        var stored: [String: String] = [:]
        for name in try Bundles.scenarioNames() {
            let plan = try Bundles.plan(name)
            for ref in plan.secretRefs { stored[ref.variable] = "Leak" + Bundles.fixedPassword(ref.variable) }
        }
        let store = SecretStore(topologyDirectory: root)
        try store.save(.init(unassigned: stored))
        let before = try Data(contentsOf: URL(fileURLWithPath: store.path))

        let project = try Project.load(topologyPath: "\(root)/ovu.topology.json")
        let rendered = try project.render(scenario: scenario, output: "\(root)/out")
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.path)) == before, "rendering an external bundle changed the secret store")
        #expect(!rendered.files.contains { $0.path.hasPrefix("backup/") && $0.path != "backup/crontab" }, "no credential files with external secrets")

        let fm = FileManager.default
        let walker = try #require(fm.enumerator(atPath: rendered.directory))
        var checked = 0
        while let relative = walker.nextObject() as? String {
            let path = "\(rendered.directory)/\(relative)"
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            checked += 1
            for (variable, value) in stored where text.contains(value) {
                Issue.record("\(relative) holds the stored password of \(variable)")
            }
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("#") || trimmed.hasPrefix("--") || trimmed.hasPrefix("//") { continue }
                if let r = trimmed.range(of: #"^[A-Z0-9_]*PASSWORD="#, options: .regularExpression) {
                    #expect(trimmed[r.upperBound...].isEmpty, "\(relative):\(n + 1) gives a password a value: \(trimmed)")
                }
                if relative == "docker-compose.yml", let r = trimmed.range(of: #"^[A-Z0-9_]*(PASSWORD|PASSWD|PGPASSWORD): "#, options: .regularExpression) {
                    let value = trimmed[r.upperBound...]
                    #expect(value.hasPrefix("\"${") && value.contains(":?") && value.hasSuffix("}\""), "\(relative):\(n + 1): \(trimmed)")
                }
            }
        }
        #expect(checked == rendered.files.count + 1, "every written file (and the file list) was checked")
    }

    // MARK: - Readers

    /// Reads each env file with python-dotenv (strict), sh and docker-compose's env_file, and
    /// compares all three with `expected` (path → key → value).
    func checkReadersAgree(_ expected: [String: [String: String]], directory: String, label: String) throws {
        try Tools.requirePythonModules()
        try Tools.require("docker-compose")
        try Tools.require("sh")
        let paths = expected.keys.sorted()

        // python-dotenv: any binding with `error` fails (dotenv_values would only warn).
        let py = try Tools.run(["python3", "-c", Self.dotenvReader] + paths)
        try #require(py.status == 0, "python-dotenv (\(label)):\n\(py.output)")
        let dotenv = try JSONDecoder().decode([String: [String: String?]].self, from: Data(py.stdout.utf8))

        // docker-compose: one probe service per file, its environment read back from `config`.
        var compose = "services:\n"
        for (i, path) in paths.enumerated() {
            compose += "  probe\(i):\n    image: busybox\n    env_file: \(Escape.yamlDoubleQuoted(path))\n"
        }
        let composeDir = "\(directory)/env-probe"
        try FileManager.default.createDirectory(atPath: composeDir, withIntermediateDirectories: true)
        try compose.write(toFile: "\(composeDir)/docker-compose.yml", atomically: true, encoding: .utf8)
        let composed = try composeEnvironments(directory: composeDir)

        for (i, path) in paths.enumerated() {
            let want = expected[path]!
            let name = path.hasPrefix(directory) ? String(path.dropFirst(directory.count + 1)) : path
            if let d = mapDifference(want: want, got: dotenv[path]?.mapValues { $0 ?? "<no value>" }) {
                Issue.record("python-dotenv reads \(label) \(name) differently: \(d)")
            }

            let sh = try Tools.run(["sh", "-c", "set -a; . \"$1\"; env -0", "sh", path], environment: ["PATH": "/usr/bin:/bin"])
            #expect(sh.status == 0, "sh cannot source \(name):\n\(sh.output)")
            var shMap: [String: String] = [:]
            for entry in sh.stdout.split(separator: "\0") {
                guard let eq = entry.firstIndex(of: "=") else { continue }
                let key = String(entry[..<eq])
                if want[key] != nil { shMap[key] = String(entry[entry.index(after: eq)...]) }
            }
            if let d = mapDifference(want: want, got: shMap) { Issue.record("sh reads \(label) \(name) differently: \(d)") }

            if let d = mapDifference(want: want, got: composed["probe\(i)"]) {
                Issue.record("docker-compose env_file reads \(label) \(name) differently: \(d)")
            }
        }
    }

    /// The keys whose values differ, readably; nil when equal.
    func mapDifference(want: [String: String], got: [String: String]?) -> String? {
        guard let got else { return "nothing was read" }
        if want == got { return nil }
        var lines: [String] = []
        for key in Set(want.keys).union(got.keys).sorted() where want[key] != got[key] {
            lines.append("\(key): expected \(want[key].map { String(reflecting: $0) } ?? "<absent>"), read \(got[key].map { String(reflecting: $0) } ?? "<absent>")")
        }
        return "\n  " + lines.joined(separator: "\n  ")
    }

    /// `docker-compose config` in `directory` → service → environment (compose prints `$` as `$$`).
    func composeEnvironments(directory: String) throws -> [String: [String: String]] {
        let config = try Tools.run(["docker-compose", "-f", "docker-compose.yml", "config"], in: directory)
        try #require(config.status == 0, "docker-compose config:\n\(config.output)")
        let parsed = try Tools.run(["python3", "-c", Self.composeEnvironmentReader], stdin: config.stdout)
        try #require(parsed.status == 0, "reading docker-compose config output:\n\(parsed.output)")
        return try JSONDecoder().decode([String: [String: String]].self, from: Data(parsed.stdout.utf8))
    }

    static let dotenvReader = #"""
import json, sys
import dotenv, dotenv.parser
out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        bad = [(b.original.line, b.original.string) for b in dotenv.parser.parse_stream(f) if b.error]
    if bad:
        sys.exit(f"{path}: python-dotenv cannot parse {bad}")
    out[path] = dotenv.dotenv_values(path)
json.dump(out, sys.stdout)
"""#

    static let composeEnvironmentReader = #"""
import json, sys, yaml
doc = yaml.load(sys.stdin, Loader=yaml.BaseLoader)
out = {}
for name, service in (doc.get("services") or {}).items():
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    out[name] = {k: (v or "").replace("$$", "$") for k, v in env.items()}
json.dump(out, sys.stdout)
"""#
}
