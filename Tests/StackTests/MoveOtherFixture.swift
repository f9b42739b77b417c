import Foundation
@testable import Stack
import Statements
import Topology

/// Tests/Fixtures/move-other: services blog and shop on MySQL with a Redis index each.
/// `shared`: one MariaDB server, a database per service; `dedicated`: a server per service (blog's
/// keeps the shared one's port, so shop's database moves to a new server); `tenants`: per-tenant
/// with both services shared, so shop's Redis index goes from 1 to 2 (index × 2 tenants).
enum MoveOtherFixture {
    static let topology = "Tests/Fixtures/move-other/ovu.topology.json"

    static let shopSQL = """
        CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, note TEXT NULL, photo BLOB NULL);
        CREATE TABLE orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2), placed DATETIME NOT NULL,
                             FOREIGN KEY (customer_id) REFERENCES customers (id));
        CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(200));
        CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
        CREATE FUNCTION order_total(o BIGINT) RETURNS DECIMAL(10,2) READS SQL DATA RETURN (SELECT total FROM orders WHERE id = o);
        INSERT INTO customers (name, note, photo) SELECT CONCAT('c', seq), IF(seq % 3 = 0, NULL, CONCAT('tab\\there ', seq)), UNHEX(MD5(seq)) FROM seq_1_to_50;
        INSERT INTO orders (customer_id, total, placed) SELECT 1 + seq % 50, seq * 1.5, '2026-01-01' + INTERVAL seq HOUR FROM seq_1_to_300;
        INSERT INTO events (payload) SELECT REPEAT(CHAR(65 + seq % 26), 100) FROM seq_1_to_20000;
        """

    /// A service's own user over TCP, as the service logs in.
    static func user(_ stack: NativeStack, _ service: String) throws -> MySQLLogin {
        guard let access = stack.plan.instance(service)?.database, let server = stack.plan.server(access.server) else { throw EngineError("no database for \(service)") }
        return MySQLLogin(route: .tcp(port: server.port), user: access.role, password: stack.secrets[access.secret.variable])
    }

    /// ovudev's maintenance login to one server of the stack.
    static func admin(_ stack: NativeStack, _ server: String) -> MySQLLogin {
        MySQLLogin(route: .socket(stack.paths.mysqlSocket(server)), user: NativeEngine.mysqlMaintenanceAccount)
    }

    /// `shared` up, shop's and blog's tables made and filled by their own users.
    static func up(_ project: TempProject) throws -> NativeStack {
        let stack = try project.stack("shared")
        _ = try stack.up(check: false)
        try user(stack, "shop").exec(shopSQL, database: "shop_db")
        try user(stack, "blog").exec("CREATE TABLE posts (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(100)); INSERT INTO posts (title) SELECT CONCAT('post ', seq) FROM seq_1_to_5;", database: "blog_db")
        return stack
    }

    static func fingerprints(_ login: MySQLLogin, _ database: String) throws -> [String: Fingerprint] {
        try BackupRunner.mysqlFingerprints(login, database: database)
    }
}
