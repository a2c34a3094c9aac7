import CafeProtocol
import Foundation
import Hummingbird
import Logging
import SQLKit

public struct PushTokenRequest: Codable, Sendable {
    public var token: String
    /// "Kim's phone", "mother": shown in the app's list of devices.
    public var label: String?
    /// Send "entered at 14:02 / left at 18:40" to this device.
    public var entryExitAlerts: Bool?
    enum CodingKeys: String, CodingKey { case token, label, entryExitAlerts = "entry_exit_alerts" }
}

public struct PushTokenView: Codable, Sendable, Equatable {
    public var token: String
    public var label: String?
    public var entryExitAlerts: Bool
    enum CodingKeys: String, CodingKey { case token, label, entryExitAlerts = "entry_exit_alerts" }
}

public enum NoticeAudience: String, Codable, Sendable {
    /// Every customer with a valid pass at the store.
    case all
    /// Those inside now.
    case inside
}

public struct NoticeRequest: Codable, Sendable {
    public var title: String
    public var body: String
    public var audience: NoticeAudience?
}

public struct NoticeView: Codable, Sendable, Equatable {
    public var noticeID: UUID
    public var storeID: UInt32
    public var title: String
    public var body: String
    public var audience: NoticeAudience
    /// Customers it went to.
    public var recipients: Int
    public var createdAt: Date
    enum CodingKeys: String, CodingKey {
        case noticeID = "notice_id", storeID = "store_id", title, body, audience, recipients, createdAt = "created_at"
    }
}

/// Device tokens and owners' notices. A notice is recorded with its recipients and one push
/// message per device in one transaction; delivery happens later (`PushDelivery`).
struct NoticeService: Sendable {
    let database: ServerDatabase
    let logger: Logger

    func register(_ body: PushTokenRequest, account: UUID, now: Date) async throws -> PushTokenView {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_:."))
        guard (1...4096).contains(body.token.count), body.token.unicodeScalars.allSatisfy(allowed.contains) else {
            throw APIFailure.invalid("token must be 1 to 4096 characters of A-Z a-z 0-9 - _ : .")
        }
        if let label = body.label, label.count > 50 { throw APIFailure.invalid("label must be at most 50 characters") }
        let alerts = body.entryExitAlerts ?? false
        try await database.transaction { db in
            // A token belongs to the account that registered it last (a phone changes hands).
            try await db.raw("DELETE FROM push_tokens WHERE token = \(bind: body.token)").run()
            try await db.raw("""
                INSERT INTO push_tokens (token, account_id, label, entry_exit_alerts, created_at)
                VALUES (\(bind: body.token), \(bind: account.uuidString), \(bind: body.label), \(bind: alerts ? Int64(1) : 0), \(bind: DBTime.millis(now)))
                """).run()
        }
        return PushTokenView(token: body.token, label: body.label, entryExitAlerts: alerts)
    }

    func tokens(account: UUID) async throws -> [PushTokenView] {
        struct Row: Decodable { var token: String; var label: String?; var entryExitAlerts: Int64 }
        return try await database.read { db in
            try await db.raw("SELECT token, label, entry_exit_alerts FROM push_tokens WHERE account_id = \(bind: account.uuidString) ORDER BY created_at")
                .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
                .map { PushTokenView(token: $0.token, label: $0.label, entryExitAlerts: $0.entryExitAlerts != 0) }
        }
    }

    func unregister(_ token: String, account: UUID) async throws {
        try await database.transaction { db in
            guard try await db.raw("DELETE FROM push_tokens WHERE token = \(bind: token) AND account_id = \(bind: account.uuidString) RETURNING token")
                .first() != nil else { throw APIFailure.notFound("push token") }
        }
    }

