import CafeProtocol
import Foundation
import Hummingbird
import SQLKit

/// A seat on the owner's map.
public struct SeatView: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case free, held, occupied }
    public var seat: String
    public var state: State
    public var ticketID: UUID?
    public var holderName: String?
    /// Occupied: when their time pass or pass runs out (or the visit cap closes it). Held: when the hold lapses.
    public var until: Date?
    enum CodingKeys: String, CodingKey { case seat, state, ticketID = "ticket_id", holderName = "holder_name", until }
}

public struct SeatHoldRequest: Codable, Sendable {
    public var seat: String
}

public struct SeatHoldView: Codable, Sendable, Equatable {
    public var ticketID: UUID
    public var seat: String
    public var heldUntil: Date
    enum CodingKeys: String, CodingKey { case ticketID = "ticket_id", seat, heldUntil = "held_until" }
}

/// The store's numbered seats (1 … `seats`). A holder inside occupies one: the seat they held in
/// the app (for `holdMinutes`) or the lowest free one, given at entry — online in the verdict,
/// and for an entry decided offline when the kiosk uploads it — and released at exit or
/// auto-exit. A unique index on the tickets inside makes a seat one person's, with several
/// server instances too; choosing takes the store's row lock first, so two entries at once
/// never pick the same seat.
enum Seats {
    static let holdMinutes = 10

    /// Picks and returns the seat for `ticket` entering now (nil: the room is full, or the
    /// store has no numbered seats); the caller writes it with the entry. `preferred` is the seat
    /// a kiosk gave offline (what the customer was shown): kept when it is a seat of the store
    /// and nobody else sits there or holds it; otherwise the seat is chosen as at an online entry,
    /// and `clash` says what happened — a conflict for the owner, as the customer may be sitting
    /// in someone else's seat.
    static func assign(ticket: TicketRow, preferred: String? = nil, store: StoreRow, now: Date,
                       in db: any SQLDatabase) async throws -> (seat: String?, clash: String?) {
        if let seat = ticket.seat { return (seat, nil) }
        // Lock the store's row (PostgreSQL): entries choosing seats at once take turns.
        try await db.raw("UPDATE stores SET revision = revision WHERE id = \(bind: store.id)").run()
        let taken = try await occupied(store: store.id, in: db)
        let holds = try await activeHolds(store: store.id, now: now, in: db)
        let heldByOthers = Set(holds.filter { $0.ticketId != ticket.id }.map(\.seat))
        var clash: String?
        if let preferred {
            let sitter = taken[preferred].flatMap { $0.id == ticket.id ? nil : $0 }
            if Seating.labels(count: Int(store.seats)).contains(preferred), sitter == nil, !heldByOthers.contains(preferred) {
                try await db.raw("DELETE FROM seat_holds WHERE ticket_id = \(bind: ticket.id)").run()
                return (preferred, nil)
            }
            clash = sitter.map { "\($0.holderName ?? "another holder") sits there" }
                ?? (heldByOthers.contains(preferred) ? "it is held in the app for another pass" : "the store has no seat \(Self.quoted(preferred))")
        }
        var seat: String?
        if let held = holds.first(where: { $0.ticketId == ticket.id }) {
            try await db.raw("DELETE FROM seat_holds WHERE ticket_id = \(bind: ticket.id)").run()
            if !taken.keys.contains(held.seat) { seat = held.seat }
        }
        seat = seat ?? Seating.lowestFree(seats: Int(store.seats), taken: Set(taken.keys).union(heldByOthers))
        return (seat, clash.map { "seat \(Self.quoted(preferred!)) given offline clashed (\($0)): " + (seat.map { "given seat \($0) instead" } ?? "no seat is free") })
    }

    /// A seat label from a kiosk, as a message may repeat it: at most 16 characters.
    static func quoted(_ seat: String) -> String { seat.count > 16 ? seat.prefix(16) + "…" : seat }

    /// Seat → the ticket inside on it.
    static func occupied(store: Int64, in db: any SQLDatabase) async throws -> [String: TicketRow] {
        let rows = try await db.raw("""
            SELECT \(unsafeRaw: Tickets.columns) FROM tickets WHERE store_id = \(bind: store) AND inside = 1 AND seat IS NOT NULL
            """).all(decoding: TicketRow.self)
        var map: [String: TicketRow] = [:]
        for row in rows { if let seat = row.seat { map[seat] = row } }
        return map
    }

    struct Hold: Decodable, Sendable { var seat: String; var ticketId: String; var expiresAt: Int64 }

    static func activeHolds(store: Int64, now: Date, in db: any SQLDatabase) async throws -> [Hold] {
        try await db.raw("""
            SELECT seat, ticket_id, expires_at FROM seat_holds WHERE store_id = \(bind: store) AND expires_at > \(bind: DBTime.millis(now))
            """).all(decoding: Hold.self, keyDecodingStrategy: .convertFromSnakeCase)
    }
}

