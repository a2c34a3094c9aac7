import CafeProtocol
import Crypto
import Foundation
import Logging
import SQLKit

/// Why the server exited someone.
public enum AutoExitReason: String, Sendable, Codable {
    /// A time pass whose minutes ran out while inside.
    case minutesUsedUp = "minutes_used_up"
    /// A day or period pass (or any pass) whose validity ended while inside.
    case validityEnded = "validity_ended"
    /// The store closes at night: everyone is out at closing.
    case closing
    /// A visit longer than the store's `max_visit_minutes`: a forgotten exit, charged no further.
    case forgottenExit = "forgotten_exit"
}

/// One exit the server made.
public struct AutoExitRecord: Sendable, Equatable {
    public var eventID: UUID
    public var ticketID: UUID
    public var storeID: UInt32
    public var holderName: String?
    public var reason: AutoExitReason
    /// When it was due: what the event records.
    public var at: Date
    public var minutesCharged: Int?
}

/// When an inside holder is due to be exited, pure: the earliest of the moments below that has
/// come. The exit is recorded at that moment (not when the job noticed), so a time pass is
/// charged exactly what it had and a forgotten exit no more than the cap.
enum AutoExitRule {
    static func due(_ ticket: TicketState, store: StoreSettings, now: Date) -> (at: Date, reason: AutoExitReason)? {
        guard ticket.inside else { return nil }
        let entered = ticket.lastEnteredAt ?? now
        var moments: [(Date, AutoExitReason)] = [(ticket.validUntil, .validityEnded)]
        if ticket.kind == .time, let remaining = ticket.remainingMinutes {
            moments.append((entered.addingTimeInterval(TimeInterval(max(0, remaining)) * 60), .minutesUsedUp))
        }
        if let closing = store.closedHours.flatMap({ nextClosing(after: entered, closed: $0, timeZone: store.timeZone) }) {
            moments.append((closing, .closing))
        }
        let cap = store.maxVisitMinutes ?? StoreSettings.defaultMaxVisitMinutes
        moments.append((entered.addingTimeInterval(TimeInterval(cap) * 60), .forgottenExit))
        // The earliest moment; ties go to the first listed (the pass's own end before a cap).
        let earliest = moments.enumerated().min { a, b in a.element.0 != b.element.0 ? a.element.0 < b.element.0 : a.offset < b.offset }!.element
        guard earliest.0 <= now else { return nil }
        return (max(earliest.0, entered), earliest.1)
    }

    /// The first start of the closed hours strictly after `date`, in the store's zone.
    static func nextClosing(after date: Date, closed: LocalTimeRange, timeZone identifier: String) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: identifier) ?? .gmt
        let day = calendar.startOfDay(for: date)
        for offset in 0...1 {
            guard let base = calendar.date(byAdding: .day, value: offset, to: day),
                  let start = calendar.date(bySettingHour: closed.startMinute / 60, minute: closed.startMinute % 60, second: 0, of: base)
            else { continue }
            if start > date { return start }
        }
        return nil
    }
}

/// Exits holders whose time is up, every minute: charged as a kiosk's exit would charge, the
/// seat released, an event recorded from the store's server device, the ticket's revision
/// bumped so kiosks see "outside" at their next sync.
///
/// Safe with several instances: each exit is one transaction that locks its ticket (`FOR
/// UPDATE SKIP LOCKED` on PostgreSQL: a ticket another instance is exiting is skipped, not
/// waited for) and checks again that it is still inside on the same visit; the event id is
/// derived from the visit, so even a job killed half-way and run again records each exit once.
struct AutoExitJob: Sendable {
    let database: ServerDatabase
    let rules: CheckInRules
    let logger: Logger

    /// The most tickets read per run; the rest wait a minute (a store has at most its seats inside).
    static let batchLimit = 5_000

