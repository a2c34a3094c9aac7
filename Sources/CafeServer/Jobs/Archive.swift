import CafeProtocol
import Foundation
import Logging
import SQLKit

/// The nightly archive: in each store's night hour (04:00 local, when the fewest are inside and
/// nobody buys) finished passes move to `ticket_archive` in batches (see `TicketArchive` for
/// what "finished" means), and old tombstones are pruned. The jobs tick every minute, so the
/// hour's first tick does the night's work and the others find nothing.
///
/// Safe with several instances: a batch locks its rows (`FOR UPDATE SKIP LOCKED` on
/// PostgreSQL) and re-reads them inside its transaction, so a pass is moved once; a run killed
/// half-way leaves whole batches moved and the rest hot for the next tick.
struct ArchiveJob: Sendable {
    let database: ServerDatabase
    let logger: Logger

    /// The store's local hour in which the archive runs.
    static let hour = 4
    static let batchSize = 200

    /// Runs for every store whose night hour it is (every store when `force`); returns how many
    /// passes this instance moved.
    func run(now: Date, force: Bool = false) async throws -> Int {
        let stores = try await database.read { db in try await Stores.all(in: db) }
            .filter { force || Self.isNightHour(now, timeZone: $0.timeZone) }
        // Outside every store's night hour a tick does nothing more than that read.
        guard !stores.isEmpty else { return 0 }
        var moved = 0
        for store in stores {
            moved += try await archive(store: UInt32(store.id), now: now)
        }
        let prunedBefore = DBTime.millis(now.addingTimeInterval(-TicketArchive.tombstoneLifetime))
        try await database.transaction { db in
            try await db.raw("DELETE FROM ticket_tombstones WHERE archived_at < \(bind: prunedBefore)").run()
        }
        return moved
    }

    static func isNightHour(_ now: Date, timeZone identifier: String) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: identifier) ?? .gmt
        return calendar.component(.hour, from: now) == hour
    }

    /// One store's finished passes, batch by batch in `valid_until` order (a keyset, so passes
    /// the token keeps hot a little longer are stepped over, not read again).
    private func archive(store: UInt32, now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-TicketArchive.retention)
        var after: (validUntil: Int64, id: String) = (Int64.min, "")
        var moved = 0
        while true {
            let from = after
            let (batch, last) = try await database.transaction { db -> (Int, (Int64, String)?) in
                let lock = db.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
                let rows = try await db.raw("""
                    SELECT \(unsafeRaw: Tickets.columns) FROM tickets t
                    WHERE store_id = \(bind: Int64(store)) AND inside = 0 AND valid_until < \(bind: DBTime.millis(cutoff))
                      AND (valid_until > \(bind: from.validUntil) OR (valid_until = \(bind: from.validUntil) AND id > \(bind: from.id)))
                      AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.ticket_id = t.id AND r.state <> 'done')
                    ORDER BY valid_until, id LIMIT \(literal: Self.batchSize)\(unsafeRaw: lock)
                    """).all(decoding: TicketRow.self)
                let finished = rows.filter { TicketArchive.isFinished($0, cutoff: cutoff) }
                try await TicketArchive.move(finished, store: store, now: now, in: db)
                return (finished.count, rows.last.map { ($0.validUntil, $0.id) })
            }
            moved += batch
            guard let last else { break }
            after = last
        }
        if moved > 0 {
            logger.notice("archived finished passes", metadata: ["store.id": "\(store)", "archive.count": "\(moved)"])
        }
        return moved
    }
}