struct SeatService: Sendable {
    let database: ServerDatabase

    func map(store: UInt32, now: Date) async throws -> [SeatView] {
        try await database.read { db in
            let row = try await Stores.require(store, in: db)
            let taken = try await Seats.occupied(store: row.id, in: db)
            let holds = try await Seats.activeHolds(store: row.id, now: now, in: db)
            return Seating.labels(count: Int(row.seats)).map { seat in
                if let ticket = taken[seat] {
                    let left = TimeWarningJob.minutesLeft(ticket.state, now: now)
                    return SeatView(seat: seat, state: .occupied, ticketID: ticket.passID, holderName: ticket.holderName,
                                    until: left.map { now.addingTimeInterval(TimeInterval($0) * 60) })
                }
                if let hold = holds.first(where: { $0.seat == seat }) {
                    return SeatView(seat: seat, state: .held, ticketID: UUID(uuidString: hold.ticketId), holderName: nil, until: DBTime.date(hold.expiresAt))
                }
                return SeatView(seat: seat, state: .free, ticketID: nil, holderName: nil, until: nil)
            }
        }
    }

    /// Holds a seat for the customer's pass for `Seats.holdMinutes` (one hold per pass; a new
    /// one replaces it).
    func hold(_ body: SeatHoldRequest, ticket ticketID: UUID, account: UUID, now: Date) async throws -> SeatHoldView {
        try await database.transaction { db in
            let ticket = try await Tickets.require(ticketID, store: nil, account: account, in: db)
            guard ticket.status == TicketStatus.valid.rawValue, DBTime.date(ticket.validUntil) > now else {
                throw APIFailure.conflict("not_usable", "this pass cannot be used now")
            }
            guard ticket.inside == 0 else { throw APIFailure.conflict("already_inside", "you are inside already, on seat \(ticket.seat ?? "-")") }
            let store = try await Stores.require(UInt32(ticket.storeId), in: db)
            guard Seating.labels(count: Int(store.seats)).contains(body.seat) else {
                throw APIFailure.invalid("store \(store.id) has seats 1 to \(store.seats)")
            }
            try await db.raw("UPDATE stores SET revision = revision WHERE id = \(bind: store.id)").run()
            try await db.raw("DELETE FROM seat_holds WHERE store_id = \(bind: store.id) AND expires_at <= \(bind: DBTime.millis(now))").run()
            if try await Seats.occupied(store: store.id, in: db)[body.seat] != nil {
                throw APIFailure.conflict("seat_taken", "seat \(body.seat) is taken")
            }
            if let other = try await Seats.activeHolds(store: store.id, now: now, in: db).first(where: { $0.seat == body.seat }), other.ticketId != ticket.id {
                throw APIFailure.conflict("seat_taken", "seat \(body.seat) is held by someone on the way")
            }
            let until = now.addingTimeInterval(TimeInterval(Seats.holdMinutes) * 60)
            try await db.raw("DELETE FROM seat_holds WHERE ticket_id = \(bind: ticket.id)").run()
            try await db.raw("""
                INSERT INTO seat_holds (store_id, seat, ticket_id, expires_at) VALUES (\(bind: store.id), \(bind: body.seat), \(bind: ticket.id), \(bind: DBTime.millis(until)))
                """).run()
            return SeatHoldView(ticketID: ticketID, seat: body.seat, heldUntil: until)
        }
    }

    func release(ticket ticketID: UUID, account: UUID) async throws {
        try await database.transaction { db in
            let ticket = try await Tickets.require(ticketID, store: nil, account: account, in: db)
            try await db.raw("DELETE FROM seat_holds WHERE ticket_id = \(bind: ticket.id)").run()
        }
    }
}

struct SeatRoutes {
    let service: SeatService
    let owners: OwnerService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let routes = RouteCollection(context: CafeRequestContext.self)
        routes.get("stores/:store_id/seats") { _, context -> Response in
            let store = try await owners.owned(context)
            return try WireResponse.json(["seats": try await service.map(store: store, now: now())])
        }
        routes.put("me/tickets/:ticket_id/seat") { request, context -> Response in
            let caller = try context.requireAccount()
            let body = try await request.decodeBody(SeatHoldRequest.self, context: context)
            return try WireResponse.json(try await service.hold(body, ticket: try context.uuidParameter("ticket_id"), account: caller.id, now: now()))
        }
        routes.delete("me/tickets/:ticket_id/seat") { _, context -> Response in
            let caller = try context.requireAccount()
            try await service.release(ticket: try context.uuidParameter("ticket_id"), account: caller.id)
            return Response(status: .noContent)
        }
        return routes
    }
}
