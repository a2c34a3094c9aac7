import CafeProtocol
import Foundation
import HTTPTypes
import Logging
import SQLKit

/// The kiosk contract, version 1, on the server side: enrolment, sync pages by revision cursor,
/// the online verdict, uploads of offline decisions, print-job acknowledgements.
struct KioskService: Sendable {
    let database: ServerDatabase
    let rules: CheckInRules
    let logger: Logger

    // MARK: Enrolment

    func createEnrollmentCode(store: UInt32, lifetime: TimeInterval, now: Date) async throws -> (code: String, expiresAt: Date) {
        let code = Secrets.enrollmentCode()
        let expires = now.addingTimeInterval(lifetime)
        try await database.transaction { db in
            _ = try await Stores.require(store, in: db)
            try await db.raw("""
                INSERT INTO enrollment_codes (code_hash, store_id, expires_at, created_at)
                VALUES (\(bind: Secrets.digest(Self.normalised(code))), \(bind: Int64(store)), \(bind: DBTime.millis(expires)), \(bind: DBTime.millis(now)))
                """).run()
        }
        return (code, expires)
    }

    /// Codes are read off a screen and typed: case and dashes do not matter.
    static func normalised(_ code: String) -> String {
        code.uppercased().filter { $0.isLetter || $0.isNumber }
    }

    func enroll(_ request: EnrollRequest, now: Date) async throws -> EnrollResponse {
        let name = request.deviceName.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(name.count) else { throw APIFailure.invalid("device_name must be 1 to 64 characters") }
        guard request.code.count <= 64 else { throw APIFailure(.unauthorized, APIError.enrollmentCodeInvalid, "unknown, used or expired enrollment code") }
        let token = Secrets.random()
        let deviceID = UUID()
        return try await database.transaction { db in
            guard let row = try await db.raw("""
                UPDATE enrollment_codes SET used_at = \(bind: DBTime.millis(now))
                WHERE code_hash = \(bind: Secrets.digest(Self.normalised(request.code))) AND used_at IS NULL AND expires_at > \(bind: DBTime.millis(now))
                RETURNING store_id
                """).first() else {
                throw APIFailure(.unauthorized, APIError.enrollmentCodeInvalid, "unknown, used or expired enrollment code: ask the owner for a new one")
            }
            let storeID = UInt32(try row.decode(column: "store_id", as: Int64.self))
            try await db.raw("""
                INSERT INTO devices (id, store_id, name, token_hash, enrolled_at)
                VALUES (\(bind: deviceID.uuidString), \(bind: Int64(storeID)), \(bind: name), \(bind: Secrets.digest(token)), \(bind: DBTime.millis(now)))
                """).run()
            let store = try await Stores.require(storeID, in: db)
            logger.info("kiosk enrolled", metadata: ["device.id": "\(deviceID)", "store.id": "\(storeID)", "device.name": "\(name)"])
            return EnrollResponse(deviceID: deviceID, deviceToken: token, store: store.settings, serverTime: now)
        }
    }

    func authenticate(token: String) async throws -> AuthenticatedDevice? {
        try await database.read { db in
            guard let row = try await db.raw("SELECT id, store_id FROM devices WHERE token_hash = \(bind: Secrets.digest(token)) AND revoked_at IS NULL").first(),
                  let id = UUID(uuidString: try row.decode(column: "id", as: String.self))
            else { return nil }
            return AuthenticatedDevice(id: id, storeID: UInt32(try row.decode(column: "store_id", as: Int64.self)))
        }
    }

    // MARK: Sync

    static func cursorText(_ revision: Int64) -> String { "r\(revision)" }

    static func revision(fromCursor cursor: String?) throws -> Int64 {
        guard let cursor, !cursor.isEmpty else { return 0 }
        guard cursor.hasPrefix("r"), let value = Int64(cursor.dropFirst()), value >= 0 else {
            throw APIFailure.invalid("cursor \(cursor.prefix(40)) is not one this server gave out; sync with --full")
        }
        return value
    }

