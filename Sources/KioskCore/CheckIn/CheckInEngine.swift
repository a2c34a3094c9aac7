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

    /// Decides a scanned text offline, from the cache, and records the event.
    public func scan(_ text: String, direction: ScanDirection = .auto) throws -> CheckInOutcome {
        let time = now()
        recent = recent.filter { time.timeIntervalSince($0.value.at) < repeatWindow }
        if let previous = recent[text] {
            var outcome = previous.outcome
            outcome.isRepeat = true
            outcome.event = nil
            outcome.recordError = nil
            return outcome
        }
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
        let event = KioskEvent(eventID: makeEventID(), passID: decision.token?.passID, verdict: decision.verdict,
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
