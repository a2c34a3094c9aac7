import CafeProtocol
import Foundation
import SQLKit

/// A ticket (the pass a customer uses) as the database holds it.
struct TicketRow: Codable, Sendable {
    var id: String
    var storeId: Int64
    var accountId: String?
    var kind: String
    var label: String
    var validFrom: Int64
    var validUntil: Int64
    var totalMinutes: Int64?
    var remainingMinutes: Int64?
    var status: String
    /// When it was refunded or revoked: an offline entry before then was no conflict.
    var statusChangedAt: Int64?
    var inside: Int64
    var lastEnteredAt: Int64?
    var holderName: String?
    var seat: String?
    var token: String
    var revision: Int64

    var passID: UUID { UUID(uuidString: id)! }
    var passKind: PassKind { PassKind(wireName: kind) ?? .day }

    /// The state as it was at `time` for what matters to a re-check: a refund or revocation
    /// that came later did not exist yet.
    func state(at time: Date) -> TicketState {
        var state = self.state
        if let changed = statusChangedAt, DBTime.date(changed) > time { state.status = .valid }
        return state
    }

    /// What a kiosk caches to decide offline.
    var state: TicketState {
        TicketState(passID: passID, storeID: UInt32(storeId), kind: passKind,
                    validFrom: DBTime.date(validFrom), validUntil: DBTime.date(validUntil),
                    remainingMinutes: remainingMinutes.map(Int.init), status: TicketStatus(rawValue: status) ?? .revoked,
                    inside: inside != 0, lastEnteredAt: lastEnteredAt.map(DBTime.date),
                    holderName: holderName, seat: seat, revision: revision)
    }

    /// What the customer's app shows.
    var view: TicketView {
        TicketView(ticketID: passID, storeID: UInt32(storeId), kind: passKind, label: label,
                   validFrom: DBTime.date(validFrom), validUntil: DBTime.date(validUntil),
                   totalMinutes: totalMinutes.map(Int.init), remainingMinutes: remainingMinutes.map(Int.init),
                   status: TicketStatus(rawValue: status) ?? .revoked, inside: inside != 0, token: token)
    }
}

/// A ticket in the customer's app: its state and the signed token to show as QR.
public struct TicketView: Codable, Sendable, Equatable {
    public var ticketID: UUID
    public var storeID: UInt32
    public var kind: PassKind
    public var label: String
    public var validFrom: Date
    public var validUntil: Date
    public var totalMinutes: Int?
    public var remainingMinutes: Int?
    public var status: TicketStatus
    public var inside: Bool
    /// The pass token (base45) to render as a QR code.
    public var token: String

    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id", storeID = "store_id", kind, label, validFrom = "valid_from", validUntil = "valid_until"
        case totalMinutes = "total_minutes", remainingMinutes = "remaining_minutes", status, inside, token
    }
}

enum Tickets {
    static let columns = """
        id, store_id, account_id, kind, label, valid_from, valid_until, total_minutes, remaining_minutes, status, status_changed_at, inside,
        last_entered_at, holder_name, seat, token, revision
        """

