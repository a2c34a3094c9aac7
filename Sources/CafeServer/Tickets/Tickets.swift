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

    // Spelled out: SQLKit's snake-case key strategy converts every key on every access, which
    // cost more than the rest of a sync page together (measured with perf).
    enum CodingKeys: String, CodingKey {
        case id, storeId = "store_id", accountId = "account_id", kind, label, validFrom = "valid_from", validUntil = "valid_until"
        case totalMinutes = "total_minutes", remainingMinutes = "remaining_minutes", status, statusChangedAt = "status_changed_at"
        case inside, lastEnteredAt = "last_entered_at", holderName = "holder_name", seat, token, revision
    }

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
                   status: TicketStatus(rawValue: status) ?? .revoked, inside: inside != 0, seat: seat, token: token)
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
    /// The seat while inside.
    public var seat: String?
    /// The pass token (base45) to render as a QR code.
    public var token: String

    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id", storeID = "store_id", kind, label, validFrom = "valid_from", validUntil = "valid_until"
        case totalMinutes = "total_minutes", remainingMinutes = "remaining_minutes", status, inside, seat, token
    }
}

enum Tickets {
    static let columns = """
        id, store_id, account_id, kind, label, valid_from, valid_until, total_minutes, remaining_minutes, status, status_changed_at, inside,
        last_entered_at, holder_name, seat, token, revision
        """

    static func find(_ id: UUID, in db: any SQLDatabase) async throws -> TicketRow? {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM tickets WHERE id = \(bind: id.uuidString)")
            .first(decoding: TicketRow.self)
    }

    /// The ticket, which must belong to `store` and/or `account` when given (another's is "not
    /// found", not "forbidden": ids are not to be probed). An archived one is a conflict that
    /// says so: it is finished, and its history is still listed.
    static func require(_ id: UUID, store: UInt32?, account: UUID?, in db: any SQLDatabase) async throws -> TicketRow {
        func belongs(_ ticket: TicketRow) -> Bool {
            (store.map { ticket.storeId == Int64($0) } ?? true) && (account.map { ticket.accountId == $0.uuidString } ?? true)
        }
        if let ticket = try await find(id, in: db), belongs(ticket) { return ticket }
        if let archived = try await TicketArchive.findArchived(id, in: db), belongs(archived) {
            throw APIFailure.conflict("ticket_archived", "ticket \(id) is finished and archived; it stays in the pass history")
        }
        throw APIFailure.notFound("ticket \(id)")
    }

    /// The customer's passes, archived ones included (their history).
    static func owned(by account: UUID, in db: any SQLDatabase) async throws -> [TicketRow] {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM ticket_history WHERE account_id = \(bind: account.uuidString) ORDER BY valid_until DESC, id")
            .all(decoding: TicketRow.self)
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
            try await save(ticket, now: now, in: db)
            return ticket
        }

