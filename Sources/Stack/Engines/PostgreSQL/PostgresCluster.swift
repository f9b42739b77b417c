import Foundation
import Statements
import Topology

/// A new PostgreSQL cluster: a copy of the pristine one in the cluster cache (made by initdb
/// once per version and settings), its superuser's password set after its first start.
extension NativeEngine {
    /// In a copied data folder until the superuser has this stack's password (see
    /// `setCopiedSuperuserPassword`): a start cut short sets it on the next one.
    public static let pendingPasswordMarker = "ovudev_superuser_password_pending"

    /// Everything initdb's output depends on, besides the superuser's password.
    static func initdbSettings(superuser: String) -> [String] {
        ["-U", superuser, "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"]
    }

    /// Makes `data` (missing): copied from the cache, or initdb when there is no cache.
    func makeCluster(_ server: PlannedServer, bin: String, data: String, run: String, account: String?) throws {
        guard let cache = clusterCache else {
            progress("initdb \(server.name)")
            try initdb(into: data, bin: bin, superuser: server.superuserName, password: try superuserPassword(server), run: run, account: account)
            return
        }
        let name = ClusterCache.name(prefix: "postgres-\(Self.postgresMajor(bin))", key: postgresCacheKey(bin: bin, superuser: server.superuserName, account: account))
        let (pristine, made) = try cache.pristine(name, owner: account) { folder in
            progress("initdb \(server.name) (a pristine cluster for the cache: \(cache.root)/\(name))")
            // Any password: each copy gets its stack's own before anyone logs in.
            try initdb(into: folder, bin: bin, superuser: server.superuserName, password: UUID().uuidString, run: run, account: account)
        }
        if cache.takeSpare(name, to: data) {
            progress("\(server.name): a spare copy of the cached pristine cluster, renamed into place")
        } else {
            progress("copy \(server.name) from \(made ? "the new" : "the cached") pristine cluster")
            try ClusterCache.copy(pristine, to: data, marker: Self.pendingPasswordMarker, owner: account)
        }
        cache.makeSpareInBackground(name, for: data, owner: account)
    }

    /// initdb into `folder`, the include of ovudev.conf appended to postgresql.conf.
    func initdb(into folder: String, bin: String, superuser: String, password: String, run: String, account: String?) throws {
        // Unique: two servers may run initdb at once, or one for the cache while another's runs.
        let pwfile = "\(run)/.pwfile-\(UUID().uuidString)"
        try (password + "\n").write(toFile: pwfile, atomically: false, encoding: .utf8)
        chmod(pwfile, 0o600)
        try chown(pwfile, to: account)
        defer { try? FileManager.default.removeItem(atPath: pwfile) }
        let r = try Subprocess.run(["\(bin)/initdb", "-D", folder, "--pwfile=\(pwfile)"] + Self.initdbSettings(superuser: superuser), user: account)
        guard r.status == 0 else {
            try? FileManager.default.removeItem(atPath: folder)
            throw EngineError("initdb for \(folder) failed:\n\(r.output)")
        }
        let include = "\n# ovudev: listen address, port and socket folder\ninclude_if_exists = 'ovudev.conf'\n"
        let handle = FileHandle(forWritingAtPath: "\(folder)/postgresql.conf")
        handle?.seekToEndOfFile()
        handle?.write(Data(include.utf8))
        try? handle?.close()
    }

    /// The version (the server binary's path, size and time: a package upgrade changes them),
    /// initdb's settings and the data folder's owner.
    func postgresCacheKey(bin: String, superuser: String, account: String?) -> [String] {
        var info = stat()
        let binary = stat("\(bin)/postgres", &info) == 0 ? "\(info.st_size)-\(info.st_mtim.tv_sec)" : "?"
        return ["postgres", "1", bin, binary, account ?? "(current)", String(geteuid())] + Self.initdbSettings(superuser: superuser)
    }

    /// The major version from `/usr/lib/postgresql/<major>/bin`, for a readable cache name.
    static func postgresMajor(_ bin: String) -> String {
        let parent = ((bin as NSString).deletingLastPathComponent as NSString).lastPathComponent
        return Int(parent) != nil ? parent : "pg"
    }

    /// A copied cluster still has the cache's superuser password: set this stack's over the
    /// socket (peer authentication as ovudev's account), then drop the marker.
    func setCopiedSuperuserPassword(_ server: PlannedServer, data: String, run: String) throws {
        let marker = "\(data)/\(Self.pendingPasswordMarker)"
        guard FileManager.default.fileExists(atPath: marker) else { return }
        let password = try superuserPassword(server)
        do {
            let conn = try PGConnection(PGConnectionParameters(host: run, port: server.port, user: server.superuserName, password: nil, database: "postgres"))
            _ = try conn.exec("ALTER ROLE \(Escape.sqlIdentifier(server.superuserName)) PASSWORD \(Escape.sqlLiteral(password))")
        } catch {
            throw EngineError("PostgreSQL \(server.name): cannot set the superuser's password of the copied cluster: \(error)")
        }
        try FileManager.default.removeItem(atPath: marker)
    }
}
