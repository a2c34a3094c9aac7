import CafeProtocol
import Foundation
import HTTPTypes
import Logging
import SQLKit

/// A quote: what a refund of this ticket would give back now, and why.
public struct RefundQuote: Codable, Sendable, Equatable {
    public var ticketID: UUID
    public var storeID: UInt32
    public var preset: RefundPreset
    public var legalBasis: String
    /// Won paid for the pass (every sale of it).
    public var price: Int
    /// Won given back.
    public var amount: Int
    /// The computation, line by line; the amounts add up to `amount`.
    public var terms: [RefundTerm]
    public var rounding: String
    public var selfRefund: Bool
    public var quotedAt: Date

    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id", storeID = "store_id", preset, legalBasis = "legal_basis", price, amount, terms, rounding
        case selfRefund = "self_refund", quotedAt = "quoted_at"
    }

    static let roundingRule = "whole won; every share of the price is rounded in the customer's favour (deductions down, amounts given back up)"

    /// The quote as an admin reads it in a terminal: one term a line, the amount last.
    public func rendered() -> String {
        var lines = ["refund quote for ticket \(ticketID.uuidString.lowercased()) (\(preset.rawValue))"]
        for term in terms {
            let amount = term.code == "paid" ? "₩\(Won.format(term.amount))" : (term.amount == 0 ? "" : "\(term.amount < 0 ? "−" : "+")₩\(Won.format(abs(term.amount)))")
            lines.append("  " + term.description.padding(toLength: max(term.description.count, 56), withPad: " ", startingAt: 0) + " " + amount)
        }
        lines.append("  = ₩\(Won.format(amount)) back")
        lines.append("  basis: \(legalBasis)")
        return lines.joined(separator: "\n")
    }
}

public enum RefundState: String, Codable, Sendable {
    /// Recorded with its amount; the gateway has not cancelled all of it yet. Retrying
    /// (`POST …/refund` again) finishes it with the same amount.
    case pending
    /// Money given back (gateway and counter), ticket refunded.
    case done
}

/// A refund as recorded.
public struct RefundView: Codable, Sendable, Equatable {
    public var refundID: UUID
    public var ticketID: UUID
    public var amount: Int
    public var state: RefundState
    /// Won cancelled at the payment gateway.
    public var gatewayAmount: Int
    /// Won the counter pays back in cash (passes sold at the counter).
    public var cashAmount: Int
    public var requestedBy: String
    public var lastError: String?
    public var createdAt: Date
    public var completedAt: Date?
    public var quote: RefundQuote

    enum CodingKeys: String, CodingKey {
        case refundID = "refund_id", ticketID = "ticket_id", amount, state, gatewayAmount = "gateway_amount", cashAmount = "cash_amount"
        case requestedBy = "requested_by", lastError = "last_error", createdAt = "created_at", completedAt = "completed_at", quote
    }
}

/// Who asked for a refund.
enum RefundRequester: String, Sendable {
    case owner, customer, admin
}

/// Refunds by the store's policy: quote (pure, `RefundCalculator`), then record the refund and
/// its payouts with the quoted amount in one transaction, then cancel at the gateway outside any
/// transaction (one payout per receipt, partial `cancel_price`), then settle — sales, order and
/// ticket refunded together. A gateway that refuses or hangs leaves the refund pending; asking
/// again finishes it with the same amount, and never cancels a receipt twice.
struct RefundService: Sendable {
    let database: ServerDatabase
    let gateway: (any PaymentGateway)?
    let logger: Logger

    /// How long one attempt holds a pending refund (so two requests never cancel at once, and a
    /// crashed attempt frees it).
    static let claimSeconds: TimeInterval = 120

    // MARK: Policy

    func policy(store: UInt32) async throws -> RefundPolicy {
        try await database.read { db in try await Self.policy(store: store, in: db) }
    }

    func setPolicy(_ policy: RefundPolicy, store: UInt32, now: Date) async throws -> RefundPolicy {
        let policy = try policy.validated()
        let json = String(decoding: try WireCoding.encoder().encode(policy), as: UTF8.self)
        try await database.transaction { db in
            _ = try await Stores.require(store, in: db)
            try await db.raw("DELETE FROM refund_policies WHERE store_id = \(bind: Int64(store))").run()
            try await db.raw("INSERT INTO refund_policies (store_id, policy, updated_at) VALUES (\(bind: Int64(store)), \(bind: json), \(bind: DBTime.millis(now)))").run()
        }
        logger.notice("refund policy changed", metadata: ["store.id": "\(store)", "refund.preset": "\(policy.preset.rawValue)"])
        return policy
    }