    static func find(_ id: UUID, in db: any SQLDatabase) async throws -> TicketRow? {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM tickets WHERE id = \(bind: id.uuidString)")
            .first(decoding: TicketRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    static func owned(by account: UUID, in db: any SQLDatabase) async throws -> [TicketRow] {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM tickets WHERE account_id = \(bind: account.uuidString) ORDER BY valid_until DESC")
            .all(decoding: TicketRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// One sync page: the store's tickets changed after `revision`, oldest change first.
    static func changed(store: UInt32, after revision: Int64, limit: Int, in db: any SQLDatabase) async throws -> [TicketRow] {
        try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM tickets
            WHERE store_id = \(bind: Int64(store)) AND revision > \(bind: revision)
            ORDER BY revision LIMIT \(literal: limit)
            """).all(decoding: TicketRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// Issues a new ticket, or extends the customer's valid one of the same kind (the seed app's
    /// rule: buying again extends). Returns the ticket as stored.
    static func issueOrExtend(product: CatalogProduct, store: UInt32, account: UUID?, holderName: String?,
                              now: Date, in db: any SQLDatabase) async throws -> TicketRow {
        let signer = try await SigningKeys.signer(store: store, in: db)
        let revision = try await Revisions.next(store: store, in: db)
        let days = TimeInterval(product.days) * 86_400

        if let account, var ticket = try await extendable(account: account, store: store, kind: product.kind, now: now, in: db) {
            let until = max(DBTime.date(ticket.validUntil), now)
            switch product.kind {
            case .time:
                ticket.totalMinutes = (ticket.totalMinutes ?? 0) + Int64(product.minutes ?? 0)
                ticket.remainingMinutes = (ticket.remainingMinutes ?? 0) + Int64(product.minutes ?? 0)
                ticket.validUntil = DBTime.millis(max(until, now.addingTimeInterval(days)))
            case .day, .period:
                ticket.validUntil = DBTime.millis(until.addingTimeInterval(days))
            }
            ticket.token = try sign(ticket, signer: signer, now: now)
            ticket.revision = revision
            try await db.raw("""
                UPDATE tickets SET valid_until = \(bind: ticket.validUntil), total_minutes = \(bind: ticket.totalMinutes),
                    remaining_minutes = \(bind: ticket.remainingMinutes), token = \(bind: ticket.token),
                    revision = \(bind: revision), updated_at = \(bind: DBTime.millis(now))
                WHERE id = \(bind: ticket.id)
                """).run()
            return ticket
        }

        let minutes = product.minutes.map(Int64.init)
        var ticket = TicketRow(
            id: UUID().uuidString, storeId: Int64(store), accountId: account?.uuidString, kind: product.kind.wireName,
            label: product.label, validFrom: DBTime.millis(now), validUntil: DBTime.millis(now.addingTimeInterval(days)),
            totalMinutes: minutes, remainingMinutes: minutes, status: TicketStatus.valid.rawValue, statusChangedAt: nil, inside: 0,
            lastEnteredAt: nil, holderName: holderName, seat: nil, token: "", revision: revision)
        ticket.token = try sign(ticket, signer: signer, now: now)
        try await db.raw("""
            INSERT INTO tickets (\(unsafeRaw: columns), updated_at) VALUES (
                \(bind: ticket.id), \(bind: ticket.storeId), \(bind: ticket.accountId), \(bind: ticket.kind), \(bind: ticket.label),
                \(bind: ticket.validFrom), \(bind: ticket.validUntil), \(bind: ticket.totalMinutes), \(bind: ticket.remainingMinutes),
                \(bind: ticket.status), NULL, 0, NULL, \(bind: ticket.holderName), NULL, \(bind: ticket.token), \(bind: revision),
                \(bind: DBTime.millis(now)))
            """).run()
        return ticket
    }

    /// The customer's ticket of this kind at this store that is still usable, if any.
    private static func extendable(account: UUID, store: UInt32, kind: PassKind, now: Date, in db: any SQLDatabase) async throws -> TicketRow? {
        try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM tickets
            WHERE account_id = \(bind: account.uuidString) AND store_id = \(bind: Int64(store)) AND kind = \(bind: kind.wireName)
              AND status = 'valid' AND valid_until > \(bind: DBTime.millis(now))
            ORDER BY valid_until DESC LIMIT 1
            """).first(decoding: TicketRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    private static func sign(_ ticket: TicketRow, signer: PassSigner, now: Date) throws -> String {
        try signer.signText(PassToken(keyID: signer.keyID, passID: ticket.passID, storeID: UInt32(ticket.storeId),
                                      kind: ticket.passKind, validFrom: DBTime.date(ticket.validFrom),
                                      validUntil: DBTime.date(ticket.validUntil), issuedAt: now))
    }

    /// Writes the state the rules decided (enter, exit, charge) with a new revision.
    static func apply(_ state: TicketState, to ticketID: UUID, store: UInt32, now: Date, in db: any SQLDatabase) async throws -> Int64 {
        let revision = try await Revisions.next(store: store, in: db)
        try await db.raw("""
            UPDATE tickets SET inside = \(bind: state.inside ? Int64(1) : 0),
                last_entered_at = \(bind: state.lastEnteredAt.map(DBTime.millis)),
                remaining_minutes = \(bind: state.remainingMinutes.map(Int64.init)),
                valid_until = \(bind: DBTime.millis(state.validUntil)),
                revision = \(bind: revision), updated_at = \(bind: DBTime.millis(now))
            WHERE id = \(bind: ticketID.uuidString)
            """).run()
        return revision
    }

    /// Refunded or revoked: denied at every door from the kiosks' next sync (online at once).
    static func setStatus(_ status: TicketStatus, of ticketID: UUID, store: UInt32, now: Date, in db: any SQLDatabase) async throws {
        let revision = try await Revisions.next(store: store, in: db)
        try await db.raw("""
            UPDATE tickets SET status = \(bind: status.rawValue), status_changed_at = \(bind: DBTime.millis(now)),
                revision = \(bind: revision), updated_at = \(bind: DBTime.millis(now))
            WHERE id = \(bind: ticketID.uuidString)
            """).run()
    }
}
