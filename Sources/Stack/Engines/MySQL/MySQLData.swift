import Foundation
import Statements
import Topology

/// A new MariaDB data folder: a copy of the pristine one in the cluster cache (made by
/// mariadb-install-db once per server binary and accounts). Nothing in it differs per stack:
/// root and ovudev's maintenance account authenticate by socket, and provisioning converges
/// root@127.0.0.1 and the services' users on every `up`.
extension NativeEngine {
    func makeMySQLData(_ server: PlannedServer, installDB: String, mysqld: String, data: String, dir: String, tmp: String, account: String?) throws {
        guard let cache = clusterCache else {
            try makeDirectory(data, owner: account)
            progress("mariadb-install-db \(server.name)")
            try installMySQL(server, installDB: installDB, data: data, dir: dir, tmp: tmp, account: account)
            return
        }
        let name = ClusterCache.name(prefix: "mariadb", key: mysqlCacheKey(installDB: installDB, mysqld: mysqld, account: account))
        let (pristine, made) = try cache.pristine(name, owner: account) { folder in
            progress("mariadb-install-db \(server.name) (a pristine data folder for the cache: \(cache.root)/\(name))")
            try installMySQL(server, installDB: installDB, data: folder, dir: dir, tmp: tmp, account: account)
        }
        progress("copy \(server.name) from \(made ? "the new" : "the cached") pristine data folder")
        try ClusterCache.copy(pristine, to: data)
    }

    func installMySQL(_ server: PlannedServer, installDB: String, data: String, dir: String, tmp: String, account: String?) throws {
        let r = try Subprocess.run([installDB] + Self.installDBSettings(data: data, tmp: tmp), directory: dir, user: account)
        guard r.status == 0 else {
            try? FileManager.default.removeItem(atPath: data)
            // Its own words are at the start; the end is boilerplate about bug reports.
            let lines = r.output.split(separator: "\n")
            let errors = lines.filter { $0.contains("ERROR") || $0.contains("[ERROR]") || $0.contains("failed") }
            throw EngineError("mariadb-install-db for \(server.name) failed (exit \(r.status)):\n\((errors.isEmpty ? Array(lines.prefix(15)) : errors).joined(separator: "\n"))")
        }
    }

    /// --auth-root-socket-user: a second all-privileges account named like the OS account that
    /// runs ovudev, which only that account can use (unix_socket): ovudev's maintenance login.
    /// As root it is root itself. No test database, no anonymous users.
    static func installDBSettings(data: String, tmp: String) -> [String] {
        ["--no-defaults", "--datadir=\(data)", "--tmpdir=\(tmp)", "--auth-root-authentication-method=socket",
         "--auth-root-socket-user=\(mysqlMaintenanceAccount)", "--skip-test-db", "--skip-name-resolve"]
    }

    /// The binaries (path, size and time: an upgrade changes them) and the accounts.
    func mysqlCacheKey(installDB: String, mysqld: String, account: String?) -> [String] {
        let version = { (path: String) -> String in
            var info = stat()
            return stat(path, &info) == 0 ? "\(path) \(info.st_size)-\(info.st_mtim.tv_sec)" : path
        }
        let settings = Self.installDBSettings(data: "", tmp: "").filter { !$0.hasPrefix("--datadir") && !$0.hasPrefix("--tmpdir") }
        return ["mariadb", "1", version(mysqld), version(installDB), account ?? "(current)", String(geteuid())] + settings
    }
}