    static func policy(store: UInt32, in db: any SQLDatabase) async throws -> RefundPolicy {
        guard let row = try await db.raw("SELECT policy FROM refund_policies WHERE store_id = \(bind: Int64(store))").first() else { return .standard }
        let text = try row.decode(column: "policy", as: String.self)
        return (try? WireCoding.decoder().decode(RefundPolicy.self, from: Data(text.utf8))) ?? .standard
    }

    // MARK: Quote

    func quote(ticket: UUID, store: UInt32?, account: UUID?, now: Date) async throws -> RefundQuote {
        try await database.read { db in
            let row = try await Tickets.require(ticket, store: store, account: account, in: db)
            return try await Self.quote(row, now: now, in: db)
        }
    }

    static func quote(_ ticket: TicketRow, now: Date, in db: any SQLDatabase) async throws -> RefundQuote {
        let store = try await Stores.require(UInt32(ticket.storeId), in: db)
        let policy = try await policy(store: UInt32(ticket.storeId), in: db)
        let sales = try await openSales(ticket: ticket.id, in: db)
        let firstUse = try await db.raw("""
            SELECT MIN(occurred_at) AS first FROM check_in_events
            WHERE ticket_id = \(bind: ticket.id) AND verdict = 'enter' AND annulled_by IS NULL
            """).first()?.decode(column: "first", as: Int64?.self)
        let dayPrice = try await Catalog.find("day", in: db)?.price ?? 0
        var used = Int((ticket.totalMinutes ?? 0) - (ticket.remainingMinutes ?? 0))
        if ticket.inside != 0, let entered = ticket.lastEnteredAt {
            used += max(0, Int((now.timeIntervalSince(DBTime.date(entered)) / 60).rounded(.up)))
        }
        let price = sales.reduce(0) { $0 + Int($1.price) }
        let refundCase = RefundCase(
            kind: ticket.passKind, price: price, validFrom: DBTime.date(ticket.validFrom), validUntil: DBTime.date(ticket.validUntil),
            totalMinutes: ticket.totalMinutes.map(Int.init), minutesUsed: max(0, used), firstUse: firstUse.map(DBTime.date), now: now,
            timeZone: TimeZone(identifier: store.timeZone) ?? .gmt)
        let result = RefundCalculator(policy: policy, catalogDayPrice: dayPrice).compute(refundCase)
        return RefundQuote(ticketID: ticket.passID, storeID: UInt32(ticket.storeId), preset: policy.preset, legalBasis: policy.preset.legalBasis,
                           price: price, amount: result.amount, terms: result.terms, rounding: RefundQuote.roundingRule,
                           selfRefund: policy.selfRefund, quotedAt: now)
    }

    // MARK: Refund

    /// Refunds the ticket, or finishes its pending refund. `expectedAmount`: the amount the
    /// caller was quoted; a quote that changed since (a day passed) is refused, nothing done.
    func refund(ticket ticketID: UUID, store: UInt32?, account: UUID?, by requester: RefundRequester,
                expectedAmount: Int?, now: Date) async throws -> RefundView {
        let refundID = try await database.transaction { db -> UUID in
            let ticket = try await Tickets.require(ticketID, store: store, account: account, in: db)
            if let existing = try await db.raw("SELECT id FROM refunds WHERE ticket_id = \(bind: ticket.id)").first() {
                return UUID(uuidString: try existing.decode(column: "id", as: String.self))!
            }
            guard ticket.status == TicketStatus.valid.rawValue else {
                throw APIFailure.conflict("not_refundable", "ticket \(ticketID) is \(ticket.status)")
            }
            let quote = try await Self.quote(ticket, now: now, in: db)
            if requester == .customer, !quote.selfRefund {
                throw APIFailure.forbidden("this store refunds at the counter only; ask the staff")
            }
            if let expectedAmount, expectedAmount != quote.amount {
                throw APIFailure.conflict("quote_changed", "the refund is now ₩\(Won.format(quote.amount)), not ₩\(Won.format(expectedAmount)); quote again")
            }
            return try await Self.record(quote, ticket: ticket, by: requester, account: account, now: now, in: db)
        }
        try await payOut(refundID, now: now)
        return try await database.read { db in try await Self.view(refundID, in: db) }
    }

