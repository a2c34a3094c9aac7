import CafeProtocol
import Foundation
import Logging
import SQLKit

/// "10 minutes left": a holder inside whose time pass runs out, or whose pass ends, within ten
/// minutes is told once per visit on every device of theirs (the push outbox) and in the web app (the
/// account's alerts, unless turned off); the dedupe key is the visit, so running the job again,
/// or on two instances, writes it once.
struct TimeWarningJob: Sendable {
    let database: ServerDatabase
    let logger: Logger

    static let warnBefore = 10

    /// Minutes left for an inside holder, by their pass (nil: nothing runs out).
    static func minutesLeft(_ ticket: TicketState, now: Date) -> Int? {
        guard ticket.inside else { return nil }
        var left = Int(ticket.validUntil.timeIntervalSince(now) / 60)
        if ticket.kind == .time, let remaining = ticket.remainingMinutes, let entered = ticket.lastEnteredAt {
            let used = Int((now.timeIntervalSince(entered) / 60).rounded(.up))
            left = min(left, remaining - used)
        }
        return left
    }

    /// Writes the warnings due now; returns how many holders were warned for the first time.
    func run(now: Date) async throws -> Int {
        try await database.transaction { db in
            let rows = try await db.raw("""
                SELECT \(unsafeRaw: Tickets.columns) FROM tickets WHERE inside = 1 AND account_id IS NOT NULL ORDER BY id LIMIT \(literal: AutoExitJob.batchLimit)
                """).all(decoding: TicketRow.self)
            var warned = 0
            for ticket in rows {
                guard let account = ticket.accountId, let left = Self.minutesLeft(ticket.state, now: now), (1...Self.warnBefore).contains(left) else { continue }
                let key = "ten-minutes|\(ticket.id)|\(ticket.lastEnteredAt ?? 0)"
                let title = "\(left)분 남았습니다 · \(left) minutes left"
                let body = "\(ticket.label): \(left) minute\(left == 1 ? "" : "s") left. Scan out at the door, or buy more time in the app."
                var new = false
                for token in try await PushOutbox.tokens(account: account, alertsOnly: false, in: db) {
                    new = try await PushOutbox.enqueue(
                        key: "\(key)|\(token)", account: account, token: token, kind: "time_warning", title: title, body: body,
                        data: ["kind": "time_warning", "ticket_id": ticket.id, "minutes_left": "\(left)"], now: now, in: db) || new
                }
                if try await AccountAlerts.settings(account: account, in: db).timeWarnings {
                    new = try await AccountAlerts.record(key: key, account: account, kind: "time_warning", title: title, body: body,
                                                         ticketID: ticket.id, now: now, in: db) || new
                }
                // Warned for the first time this visit: a message written now, not one from a minute ago.
                if new { warned += 1 }
            }
            return warned
        }
    }
}
