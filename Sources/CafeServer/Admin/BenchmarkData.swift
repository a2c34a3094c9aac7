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
                var rows: [SQLQueryString] = []
                var tokens: [String] = []
                for offset in 0..<size {
                    let serial = start + offset
                    let kind: PassKind = serial % 4 == 0 ? .time : (serial % 4 == 1 ? .day : .period)
                    let id = UUID()
                    let until = now.addingTimeInterval(kind == .day ? 86_400 : 28 * 86_400)
                    let token = try signer.signText(PassToken(keyID: signer.keyID, passID: id, storeID: store, kind: kind,
                                                              validFrom: now, validUntil: until, issuedAt: now))
                    tokens.append(token)
                    let minutes: Int64? = kind == .time ? 600 : nil
                    rows.append("""
                        (\(bind: id.uuidString), \(bind: Int64(store)), NULL, \(bind: kind.wireName), \(bind: "bench \(kind.wireName)"),
                         \(bind: DBTime.millis(now)), \(bind: DBTime.millis(until)), \(bind: minutes), \(bind: minutes), 'valid', NULL, 0, NULL,
                         NULL, NULL, \(bind: token), \(bind: last - Int64(size) + Int64(offset) + 1), \(bind: DBTime.millis(now)))
                        """)
                }
                try await db.raw("INSERT INTO tickets (\(unsafeRaw: Tickets.columns), updated_at) VALUES \(SQLList(rows))").run()
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
            let ids = try await db.raw("SELECT id FROM tickets WHERE store_id = \(bind: Int64(store)) ORDER BY revision LIMIT \(literal: count)")
                .all().map { try $0.decode(column: "id", as: String.self) }
            for id in ids {
                let revision = try await Revisions.next(store: store, in: db)
                try await db.raw("""
                    UPDATE tickets SET valid_until = valid_until + 1000, revision = \(bind: revision), updated_at = \(bind: DBTime.millis(now))
                    WHERE id = \(bind: id)
                    """).run()
            }
            return ids.count
        }
    }
}
