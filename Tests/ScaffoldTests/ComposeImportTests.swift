import Foundation
import Testing
import TestSupport
@testable import Topology
@testable import Scaffold

/// `ovudev init --from`: compose files of three shapes, each turned into a topology that is
/// compared value by value (decoded from the written file) and loaded by the topology loader.
@Suite(.ownThread) struct ComposeImportTests {
    /// Imports `compose` (written as docker-compose.yml in a scratch folder) and writes the topology next to it.
    static func importAndWrite(_ compose: String, _ scratch: borrowing Scratch, layout: Layout = .dbPerService) throws -> (ComposeImport, TopologySpec) {
        let composePath = scratch.file("docker-compose.yml")
        try compose.write(toFile: composePath, atomically: true, encoding: .utf8)
        let imported = try ComposeImport.read(composePath: composePath, topologyDirectory: scratch.path, project: nil, layout: layout,
                                              isFree: { $0 != 5432 })
        let path = scratch.file("ovu.topology.json")
        try TopologyFile.write(imported.draft, to: path, force: false)
        _ = try TopologyLoader.load(path: path)
        return (imported, try decodeSpec(path))
    }

    /// Two databases in one postgres server, created by an init script the image runs; the apps
    /// name them in DATABASE_URL. Redis by URL with an index. depends_on in both forms.
    static let twoDatabases = """
        name: Shop
        services:
          db:
            image: postgres:16-alpine
            ports: ["127.0.0.1:5433:5432"]
            environment:
              POSTGRES_PASSWORD: secret
              POSTGRES_DB: orders
            volumes:
              - ./initdb:/docker-entrypoint-initdb.d:ro
              - pgdata:/var/lib/postgresql/data
            healthcheck:
              test: ["CMD", "pg_isready"]
          cache:
            image: redis:7
            ports: ["6380:6379"]
          orders:
            build: ./orders
            command: ["python3", "app.py", "--name", "it's"]
            ports: ["8001:8000"]
            environment:
              DATABASE_URL: postgresql+asyncpg://orders:secret@db:5432/orders
              REDIS_URL: redis://cache:6379/1
              DEBUG: "1"
            depends_on:
              db: { condition: service_healthy }
              cache: { condition: service_started }
          billing:
            build: { context: ./billing, dockerfile: Dockerfile.dev }
            command: python3 app.py
            ports: ["8002:8000"]
            environment:
              - DATABASE_URL=postgres://billing:secret@db/billing
            depends_on: [db, orders]
        volumes:
          pgdata: {}
        """