    /// Runs once; returns the exits this instance made.
    func run(now: Date) async throws -> [AutoExitRecord] {
        let (candidates, stores) = try await database.read { db -> ([TicketRow], [Int64: StoreSettings]) in
            let rows = try await db.raw("""
                SELECT \(unsafeRaw: Tickets.columns) FROM tickets WHERE inside = 1 ORDER BY id LIMIT \(literal: Self.batchLimit)
                """).all(decoding: TicketRow.self)
            var stores: [Int64: StoreSettings] = [:]
            for store in try await Stores.all(in: db) { stores[store.id] = store.settings }
            return (rows, stores)
        }
        var exited: [AutoExitRecord] = []
        for candidate in candidates {
            guard let store = stores[candidate.storeId], AutoExitRule.due(candidate.state, store: store, now: now) != nil else { continue }
            if let record = try await exit(candidate, store: store, now: now) { exited.append(record) }
        }
        return exited
    }

    /// One holder out, in one transaction; nil when another instance did it or it is no longer due.
    private func exit(_ candidate: TicketRow, store: StoreSettings, now: Date) async throws -> AutoExitRecord? {
        let outcome = try await database.transaction { db -> AutoExitRecord? in
            let lock = db.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
            guard let ticket = try await db.raw("""
                SELECT \(unsafeRaw: Tickets.columns) FROM tickets WHERE id = \(bind: candidate.id) AND inside = 1\(unsafeRaw: lock)
                """).first(decoding: TicketRow.self),
                ticket.lastEnteredAt == candidate.lastEnteredAt,
                let due = AutoExitRule.due(ticket.state, store: store, now: now)
            else { return nil }
            let eventID = Self.eventID(ticket: ticket.id, entered: ticket.lastEnteredAt)
            if try await db.raw("SELECT event_id FROM check_in_events WHERE event_id = \(bind: eventID.uuidString)").first() != nil { return nil }
            let decision = rules.exiting(ticket.state, at: due.at)
            guard let updated = decision.updatedTicket else { return nil }
            var released = updated
            released.seat = nil
            var row = ticket
            row.seat = nil
            _ = try await Tickets.apply(released, to: row, now: now, in: db)
            let device = try await ServerDevice.ensure(store: store.storeID, now: now, in: db)
            try await EventLog.record(eventID: eventID, store: store.storeID, device: device, ticket: ticket.passID, verdict: .exit,
                                      occurredAt: due.at, receivedAt: now, offline: false, minutesCharged: decision.minutesCharged,
                                      conflict: nil, response: nil, before: ticket.state, reason: due.reason.rawValue, in: db)
            try await PushOutbox.entryExitAlert(ticket: ticket, verdict: .exit, at: due.at, eventID: eventID, storeName: store.name,
                                                timeZone: store.timeZone, now: now, in: db)
            return AutoExitRecord(eventID: eventID, ticketID: ticket.passID, storeID: store.storeID, holderName: ticket.holderName,
                                  reason: due.reason, at: due.at, minutesCharged: decision.minutesCharged)
        }
        guard let outcome else { return nil }
        logger.info("auto-exit", metadata: [
            "ticket.id": "\(candidate.id)", "store.id": "\(candidate.storeId)", "exit.reason": "\(outcome.reason.rawValue)",
            "minutes.charged": "\(outcome.minutesCharged.map(String.init) ?? "-")"])
        return outcome
    }

    /// One id per visit: the ticket and the moment it entered.
    static func eventID(ticket: String, entered: Int64?) -> UUID {
        NameUUID.make("auto-exit|\(ticket)|\(entered ?? 0)")
    }
}

/// The store's server "device": what auto-exits are recorded from. It has no token (its hash
/// is not a hash of anything) and is never listed with the kiosks.
enum ServerDevice {
    static func id(store: UInt32) -> UUID { NameUUID.make("server-device|\(store)") }

    static func ensure(store: UInt32, now: Date, in db: any SQLDatabase) async throws -> UUID {
        let id = id(store: store)
        try await db.raw("""
            INSERT INTO devices (id, store_id, name, token_hash, enrolled_at, revoked_at, kind)
            VALUES (\(bind: id.uuidString), \(bind: Int64(store)), 'cafe-server jobs', \(bind: "server:" + id.uuidString),
                    \(bind: DBTime.millis(now)), \(bind: DBTime.millis(now)), 'server')
            ON CONFLICT (id) DO NOTHING
            """).run()
        return id
    }
}

/// A UUID that is a function of a name (SHA-256, version 5 layout): the same work always gets
/// the same id, so a primary key refuses doing it twice.
enum NameUUID {
    static func make(_ name: String) -> UUID {
        var bytes = Array(SHA256.hash(data: Data(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