    /// Records the refund and splits its amount over the pass's sales, newest first, each at
    /// most what that sale paid.
    private static func record(_ quote: RefundQuote, ticket: TicketRow, by requester: RefundRequester, account: UUID?, now: Date,
                               in db: any SQLDatabase) async throws -> UUID {
        let id = UUID()
        let quoteJSON = String(decoding: try WireCoding.encoder().encode(quote), as: UTF8.self)
        try await db.raw("""
            INSERT INTO refunds (id, store_id, ticket_id, amount, quote, state, requested_by, account_id, created_at)
            VALUES (\(bind: id.uuidString), \(bind: ticket.storeId), \(bind: ticket.id), \(bind: Int64(quote.amount)), \(bind: quoteJSON),
                    'pending', \(bind: requester.rawValue), \(bind: account?.uuidString), \(bind: DBTime.millis(now)))
            """).run()
        var left = quote.amount
        for sale in try await openSales(ticket: ticket.id, in: db) {
            let share = min(left, Int(sale.price))
            left -= share
            // A cash payout is the counter's business: done as recorded. Nothing to cancel: done.
            let done: Int64? = sale.receiptId == nil || share == 0 ? DBTime.millis(now) : nil
            try await db.raw("""
                INSERT INTO refund_payouts (refund_id, sale_id, receipt_id, amount, done_at)
                VALUES (\(bind: id.uuidString), \(bind: sale.id), \(bind: sale.receiptId), \(bind: Int64(share)), \(bind: done))
                """).run()
        }
        return id
    }

