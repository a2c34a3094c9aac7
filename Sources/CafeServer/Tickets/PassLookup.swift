import CafeProtocol
import Foundation
import Hummingbird
import SQLKit

/// One door event of a pass, as its holder's history lists it.
public struct PassEventView: Codable, Sendable, Equatable {
    public var eventID: UUID
    /// `enter`, `exit`, `deny`.
    public var verdict: String
    public var reason: String?
    public var occurredAt: Date
    public var decidedOffline: Bool
    /// Minutes a time pass was charged on this exit.
    public var minutesCharged: Int?
    /// The door did not open: the entry was reversed.
    public var annulled: Bool
    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", verdict, reason, occurredAt = "occurred_at", decidedOffline = "decided_offline"
        case minutesCharged = "minutes_charged", annulled
    }
}

/// A pass as the owner's console finds it: the holder and the customer's login, no token.
public struct OwnerPassView: Codable, Sendable, Equatable {
    public var ticketID: UUID
    public var kind: PassKind
    public var label: String
    public var validUntil: Date
    public var remainingMinutes: Int?
    public var status: TicketStatus
    public var inside: Bool
    public var seat: String?
    public var holderName: String?
    /// The customer's login when the pass is in someone's app (nil: a walk-in's paper pass).
    public var customerLogin: String?
    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id", kind, label, validUntil = "valid_until", remainingMinutes = "remaining_minutes", status, inside, seat
        case holderName = "holder_name", customerLogin = "customer_login"
    }
}

/// A pass's door history for its holder; the owner's search of a store's passes.
struct PassLookup: Sendable {
    let database: ServerDatabase
    static let historyLimit = 100
    static let searchLimit = 50

    /// Newest first; an archived pass keeps its history.
    func history(ticket: UUID, account: UUID) async throws -> [PassEventView] {
        struct Row: Decodable {
            var eventId: String; var verdict: String; var reason: String?; var occurredAt: Int64; var decidedOffline: Int64
            var minutesCharged: Int64?; var annulledBy: String?
        }
        return try await database.read { db in
            guard try await db.raw("SELECT id FROM ticket_history WHERE id = \(bind: ticket.uuidString) AND account_id = \(bind: account.uuidString)")
                .first() != nil else { throw APIFailure.notFound("ticket") }
            return try await db.raw("""
                SELECT event_id, verdict, reason, occurred_at, decided_offline, minutes_charged, annulled_by FROM check_in_events
                WHERE ticket_id = \(bind: ticket.uuidString) AND annuls IS NULL
                ORDER BY occurred_at DESC, event_id LIMIT \(literal: Self.historyLimit)
                """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase).map {
                    PassEventView(eventID: UUID(uuidString: $0.eventId)!, verdict: $0.verdict, reason: $0.reason, occurredAt: DBTime.date($0.occurredAt),
                                  decidedOffline: $0.decidedOffline != 0, minutesCharged: $0.minutesCharged.map(Int.init), annulled: $0.annulledBy != nil)
                }
        }
    }

    /// Passes of the store whose holder's name, customer's login or customer's name contains
    /// `query` (any case), or whose id it is; an empty query lists the latest passes. Those that
    /// last longest come first.
    func search(store: UInt32, query: String) async throws -> [OwnerPassView] {
        let text = query.trimmingCharacters(in: .whitespaces)
        guard text.count <= 64 else { throw APIFailure.invalid("q must be at most 64 characters") }
        // LIKE's own characters are matched literally.
        let escaped = text.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        let pattern = "%\(escaped)%"
        struct Customer: Decodable { var customerLogin: String? }
        // No words: the latest passes, read in the index's order. Words: every pass of the store
        // is looked at, in the table's order and then sorted (`+` keeps SQLite from walking the
        // date index and fetching each row by it: 190 ms instead of about 55 at 100,000 passes).
        let matching: SQLQueryString = text.isEmpty ? "" : """
             AND (LOWER(COALESCE(t.holder_name, '')) LIKE \(bind: pattern) ESCAPE '\\'
                  OR LOWER(COALESCE(a.login, '')) LIKE \(bind: pattern) ESCAPE '\\'
                  OR LOWER(COALESCE(a.display_name, '')) LIKE \(bind: pattern) ESCAPE '\\'
                  OR t.id = \(bind: text.uppercased()))
            """
        return try await database.read { db in
            let rows = try await db.raw("""
                SELECT t.id, t.store_id, t.account_id, t.kind, t.label, t.valid_from, t.valid_until, t.total_minutes, t.remaining_minutes,
                       t.status, t.status_changed_at, t.inside, t.last_entered_at, t.holder_name, t.seat, t.token, t.revision,
                       a.login AS customer_login
                FROM tickets t LEFT JOIN accounts a ON a.id = t.account_id
                WHERE t.store_id = \(bind: Int64(store))
                """ + matching + """
                 ORDER BY \(unsafeRaw: text.isEmpty ? "" : "+")t.valid_until DESC, t.id DESC LIMIT \(literal: Self.searchLimit)
                """).all()
            return try rows.map { row in
                let ticket = try row.decode(model: TicketRow.self)
                let customer = try row.decode(model: Customer.self, keyDecodingStrategy: .convertFromSnakeCase)
                return OwnerPassView(ticketID: ticket.passID, kind: ticket.passKind, label: ticket.label, validUntil: DBTime.date(ticket.validUntil),
                                     remainingMinutes: ticket.remainingMinutes.map(Int.init), status: TicketStatus(rawValue: ticket.status) ?? .revoked,
                                     inside: ticket.inside != 0, seat: ticket.seat, holderName: ticket.holderName, customerLogin: customer.customerLogin)
            }
        }
    }
}

/// `GET /me/tickets/{id}/history`, `GET /stores/{id}/tickets?q=`.
struct PassLookupRoutes {
    let service: PassLookup
    let owners: OwnerService

    var collection: RouteCollection<CafeRequestContext> {
        let routes = RouteCollection(context: CafeRequestContext.self)
        routes.get("me/tickets/:ticket_id/history") { _, context -> Response in
            let caller = try context.requireAccount()
            let id = try context.uuidParameter("ticket_id")
            return try WireResponse.json(["events": try await service.history(ticket: id, account: caller.id)])
        }
        routes.get("stores/:store_id/tickets") { request, context -> Response in
            let store = try await owners.owned(context)
            let query = request.uri.queryParameters.get("q") ?? ""
            return try WireResponse.json(["tickets": try await service.search(store: store, query: query)])
        }
        return routes
    }
}
