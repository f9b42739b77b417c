internal import CLibPQ
import Foundation

/// An error from libpq or the server, with the SQLSTATE when the server sent one.
public struct PGError: Error, CustomStringConvertible, Sendable {
    public var sqlstate: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character position of the error in the query.
    public var position: Int?
    /// Where it happened, e.g. "COPY users, line 3".
    public var context: String?

    public var description: String {
        var text = message
        if let sqlstate { text += " (SQLSTATE \(sqlstate))" }
        if let detail { text += "\nDETAIL: \(detail)" }
        if let hint { text += "\nHINT: \(hint)" }
        if let context { text += "\nCONTEXT: \(context)" }
        return text
    }

    /// `42501` insufficient_privilege, `28P01` invalid password, …
    public var isPermissionDenied: Bool { sqlstate == "42501" }
}

/// Rows of a query result as text (NULL as nil).
public struct PGRows: Sendable {
    public var columns: [String]
    public var rows: [[String?]]
    /// The number of rows a command affected (`INSERT`, `UPDATE`, `COPY`), when it reports one.
    public var affected: Int?

    public func column(_ name: String) -> [String?] {
        guard let i = columns.firstIndex(of: name) else { return [] }
        return rows.map { $0[i] }
    }
}

public struct PGConnectionParameters: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    public init(host: String = "127.0.0.1", port: Int, user: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    var keywords: [(String, String)] {
        var pairs = [("host", host), ("port", String(port)), ("user", user), ("dbname", database),
                     ("connect_timeout", "10"), ("application_name", "ovudev"), ("client_encoding", "UTF8")]
        if let password { pairs.append(("password", password)) }
        return pairs
    }
}

/// A superuser connection for ovudev's own maintenance: over the server's socket folder by peer
/// authentication when ovudev runs the server natively (no password round), else — or when the
/// server still runs with a configuration from before — over TCP with the password.
func adminConnection(host: String = "127.0.0.1", port: Int, user: String, password: String?, database: String, socket: String?) throws -> PGConnection {
    if let socket, let conn = try? PGConnection(PGConnectionParameters(host: socket, port: port, user: user, password: nil, database: database)) {
        return conn
    }
    return try PGConnection(PGConnectionParameters(host: host, port: port, user: user, password: password, database: database))
}

/// One libpq connection. Not Sendable: owned by one task at a time.
public final class PGConnection {
    private let conn: OpaquePointer
    public let parameters: PGConnectionParameters
    /// Server notices (`NOTICE: …`) received since the last `takeNotices()`.
    private let noticeBox = NoticeBox()

    final class NoticeBox { var notices: [String] = [] }