    /// Cancels what is left at the gateway, then settles. Throws `refund_pending` (502) when
    /// the gateway did not; the refund stays pending with the reason.
    private func payOut(_ refundID: UUID, now: Date) async throws {
        struct Payout: Decodable { var saleId: String; var receiptId: String?; var amount: Int64; var cancelledBefore: Int64? }
        let claimed = try await database.transaction { db -> [Payout]? in
            guard try await db.raw("""
                UPDATE refunds SET claimed_until = \(bind: DBTime.millis(now.addingTimeInterval(Self.claimSeconds)))
                WHERE id = \(bind: refundID.uuidString) AND state = 'pending'
                  AND (claimed_until IS NULL OR claimed_until < \(bind: DBTime.millis(now))) RETURNING id
                """).first() != nil else { return nil }
            return try await db.raw("""
                SELECT sale_id, receipt_id, amount, cancelled_before FROM refund_payouts
                WHERE refund_id = \(bind: refundID.uuidString) AND done_at IS NULL ORDER BY sale_id
                """).all(decoding: Payout.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
        guard let payouts = claimed else {
            let state = try await database.read { db in
                try await db.raw("SELECT state FROM refunds WHERE id = \(bind: refundID.uuidString)").first()?.decode(column: "state", as: String.self)
            }
            if state == RefundState.done.rawValue { return }
            throw APIFailure.conflict("refund_in_progress", "this refund is being paid out by another request; ask again in a minute")
        }
        do {
            for payout in payouts {
                guard let receipt = payout.receiptId else { continue }
                try await cancel(payout.amount, of: receipt, refund: refundID, sale: payout.saleId, cancelledBefore: payout.cancelledBefore, now: now)
            }
        } catch {
            let reason = "\(error)"
            try await database.transaction { db in
                try await db.raw("UPDATE refunds SET claimed_until = NULL, last_error = \(bind: reason) WHERE id = \(bind: refundID.uuidString)").run()
            }
            logger.warning("refund pending: the gateway did not cancel", metadata: ["refund.id": "\(refundID)", "error": "\(reason)"])
            throw APIFailure(.badGateway, "refund_pending", "the payment gateway did not give the money back (\(reason)); the refund is recorded as pending — ask again to finish it")
        }
        try await database.transaction { db in try await Self.settle(refundID, now: now, in: db) }
    }

    /// One receipt's partial cancel, done once: what the receipt had cancelled before ours is
    /// noted first, so a retry after a lost answer sees the money went back.
    private func cancel(_ amount: Int64, of receipt: String, refund: UUID, sale: String, cancelledBefore: Int64?, now: Date) async throws {
        guard let gateway else { throw APIFailure(.serviceUnavailable, "gateway_not_configured", "cannot cancel the payment: no gateway configured") }
        let state = try await gateway.receipt(receipt)
        let before: Int64
        if let cancelledBefore {
            before = cancelledBefore
        } else {
            before = Int64(state.cancelledPrice)
            try await database.transaction { db in
                try await db.raw("""
                    UPDATE refund_payouts SET cancelled_before = \(bind: before)
                    WHERE refund_id = \(bind: refund.uuidString) AND sale_id = \(bind: sale)
                    """).run()
            }
        }
        if Int64(state.cancelledPrice) < before + amount {
            try await gateway.cancel(receipt, price: Int(amount), reason: "refund \(refund)")
        }
        try await database.transaction { db in
            try await db.raw("""
                UPDATE refund_payouts SET done_at = \(bind: DBTime.millis(now))
                WHERE refund_id = \(bind: refund.uuidString) AND sale_id = \(bind: sale)
                """).run()
        }
    }

    /// Every payout done: sales, orders and ticket refunded, the refund done.
    private static func settle(_ refundID: UUID, now: Date, in db: any SQLDatabase) async throws {
        struct Payout: Decodable { var saleId: String; var amount: Int64; var doneAt: Int64? }
        let payouts = try await db.raw("SELECT sale_id, amount, done_at FROM refund_payouts WHERE refund_id = \(bind: refundID.uuidString)")
            .all(decoding: Payout.self, keyDecodingStrategy: .convertFromSnakeCase)
        guard payouts.allSatisfy({ $0.doneAt != nil }) else { return }
        guard let row = try await db.raw("SELECT ticket_id, store_id, state FROM refunds WHERE id = \(bind: refundID.uuidString)").first() else { return }
        guard try row.decode(column: "state", as: String.self) == RefundState.pending.rawValue else { return }
        let ticket = UUID(uuidString: try row.decode(column: "ticket_id", as: String.self))!
        let store = UInt32(try row.decode(column: "store_id", as: Int64.self))
        for payout in payouts {
            try await db.raw("""
                UPDATE sales SET state = 'refunded', refunded_at = \(bind: DBTime.millis(now)), refund_amount = \(bind: payout.amount)
                WHERE id = \(bind: payout.saleId)
                """).run()
            try await db.raw("""
                UPDATE orders SET status = 'refunded', updated_at = \(bind: DBTime.millis(now))
                WHERE id = (SELECT order_id FROM sales WHERE id = \(bind: payout.saleId))
                """).run()
        }
        try await Tickets.setStatus(.refunded, of: ticket, store: store, now: now, in: db)
        try await db.raw("""
            UPDATE refunds SET state = 'done', completed_at = \(bind: DBTime.millis(now)), claimed_until = NULL, last_error = NULL
            WHERE id = \(bind: refundID.uuidString)
            """).run()
    }

    // MARK: Reading

    func refunds(store: UInt32, state: RefundState?) async throws -> [RefundView] {
        try await database.read { db in
            let rows = try await db.raw("""
                SELECT id FROM refunds WHERE store_id = \(bind: Int64(store))
                \(unsafeRaw: state == nil ? "" : "AND state = '\(state!.rawValue)'") ORDER BY created_at DESC LIMIT 500
                """).all()
            var views: [RefundView] = []
            for row in rows { views.append(try await Self.view(UUID(uuidString: try row.decode(column: "id", as: String.self))!, in: db)) }
            return views
        }
    }

    static func view(_ id: UUID, in db: any SQLDatabase) async throws -> RefundView {
        struct Row: Decodable {
            var ticketId: String; var amount: Int64; var state: String; var requestedBy: String; var lastError: String?
            var createdAt: Int64; var completedAt: Int64?; var quote: String
        }
        guard let row = try await db.raw("""
            SELECT ticket_id, amount, state, requested_by, last_error, created_at, completed_at, quote FROM refunds WHERE id = \(bind: id.uuidString)
            """).first(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase) else { throw APIFailure.notFound("refund \(id)") }
        struct Split: Decodable { var receiptId: String?; var amount: Int64 }
        let payouts = try await db.raw("SELECT receipt_id, amount FROM refund_payouts WHERE refund_id = \(bind: id.uuidString)")
            .all(decoding: Split.self, keyDecodingStrategy: .convertFromSnakeCase)
        return RefundView(refundID: id, ticketID: UUID(uuidString: row.ticketId)!, amount: Int(row.amount),
                          state: RefundState(rawValue: row.state) ?? .pending,
                          gatewayAmount: Int(payouts.filter { $0.receiptId != nil }.reduce(0) { $0 + $1.amount }),
                          cashAmount: Int(payouts.filter { $0.receiptId == nil }.reduce(0) { $0 + $1.amount }),
                          requestedBy: row.requestedBy, lastError: row.lastError, createdAt: DBTime.date(row.createdAt),
                          completedAt: row.completedAt.map(DBTime.date),
                          quote: try WireCoding.decoder().decode(RefundQuote.self, from: Data(row.quote.utf8)))
    }

    // MARK: Pieces

    struct OpenSale: Decodable, Sendable { var id: String; var price: Int64; var receiptId: String? }

    /// The pass's sales not refunded, newest first, with the gateway receipt of app sales.
    static func openSales(ticket: String, in db: any SQLDatabase) async throws -> [OpenSale] {
        try await db.raw("""
            SELECT sales.id, sales.price, orders.receipt_id FROM sales LEFT JOIN orders ON orders.id = sales.order_id
            WHERE sales.ticket_id = \(bind: ticket) AND sales.state = 'sale' ORDER BY sales.paid_at DESC, sales.id
            """).all(decoding: OpenSale.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// The ticket, checked against the store (owners) or the account (customers).
}
