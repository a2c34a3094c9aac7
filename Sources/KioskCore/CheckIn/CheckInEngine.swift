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
        let decision = rules.decide(scanned: text, at: time, direction: direction,
                                    keys: try store.verifier(), store: settings, ticket: cached)
        let event = KioskEvent(eventID: eventID ?? makeEventID(), passID: decision.token?.passID, verdict: decision.verdict,
                               occurredAt: time, decidedOffline: true, minutesCharged: decision.minutesCharged)
        var outcome = CheckInOutcome(decision: decision, event: event, isRepeat: false, recordError: nil)
        do {
            try store.record(event, ticket: decision.updatedTicket)
        } catch {
            unrecorded.append((event, decision.updatedTicket))
            outcome.recordError = "\(error)"
        }
        recent[text] = (time, outcome)
        return outcome
    }

    /// Takes the server's verdict for a scan: the server has recorded the event, so nothing
    /// goes to the outbox; the cache takes the ticket's new state.
    public func acceptOnline(_ response: CheckInResponse, for text: String, at time: Date) -> CheckInOutcome {
        let token = try? PassToken.parse(text: text).token
        if let ticket = response.ticket {
            try? store.updateTicket(ticket)
        }
        let decision = CheckInRules.Decision(verdict: response.verdict, token: token, updatedTicket: response.ticket,
                                             minutesCharged: response.minutesCharged, overstayMinutes: nil, display: response.display)
        let event = KioskEvent(eventID: response.eventID, passID: response.ticket?.passID ?? token?.passID,
                               verdict: response.verdict, occurredAt: time, decidedOffline: false, minutesCharged: response.minutesCharged)
        let outcome = CheckInOutcome(decision: decision, event: event, isRepeat: false, recordError: nil)
        recent[text] = (time, outcome)
        return outcome
    }

    public var currentTime: Date { now() }

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

public enum CheckInError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No store settings yet: the kiosk was never synced, and must not guess.
    case notSynced

    public var description: String {
        switch self {
        case .notSynced: "the kiosk has not synced with the server yet: run 'kioskd sync'"
        }
    }
}
