import CafeProtocol
import Foundation
import Hummingbird
import SQLKit

/// What the customer chose to be told, kept on the account (not a device): the web app shows
/// these alerts in the page, where no push token exists. Time warnings are on unless turned
/// off; entry and exit alerts are off unless turned on (a guardian's choice).
public struct AlertSettings: Codable, Sendable, Equatable {
    public var timeWarnings: Bool
    public var entryExit: Bool
    public init(timeWarnings: Bool = true, entryExit: Bool = false) {
        self.timeWarnings = timeWarnings
        self.entryExit = entryExit
    }
    enum CodingKeys: String, CodingKey { case timeWarnings = "time_warnings", entryExit = "entry_exit" }
}

public struct AlertView: Codable, Sendable, Equatable {
    public var alertID: UUID
    /// `time_warning`, `entered`, `left`.
    public var kind: String
    public var title: String
    public var body: String
    public var ticketID: UUID?
    public var createdAt: Date
    enum CodingKeys: String, CodingKey { case alertID = "alert_id", kind, title, body, ticketID = "ticket_id", createdAt = "created_at" }
}

/// The account's alert inbox: written in the transaction that causes an alert, beside the push
/// messages, once per event (a dedupe key, as the outbox has), and kept for 30 days.
enum AccountAlerts {
    static let keepFor: TimeInterval = 30 * 86_400
    static let listLimit = 50

    static func settings(account: String, in db: any SQLDatabase) async throws -> AlertSettings {
        struct Row: Decodable { var timeWarnings: Int64; var entryExit: Int64 }
        guard let row = try await db.raw("SELECT time_warnings, entry_exit FROM alert_settings WHERE account_id = \(bind: account)")
            .first(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase) else { return AlertSettings() }
        return AlertSettings(timeWarnings: row.timeWarnings != 0, entryExit: row.entryExit != 0)
    }

    static func save(_ settings: AlertSettings, account: String, in db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM alert_settings WHERE account_id = \(bind: account)").run()
        try await db.raw("""
            INSERT INTO alert_settings (account_id, time_warnings, entry_exit)
            VALUES (\(bind: account), \(bind: settings.timeWarnings ? Int64(1) : 0), \(bind: settings.entryExit ? Int64(1) : 0))
            """).run()
    }

    /// Returns whether the alert is new (false: written before under this key).
    @discardableResult
    static func record(key: String, account: String, kind: String, title: String, body: String, ticketID: String?,
                       now: Date, in db: any SQLDatabase) async throws -> Bool {
        try await db.raw("""
            INSERT INTO account_alerts (id, dedupe_key, account_id, kind, title, body, ticket_id, created_at)
            VALUES (\(bind: UUID().uuidString), \(bind: key), \(bind: account), \(bind: kind), \(bind: title), \(bind: body), \(bind: ticketID),
                    \(bind: DBTime.millis(now)))
            ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
            """).first() != nil
    }

    static func list(account: String, in db: any SQLDatabase) async throws -> [AlertView] {
        struct Row: Decodable { var id: String; var kind: String; var title: String; var body: String; var ticketId: String?; var createdAt: Int64 }
        return try await db.raw("""
            SELECT id, kind, title, body, ticket_id, created_at FROM account_alerts WHERE account_id = \(bind: account)
            ORDER BY created_at DESC, id LIMIT \(literal: listLimit)
            """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase).map {
                AlertView(alertID: UUID(uuidString: $0.id)!, kind: $0.kind, title: $0.title, body: $0.body,
                          ticketID: $0.ticketId.flatMap(UUID.init(uuidString:)), createdAt: DBTime.date($0.createdAt))
            }
    }

    /// Alerts older than `keepFor` go (called with the push outbox's own pruning).
    static func prune(now: Date, in db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM account_alerts WHERE created_at < \(bind: DBTime.millis(now.addingTimeInterval(-keepFor)))").run()
    }
}

/// `GET /me/alerts` (the settings and the newest alerts), `PUT /me/alert-settings`.
struct AlertRoutes {
    let database: ServerDatabase

    struct Inbox: Encodable {
        var settings: AlertSettings
        var alerts: [AlertView]
    }

    var collection: RouteCollection<CafeRequestContext> {
        let routes = RouteCollection(context: CafeRequestContext.self)
        routes.get("me/alerts") { _, context -> Response in
            let account = try context.requireAccount().id.uuidString
            let inbox = try await database.read { db in
                Inbox(settings: try await AccountAlerts.settings(account: account, in: db), alerts: try await AccountAlerts.list(account: account, in: db))
            }
            return try WireResponse.json(inbox)
        }
        routes.put("me/alert-settings") { request, context -> Response in
            let account = try context.requireAccount().id.uuidString
            let settings = try await request.decodeBody(AlertSettings.self, context: context)
            try await database.transaction { db in try await AccountAlerts.save(settings, account: account, in: db) }
            return try WireResponse.json(settings)
        }
        return routes
    }
}