    @Test func twoDatabasesInOnePostgresServer() throws {
        let scratch = try Scratch()
        let (imported, spec) = try Self.importAndWrite(Self.twoDatabases, scratch)
        #expect(spec.project == "shop")
        #expect(spec.servers == ["db": ServerSpec(engine: "postgres", version: "16-alpine", port: 5433),
                                 "cache": ServerSpec(engine: "redis", version: "7", port: 6380)])
        let orders = try #require(spec.services?["orders"])
        #expect(orders.path == "orders" && orders.port == 8001 && orders.image == nil)
        #expect(orders.command == "python3 app.py --name 'it'\\''s'")
        #expect(orders.database == DatabaseSpec(server: "db", name: "orders", urlScheme: "postgresql+asyncpg"))
        #expect(orders.redis == RedisSpec(index: 1, server: "cache"))
        #expect(orders.dependsOn == nil)
        let billing = try #require(spec.services?["billing"])
        #expect(billing.path == "billing" && billing.port == 8002 && billing.command == "python3 app.py")
        #expect(billing.database == DatabaseSpec(server: "db", name: "billing", urlScheme: "postgres"))
        #expect(billing.redis == nil)
        #expect(billing.dependsOn == ["orders"])
        #expect(spec.services?.count == 2)
        #expect(imported.notCarriedOver.map { $0.split(separator: " ").first.map(String.init) ?? "" } == [
            "volumes",
            "services.db.environment.POSTGRES_PASSWORD", "services.db.volumes", "services.db.healthcheck",
            "services.orders.environment.DEBUG", "services.billing.build.dockerfile",
        ])
        #expect(imported.notCarriedOver.contains("services.db.volumes (ovudev creates the databases, roles and grants itself)"))
        // The two databases really are two, on one server, under the default scenario.
        let plan = try resolve(try TopologyLoader.load(path: scratch.file("ovu.topology.json")), scenario: "dev")
        #expect(plan.servers.first { $0.name == "db" }?.databases.map(\.name) == ["billing", "orders"])
    }

    /// MySQL: the app names no URL but depends on the server, whose MYSQL_DATABASE it gets;
    /// an image-only app; a compose service name ovudev must lowercase.
    static let mysql = """
        services:
          mysql:
            image: mysql:8.0
            ports:
              - target: 3306
                published: 3307
            environment:
              - MYSQL_DATABASE=shop
              - MYSQL_ROOT_PASSWORD=root
          Shop.API:
            image: ghcr.io/acme/shop-api:2.1
            ports: ["9000"]
            depends_on: [mysql]
            restart: always
        """

    @Test func mysqlServerAndItsDatabase() throws {
        let scratch = try Scratch()
        let (imported, spec) = try Self.importAndWrite(Self.mysql, scratch)
        #expect(spec.servers == ["mysql": ServerSpec(engine: "mysql", version: "8.0", port: 3307)])
        let api = try #require(spec.services?["shop-api"])
        #expect(api.image == "ghcr.io/acme/shop-api:2.1" && api.path == nil && api.port == 9000 && api.command == nil)
        #expect(api.database == DatabaseSpec(server: "mysql", name: "shop"))
        #expect(imported.notCarriedOver.map { $0.split(separator: " ").first.map(String.init) ?? "" } == [
            "services.mysql.environment.MYSQL_ROOT_PASSWORD", "services.Shop.API.restart",
        ])
        let plan = try resolve(try TopologyLoader.load(path: scratch.file("ovu.topology.json")), scenario: "dev")
        #expect(plan.instance("shop-api")?.database?.engine == .mysql)
    }

    /// Nothing to import: one nginx service, no data. Still a valid topology, with what was left listed.
    static let nginxOnly = """
        services:
          web:
            image: nginx:1.25
            ports: ["8080:80", "8443:443"]
            volumes: ["./site:/usr/share/nginx/html:ro"]
        """

    @Test func nothingToImportButTheService() throws {
        let scratch = try Scratch()
        let (imported, spec) = try Self.importAndWrite(Self.nginxOnly, scratch)
        // A topology needs a server: the one `init --services` would write, on a free port.
        #expect(spec.servers == ["postgres": ServerSpec(engine: "postgres", version: "15", port: 5433)])
        #expect(imported.added == ["servers.postgres (the compose file has no database; a topology needs a server)"])
        #expect(spec.services == ["web": ServiceSpec(port: 8080, image: "nginx:1.25")])
        #expect(imported.notCarriedOver == ["services.web.ports[1] (a service has one port here)", "services.web.volumes"])
        #expect(spec.project == (scratch.path as NSString).lastPathComponent.lowercased())
    }

    @Test func mariadbKeepsItsImageAndAURLToAnUnknownHostIsReported() throws {
        let scratch = try Scratch()
        let (imported, spec) = try Self.importAndWrite("""
            services:
              maria:
                image: mariadb:10.11
              redis-a: { image: "redis:7" }
              redis-b: { image: "redis:7" }
              app:
                image: app:1
                environment: { REDIS_URL: "redis://elsewhere:6379/0" }
            """, scratch)
        #expect(spec.servers?["maria"] == ServerSpec(engine: "mysql", version: "10.11", image: "mariadb:10.11"))
        #expect(spec.services?["app"]?.redis == nil)
        #expect(imported.notCarriedOver.contains { $0.hasPrefix("services.app.environment.REDIS_URL (no redis service") })
    }

    @Test func notAComposeFileNamesTheFileAndLine() throws {
        let scratch = try Scratch()
        for (text, expected) in [("services: [1, 2\n", "not valid YAML"), ("version: '3'\n", "no `services:`"),
                                 ("services:\n  web: 3\n", ":2: services.web: a service must be a mapping")] {
            try text.write(toFile: scratch.file("c.yml"), atomically: true, encoding: .utf8)
            #expect {
                try ComposeImport.read(composePath: scratch.file("c.yml"), topologyDirectory: scratch.path, project: nil, layout: .dbPerService)
            } throws: { error in
                let e = error as? InitError
                return e?.exitStatus == 2 && e?.description.hasPrefix(scratch.file("c.yml")) == true && e?.description.contains(expected) == true
            }
        }
    }
}
