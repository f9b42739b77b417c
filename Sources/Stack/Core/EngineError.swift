import Topology

/// A failed action of the runtime (exit status 1). The refusals and failures a test or a caller
/// must tell apart have a `kind` with the names involved; the rest are `.other`, a sentence only.
/// `description` (what `ovudev` prints after `error: `) is written from the kind, here.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public var kind: Kind
    /// The human sentence.
    public var message: String
    public var description: String { message }

    /// An error no caller tells apart from others: its sentence.
    public init(_ message: String) {
        kind = .other
        self.message = message
    }

    /// `output`: what a tool or the server said, or for `.restoreFailed` the error underneath.
    public init(_ kind: Kind, output: String = "") {
        self.kind = kind
        message = kind.sentence(output)
    }

    /// A restore that failed on `cause` before it replaced anything (`schema`: a schema set aside and put back).
    static func restoreFailed(_ cause: Error, database: String, schema: String? = nil) -> EngineError {
        let kind = (cause as? EngineError)?.kind ?? .other
        return EngineError(.restoreFailed(database: database, schema: schema, cause: kind), output: "\(cause)")
    }

    public enum Kind: Sendable, Equatable {
        case other
        /// `up --engine native` of a scenario with servers this machine cannot run natively;
        /// `containerEngine`: a docker engine answers here.
        case nativeRefusal(scenario: String, servers: [RefusedServer], containerEngine: Bool)
        /// Another ovudev (pid `holder`) holds the lock of this stack.
        case stackBusy(lock: String, holder: String)
        /// A restore that did not start: `database` exists (`--into`), does not, or holds what it cannot carry.
        case restoreRefused(database: String, server: String, reason: RestoreRefusal)
        case noSuchFile(file: String)
        /// Not a pg_dump archive `pg_restore --list` reads.
        case dumpUnreadable(file: String)
        /// `program` exited with `status` restoring `file` into `database`.
        case dumpNotRestored(file: String, database: String, program: String, status: Int32)
        /// A mysqldump that did not load; `code`: the MySQL error number when the server said one.
        case dumpDoesNotLoad(file: String, code: Int?)
        /// A restore in place failed on `cause`; `database` (or `database.schema`) is as it was.
        indirect case restoreFailed(database: String, schema: String?, cause: Kind)
    }

    /// A server the native engine cannot run here, the services it carries, and why.
    public struct RefusedServer: Sendable, Equatable {
        public var server: String
        public var engine: Engine
        public var instances: [String]
        public var reason: String
    }

    public enum RestoreRefusal: Sendable, Equatable {
        /// `restore --into` a database that exists.
        case exists
        /// In place of a database that does not exist.
        case missing
        /// MySQL: views, triggers, routines or events (`kind name`) that swapping tables cannot carry.
        case holds([String])
    }
}

extension EngineError.Kind {
    /// The file the error is about, also under a failed restore.
    public var file: String? {
        switch self {
        case let .noSuchFile(file), let .dumpUnreadable(file), let .dumpNotRestored(file, _, _, _), let .dumpDoesNotLoad(file, _): file
        case let .restoreFailed(_, _, cause): cause.file
        default: nil
        }
    }

    func sentence(_ output: String) -> String {
        switch self {
        case .other:
            return output
        case let .nativeRefusal(scenario, servers, containerEngine):
            let parts = servers.map { s in
                "puts \(s.instances.isEmpty ? "nothing" : s.instances.joined(separator: ", ")) on \(s.engine.rawValue) (server \(s.server)); \(s.reason)"
            }
            let engine = containerEngine
                ? "a docker engine answers here: `ovudev up --engine docker --scenario \(scenario)`"
                : "this machine has no docker engine: \(NativeStack.containerEngineHint)"
            return "scenario \(scenario) \(parts.joined(separator: "; it also ")); so it needs a container engine, and \(engine)"
        case let .stackBusy(_, holder):
            return "another ovudev (pid \(holder)) is working on this stack; try again when it is done"
        case let .restoreRefused(database, server, .exists):
            return "database \(database) already exists on \(server); restore --into a new name, or drop it first"
        case let .restoreRefused(database, server, .missing):
            return "database \(database) does not exist on \(server): run `ovudev up` first (it provisions it), or restore --into a new name"
        case let .restoreRefused(database, _, .holds(objects)):
            return "\(database) or the dump holds \(objects.joined(separator: ", ")), which swapping tables cannot carry: restore --into a new name and move them by hand — \(database) was not changed"
        case let .noSuchFile(file):
            return "no such file: \(file)"
        case let .dumpUnreadable(file):
            return "\(file) is not a readable pg_dump archive (damaged, truncated, or not a custom-format dump): \(output)"
        case let .dumpNotRestored(file, _, program, status):
            return "\(file) could not be restored (a damaged or incomplete dump?): \(program) exit \(status):\n\(output)"
        case let .dumpDoesNotLoad(file, _):
            return "\(file) does not load: \(output)"
        case let .restoreFailed(database, schema?, _):
            return "\(output) — \(database).\(schema) was put back as it was"
        case let .restoreFailed(database, nil, _):
            return "\(output) — \(database) was not changed"
        }
    }
}