    func send(_ body: NoticeRequest, store: UInt32, now: Date) async throws -> NoticeView {
        guard (1...100).contains(body.title.count) else { throw APIFailure.invalid("title must be 1 to 100 characters") }
        guard (1...1000).contains(body.body.count) else { throw APIFailure.invalid("body must be 1 to 1000 characters") }
        let audience = body.audience ?? .all
        let id = UUID()
        let view = try await database.transaction { db -> NoticeView in
            _ = try await Stores.require(store, in: db)
            let condition = audience == .inside
                ? "inside = 1"
                : "status = 'valid' AND valid_until > \(DBTime.millis(now))"
            let accounts = try await db.raw("""
                SELECT DISTINCT account_id FROM tickets
                WHERE store_id = \(bind: Int64(store)) AND account_id IS NOT NULL AND \(unsafeRaw: condition)
                ORDER BY account_id
                """).all().map { try $0.decode(column: "account_id", as: String.self) }
            try await db.raw("""
                INSERT INTO notices (id, store_id, title, body, audience, recipients, created_at)
                VALUES (\(bind: id.uuidString), \(bind: Int64(store)), \(bind: body.title), \(bind: body.body), \(bind: audience.rawValue),
                        \(bind: Int64(accounts.count)), \(bind: DBTime.millis(now)))
                """).run()
            for account in accounts {
                try await db.raw("INSERT INTO notice_recipients (notice_id, account_id) VALUES (\(bind: id.uuidString), \(bind: account))").run()
                for token in try await PushOutbox.tokens(account: account, alertsOnly: false, in: db) {
                    try await PushOutbox.enqueue(key: "notice|\(id.uuidString)|\(token)", account: account, token: token, kind: "notice",
                                                 title: body.title, body: body.body, data: ["kind": "notice", "notice_id": id.uuidString],
                                                 now: now, in: db)
                }
            }
            return NoticeView(noticeID: id, storeID: store, title: body.title, body: body.body, audience: audience,
                              recipients: accounts.count, createdAt: now)
        }
        logger.notice("notice sent", metadata: ["store.id": "\(store)", "notice.id": "\(id)", "notice.recipients": "\(view.recipients)"])
        return view
    }

    /// The notices the store sent, newest first (the owner's console).
    func sent(store: UInt32) async throws -> [NoticeView] {
        try await list(SQLQueryString("SELECT \(unsafeRaw: Self.columns) FROM notices WHERE store_id = \(bind: Int64(store))"))
    }

    /// The notices that went to this customer, newest first.
    func notices(account: UUID) async throws -> [NoticeView] {
        try await list(SQLQueryString("""
            SELECT \(unsafeRaw: Self.columns) FROM notices JOIN notice_recipients ON notice_recipients.notice_id = notices.id
            WHERE notice_recipients.account_id = \(bind: account.uuidString)
            """))
    }

    private static let columns = "notices.id, notices.store_id, notices.title, notices.body, notices.audience, notices.recipients, notices.created_at"

    private func list(_ selection: SQLQueryString) async throws -> [NoticeView] {
        struct Row: Decodable { var id: String; var storeId: Int64; var title: String; var body: String; var audience: String; var recipients: Int64; var createdAt: Int64 }
        return try await database.read { db in
            try await db.raw(selection + " ORDER BY notices.created_at DESC LIMIT 100")
                .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase).map {
                    NoticeView(noticeID: UUID(uuidString: $0.id)!, storeID: UInt32($0.storeId), title: $0.title, body: $0.body,
                               audience: NoticeAudience(rawValue: $0.audience) ?? .all, recipients: Int($0.recipients), createdAt: DBTime.date($0.createdAt))
                }
        }
    }
}

struct NoticeRoutes {
    let service: NoticeService
    let owners: OwnerService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let routes = RouteCollection(context: CafeRequestContext.self)
        routes.post("me/push-tokens") { request, context -> Response in
            let caller = try context.requireAccount()
            let body = try await request.decodeBody(PushTokenRequest.self, context: context)
            return try WireResponse.json(try await service.register(body, account: caller.id, now: now()), status: .created)
        }
        routes.get("me/push-tokens") { _, context -> Response in
            let caller = try context.requireAccount()
            return try WireResponse.json(["push_tokens": try await service.tokens(account: caller.id)])
        }
        routes.delete("me/push-tokens/:token") { _, context -> Response in
            let caller = try context.requireAccount()
            try await service.unregister(context.parameters.get("token") ?? "", account: caller.id)
            return Response(status: .noContent)
        }
        routes.get("me/notices") { _, context -> Response in
            let caller = try context.requireAccount()
            return try WireResponse.json(["notices": try await service.notices(account: caller.id)])
        }
        routes.get("stores/:store_id/notices") { _, context -> Response in
            let store = try await owners.owned(context)
            return try WireResponse.json(["notices": try await service.sent(store: store)])
        }
        routes.post("stores/:store_id/notices") { request, context -> Response in
            let store = try await owners.owned(context)
            let body = try await request.decodeBody(NoticeRequest.self, context: context)
            return try WireResponse.json(try await service.send(body, store: store, now: now()), status: .created)
        }
        return routes
    }
}
