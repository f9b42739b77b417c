import Foundation
import Testing
import TestSupport
import Topology
@testable import Renderers

/// The fixture Tests/Fixtures/names: chosen names (database, roles, schemas, dedicated servers)
/// and the env contract, rendered as a compose bundle and as Kubernetes manifests for every
/// scenario, compared with Golden/extra/names/<scenario>/ and Golden/extra/names/k8s-<scenario>/.
@Suite(.ownThread) struct NamesGoldenTests {
    static var topologyPath: String { "\(Bundles.repoRoot)/Tests/Fixtures/names/ovu.topology.json" }
    static var goldenDir: String { "\(Bundles.goldenRoot)/extra/names" }
    static func topology() throws -> Topology { try TopologyLoader.load(path: topologyPath) }

    static func bundle(_ scenario: String) throws -> [RenderedFile] {
        let plan = try resolve(try topology(), scenario: scenario)
        return try BundleRenderer(plan: plan, secrets: Bundles.secrets(for: plan), templates: try .builtin(), options: Bundles.goldenOptions(scenario)).render()
    }

    static func kubernetes(_ scenario: String) throws -> [RenderedFile] {
        let plan = try resolve(try topology(), scenario: scenario)
        return try KubernetesRenderer(plan: plan, secrets: Bundles.secrets(for: plan), templates: try .builtin(), topologyFile: "ovu.topology.json").render()
    }

    /// Both, under `<scenario>/` and `k8s-<scenario>/` (as the goldens lie).
    static func files(_ scenario: String) throws -> [RenderedFile] {
        try bundle(scenario).map { RenderedFile(path: "\(scenario)/\($0.path)", contents: $0.contents, mode: $0.mode) }
            + kubernetes(scenario).map { RenderedFile(path: "k8s-\(scenario)/\($0.path)", contents: $0.contents, mode: $0.mode) }
    }

    @Test(arguments: ["single", "split", "dedicated", "moved"])
    func matchesGolden(scenario: String) throws {
        try GoldenFolder.compare(try Self.bundle(scenario), folder: "extra/names/\(scenario)")
        try GoldenFolder.compare(try Self.kubernetes(scenario), folder: "extra/names/k8s-\(scenario)")
    }

    /// Parameters are percent-encoded per URL rules, the service's over the server's, sorted by key.
    @Test func paramsArePercentEncoded() throws {
        let plan = try resolve(try Self.topology(), scenario: "single")
        func text(_ instance: String, _ key: String) -> String? {
            plan.instance(instance)?.environment.first { $0.key == key }?.host.parts.compactMap { if case let .text(t) = $0 { return t } else { return nil } }.joined(separator: "•")
        }
        #expect(text("user", "DATABASE_URL") == "postgresql://madansara_user:•@127.0.0.1:5532/engarde?application_name=user%20svc%261%2F%C3%BC&options=-c%20search_path%3Dmadansara%2Cpublic&sslmode=disable")
        #expect(text("auth", "DATABASE_URL") == "postgresql+asyncpg://authservice_user:•@127.0.0.1:5532/engarde?application_name=engarde&sslmode=disable")
        #expect(urlQueryComponent("a b=c&d+e%f") == "a%20b%3Dc%26d%2Be%25f")
        #expect(urlQueryComponent("-._~AZaz09") == "-._~AZaz09")
    }

    /// Extra variables: references copied (secrets stay references), text kept as written; every
    /// reader of each format (python-dotenv, sh, docker-compose) gets exactly the Plan's value.
    @Test func extraEnvironmentReadsAlike() throws {
        let plan = try resolve(try Self.topology(), scenario: "single")
        let user = try #require(plan.instance("user"))
        func value(_ key: String) -> EnvVar? { user.environment.first { $0.key == key } }
        #expect(value("USER_SERVICE_DATABASE_URL")?.host == value("DATABASE_URL")?.host)
        #expect(value("USER_SERVICE_DATABASE_URL")?.network == value("DATABASE_URL")?.network)
        #expect(value("DATABASE_POOL_SIZE")?.host == .text("5"))
        #expect(value("CACHE_URL")?.network == .text("redis://redis:6379/0/cache?user=madansara_user"))
        #expect(value("GREETING")?.host == .text(#"a "quoted" $HOME #x & 50% $(date) `id`"#))

        try Tools.require("docker-compose")
        try Tools.requirePythonModules()
        let root = try Bundles.temporaryDirectory("names-env")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bundle = "\(root)/render/single"
        let secrets = Bundles.secrets(for: plan)
        let files = try BundleRenderer(plan: plan, secrets: secrets, templates: try .builtin(),
                                       options: RenderOptions(topologyFile: "ovu.topology.json", bundleDirectory: bundle, projectFromBundle: "../..", backupsDirectory: "\(root)/backups")).render()
        try BundleWriter.write(files, to: bundle)
        let values = Bundles.fixedSecretValues(plan)
        var expected: [String: [String: String]] = [:]
        for instance in plan.instances {
            expected["\(bundle)/\(instance.envFile)"] = Dictionary(uniqueKeysWithValues: instance.environment.compactMap { v in Bundles.expectedHostValue(v.host, secrets: values).map { (v.key, $0) } })
        }
        let validators = ValidatorTests()
        try validators.checkReadersAgree(expected, directory: root, label: "names/single")
        let quiet = try Tools.run(["docker-compose", "-f", "docker-compose.yml", "config", "-q"], in: bundle)
        #expect(quiet.status == 0, "\(quiet.output)")
        let environments = try validators.composeEnvironments(directory: bundle)
        for instance in plan.instances {
            let want = Dictionary(uniqueKeysWithValues: instance.environment.map { ($0.key, Bundles.expectedHostValue($0.network, secrets: values) ?? "<missing>") })
            if let d = validators.mapDifference(want: want, got: environments[instance.name]) { Issue.record("\(instance.name): \(d)") }
        }
    }

