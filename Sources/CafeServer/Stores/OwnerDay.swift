import CafeProtocol
import Foundation
import Hummingbird
import SQLKit

/// Someone inside now, as the owner's console lists them.
public struct InsideView: Codable, Sendable, Equatable {
    public var ticketID: UUID
    public var holderName: String?
    public var kind: PassKind
    public var label: String
    public var seat: String?
    public var enteredAt: Date?
    /// Minutes until their time pass or pass runs out (negative: overdue; auto-exit is near).
    public var minutesLeft: Int?
    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id", holderName = "holder_name", kind, label, seat, enteredAt = "entered_at", minutesLeft = "minutes_left"
    }
}

/// One door event of the day.
public struct DoorEventView: Codable, Sendable, Equatable {
    public var eventID: UUID
    public var ticketID: UUID?
    public var holderName: String?
    /// `enter`, `exit`, `deny`.
    public var verdict: String
    /// The deny reason, or why the server exited someone (`minutes_used_up`, …).
    public var reason: String?
    public var occurredAt: Date
    public var decidedOffline: Bool
    /// Recorded by the server's jobs, not a kiosk.
    public var byServer: Bool
    public var annulled: Bool
    public var conflict: String?
    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", ticketID = "ticket_id", holderName = "holder_name", verdict, reason, occurredAt = "occurred_at"
        case decidedOffline = "decided_offline", byServer = "by_server", annulled, conflict
    }
}

/// The owner's day: entries, exits and denials of one local day, who is inside now.
public struct DayView: Codable, Sendable, Equatable {
    public var storeID: UInt32
    /// The local date, `2026-12-01`.
    public var date: String
    public var entries: Int
    public var exits: Int
    public var denials: Int
    public var conflicts: Int
    public var inside: [InsideView]
    public var events: [DoorEventView]
    enum CodingKeys: String, CodingKey { case storeID = "store_id", date, entries, exits, denials, conflicts, inside, events }
}

/// Sales grouped by the store's local day, ISO week (from Monday) or month.
public enum SalesPeriod: String, Codable, Sendable {
    case day, week, month
}

struct OwnerDayService: Sendable {
    let database: ServerDatabase

    func inside(store: UInt32, now: Date) async throws -> [InsideView] {
        try await database.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: Tickets.columns) FROM tickets WHERE store_id = \(bind: Int64(store)) AND inside = 1
                ORDER BY last_entered_at LIMIT 10000
                """).all(decoding: TicketRow.self).map { ticket in
                    InsideView(ticketID: ticket.passID, holderName: ticket.holderName, kind: ticket.passKind, label: ticket.label, seat: ticket.seat,
                               enteredAt: ticket.lastEnteredAt.map(DBTime.date), minutesLeft: TimeWarningJob.minutesLeft(ticket.state, now: now))
                }
        }
    }

    /// `date`: a local `YYYY-MM-DD`; nil: today in the store's zone.
    func day(store: UInt32, date: String?, now: Date) async throws -> DayView {
        let row = try await database.read { db in try await Stores.require(store, in: db) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: row.timeZone) ?? .gmt
        let start: Date
        if let date {
            let parts = date.split(separator: "-").compactMap { Int($0) }
            // The calendar rolls 2026-13-45 over into 2027; a day that does not exist is refused.
            guard parts.count == 3, let day = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
                  calendar.dateComponents([.year, .month, .day], from: day) == DateComponents(year: parts[0], month: parts[1], day: parts[2])
            else {
                throw APIFailure.invalid("date is a local day that exists, as 2026-12-01")
            }
            start = day
        } else {
            start = calendar.startOfDay(for: now)
        }
        let end = calendar.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
        struct Row: Decodable {
            var eventId: String; var ticketId: String?; var holderName: String?; var verdict: String; var reason: String?; var occurredAt: Int64
            var decidedOffline: Int64; var kind: String?; var annulledBy: String?; var annuls: String?; var conflictMessage: String?
        }
        // The hot table and the archive joined each by its key, not the `ticket_history` view:
        // SQLite materialises a UNION ALL view on the right of a join (250 ms at 100,000 passes).
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT e.event_id, e.ticket_id, COALESCE(t.holder_name, a.holder_name) AS holder_name, e.verdict, e.reason, e.occurred_at,
                       e.decided_offline, d.kind, e.annulled_by, e.annuls, e.conflict_message
                FROM check_in_events e LEFT JOIN tickets t ON t.id = e.ticket_id LEFT JOIN ticket_archive a ON a.id = e.ticket_id
                     LEFT JOIN devices d ON d.id = e.device_id
                WHERE e.store_id = \(bind: Int64(store)) AND e.occurred_at >= \(bind: DBTime.millis(start)) AND e.occurred_at < \(bind: DBTime.millis(end))
                ORDER BY e.occurred_at, e.event_id LIMIT 20000
                """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
        // An annul is not a door event of its own: it marks the grant it reversed.
        let events = rows.filter { $0.annuls == nil }.map { row in
            DoorEventView(eventID: UUID(uuidString: row.eventId)!, ticketID: row.ticketId.flatMap(UUID.init(uuidString:)), holderName: row.holderName,
                          verdict: row.verdict, reason: row.reason, occurredAt: DBTime.date(row.occurredAt), decidedOffline: row.decidedOffline != 0,
                          byServer: row.kind == "server", annulled: row.annulledBy != nil, conflict: row.conflictMessage)
        }
        let counted = events.filter { !$0.annulled }
        var formatter = calendar.dateComponents([.year, .month, .day], from: start)
        formatter.calendar = calendar
        let label = String(format: "%04d-%02d-%02d", formatter.year ?? 0, formatter.month ?? 0, formatter.day ?? 0)
        return DayView(storeID: store, date: label, entries: counted.filter { $0.verdict == "enter" }.count,
                       exits: counted.filter { $0.verdict == "exit" }.count, denials: counted.filter { $0.verdict == "deny" }.count,
                       conflicts: counted.filter { $0.conflict != nil }.count, inside: try await inside(store: store, now: now), events: events)
    }
}

extension SalesReport {
    /// The report as CSV: one line per period and product (the whole range when not grouped),
    /// won amounts as plain integers.
    func csv() -> String {
        var lines = ["period_start,product_code,sold,revenue"]
        let iso = Date.ISO8601FormatStyle()
        if let periods {
            for period in periods {
                for line in period.lines { lines.append("\(period.start.formatted(iso)),\(line.productCode),\(line.count),\(line.revenue)") }
            }
        } else {
            for line in self.lines { lines.append("\(from.formatted(iso)),\(line.productCode),\(line.count),\(line.revenue)") }
        }
        lines.append("total,,\(sold),\(revenue)")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

}

struct OwnerDayRoutes {
    let service: OwnerDayService
    let owners: OwnerService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let routes = RouteCollection(context: CafeRequestContext.self)
        routes.get("stores/:store_id/inside") { _, context -> Response in
            let store = try await owners.owned(context)
            return try WireResponse.json(["inside": try await service.inside(store: store, now: now())])
        }
        routes.get("stores/:store_id/day") { request, context -> Response in
            let store = try await owners.owned(context)
            return try WireResponse.json(try await service.day(store: store, date: request.uri.queryParameters.get("date"), now: now()))
        }
        return routes
    }
}
