import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import ServiceLifecycle
import Synchronization

/// Where the server keeps its data.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// One file, zero set-up: a single store, the demo.
    case sqlite(path: String)
    /// A private in-memory database (tests).
    case sqliteInMemory
    /// A chain of stores with several server instances.
    case postgres(url: String)

    /// Parses `sqlite:PATH`, `sqlite::memory:`, `postgres://…` / `postgresql://…`, or a bare path.
    public init(parsing text: String) throws(ServerConfigurationError) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else if text == "sqlite::memory:" {
            self = .sqliteInMemory
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .invalid("database", "sqlite: needs a file path, as in sqlite:/var/lib/cafe-server/cafe.sqlite") }
            self = .sqlite(path: path)
        } else if text.contains("://") {
            throw .invalid("database", "unsupported scheme in \(text): use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        } else {
            self = .sqlite(path: text)
        }
    }

    /// Without the password, for logs and `--help`.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .sqliteInMemory: "sqlite::memory:"
        case .postgres(let url):
            if let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") {
                url[..<scheme.upperBound] + "…@" + url[url.index(after: at)...]
            } else { url }
        }
    }
}

/// The server's one way to its data: every write is a transaction, on SQLite and PostgreSQL alike,
/// through SQLKit. SQLite has one connection and runs one transaction at a time (SQLite allows a
/// single writer anyway); PostgreSQL leases connections from a pool, and writers of one store
/// serialise on the store's revision row (see `Revisions`).
public final class ServerDatabase: Sendable {
    private let backend: Backend
    private let logger: Logger

    private enum Backend: Sendable {
        case sqlite(SQLiteConnection, AsyncSerialGate)
        case postgres(PostgresClient)
    }

    private init(backend: Backend, logger: Logger) {
        self.backend = backend
        self.logger = logger
    }

    /// Opens (and for SQLite creates) the database. Call `migrate()` before use.
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> ServerDatabase {
        switch location {
        case .sqlite(let path):
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            try await configureSQLite(connection)
            return ServerDatabase(backend: .sqlite(connection, AsyncSerialGate()), logger: logger)
        case .sqliteInMemory:
            let connection = try await SQLiteConnection.open(storage: .memory, logger: logger)
            try await configureSQLite(connection)
            return ServerDatabase(backend: .sqlite(connection, AsyncSerialGate()), logger: logger)
        case .postgres(let url):
            // Our one extra URL parameter: `?search_path=SCHEMA` (a schema per store chain, or per test).
            var base = url
            var searchPath: String?
            if let mark = url.firstIndex(of: "?") {
                base = String(url[..<mark])
                for pair in url[url.index(after: mark)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2, parts[0] == "search_path" { searchPath = String(parts[1]) }
                }
            }
            let sqlConfig = try SQLPostgresConfiguration(url: base)
            var config = PostgresClient.Configuration(
                host: sqlConfig.coreConfiguration.host ?? "127.0.0.1",
                port: sqlConfig.coreConfiguration.port ?? 5432,
                username: sqlConfig.coreConfiguration.username,
                password: sqlConfig.coreConfiguration.password,
                database: sqlConfig.coreConfiguration.database,
                tls: .disable)
            config.options.maximumConnections = 16
            if let searchPath { config.options.additionalStartupParameters = [("search_path", searchPath)] }
            let client = PostgresClient(configuration: config, backgroundLogger: logger)
            return ServerDatabase(backend: .postgres(client), logger: logger)
        }
    }

    private static func configureSQLite(_ connection: SQLiteConnection) async throws {
        let db = connection.sql()
        // WAL: readers (backups, `sqlite3` by the admin) never block the server; FULL: a
        // committed sale survives a power cut.
        try await db.raw("PRAGMA journal_mode = WAL").run()
        try await db.raw("PRAGMA synchronous = FULL").run()
        try await db.raw("PRAGMA foreign_keys = ON").run()
        try await db.raw("PRAGMA busy_timeout = 5000").run()
    }

    /// Runs `body` in one transaction: all of it is committed, or none of it.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(let connection, let gate):
            return try await gate.withTurn {
                let db = connection.sql(queryLogLevel: nil)
                try await db.raw("BEGIN IMMEDIATE").run()
                do {
                    let result = try await body(db)
                    try await db.raw("COMMIT").run()
                    return result
                } catch {
                    try? await db.raw("ROLLBACK").run()
                    throw error
                }
            }
        case .postgres(let client):
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    try await body(connection.sql(queryLogLevel: nil))
                }
            } catch let error as PostgresTransactionError {
                // What the body threw (an APIFailure, say) matters to the caller, not the wrapper.
                if let closureError = error.closureError, error.rollbackError == nil { throw closureError }
                throw error
            }
        }
    }

    /// Runs read-only queries (no transaction on PostgreSQL; one consistent turn on SQLite).
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(let connection, let gate):
            return try await gate.withTurn { try await body(connection.sql(queryLogLevel: nil)) }
        case .postgres(let client):
            return try await client.withConnection { connection in
                try await body(connection.sql(queryLogLevel: nil))
            }
        }
    }

    /// Runs one SQL statement in its own transaction (admin and test set-up).
    public func execute(_ sql: String) async throws {
        try await transaction { db in try await db.raw(SQLQueryString(sql)).run() }
    }

    /// Readiness: the database answers a trivial query.
    public func ping() async -> Bool {
        (try? await read { db in try await db.raw("SELECT 1 AS one").first() }) != nil
    }

    /// SQLite only: closes the file (PostgreSQL's pool closes when its service stops).
    public func close() async {
        if case .sqlite(let connection, let gate) = backend {
            try? await gate.withTurn { try await connection.close() }
        }
    }

    /// Runs `body` while PostgreSQL's connection pool runs (it needs a task of its own); on
    /// SQLite just runs `body`. Every entry point (serve, admin, tests) wraps its work in it.
    public func withService<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        guard case .postgres(let client) = backend else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            // The pool marks itself running at the very start of run(): wait for the task to
            // get there, so the first lease does not find it "not run yet" (a logged warning).
            let (started, signal) = AsyncStream<Void>.makeStream()
            group.addTask {
                signal.finish()
                await client.run()
                return nil
            }
            for await _ in started {}
            defer { group.cancelAll() }
            let result = try await body()
            return result
        }
    }
}

/// One turn at a time, in arrival order, for async callers (SQLite's single connection: a
/// transaction's statements must not interleave with another's).
final class AsyncSerialGate: Sendable {
    private let state = Mutex(State())

    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    func withTurn<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                if state.busy { state.waiters.append(continuation); return false }
                state.busy = true
                return true
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty { state.busy = false; return nil }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
