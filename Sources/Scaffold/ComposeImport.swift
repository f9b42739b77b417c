import Foundation
import Renderers
import Topology
import Yams

/// `ovudev init --from docker-compose.yml`: a topology from a compose file. Database images
/// become servers; the apps' `DATABASE_URL`/`REDIS_URL` (or a `depends_on` on a data server)
/// become their `database` and `redis`; `depends_on` between apps becomes `dependsOn`; `build`,
/// `image`, `command` and `ports` carry over. What has no place in a topology is listed by its
/// key path, so that nothing is dropped without a word.
public struct ComposeImport: Sendable, Equatable {
    public var draft: Draft
    /// One line each, in file order: `services.web.volumes`, `services.db.environment.POSTGRES_PASSWORD (…)`.
    public var notCarriedOver: [String]
    /// What the topology has that the compose file did not say, one line each.
    public var added: [String] = []

    /// Reads `composePath`; build contexts are written relative to `topologyDirectory`.
    public static func read(composePath: String, topologyDirectory: String, project: String?, layout: Layout,
                            isFree: (Int) -> Bool = PortProbe.isFree) throws -> ComposeImport {
        guard let data = FileManager.default.contents(atPath: composePath) else {
            throw InitError("\(composePath): cannot read the file")
        }
        let composeDirectory = (URL(fileURLWithPath: composePath).standardizedFileURL.path as NSString).deletingLastPathComponent
        return try parse(String(decoding: data, as: UTF8.self), file: composePath, composeDirectory: composeDirectory,
                         topologyDirectory: topologyDirectory, project: project, layout: layout, isFree: isFree)
    }

    public static func parse(_ text: String, file: String, composeDirectory: String, topologyDirectory: String,
                             project: String?, layout: Layout, isFree: (Int) -> Bool = PortProbe.isFree) throws -> ComposeImport {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw InitError("\(file): not valid YAML: \(error)") }
        guard let top = root?.mapping else { throw InitError("\(file): not a compose file (the top level is not a mapping)") }
        guard let services = top["services"]?.mapping else {
            throw InitError("\(file)\(line(root)): not a compose file of the current format (no `services:` mapping)")
        }
        var reader = ComposeReader(file: file, composeDirectory: composeDirectory, topologyDirectory: topologyDirectory)
        for (key, value) in top where key.string != "services" && key.string != "name" {
            reader.skip(key.string ?? "?", value)
        }
        let name = project ?? top["name"]?.string.flatMap(Names.derive)
            ?? Names.derive((topologyDirectory as NSString).lastPathComponent) ?? "app"
        try Names.check(name, project != nil ? "--project" : "the project name")
        var draft = Draft(project: name)
        draft.layout = layout
        if layout == .perTenant { draft.tenants = NewProject.exampleTenants }
        try reader.read(services, into: &draft)
        var result = ComposeImport(draft: draft, notCarriedOver: reader.skipped)
        // A topology declares at least one server: with no database image in the file, the
        // postgres server `init --services` would write, unused until a service asks for data.
        if draft.servers.isEmpty {
            guard let port = PortProbe.firstFree(from: Engine.postgres.containerPort, taken: [], isFree: isFree) else {
                throw InitError("no free port on 127.0.0.1 from 5432 up for a postgres server")
            }
            result.draft.servers.append(.init(name: "postgres", engine: .postgres, version: Engine.postgres.defaultVersion, port: port))
            result.added.append("servers.postgres (the compose file has no database; a topology needs a server)")
        }
        return result
    }

    static func line(_ node: Node?) -> String { node?.mark.map { ":\($0.line)" } ?? "" }
}

/// What an image name says about a data server: the engine, and the image ovudev would pick
/// for it (so that only a different one is written as `image`).
enum DataImage {
    static let engines: [String: Engine] = [
        "postgres": .postgres, "postgresql": .postgres, "postgis": .postgres,
        "mysql": .mysql, "mariadb": .mysql, "redis": .redis, "mongo": .mongodb, "mongodb": .mongodb,
    ]
    static let defaultRepository: [Engine: String] = [.postgres: "postgres", .mysql: "mysql", .redis: "redis", .mongodb: "mongo"]

    /// `docker.io/library/postgres:16-alpine` → (postgres, "16-alpine"); the tag only when it
    /// is a version (not `latest`, not a digest).
    static func parse(_ image: String) -> (engine: Engine, tag: String?)? {
        let withoutDigest = image.split(separator: "@").first.map(String.init) ?? image
        let lastSlash = withoutDigest.lastIndex(of: "/")
        let nameStart = lastSlash.map { withoutDigest.index(after: $0) } ?? withoutDigest.startIndex
        let nameAndTag = withoutDigest[nameStart...]
        let parts = nameAndTag.split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first, let engine = engines[first.lowercased()] else { return nil }
        let tag = parts.count == 2 && parts[1] != "latest" && image.firstIndex(of: "@") == nil ? parts[1] : nil
        return (engine, tag)
    }
}

/// A URL in an app's environment: `postgresql+asyncpg://u:p@db:5432/orders` → scheme, host, path.
struct DataURL {
    var scheme: String
    var host: String
    var path: String

    init?(_ text: String) {
        guard let sep = text.range(of: "://") else { return nil }
        scheme = text[..<sep.lowerBound].lowercased()
        let rest = text[sep.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        host = hostPort.hasPrefix("[") ? hostPort : String(hostPort.split(separator: ":").first ?? "")
        var p = rest[authorityEnd...]
        if p.hasPrefix("/") { p = p.dropFirst() }
        path = String(p.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// The engine family a scheme speaks (`postgresql+asyncpg` → postgres).
    var engine: Engine? {
        switch scheme.split(separator: "+").first.map(String.init) ?? scheme {
        case "postgres", "postgresql": return .postgres
        case "mysql", "mariadb": return .mysql
        case "mongodb", "mongodb+srv": return .mongodb
        case "redis", "rediss": return .redis
        default: return nil
        }
    }
}
