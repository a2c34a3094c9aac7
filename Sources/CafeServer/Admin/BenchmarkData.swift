import CafeProtocol
import Foundation
import SQLKit

/// Bulk data for the benchmarks (`cafe-server bench seed|touch`): many real, signed tickets in
/// few statements, and a batch of changes for a delta sync. Not for production use.
public struct BenchmarkData: Sendable {
    let database: ServerDatabase

    public init(database: ServerDatabase) { self.database = database }

    /// Sells `count` passes at the counter (without print jobs); returns their tokens.
    public func seedTickets(store: UInt32, count: Int, now: Date = Date()) async throws -> [String] {
        var tokens: [String] = []
        tokens.reserveCapacity(count)
        let batch = 1_000
        for start in stride(from: 0, to: count, by: batch) {
            let size = min(batch, count - start)
            let made = try await database.transaction { db -> [String] in
                let signer = try await SigningKeys.signer(store: store, in: db)
                guard let row = try await db.raw("UPDATE stores SET revision = revision + \(bind: Int64(size)) WHERE id = \(bind: Int64(store)) RETURNING revision").first() else {
                    throw APIFailure.notFound("store \(store)")
                }
                let last = try row.decode(column: "revision", as: Int64.self)
                var rows: [TicketRow] = []
                var tokens: [String] = []
                for offset in 0..<size {
                    let serial = start + offset
                    let kind: PassKind = serial % 4 == 0 ? .time : (serial % 4 == 1 ? .day : .period)
                    let until = now.addingTimeInterval(kind == .day ? 86_400 : 28 * 86_400)
                    let minutes: Int64? = kind == .time ? 600 : nil
                    var row = TicketRow(
                        id: UUID().uuidString, storeId: Int64(store), accountId: nil, kind: kind.wireName, label: "bench \(kind.wireName)",
                        validFrom: DBTime.millis(now), validUntil: DBTime.millis(until), totalMinutes: minutes, remainingMinutes: minutes,
                        status: TicketStatus.valid.rawValue, statusChangedAt: nil, inside: 0, lastEnteredAt: nil, holderName: nil, seat: nil,
                        token: "", revision: last - Int64(size) + Int64(offset) + 1)
                    row.token = try Tickets.sign(row, signer: signer, now: now)
                    tokens.append(row.token)
                    rows.append(row)
                }
                try await Tickets.insert(rows, now: now, in: db)
                return tokens
            }
            tokens += made
        }
        return tokens
    }

    /// Changes `count` tickets (a minute more on time passes, a second more on the others), each
    /// with a new revision: what a busy day's delta sync carries.
    public func touchTickets(store: UInt32, count: Int, now: Date = Date()) async throws -> Int {
        try await database.transaction { db in
            let tickets = try await db.raw("SELECT \(unsafeRaw: Tickets.columns) FROM tickets WHERE store_id = \(bind: Int64(store)) ORDER BY revision LIMIT \(literal: count)")
                .all(decoding: TicketRow.self)
            for var ticket in tickets {
                ticket.validUntil += 1_000
                ticket.revision = try await Revisions.next(store: store, in: db)
                try await Tickets.save(ticket, now: now, in: db)
            }
            return tickets.count
        }
    }

    /// Puts `count` tickets inside, entered `hoursAgo` hours ago (past the 12-hour visit cap, so
    /// the auto-exit job has them all to do): what `admin run-jobs` then measures.
    public func enterTickets(store: UInt32, count: Int, hoursAgo: Double = 13, now: Date = Date()) async throws -> Int {
        try await database.transaction { db in
            let entered = DBTime.millis(now.addingTimeInterval(-hoursAgo * 3600))
            let tickets = try await db.raw("""
                SELECT \(unsafeRaw: Tickets.columns) FROM tickets WHERE store_id = \(bind: Int64(store)) AND inside = 0 ORDER BY revision LIMIT \(literal: count)
                """).all(decoding: TicketRow.self)
            for var ticket in tickets {
                ticket.inside = 1
                ticket.lastEnteredAt = entered
                ticket.revision = try await Revisions.next(store: store, in: db)
                try await Tickets.save(ticket, now: now, in: db)
            }
            return tickets.count
        }
    }
}
