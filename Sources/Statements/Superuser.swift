import Topology

extension PlannedServer {
    /// The superuser's name: the plan's, else the engine's own (`postgres` for PostgreSQL,
    /// `root` for MySQL and MongoDB, as their images name it). Decided here, once.
    public var superuserName: String { superuser ?? (engine == .postgres ? "postgres" : "root") }
}