    /// `urlScheme` per engine follows the service to the engine a scenario puts it on; the pool's
    /// pre-ping and recycle become variables.
    @Test func urlSchemePerEngineAndPoolVariables() throws {
        let topology = try Self.topology()
        func env(_ scenario: String, _ key: String) throws -> String? {
            try resolve(topology, scenario: scenario).instance("auth")?.environment.first { $0.key == key }?.host.parts.compactMap { if case let .text(t) = $0 { return t } else { return nil } }.first
        }
        #expect(try env("split", "DATABASE_URL") == "postgresql+asyncpg://authservice_user:")
        #expect(try env("moved", "DATABASE_URL") == "mysql+aiomysql://authservice_user:")
        #expect(try env("split", "DB_POOL_PRE_PING") == "true")
        #expect(try env("split", "DB_POOL_RECYCLE") == "1800")
        #expect(try resolve(topology, scenario: "split").instance("web")?.environment.contains { $0.key == "DB_POOL_PRE_PING" } == false)
    }

    /// Each role's CONNECTION LIMIT is its pool; the server's max_connections is the one written,
    /// or 100 grown to what the pools need.
    @Test func connectionBudget() throws {
        let topology = try Self.topology()
        let single = try resolve(topology, scenario: "single")
        #expect(single.server("postgres")?.maxConnections == 80)
        #expect(single.server("postgres")?.roles.map { "\($0.name) \($0.connectionLimit ?? -1)" } == ["authservice_user 12", "madansara_user 15", "web_user 15"])
        let dedicated = try resolve(topology, scenario: "dedicated")
        #expect(dedicated.server("user-db")?.maxConnections == 80)
        #expect(try resolve(topology, scenario: "moved").server("mysql")?.maxConnections == 100)
        #expect(try resolve(topology, scenario: "moved").server("mysql")?.roles.first?.connectionLimit == 12)
        // The example's per-tenant scenario needs more than 100 without saying so: the server grows.
        let saas = try resolve(try Bundles.topology(), scenario: "saas")
        #expect(saas.server("postgres")?.maxConnections == 2 * (30 + 15 + 15 + 15) + ovudevConnections)
    }

    /// The fixture's compose files pass the Compose Specification schema, and its Kubernetes
    /// manifests kubernetes-validate --strict (the same real validators as the example's).
    @Test(arguments: ["single", "split", "dedicated", "moved"])
    func renderedFilesPassTheRealValidators(scenario: String) throws {
        try Tools.require("check-jsonschema")
        try Tools.require("kubernetes-validate")
        let compose = try Tools.run(["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "\(Self.goldenDir)/\(scenario)/docker-compose.yml"])
        #expect(compose.status == 0, "\(compose.output)")
        let k8s = try Self.files(scenario).map(\.path).filter { $0.hasPrefix("k8s-") && $0.hasSuffix(".yaml") && !$0.hasSuffix("kustomization.yaml") }
        let r = try Tools.run(["kubernetes-validate", "--strict", "-k", KubernetesTests.kubernetesVersions.last!] + k8s, in: Self.goldenDir)
        #expect(r.status == 0, "\(r.output)")
        #expect(!r.output.contains("ERROR") && !r.output.contains("WARN"), "\(r.output)")
    }

    /// The names reach the plan: the scenario's database, the roles and schemas, the dedicated server.
    @Test func namesReachThePlan() throws {
        let topology = try Self.topology()
        let single = try resolve(topology, scenario: "single")
        let pg = try #require(single.server("postgres"))
        #expect(pg.databases.map(\.name) == ["engarde"])
        #expect(pg.roles.map(\.name) == ["authservice_user", "madansara_user", "web_user"])
        #expect(pg.databases[0].schemas.map(\.name) == ["auth", "madansara", "web"])
        #expect(single.instance("web")?.reads.first?.schema == "madansara")
        #expect(single.backups.targets.map(\.name).contains("engarde.madansara"))
        // auth's database.name is not used under single-db: a warning naming the scenario key.
        #expect(topology.warnings.contains(.databaseNameIgnored(service: "auth", scenario: "single", database: "engarde")))
        let warning = try #require(topology.warnings.first { $0.path == "services.auth.database.name" })
        #expect(warning.message.contains("scenarios.single.database"))

        let split = try resolve(topology, scenario: "split")
        #expect(split.server("postgres")?.databases.map(\.name) == ["authservice", "user_db", "web_db"])
        #expect(split.instance("web")?.reads.first?.schema == "public")

        let dedicated = try resolve(topology, scenario: "dedicated")
        #expect(dedicated.servers.map(\.name) == ["postgres-auth", "postgres-web", "redis", "user-db"])
    }
}
