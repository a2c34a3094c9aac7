import CafeProtocol
import Foundation

/// What the check-in engine reads and writes: the kiosk's local cache. The real one is the
/// SQLite store; tests use an in-memory double.
public protocol CheckInStore: AnyObject {
    /// The store's public keys that are not retired.
    func verifier() throws -> PassVerifier
    /// Nil before the first sync: the kiosk cannot decide without knowing its store.
    func storeSettings() throws -> StoreSettings?
    func ticket(passID: UUID) throws -> TicketState?
    /// Commits the event and the ticket's new state together, durably, before the door acts.
    func record(_ event: KioskEvent, ticket: TicketState?) throws
    /// Stores a ticket's state as the server gave it (an online verdict), unless the cache
    /// already holds a newer revision.
    func updateTicket(_ ticket: TicketState) throws
    /// Whether decisions on this pass wait in the outbox: the server does not know them yet.
    func hasUndeliveredEvents(passID: UUID) throws -> Bool
    /// The seats of holders the cache has inside: what an offline entry must not be given.
    func occupiedSeats() throws -> Set<String>
}

/// One scan's outcome: the decision, the event that records it, and whether it was stored.
public struct CheckInOutcome: Sendable {
    public var decision: CheckInRules.Decision
    /// Nil for a repeat of the previous scan (no new event).
    public var event: KioskEvent?
    /// The same code seen again within the repeat window: one scan, the earlier verdict.
    public var isRepeat: Bool
    /// The event could not be written (full or failing disk). The door still follows the rules;
    /// the event waits in memory and is written with the next scan or `flushUnrecorded()`.
    public var recordError: String?

    public var verdict: Verdict { decision.verdict }

    public init(decision: CheckInRules.Decision, event: KioskEvent?, isRepeat: Bool, recordError: String?) {
        self.decision = decision
        self.event = event
        self.isRepeat = isRepeat
        self.recordError = recordError
    }
}

/// The door's decision loop: rules over the local cache, every decision recorded as an event
/// before it is acted on, a code held in front of the camera counted once.
public final class CheckInEngine {
    private let store: any CheckInStore
    private let rules: CheckInRules
    private let repeatWindow: TimeInterval
    private let now: () -> Date
    private let makeEventID: () -> UUID
    private var recent: [String: (at: Date, outcome: CheckInOutcome)] = [:]
    private var unrecorded: [(KioskEvent, TicketState?)] = []
    /// The last grants, newest last, so that a door that stayed shut can annul one: a few
    /// dozen, however long the kiosk runs (a door answers within seconds).
    private var grants: [Grant] = []
    private static let grantsKept = 32

    /// A grant as it was made: what to reverse, and the pass's state before it.
    private struct Grant {
        var event: KioskEvent
        var text: String
        var before: TicketState?
        var after: TicketState?
        var annulled = false
    }

    /// - Parameters:
    ///   - repeatWindow: seconds in which the same code again is the same scan (not enter
    ///     then exit).
    ///   - now: the kiosk's clock (a test passes its own).
    public init(store: any CheckInStore, rules: CheckInRules = CheckInRules(), repeatWindow: TimeInterval = 5,
                now: @escaping () -> Date = Date.init, makeEventID: @escaping () -> UUID = UUID.init) {
        self.store = store
        self.rules = rules
        self.repeatWindow = repeatWindow
        self.now = now
        self.makeEventID = makeEventID
    }

    /// Events decided but not yet written (the disk failed); oldest first.
    public var pendingUnrecorded: Int { unrecorded.count }

    /// The earlier outcome when the same code was scanned within the repeat window: one scan.
    public func repeatOutcome(for text: String) -> CheckInOutcome? {
        let time = now()
        recent = recent.filter { time.timeIntervalSince($0.value.at) < repeatWindow }
        guard var outcome = recent[text]?.outcome else { return nil }
        outcome.isRepeat = true
        outcome.event = nil
        outcome.recordError = nil
        return outcome
    }