    /// One sync page as the JSON the kiosk receives (`SyncPage`). The tickets are the stored
    /// wire forms joined into the envelope's `tickets` array (see `Tickets.insert`).
    /// `outbox`: what the kiosk still holds, as it reported it with the page's request.
    func syncPage(device: AuthenticatedDevice, cursor: String?, limit: Int, outbox: OutboxReport? = nil, now: Date) async throws -> Data {
        let after = try Self.revision(fromCursor: cursor)
        let (body, hasMore) = try await database.read { db -> (Data, Bool) in
            let store = try await Stores.require(device.storeID, in: db)
            let changes = try await Tickets.changes(store: device.storeID, after: after, limit: limit + 1, in: db)
            let page = changes.prefix(limit)
            let keys = try await SigningKeys.publicRecords(store: device.storeID, in: db)
            let jobs = try await PrintJobs.pending(store: device.storeID, in: db)
            // The cursor is the revision of the page's last change.
            let nextCursor = page.last?.revision ?? after
            var states: [String] = []
            var archived: [UUID] = []
            for change in page {
                switch change.content {
                case .state(let json): states.append(json)
                case .archived(let id): archived.append(id)
                }
            }
            let envelope = SyncPage(cursor: Self.cursorText(nextCursor), hasMore: changes.count > limit, tickets: [], keys: keys,
                                    store: store.settings, printJobs: jobs, serverTime: now, archived: archived)
            return (try Self.splice(envelope: envelope, tickets: states), envelope.hasMore)
        }
        // One write a sync, not one a page: the last page's time (what the owner's device list
        // shows as the last sync) and, when the kiosk said it, what its outbox still holds.
        var changes: [SQLQueryString] = []
        if !hasMore { changes.append("last_seen_at = \(bind: DBTime.millis(now))") }
        if let outbox {
            changes.append("outbox_pending = \(bind: Int64(outbox.pending)), outbox_oldest_at = \(bind: outbox.oldest.map(DBTime.millis))")
        }
        if !changes.isEmpty {
            let assignments = changes.dropFirst().reduce(changes[0]) { $0 + ", " + $1 }
            try await database.transaction { db in
                try await db.raw("UPDATE devices SET " + assignments + " WHERE id = \(bind: device.id.uuidString)").run()
            }
        }
        return body
    }