        let minutes = product.minutes.map(Int64.init)
        var ticket = TicketRow(
            id: UUID().uuidString, storeId: Int64(store), accountId: account?.uuidString, kind: product.kind.wireName,
            label: product.label, validFrom: DBTime.millis(now), validUntil: DBTime.millis(now.addingTimeInterval(days)),
            totalMinutes: minutes, remainingMinutes: minutes, status: TicketStatus.valid.rawValue, statusChangedAt: nil, inside: 0,
            lastEnteredAt: nil, holderName: holderName, seat: nil, token: "", revision: revision)
        ticket.token = try sign(ticket, signer: signer, now: now)
        try await insert([ticket], now: now, in: db)
        return ticket
    }

    /// The customer's ticket of this kind at this store that is still usable, if any.
    private static func extendable(account: UUID, store: UInt32, kind: PassKind, now: Date, in db: any SQLDatabase) async throws -> TicketRow? {
        try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM tickets
            WHERE account_id = \(bind: account.uuidString) AND store_id = \(bind: Int64(store)) AND kind = \(bind: kind.wireName)
              AND status = 'valid' AND valid_until > \(bind: DBTime.millis(now))
            ORDER BY valid_until DESC LIMIT 1
            """).first(decoding: TicketRow.self)
    }

    static func sign(_ ticket: TicketRow, signer: PassSigner, now: Date) throws -> String {
        try signer.signText(PassToken(keyID: signer.keyID, passID: ticket.passID, storeID: UInt32(ticket.storeId),
                                      kind: ticket.passKind, validFrom: DBTime.date(ticket.validFrom),
                                      validUntil: DBTime.date(ticket.validUntil), issuedAt: now))
    }

    /// Writes the state the rules decided (enter, exit, charge) with a new revision.
    static func apply(_ state: TicketState, to ticket: TicketRow, now: Date, in db: any SQLDatabase) async throws -> Int64 {
        var ticket = ticket
        ticket.inside = state.inside ? 1 : 0
        ticket.lastEnteredAt = state.lastEnteredAt.map(DBTime.millis)
        ticket.remainingMinutes = state.remainingMinutes.map(Int64.init)
        ticket.validUntil = DBTime.millis(state.validUntil)
        // A seat is held while inside only: an exit (or an annulled entry) frees it.
        ticket.seat = state.inside ? state.seat : nil
        ticket.revision = try await Revisions.next(store: UInt32(ticket.storeId), in: db)
        try await save(ticket, now: now, in: db)
        return ticket.revision
    }

    /// Refunded or revoked: denied at every door from the kiosks' next sync (online at once).
    static func setStatus(_ status: TicketStatus, of ticketID: UUID, store: UInt32, now: Date, in db: any SQLDatabase) async throws {
        guard var ticket = try await find(ticketID, in: db), ticket.storeId == Int64(store) else { throw APIFailure.notFound("ticket \(ticketID)") }
        ticket.status = status.rawValue
        ticket.statusChangedAt = DBTime.millis(now)
        ticket.revision = try await Revisions.next(store: store, in: db)
        try await save(ticket, now: now, in: db)
    }

    // MARK: Writing rows

    /// Every write of a ticket goes through `insert` or `save`, which also store the ticket's
    /// wire form (`TicketState` as JSON): a sync page is then the stored forms joined, without
    /// decoding rows or encoding JSON per ticket — what makes an initial sync of 100,000
    /// tickets take seconds, not tens of seconds.
    static func insert(_ tickets: [TicketRow], now: Date, in db: any SQLDatabase) async throws {
        let encoder = WireCoding.encoder()
        var rows: [SQLQueryString] = []
        for ticket in tickets {
            rows.append("""
                (\(bind: ticket.id), \(bind: ticket.storeId), \(bind: ticket.accountId), \(bind: ticket.kind), \(bind: ticket.label),
                 \(bind: ticket.validFrom), \(bind: ticket.validUntil), \(bind: ticket.totalMinutes), \(bind: ticket.remainingMinutes),
                 \(bind: ticket.status), \(bind: ticket.statusChangedAt), \(bind: ticket.inside), \(bind: ticket.lastEnteredAt),
                 \(bind: ticket.holderName), \(bind: ticket.seat), \(bind: ticket.token), \(bind: ticket.revision),
                 \(bind: try ticket.wireState(encoder)), \(bind: DBTime.millis(now)))
                """)
        }
        // The registry first: what orders, sales and print jobs reference, archived or not.
        let ids: [SQLQueryString] = tickets.map { "(\(bind: $0.id), \(bind: $0.storeId), \(bind: $0.accountId))" }
        try await db.raw("INSERT INTO ticket_ids (id, store_id, account_id) VALUES \(SQLList(ids))").run()
        try await db.raw("INSERT INTO tickets (\(unsafeRaw: columns), wire_state, updated_at) VALUES \(SQLList(rows))").run()
    }

    static func save(_ ticket: TicketRow, now: Date, in db: any SQLDatabase) async throws {
        try await db.raw("""
            UPDATE tickets SET valid_until = \(bind: ticket.validUntil), total_minutes = \(bind: ticket.totalMinutes),
                remaining_minutes = \(bind: ticket.remainingMinutes), status = \(bind: ticket.status),
                status_changed_at = \(bind: ticket.statusChangedAt), inside = \(bind: ticket.inside),
                last_entered_at = \(bind: ticket.lastEnteredAt), holder_name = \(bind: ticket.holderName), seat = \(bind: ticket.seat),
                token = \(bind: ticket.token), revision = \(bind: ticket.revision),
                wire_state = \(bind: try ticket.wireState(WireCoding.encoder())), updated_at = \(bind: DBTime.millis(now))
            WHERE id = \(bind: ticket.id)
            """).run()
    }

    /// One sync page's changes, oldest first: tickets as stored wire forms and archived
    /// passes' tombstones, merged by revision (both take theirs from the store's counter).
    static func changes(store: UInt32, after revision: Int64, limit: Int, in db: any SQLDatabase) async throws -> [TicketChange] {
        let states = try await changedWireStates(store: store, after: revision, limit: limit, in: db)
        let archived = try await TicketArchive.tombstones(store: store, after: revision, limit: limit, in: db)
        var merged = states.map { TicketChange(revision: $0.revision, content: .state(json: $0.json)) }
            + archived.map { TicketChange(revision: $0.revision, content: .archived($0.ticketID)) }
        merged.sort { $0.revision < $1.revision }
        return Array(merged.prefix(limit))
    }

    /// One sync page's tickets as stored wire forms with their revisions, oldest change first.
    static func changedWireStates(store: UInt32, after revision: Int64, limit: Int, in db: any SQLDatabase) async throws -> [(revision: Int64, json: String)] {
        let rows = try await db.raw("""
            SELECT revision, wire_state FROM tickets
            WHERE store_id = \(bind: Int64(store)) AND revision > \(bind: revision)
            ORDER BY revision LIMIT \(literal: limit)
            """).all()
        return try rows.map { (try $0.decode(column: "revision", as: Int64.self), try $0.decode(column: "wire_state", as: String.self)) }
    }
}

/// One change a kiosk pulls: a ticket's new state, or a pass archived.
struct TicketChange: Sendable {
    enum Content: Sendable {
        case state(json: String)
        case archived(UUID)
    }
    var revision: Int64
    var content: Content
}

extension TicketRow {
    /// `TicketState` as the kiosk receives it.
    func wireState(_ encoder: JSONEncoder) throws -> String {
        String(decoding: try encoder.encode(state), as: UTF8.self)
    }
}