    /// Decides a scanned text offline, from the cache, and records the event.
    /// - Parameter eventID: the id of this scan's event; pass the one an online attempt
    ///   already used, so that the server, if it did record that attempt, sees one event.
    public func scan(_ text: String, direction: ScanDirection = .auto, eventID: UUID? = nil) throws -> CheckInOutcome {
        if let outcome = repeatOutcome(for: text) { return outcome }
        let time = now()
        flushUnrecorded()
        guard let settings = try store.storeSettings() else {
            throw CheckInError.notSynced
        }
        let cached = try (try? PassToken.parse(text: text)).flatMap { parsed in
            // A state not yet written (failing disk) is newer than the stored one.
            try unrecorded.last(where: { $0.1?.passID == parsed.token.passID })?.1
                ?? store.ticket(passID: parsed.token.passID)
        }
        var decision = rules.decide(scanned: text, at: time, direction: direction,
                                    keys: try store.verifier(), store: settings, ticket: cached)
        let seat = seatOffline(&decision, settings: settings)
        let event = KioskEvent(eventID: eventID ?? makeEventID(), passID: decision.token?.passID, verdict: decision.verdict,
                               occurredAt: time, decidedOffline: true, minutesCharged: decision.minutesCharged, seat: seat)
        var outcome = CheckInOutcome(decision: decision, event: event, isRepeat: false, recordError: nil)
        outcome.recordError = commit(event, ticket: decision.updatedTicket)
        recent[text] = (time, outcome)
        remember(event, text: text, before: cached, after: decision.updatedTicket)
        return outcome
    }

    /// An entry decided here gets the lowest seat free as far as the cache knows (the server's
    /// rule), shown on the screen and sent with the event so the server keeps it or settles a
    /// clash; an exit frees the seat, as the server does. A seat left on a pass outside is from
    /// an earlier visit and is chosen again. A cache that cannot be read gives no seat rather
    /// than no entry.
    private func seatOffline(_ decision: inout CheckInRules.Decision, settings: StoreSettings) -> String? {
        guard var ticket = decision.updatedTicket else { return nil }
        switch decision.verdict {
        case .exit:
            ticket.seat = nil
            decision.updatedTicket = ticket
            return nil
        case .enter:
            var taken = (try? store.occupiedSeats()) ?? []
            // Decided but not yet written (a failing disk): their seats are taken too.
            for (_, state) in unrecorded { if let state, state.inside, let seat = state.seat { taken.insert(seat) } }
            let seat = Seating.lowestFree(seats: settings.seats, taken: taken)
            ticket.seat = seat
            decision.updatedTicket = ticket
            decision.display.seat = seat
            return seat
        case .deny:
            return nil
        }
    }

    /// Writes an event and its ticket, or keeps them in memory when the disk fails; returns the error.
    private func commit(_ event: KioskEvent, ticket: TicketState?) -> String? {
        do {
            try store.record(event, ticket: ticket)
            return nil
        } catch {
            unrecorded.append((event, ticket))
            return "\(error)"
        }
    }

    private func remember(_ event: KioskEvent, text: String, before: TicketState?, after: TicketState?) {
        guard event.passID != nil, event.verdict == .enter || event.verdict == .exit else { return }
        grants.append(Grant(event: event, text: text, before: before, after: after))
        if grants.count > Self.grantsKept { grants.removeFirst(grants.count - Self.grantsKept) }
    }

    /// Reverses the grant recorded as `eventID`, because the door reported it stayed shut: an
    /// annul event under the same pass goes to the outbox (so the server reverses it too, however
    /// the grant was decided), the cache takes the reversed state, and the repeat window forgets
    /// the code so the customer can simply scan again. Works offline.
    public func annul(_ eventID: UUID) throws(AnnulError) -> AnnulOutcome {
        guard let index = grants.lastIndex(where: { $0.event.eventID == eventID }) else { throw .unknownGrant }
        let grant = grants[index]
        guard !grant.annulled else { throw .alreadyAnnulled }
        guard let passID = grant.event.passID else { throw .unknownGrant }
        if grants[(index + 1)...].contains(where: { $0.event.passID == passID }) { throw .passScannedSince }
        let time = now()
        // The state now: a not-yet-written one first, then the cache, then what the grant left.
        let current = unrecorded.last(where: { $0.1?.passID == passID })?.1 ?? (try? store.ticket(passID: passID)) ?? grant.after
        let reversed = current.flatMap {
            rules.annulling(grant.event.verdict, of: $0, minutesCharged: grant.event.minutesCharged, before: grant.before)
        }
        let event = KioskEvent(eventID: makeEventID(), passID: passID, verdict: grant.event.verdict, occurredAt: time,
                               decidedOffline: true, minutesCharged: grant.event.minutesCharged, annuls: eventID)
        let recordError = commit(event, ticket: reversed)
        grants[index].annulled = true
        recent[grant.text] = nil
        return AnnulOutcome(event: event, annulled: grant.event, ticket: reversed, recordError: recordError)
    }