    /// The envelope encoded with an empty `tickets` array — the last key, as keys are sorted —
    /// and the tickets' stored JSON put in its place.
    static func splice(envelope: SyncPage, tickets: [String]) throws -> Data {
        var data = try WireCoding.encoder().encode(envelope)
        let tail = Data(#""tickets":[]}"#.utf8)
        guard data.count >= tail.count, data.suffix(tail.count) == tail else {
            throw APIFailure(.internalServerError, "internal_error", "sync page envelope has an unexpected shape")
        }
        data.removeLast(2)  // "]}"
        var first = true
        for ticket in tickets {
            if !first { data.append(UInt8(ascii: ",")) }
            data.append(contentsOf: ticket.utf8)
            first = false
        }
        data.append(contentsOf: Array("]}".utf8))
        return data
    }

    // MARK: Online verdict

    func checkIn(_ request: CheckInRequest, device: AuthenticatedDevice, now: Date) async throws -> CheckInResponse {
        guard request.token.utf8.count <= 4096 else { throw APIFailure.invalid("token longer than 4096 bytes") }
        return try await database.transaction { db in
            if let stored = try await db.raw("SELECT response, device_id FROM check_in_events WHERE event_id = \(bind: request.eventID.uuidString)").first() {
                // The same event again (a retry after a timeout): the same answer, nothing applied twice.
                guard try stored.decode(column: "device_id", as: String.self) == device.id.uuidString,
                      let json = try stored.decode(column: "response", as: String?.self),
                      let response = try? WireCoding.decoder().decode(CheckInResponse.self, from: Data(json.utf8))
                else { throw APIFailure.conflict("event_exists", "event \(request.eventID) was recorded already") }
                return response
            }
            let store = try await Stores.require(device.storeID, in: db)
            let keys = try await SigningKeys.verifier(store: device.storeID, in: db)
            // The rules verify the signature; the lookup only needs the pass id it names.
            var known: TicketRow?
            if let token = try? PassToken.parse(text: request.token).token, token.storeID == device.storeID {
                known = try await Tickets.find(token.passID, in: db)
            }
            var decision = rules.decide(scanned: request.token, at: now, direction: request.direction, keys: keys,
                                        store: store.settings, ticket: known?.state)
            if decision.token != nil, known == nil {
                // Signed by our key but not a ticket we hold: deleted or archived. Never let it in.
                decision = CheckInRules.Decision(verdict: .deny(.revoked), token: decision.token, updatedTicket: nil, minutesCharged: nil,
                                                 overstayMinutes: nil, display: VerdictDisplay(title: CheckInRules.message(for: .revoked)))
            }
            if let known, decision.verdict == .enter, var entered = decision.updatedTicket {
                entered.seat = try await Seats.assign(ticket: known, store: store, now: now, in: db).seat
                decision.updatedTicket = entered
                decision.display.seat = entered.seat
            }
            var ticketAfter = known?.state
            if let known, let updated = decision.updatedTicket {
                let revision = try await Tickets.apply(updated, to: known, now: now, in: db)
                ticketAfter = updated
                ticketAfter?.revision = revision
            }
            let response = CheckInResponse(eventID: request.eventID, verdict: decision.verdict, display: decision.display, ticket: ticketAfter,
                                           minutesCharged: decision.minutesCharged)
            let json = String(decoding: try WireCoding.encoder().encode(response), as: UTF8.self)
            try await EventLog.record(eventID: request.eventID, store: device.storeID, device: device.id, ticket: known?.passID,
                                      verdict: decision.verdict, occurredAt: now, receivedAt: now, offline: false,
                                      minutesCharged: decision.minutesCharged, conflict: nil, response: json,
                                      before: decision.updatedTicket == nil ? nil : known?.state, in: db)
            if let known, decision.updatedTicket != nil {
                try await PushOutbox.entryExitAlert(ticket: known, verdict: decision.verdict, at: now, eventID: request.eventID,
                                                    storeName: store.name, timeZone: store.timeZone, now: now, in: db)
            }
            return response
        }
    }

    // MARK: Offline decisions

    /// Applies a kiosk's offline decisions in order. Each is recorded exactly once (by event id);
    /// a grant the server would have refused is recorded as a conflict for the owner and still
    /// applied — the person did go through the door.
    func upload(_ batch: EventBatch, device: AuthenticatedDevice, now: Date) async throws -> EventBatchResult {
        guard batch.events.count <= KioskAPI.maxEventsPerBatch else {
            throw APIFailure.invalid("at most \(KioskAPI.maxEventsPerBatch) events per upload, got \(batch.events.count)")
        }
        guard Set(batch.events.map(\.eventID)).count == batch.events.count else { throw APIFailure.invalid("an event id appears twice in the batch") }
        return try await database.transaction { db in
            let store = try await Stores.require(device.storeID, in: db)
            var result = EventBatchResult(accepted: [], duplicates: [], conflicts: [])
            let ids = batch.events.map { $0.eventID.uuidString }
            var seen = Set<String>()
            for chunk in stride(from: 0, to: ids.count, by: 200).map({ Array(ids[$0..<min($0 + 200, ids.count)]) }) {
                let rows = try await db.raw("SELECT event_id FROM check_in_events WHERE event_id IN (\(binds: chunk))").all()
                for row in rows { seen.insert(try row.decode(column: "event_id", as: String.self)) }
            }
            for event in batch.events {
                if seen.contains(event.eventID.uuidString) { result.duplicates.append(event.eventID); continue }
                var conflict: EventConflict?
                var ticketID: UUID?
                var before: TicketState?
                var charged = event.minutesCharged
                if let annulled = event.annuls {
                    (ticketID, conflict) = try await annul(annulled, by: event, device: device, now: now, in: db)
                } else if let passID = event.passID, let ticket = try await Tickets.find(passID, in: db), ticket.storeId == Int64(device.storeID) {
                    ticketID = passID
                    let state = ticket.state
                    before = state
                    switch event.verdict {
                    case .enter:
                        if event.decidedOffline,
                           let reason = rules.entryDenial(ticket: ticket.state(at: event.occurredAt), at: event.occurredAt, store: store.settings) {
                            conflict = EventConflict(eventID: event.eventID, serverVerdict: .deny(reason),
                                                     message: "let in offline, but the server would have denied: \(CheckInRules.message(for: reason))")
                        }
                        var entered = state
                        entered.inside = true
                        entered.lastEnteredAt = event.occurredAt
                        // Decided offline: the kiosk's seat when it is free, else another
                        // (a clash, reported); from an older kiosk without one, the server's pick.
                        if state.inside {
                            entered.seat = state.seat
                        } else {
                            let settled = try await Seats.assign(ticket: ticket, preferred: event.seat, store: store, now: now, in: db)
                            entered.seat = settled.seat
                            if let clash = settled.clash {
                                conflict = EventConflict(eventID: event.eventID, serverVerdict: conflict?.serverVerdict ?? .enter,
                                                         message: [conflict?.message, clash].compactMap { $0 }.joined(separator: "; "))
                            }
                        }
                        _ = try await Tickets.apply(entered, to: ticket, now: now, in: db)
                    case .exit:
                        let exited = rules.exiting(state, at: event.occurredAt)
                        if let updated = exited.updatedTicket {
                            _ = try await Tickets.apply(updated, to: ticket, now: now, in: db)
                        }
                        // What the server charged (it knows the balance; a kiosk that had not
                        // synced the pass may not): what an annul of this exit gives back.
                        if ticket.passKind == .time { charged = exited.minutesCharged ?? charged }
                    case .deny:
                        before = nil
                    }
                } else if let passID = event.passID, let archived = try await TicketArchive.findArchived(passID, in: db),
                          archived.storeId == Int64(device.storeID) {
                    // A pass finished and archived since: the event is kept under it, the pass
                    // stays finished, and a grant is reported (its token had ended a week ago).
                    ticketID = passID
                    if event.verdict == .enter {
                        conflict = EventConflict(eventID: event.eventID, serverVerdict: .deny(.expired),
                                                 message: "let in, but the pass was finished and archived: \(CheckInRules.message(for: .expired))")
                    }
                }
                try await EventLog.record(eventID: event.eventID, store: device.storeID, device: device.id, ticket: ticketID,
                                          verdict: event.verdict, occurredAt: event.occurredAt, receivedAt: now, offline: event.decidedOffline,
                                          minutesCharged: charged, conflict: conflict, response: nil, before: before,
                                          annuls: event.annuls, in: db)
                if event.annuls == nil, let ticketID, let ticket = try await Tickets.find(ticketID, in: db) {
                    try await PushOutbox.entryExitAlert(ticket: ticket, verdict: event.verdict, at: event.occurredAt, eventID: event.eventID,
                                                        storeName: store.name, timeZone: store.timeZone, now: now, in: db)
                }
                seen.insert(event.eventID.uuidString)
                result.accepted.append(event.eventID)
                if let conflict {
                    result.conflicts.append(conflict)
                    if !event.isAnnul {
                        logger.warning("offline grant conflicts with the server", metadata: [
                            "event.id": "\(event.eventID)", "device.id": "\(device.id)", "scan.reason": "\(conflict.serverVerdict)"])
                    }
                }
            }
            return result
        }
    }

    /// Reverses the grant recorded as `grantID` for its annul event `annul` (the door stayed
    /// shut): the pass as before that entry or exit, by the same rule the kiosk applied offline,
    /// and the grant marked annulled. An annul the server cannot apply — an unknown grant,
    /// another store's or pass's, a deny, one annulled already — is recorded with a conflict for
    /// the owner and changes nothing. Returns the pass and the conflict, if any.
    private func annul(_ grantID: UUID, by annul: KioskEvent, device: AuthenticatedDevice, now: Date,
                       in db: any SQLDatabase) async throws -> (UUID?, EventConflict?) {
        func refused(_ why: String) -> (UUID?, EventConflict?) {
            logger.warning("annul not applied", metadata: ["event.id": "\(annul.eventID)", "annul.of": "\(grantID)", "annul.reason": "\(why)"])
            return (nil, EventConflict(eventID: annul.eventID, serverVerdict: annul.verdict, message: "annul not applied: \(why)"))
        }
        struct Grant: Decodable {
            var storeId: Int64; var ticketId: String?; var verdict: String; var minutesCharged: Int64?
            var annulledBy: String?; var ticketBefore: String?; var annuls: String?
        }
        guard let grant = try await db.raw("""
            SELECT store_id, ticket_id, verdict, minutes_charged, annulled_by, ticket_before, annuls FROM check_in_events
            WHERE event_id = \(bind: grantID.uuidString)
            """).first(decoding: Grant.self, keyDecodingStrategy: .convertFromSnakeCase) else {
            return refused("the server has no event \(grantID)")
        }
        guard grant.storeId == Int64(device.storeID) else { return refused("event \(grantID) is another store's") }
        guard grant.annuls == nil else { return refused("event \(grantID) is itself an annul: only a grant can be annulled") }
        let verdict: Verdict
        switch grant.verdict {
        case "enter": verdict = .enter
        case "exit": verdict = .exit
        default: return refused("event \(grantID) was a deny: nothing opened")
        }
        guard grant.annulledBy == nil else { return refused("event \(grantID) was annulled already") }
        guard let passID = annul.passID, grant.ticketId == passID.uuidString,
              let ticket = try await Tickets.find(passID, in: db), ticket.storeId == Int64(device.storeID) else {
            return refused("event \(grantID) is not for this pass")
        }
        let before = try grant.ticketBefore.map { try WireCoding.decoder().decode(TicketState.self, from: Data($0.utf8)) }
        if let reversed = rules.annulling(verdict, of: ticket.state, minutesCharged: grant.minutesCharged.map(Int.init), before: before) {
            _ = try await Tickets.apply(reversed, to: ticket, now: now, in: db)
        }
        try await db.raw("""
            UPDATE check_in_events SET annulled_by = \(bind: annul.eventID.uuidString) WHERE event_id = \(bind: grantID.uuidString)
            """).run()
        logger.info("grant annulled: the door stayed shut", metadata: [
            "event.id": "\(annul.eventID)", "annul.of": "\(grantID)", "device.id": "\(device.id)", "annul.verdict": "\(grant.verdict)"])
        return (passID, nil)
    }

    // MARK: Print jobs

    func acknowledge(job: UUID, ack: PrintJobAck, device: AuthenticatedDevice) async throws {
        try await database.transaction { db in
            guard let row = try await db.raw("SELECT printed_at FROM print_jobs WHERE id = \(bind: job.uuidString) AND store_id = \(bind: Int64(device.storeID))").first() else {
                throw APIFailure.notFound("print job \(job)")
            }
            guard try row.decode(column: "printed_at", as: Int64?.self) == nil else {
                throw APIFailure.conflict("already_printed", "print job \(job) was acknowledged already")
            }
            try await db.raw("UPDATE print_jobs SET printed_at = \(bind: DBTime.millis(ack.printedAt)), printed_by = \(bind: device.id.uuidString) WHERE id = \(bind: job.uuidString)").run()
        }
    }
}

/// Every door decision the server knows of, online or uploaded, keyed by the kiosk's event id.
enum EventLog {
    static func record(eventID: UUID, store: UInt32, device: UUID, ticket: UUID?, verdict: Verdict, occurredAt: Date, receivedAt: Date,
                       offline: Bool, minutesCharged: Int?, conflict: EventConflict?, response: String?,
                       before: TicketState? = nil, annuls: UUID? = nil, reason exitReason: String? = nil,
                       in db: any SQLDatabase) async throws {
        // A deny's reason is its code; a server's exit names why it was made (auto-exit).
        let (verdictText, denyReason) = verdict.columns
        let reason = denyReason ?? exitReason
        let (conflictVerdict, conflictReason) = conflict.map { $0.serverVerdict.columns } ?? (nil, nil)
        let beforeJSON = try before.map { String(decoding: try WireCoding.encoder().encode($0), as: UTF8.self) }
        try await db.raw("""
            INSERT INTO check_in_events (event_id, store_id, device_id, ticket_id, verdict, reason, occurred_at, received_at,
                decided_offline, minutes_charged, conflict_verdict, conflict_reason, conflict_message, response, ticket_before, annuls)
            VALUES (\(bind: eventID.uuidString), \(bind: Int64(store)), \(bind: device.uuidString), \(bind: ticket?.uuidString),
                \(bind: verdictText), \(bind: reason), \(bind: DBTime.millis(occurredAt)), \(bind: DBTime.millis(receivedAt)),
                \(bind: offline ? Int64(1) : 0), \(bind: minutesCharged.map(Int64.init)), \(bind: conflictVerdict), \(bind: conflictReason),
                \(bind: conflict?.message), \(bind: response), \(bind: beforeJSON), \(bind: annuls?.uuidString))
            """).run()
    }
}

extension Verdict {
    /// The `verdict` and `reason` columns.
    var columns: (String, String?) {
        switch self {
        case .enter: ("enter", nil)
        case .exit: ("exit", nil)
        case .deny(let reason): ("deny", reason.rawValue)
        }
    }
}

/// Passes sold at the counter, waiting for the store's kiosk to print them.
enum PrintJobs {
    static func create(ticket: TicketRow, now: Date, in db: any SQLDatabase) async throws -> PrintJob {
        let job = PrintJob(jobID: UUID(), passID: ticket.passID, token: ticket.token, label: ticket.label, createdAt: now)
        try await db.raw("""
            INSERT INTO print_jobs (id, store_id, ticket_id, token, label, created_at)
            VALUES (\(bind: job.jobID.uuidString), \(bind: ticket.storeId), \(bind: ticket.id), \(bind: job.token), \(bind: job.label), \(bind: DBTime.millis(now)))
            """).run()
        return job
    }

    static func pending(store: UInt32, in db: any SQLDatabase) async throws -> [PrintJob] {
        struct Row: Decodable { var id: String; var ticketId: String; var token: String; var label: String; var createdAt: Int64 }
        return try await db.raw("""
            SELECT id, ticket_id, token, label, created_at FROM print_jobs
            WHERE store_id = \(bind: Int64(store)) AND printed_at IS NULL ORDER BY created_at LIMIT 50
            """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase).compactMap { row in
            guard let id = UUID(uuidString: row.id), let pass = UUID(uuidString: row.ticketId) else { return nil }
            return PrintJob(jobID: id, passID: pass, token: row.token, label: row.label, createdAt: DBTime.date(row.createdAt))
        }
    }
}