    public init(_ parameters: PGConnectionParameters) throws {
        self.parameters = parameters
        let pairs = parameters.keywords
        let keys = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer { (keys + values).forEach { free($0) } }
        let raw: OpaquePointer? = keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { k in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, 0)
            }
        }
        guard let raw else { throw PGError(message: "out of memory while connecting") }
        guard PQstatus(raw) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(raw)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(raw)
            throw PGError(sqlstate: Self.sqlstate(fromConnectionMessage: message), message: message)
        }
        conn = raw
        let box = Unmanaged.passUnretained(noticeBox).toOpaque()
        PQsetNoticeProcessor(conn, { arg, message in
            guard let arg, let message else { return }
            let box = Unmanaged<NoticeBox>.fromOpaque(arg).takeUnretainedValue()
            box.notices.append(String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines))
        }, box)
    }

    deinit { PQfinish(conn) }

    /// Login failures carry no SQLSTATE through PQerrorMessage; recognise the common ones.
    static func sqlstate(fromConnectionMessage message: String) -> String? {
        if message.contains("password authentication failed") { return "28P01" }
        if message.contains("permission denied for database") { return "42501" }
        if message.contains("does not exist") && message.contains("database") { return "3D000" }
        if message.contains("does not exist") && message.contains("role") { return "28000" }
        if message.contains("Peer authentication failed") { return "28000" }
        // The server asked for a password and libpq had none to give: the server's code for a
        // login without the right password.
        if message.contains("no password supplied") { return "28P01" }
        return nil
    }

    public func takeNotices() -> [String] {
        defer { noticeBox.notices = [] }
        return noticeBox.notices
    }

    public var serverVersion: Int { Int(PQserverVersion(conn)) }

    /// Connected and outside any transaction: safe to hand to the next user.
    public var isIdle: Bool { PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE }

    /// Runs one or more statements without parameters; returns the last result's rows.
    @discardableResult
    public func exec(_ sql: String) throws -> PGRows {
        try consume(PQexec(conn, sql))
    }

    /// One statement with text parameters ($1, $2, …).
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?]) throws -> PGRows {
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let result = copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            PQexecParams(conn, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
        }
        return try consume(result)
    }

    /// `COPY … FROM STDIN`: `produce` is called with a writer until it returns; returns rows copied.
    public func copyIn(_ sql: String, _ produce: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Int {
        let start = PQexec(conn, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else { return try consume(start).affected ?? 0 }
        PQclear(start)
        var failure: Error?
        do {
            try produce { buffer in
                guard buffer.count > 0 else { return }
                let sent = PQputCopyData(conn, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buffer.count))
                if sent != 1 { throw PGError(message: String(cString: PQerrorMessage(conn))) }
            }
        } catch {
            failure = error
        }
        let end = failure.map { PQputCopyEnd(conn, "aborted: \($0)") } ?? PQputCopyEnd(conn, nil)
        if end != 1 { throw PGError(message: String(cString: PQerrorMessage(conn))) }
        var rows = 0
        var firstError: Error?
        while let result = PQgetResult(conn) {
            do { rows = try consume(result).affected ?? rows } catch { firstError = firstError ?? error }
        }
        if let failure { throw failure }
        if let firstError { throw firstError }
        return rows
    }

    /// `COPY … TO STDOUT`: `consume` gets each chunk (a row in text format, a message in
    /// binary) as it arrives; returns rows copied.
    public func copyOut(_ sql: String, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let start = PQexec(conn, sql)
        guard PQresultStatus(start) == PGRES_COPY_OUT else { return try self.consume(start).affected ?? 0 }
        PQclear(start)
        var failure: Error?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(conn, &buffer, 0)
            if n > 0, let buffer {
                if failure == nil {
                    do { try consume(UnsafeRawBufferPointer(start: buffer, count: Int(n))) } catch { failure = error }
                }
                PQfreemem(buffer)
                continue
            }
            if n == -2 { throw PGError(message: String(cString: PQerrorMessage(conn))) }
            break
        }
        var rows = 0
        var firstError: Error?
        while let result = PQgetResult(conn) {
            do { rows = try self.consume(result).affected ?? rows } catch { firstError = firstError ?? error }
        }
        if let failure { throw failure }
        if let firstError { throw firstError }
        return rows
    }

    private func consume(_ result: OpaquePointer?) throws -> PGRows {
        guard let result else { throw PGError(message: String(cString: PQerrorMessage(conn))) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            let columns = (0..<PQnfields(result)).map { String(cString: PQfname(result, $0)) }
            var rows: [[String?]] = []
            let n = PQntuples(result)
            rows.reserveCapacity(Int(n))
            for r in 0..<n {
                rows.append((0..<Int32(columns.count)).map { c in
                    PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c))
                })
            }
            let tuples = String(cString: PQcmdTuples(result))
            return PGRows(columns: columns, rows: rows, affected: Int(tuples))
        default:
            func field(_ code: Int32) -> String? {
                guard let p = PQresultErrorField(result, code) else { return nil }
                return String(cString: p)
            }
            // PG_DIAG_SQLSTATE 'C', MESSAGE_PRIMARY 'M', DETAIL 'D', HINT 'H', STATEMENT_POSITION 'P', CONTEXT 'W'
            throw PGError(sqlstate: field(67), message: field(77) ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines),
                          detail: field(68), hint: field(72), position: field(80).flatMap { Int($0) }, context: field(87))
        }
    }

    public enum Ping: Sendable { case ok, rejecting, noResponse, noAttempt }

    /// Whether a server answers on host:port, without logging in (PQpingParams).
    public static func ping(host: String, port: Int) -> Ping {
        let keys = [strdup("host"), strdup("port"), strdup("connect_timeout"), nil]
        let values = [strdup(host), strdup(String(port)), strdup("2"), nil]
        defer { (keys + values).forEach { free($0) } }
        let status = keys.map { UnsafePointer($0) }.withUnsafeBufferPointer { k in
            values.map { UnsafePointer($0) }.withUnsafeBufferPointer { v in PQpingParams(k.baseAddress, v.baseAddress, 0) }
        }
        switch status {
        case PQPING_OK: return .ok
        case PQPING_REJECT: return .rejecting
        case PQPING_NO_RESPONSE: return .noResponse
        default: return .noAttempt
        }
    }
}

extension PGConnection {
    /// Statements in one round trip and one transaction; nothing when there are none. A failure
    /// is thrown as `failure(error)`.
    func execute(_ statements: [String], orThrow failure: (Error) -> Error) throws {
        guard !statements.isEmpty else { return }
        do {
            try exec(statements.joined(separator: "\n"))
        } catch {
            throw failure(error)
        }
    }
}