    /// Takes the server's verdict for a scan: the server has recorded the event, so nothing
    /// goes to the outbox; the cache takes the ticket's new state.
    public func acceptOnline(_ response: CheckInResponse, for text: String, at time: Date) -> CheckInOutcome {
        let token = try? PassToken.parse(text: text).token
        let passID = response.ticket?.passID ?? token?.passID
        let before = passID.flatMap { id in try? store.ticket(passID: id) }
        if let ticket = response.ticket {
            try? store.updateTicket(ticket)
        }
        let decision = CheckInRules.Decision(verdict: response.verdict, token: token, updatedTicket: response.ticket,
                                             minutesCharged: response.minutesCharged, overstayMinutes: nil, display: response.display)
        let event = KioskEvent(eventID: response.eventID, passID: passID,
                               verdict: response.verdict, occurredAt: time, decidedOffline: false, minutesCharged: response.minutesCharged)
        let outcome = CheckInOutcome(decision: decision, event: event, isRepeat: false, recordError: nil)
        recent[text] = (time, outcome)
        remember(event, text: text, before: before, after: response.ticket)
        return outcome
    }

    public var currentTime: Date { now() }

    /// Whether this scanned text names a pass with decisions the server has not been given yet
    /// (offline ones, an annul): the server's answer would be stale — an annulled entry still
    /// inside — so such a pass is decided here, from the cache that knows them, until the sync
    /// has delivered them.
    public func passHasUndeliveredEvents(_ text: String) -> Bool {
        guard let passID = (try? PassToken.parse(text: text))?.token.passID else { return false }
        if unrecorded.contains(where: { $0.0.passID == passID }) { return true }
        return (try? store.hasUndeliveredEvents(passID: passID)) ?? false
    }

    public func makeID() -> UUID { makeEventID() }

    /// Writes the events that could not be written before, oldest first; stops at the first
    /// failure. Returns how many are still waiting.
    @discardableResult
    public func flushUnrecorded() -> Int {
        while let (event, ticket) = unrecorded.first {
            do { try store.record(event, ticket: ticket) } catch { break }
            unrecorded.removeFirst()
        }
        return unrecorded.count
    }
}

/// A grant reversed: the annul event (recorded like a decision) and the grant it reverses.
public struct AnnulOutcome: Sendable {
    public var event: KioskEvent
    public var annulled: KioskEvent
    /// The pass's state after the annul (nil when the kiosk knows nothing of the pass).
    public var ticket: TicketState?
    /// The annul could not be written yet (failing disk): kept in memory like a decision.
    public var recordError: String?
}

/// Why a door's "stayed shut" could not annul its grant.
public enum AnnulError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not one of this run's last grants (a deny, a restart since, or too long ago).
    case unknownGrant
    case alreadyAnnulled
    /// The pass was decided again since: reversing the older grant would undo the newer one.
    case passScannedSince

    public var description: String {
        switch self {
        case .unknownGrant: "not one of the last grants of this run: nothing to annul"
        case .alreadyAnnulled: "that grant was annulled already"
        case .passScannedSince: "the pass was scanned again since: the newer decision stands"
        }
    }
}

public enum CheckInError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No store settings yet: the kiosk was never synced, and must not guess.
    case notSynced

    public var description: String {
        switch self {
        case .notSynced: "the kiosk has not synced with the server yet: run 'kioskd sync'"
        }
    }
}
