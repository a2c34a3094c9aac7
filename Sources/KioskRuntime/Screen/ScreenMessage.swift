import CafeProtocol
import Foundation
import KioskCore

/// What the page shows for one verdict (or annul), composed here in the store's language so the
/// page only lays it out. Sent as an SSE `verdict` event.
struct ScreenVerdict: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        case welcome, goodbye, denied, annulled
    }

    var kind: Kind
    var title: String
    var name: String?
    var lines: [String]
    /// What to do next (denials, annuls).
    var next: String?
    /// The event's short id, as the log and `kioskd status` show it.
    var event: String?
    /// When the decision was committed (Unix milliseconds): the page measures its own delay.
    var committedAt: Double
    /// How long the page shows it before the idle screen comes back.
    var showMilliseconds: Int

    enum CodingKeys: String, CodingKey {
        case kind, title, name, lines, next, event, committedAt = "committed_at", showMilliseconds = "show_ms"
    }

    init(kind: Kind, title: String, name: String? = nil, lines: [String] = [], next: String? = nil, event: String?,
         committedAt: Date, show: Duration) {
        self.kind = kind
        self.title = title
        self.name = name
        self.lines = lines
        self.next = next
        self.event = event
        self.committedAt = (committedAt.timeIntervalSince1970 * 1_000).rounded()
        self.showMilliseconds = Int(show.inSeconds * 1_000)
    }

    static func shortID(_ id: UUID?) -> String? { id.map { String($0.uuidString.prefix(8)).lowercased() } }

    init(_ outcome: CheckInOutcome, committedAt: Date, words: ScreenWords, show: Duration) {
        let display = outcome.decision.display
        let name = display.holderName.map(words.name)
        let event = Self.shortID(outcome.event?.eventID)
        switch outcome.verdict {
        case .enter:
            var lines: [String] = []
            if let minutes = display.remainingMinutes { lines.append(words.timeLeft(minutes: minutes)) }
            if let until = display.validUntil { lines.append(words.validUntil(until)) }
            if let seat = display.seat { lines.append(words.seat(seat)) }
            self.init(kind: .welcome, title: words.welcome, name: name, lines: lines, event: event, committedAt: committedAt, show: show)
        case .exit:
            var lines: [String] = []
            if let charged = outcome.decision.minutesCharged { lines.append(words.used(minutes: charged)) }
            if let minutes = display.remainingMinutes { lines.append(words.timeLeft(minutes: minutes)) }
            let usedUp = outcome.decision.overstayMinutes != nil || display.title.contains("time used up")
            self.init(kind: .goodbye, title: usedUp ? words.goodbyeTimeUsedUp : words.goodbye, name: name, lines: lines,
                      event: event, committedAt: committedAt, show: show)
        case .deny(let reason):
            let (title, next) = words.denial(reason)
            self.init(kind: .denied, title: title, name: name, next: next, event: event, committedAt: committedAt, show: show)
        }
    }

    init(annul: AnnulOutcome, committedAt: Date, words: ScreenWords, show: Duration) {
        self.init(kind: .annulled, title: words.doorStayedShut, name: annul.ticket?.holderName.map(words.name),
                  next: words.scanAgain, event: Self.shortID(annul.event.eventID), committedAt: committedAt, show: show)
    }
}

/// The page's standing state, sent on connect and whenever it changes (SSE `state`): the idle
/// screen's words, the staff indicator (never an alarm to customers), and a pass just sold at
/// the counter to show as a QR code when no receipt can be printed.
struct ScreenState: Codable, Sendable, Equatable {
    var language: ScreenLanguage
    var store: String
    var timeZone: String
    var hint: String
    /// Small staff notes: offline, printer out of paper, receipts to check.
    var staff: [String]
    var connectionLost: String
    var sale: Sale?

    struct Sale: Codable, Sendable, Equatable {
        var svg: String
        var caption: String
        var label: String
        var number: String
    }

    enum CodingKeys: String, CodingKey {
        case language, store, timeZone = "time_zone", hint, staff, connectionLost = "connection_lost", sale
    }
}
