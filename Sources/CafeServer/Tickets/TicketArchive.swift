import CafeProtocol
import Foundation
import SQLKit

/// Finished passes moved out of the hot `tickets` table (the seed's ExpiredTicket), and the
/// tombstones that tell kiosks to drop them from their caches.
///
/// A pass is finished when nobody is inside on it and its token's validity ended more than
/// `retention` ago: from then on no door can admit it — a kiosk that no longer caches it judges
/// the token alone, and the token says `expired` — no purchase extends it (extending needs a
/// pass still valid), and nothing is pending on it (a refund still in progress keeps it hot).
/// The ticket's own `valid_until` is never later than its token's (exits of day passes only
/// shorten it), so the SQL range is a superset and the token decides.
enum TicketArchive {
    /// How long a finished pass stays hot after its last possible use: late uploads from
    /// offline kiosks, a dispute at the counter, the week's reports.
    static let retention: TimeInterval = 7 * 86_400
    /// Tombstones older than this are deleted: a kiosk that missed one only keeps a finished
    /// pass in its cache, which denies it anyway.
    static let tombstoneLifetime: TimeInterval = 180 * 86_400

    /// The passes moved, in one transaction: the rows copied to `ticket_archive`, removed from
    /// `tickets` (their expired seat holds too), marked in the registry, and one tombstone each
    /// under a revision of its own from the store's counter (the sync cursor never splits a
    /// revision).
    static func move(_ tickets: [TicketRow], store: UInt32, now: Date, in db: any SQLDatabase) async throws {
        guard !tickets.isEmpty else { return }
        let ids = tickets.map(\.id)
        let at = DBTime.millis(now)
        let columns = Tickets.columns + ", wire_state, updated_at"
        try await db.raw("""
            INSERT INTO ticket_archive (\(unsafeRaw: columns), archived_at)
            SELECT \(unsafeRaw: columns), \(bind: at) FROM tickets WHERE id IN (\(binds: ids))
            """).run()
        try await db.raw("DELETE FROM seat_holds WHERE ticket_id IN (\(binds: ids))").run()
        try await db.raw("DELETE FROM tickets WHERE id IN (\(binds: ids))").run()
        try await db.raw("UPDATE ticket_ids SET archived_at = \(bind: at) WHERE id IN (\(binds: ids))").run()
        guard let row = try await db.raw("""
            UPDATE stores SET revision = revision + \(literal: tickets.count) WHERE id = \(bind: Int64(store)) RETURNING revision
            """).first() else { throw APIFailure.notFound("store \(store)") }
        let last = try row.decode(column: "revision", as: Int64.self)
        let first = last - Int64(tickets.count) + 1
        let rows: [SQLQueryString] = tickets.enumerated().map { index, ticket in
            "(\(bind: ticket.id), \(bind: Int64(store)), \(bind: first + Int64(index)), \(bind: at))"
        }
        try await db.raw("INSERT INTO ticket_tombstones (ticket_id, store_id, revision, archived_at) VALUES \(SQLList(rows))").run()
    }

    /// Whether a pass is finished at `cutoff` (now minus the retention), by its token's end.
    static func isFinished(_ ticket: TicketRow, cutoff: Date) -> Bool {
        guard ticket.inside == 0, DBTime.date(ticket.validUntil) < cutoff else { return false }
        // A token that does not parse (never written so) falls back to the row's own end.
        let tokenEnd = (try? PassToken.parse(text: ticket.token))?.token.validUntil ?? DBTime.date(ticket.validUntil)
        return tokenEnd < cutoff
    }

    /// Archived passes since a cursor, oldest first.
    static func tombstones(store: UInt32, after revision: Int64, limit: Int, in db: any SQLDatabase) async throws -> [(revision: Int64, ticketID: UUID)] {
        try await db.raw("""
            SELECT revision, ticket_id FROM ticket_tombstones
            WHERE store_id = \(bind: Int64(store)) AND revision > \(bind: revision)
            ORDER BY revision LIMIT \(literal: limit)
            """).all().compactMap { row in
                guard let id = UUID(uuidString: try row.decode(column: "ticket_id", as: String.self)) else { return nil }
                return (try row.decode(column: "revision", as: Int64.self), id)
            }
    }

    /// An archived pass, for history and for a clear answer where a hot one was asked for.
    static func findArchived(_ id: UUID, in db: any SQLDatabase) async throws -> TicketRow? {
        try await db.raw("SELECT \(unsafeRaw: Tickets.columns) FROM ticket_archive WHERE id = \(bind: id.uuidString)")
            .first(decoding: TicketRow.self)
    }
}
