import Foundation

// MARK: Enrolment

/// A one-time code (from `cafe-server admin enrollment-code`) exchanged for a device token.
public struct EnrollRequest: Codable, Equatable, Sendable {
    public var code: String
    /// What the owner sees in the device list ("entrance", "back door").
    public var deviceName: String

    public init(code: String, deviceName: String) {
        self.code = code
        self.deviceName = deviceName
    }

    enum CodingKeys: String, CodingKey {
        case code, deviceName = "device_name"
    }
}

public struct EnrollResponse: Codable, Equatable, Sendable {
    public var deviceID: UUID
    /// Secret: stored by the kiosk with 0600 permissions, never logged.
    public var deviceToken: String
    public var store: StoreSettings
    public var serverTime: Date

    public init(deviceID: UUID, deviceToken: String, store: StoreSettings, serverTime: Date) {
        self.deviceID = deviceID
        self.deviceToken = deviceToken
        self.store = store
        self.serverTime = serverTime
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id", deviceToken = "device_token", store, serverTime = "server_time"
    }
}

// MARK: Store

/// A daily span of local time, "HH:MM" to "HH:MM"; it may wrap past midnight (22:00–06:00).
public struct LocalTimeRange: Codable, Equatable, Sendable {
    /// Minutes after local midnight, 0…1439.
    public var startMinute: Int
    public var endMinute: Int

    public init(startMinute: Int, endMinute: Int) {
        self.startMinute = startMinute
        self.endMinute = endMinute
    }

    public func contains(minuteOfDay minute: Int) -> Bool {
        if startMinute <= endMinute { return minute >= startMinute && minute < endMinute }
        return minute >= startMinute || minute < endMinute
    }

    enum CodingKeys: String, CodingKey {
        case start, end
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        startMinute = try Self.minute(container.decode(String.self, forKey: .start), key: .start, in: container)
        endMinute = try Self.minute(container.decode(String.self, forKey: .end), key: .end, in: container)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.text(startMinute), forKey: .start)
        try container.encode(Self.text(endMinute), forKey: .end)
    }

    static func text(_ minute: Int) -> String {
        let hours = minute / 60, minutes = minute % 60
        return (hours < 10 ? "0" : "") + "\(hours):" + (minutes < 10 ? "0" : "") + "\(minutes)"
    }

    static func minute(_ text: String, key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>) throws -> Int {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
              let hours = Int(parts[0]), let minutes = Int(parts[1]),
              (0..<24).contains(hours), (0..<60).contains(minutes)
        else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected HH:MM, got \(text)")
        }
        return hours * 60 + minutes
    }
}

/// What a kiosk needs to know of its store to decide offline.
public struct StoreSettings: Codable, Equatable, Sendable {
    public var storeID: UInt32
    public var name: String
    /// IANA zone of the store ("Asia/Seoul"): opening hours are local time.
    public var timeZone: String
    /// When no one may enter (many study cafes: 02:00–05:00); nil when open around the clock.
    public var closedHours: LocalTimeRange?
    public var seats: Int
    /// The longest visit (minutes) before the server closes it as a forgotten exit, charging a
    /// time pass at most that long; nil: `defaultMaxVisitMinutes`.
    public var maxVisitMinutes: Int?

    /// Twelve hours: a long day of study, and no absurd bill the next morning.
    public static let defaultMaxVisitMinutes = 12 * 60

    /// The zone of a store whose settings have not been synced yet (a new box, a cache without
    /// them): the country this system is made for.
    public static let defaultTimeZone = "Asia/Seoul"

    public init(storeID: UInt32, name: String, timeZone: String, closedHours: LocalTimeRange?, seats: Int, maxVisitMinutes: Int? = nil) {
        self.storeID = storeID
        self.name = name
        self.timeZone = timeZone
        self.closedHours = closedHours
        self.seats = seats
        self.maxVisitMinutes = maxVisitMinutes
    }

    enum CodingKeys: String, CodingKey {
        case storeID = "store_id", name, timeZone = "time_zone", closedHours = "closed_hours", seats, maxVisitMinutes = "max_visit_minutes"
    }
}

/// One of the store's public signing keys (several during a rotation).
public struct PublicKeyRecord: Codable, Equatable, Sendable {
    public var keyID: KeyID
    /// The raw 32-byte Ed25519 public key, base64 in JSON.
    public var publicKey: Data
    /// A retired key verifies nothing: tokens signed with it are `unknown_key`.
    public var retired: Bool

    public init(keyID: KeyID, publicKey: Data, retired: Bool) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.retired = retired
    }

    enum CodingKeys: String, CodingKey {
        case keyID = "key_id", publicKey = "public_key", retired
    }
}

// MARK: Tickets

/// Server-side state of a pass that changes after issue (so it is not in the token).
public enum TicketStatus: String, Codable, Sendable, CaseIterable {
    case valid
    case refunded
    case revoked
}

/// What a kiosk caches of one pass to decide at the door without the server.
public struct TicketState: Codable, Equatable, Sendable {
    public var passID: UUID
    public var storeID: UInt32
    public var kind: PassKind
    public var validFrom: Date
    public var validUntil: Date
    /// Time passes: minutes left. Nil for day and period passes.
    public var remainingMinutes: Int?
    public var status: TicketStatus
    /// Anti-passback: the holder is inside (entered, not yet out).
    public var inside: Bool
    public var lastEnteredAt: Date?
    /// For the screen: the holder's display name and seat, when known.
    public var holderName: String?
    public var seat: String?
    /// The server's change sequence for this row: a kiosk keeps the highest it has seen, so the
    /// same page arriving twice, or out of order, never rolls a ticket back.
    public var revision: Int64

    public init(passID: UUID, storeID: UInt32, kind: PassKind, validFrom: Date, validUntil: Date,
                remainingMinutes: Int?, status: TicketStatus, inside: Bool, lastEnteredAt: Date?,
                holderName: String?, seat: String?, revision: Int64) {
        self.passID = passID
        self.storeID = storeID
        self.kind = kind
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.remainingMinutes = remainingMinutes
        self.status = status
        self.inside = inside
        self.lastEnteredAt = lastEnteredAt
        self.holderName = holderName
        self.seat = seat
        self.revision = revision
    }

    enum CodingKeys: String, CodingKey {
        case passID = "pass_id", storeID = "store_id", kind, validFrom = "valid_from", validUntil = "valid_until"
        case remainingMinutes = "remaining_minutes", status, inside, lastEnteredAt = "last_entered_at"
        case holderName = "holder_name", seat, revision
    }
}

// MARK: Sync

/// One page of changes since a cursor. Pull pages until `hasMore` is false; keep `cursor` (an
/// opaque string) only after the page is committed locally.
public struct SyncPage: Codable, Equatable, Sendable {
    public var cursor: String
    public var hasMore: Bool
    public var tickets: [TicketState]
    /// The full current key set (small), on every page.
    public var keys: [PublicKeyRecord]
    /// The store's settings, on every page.
    public var store: StoreSettings
    public var printJobs: [PrintJob]
    public var serverTime: Date
    /// Passes the server archived since the cursor: finished (their token's validity ended well
    /// before), so the kiosk drops them from its cache — a scan of one is `expired` by its token
    /// alone. Absent from older servers' pages: none.
    public var archived: [UUID]

    public init(cursor: String, hasMore: Bool, tickets: [TicketState], keys: [PublicKeyRecord],
                store: StoreSettings, printJobs: [PrintJob], serverTime: Date, archived: [UUID] = []) {
        self.cursor = cursor
        self.hasMore = hasMore
        self.tickets = tickets
        self.keys = keys
        self.store = store
        self.printJobs = printJobs
        self.serverTime = serverTime
        self.archived = archived
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cursor = try container.decode(String.self, forKey: .cursor)
        hasMore = try container.decode(Bool.self, forKey: .hasMore)
        tickets = try container.decode([TicketState].self, forKey: .tickets)
        keys = try container.decode([PublicKeyRecord].self, forKey: .keys)
        store = try container.decode(StoreSettings.self, forKey: .store)
        printJobs = try container.decode([PrintJob].self, forKey: .printJobs)
        serverTime = try container.decode(Date.self, forKey: .serverTime)
        archived = try container.decodeIfPresent([UUID].self, forKey: .archived) ?? []
    }

    enum CodingKeys: String, CodingKey {
        case cursor, hasMore = "has_more", tickets, keys, store, printJobs = "print_jobs", serverTime = "server_time", archived
    }
}

// MARK: Check-in

/// What the door was asked: the holder's position decides, unless the kiosk is an
/// entry-only or exit-only gate.
public enum ScanDirection: String, Codable, Sendable, CaseIterable {
    case auto, enter, exit
}

/// An online verdict request. The kiosk makes the event id before asking, so a retry after a
/// timeout is the same event, never a second one.
public struct CheckInRequest: Codable, Equatable, Sendable {
    public var eventID: UUID
    /// The scanned text exactly as decoded (base45 pass token, or whatever the code held).
    public var token: String
    public var direction: ScanDirection
    public var scannedAt: Date

    public init(eventID: UUID, token: String, direction: ScanDirection, scannedAt: Date) {
        self.eventID = eventID
        self.token = token
        self.direction = direction
        self.scannedAt = scannedAt
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", token, direction, scannedAt = "scanned_at"
    }
}

/// What the screen shows with a verdict.
public struct VerdictDisplay: Codable, Equatable, Sendable {
    /// One line, in the store's language ("입장", "Welcome back").
    public var title: String
    public var holderName: String?
    public var seat: String?
    public var remainingMinutes: Int?
    public var validUntil: Date?

    public init(title: String, holderName: String? = nil, seat: String? = nil,
                remainingMinutes: Int? = nil, validUntil: Date? = nil) {
        self.title = title
        self.holderName = holderName
        self.seat = seat
        self.remainingMinutes = remainingMinutes
        self.validUntil = validUntil
    }

    enum CodingKeys: String, CodingKey {
        case title, holderName = "holder_name", seat, remainingMinutes = "remaining_minutes", validUntil = "valid_until"
    }
}

public struct CheckInResponse: Codable, Equatable, Sendable {
    public var eventID: UUID
    public var verdict: Verdict
    public var display: VerdictDisplay
    /// The ticket as the server holds it after this scan (nil when the token named no ticket).
    public var ticket: TicketState?
    /// Time passes: minutes charged on this exit (for the screen and the receipt).
    public var minutesCharged: Int?

    public init(eventID: UUID, verdict: Verdict, display: VerdictDisplay, ticket: TicketState?, minutesCharged: Int? = nil) {
        self.eventID = eventID
        self.verdict = verdict
        self.display = display
        self.ticket = ticket
        self.minutesCharged = minutesCharged
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", verdict, reason, display, ticket, minutesCharged = "minutes_charged"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try container.decode(UUID.self, forKey: .eventID)
        verdict = try Verdict.decode(from: container, verdictKey: .verdict, reasonKey: .reason)
        display = try container.decode(VerdictDisplay.self, forKey: .display)
        ticket = try container.decodeIfPresent(TicketState.self, forKey: .ticket)
        minutesCharged = try container.decodeIfPresent(Int.self, forKey: .minutesCharged)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID, forKey: .eventID)
        try verdict.encode(to: &container, verdictKey: .verdict, reasonKey: .reason)
        try container.encode(display, forKey: .display)
        try container.encodeIfPresent(ticket, forKey: .ticket)
        try container.encodeIfPresent(minutesCharged, forKey: .minutesCharged)
    }
}

// MARK: Events

/// A decision made at the door, as recorded (before the door opened) and uploaded.
public struct KioskEvent: Codable, Equatable, Sendable {
    public var eventID: UUID
    /// Nil when the code named no pass (unreadable, forged).
    public var passID: UUID?
    public var verdict: Verdict
    public var occurredAt: Date
    /// Decided from the cache, without the server: the server re-checks it and reports a
    /// conflict when it would have denied.
    public var decidedOffline: Bool
    /// Time passes: minutes charged on this exit.
    public var minutesCharged: Int?
    /// Set on an **annul**: the door reported it did not open after the grant recorded as this
    /// event id, so that entry or exit is reversed (the holder outside again after an annulled
    /// entry; inside again, nothing charged, after an annulled exit). `verdict` and
    /// `minutesCharged` repeat the reversed event's.
    public var annuls: UUID?
    /// An entry decided offline: the seat the kiosk gave from its cache. The server keeps it
    /// when it is free and settles a clash (another holder there) with another seat and a conflict.
    public var seat: String?

    public init(eventID: UUID, passID: UUID?, verdict: Verdict, occurredAt: Date, decidedOffline: Bool, minutesCharged: Int?,
                annuls: UUID? = nil, seat: String? = nil) {
        self.eventID = eventID
        self.passID = passID
        self.verdict = verdict
        self.occurredAt = occurredAt
        self.decidedOffline = decidedOffline
        self.minutesCharged = minutesCharged
        self.annuls = annuls
        self.seat = seat
    }

    /// An annul event, not a decision.
    public var isAnnul: Bool { annuls != nil }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", passID = "pass_id", verdict, reason, occurredAt = "occurred_at"
        case decidedOffline = "decided_offline", minutesCharged = "minutes_charged", annuls, seat
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try container.decode(UUID.self, forKey: .eventID)
        passID = try container.decodeIfPresent(UUID.self, forKey: .passID)
        verdict = try Verdict.decode(from: container, verdictKey: .verdict, reasonKey: .reason)
        occurredAt = try container.decode(Date.self, forKey: .occurredAt)
        decidedOffline = try container.decode(Bool.self, forKey: .decidedOffline)
        minutesCharged = try container.decodeIfPresent(Int.self, forKey: .minutesCharged)
        annuls = try container.decodeIfPresent(UUID.self, forKey: .annuls)
        seat = try container.decodeIfPresent(String.self, forKey: .seat)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID, forKey: .eventID)
        try container.encodeIfPresent(passID, forKey: .passID)
        try verdict.encode(to: &container, verdictKey: .verdict, reasonKey: .reason)
        try container.encode(occurredAt, forKey: .occurredAt)
        try container.encode(decidedOffline, forKey: .decidedOffline)
        try container.encodeIfPresent(minutesCharged, forKey: .minutesCharged)
        try container.encodeIfPresent(annuls, forKey: .annuls)
        try container.encodeIfPresent(seat, forKey: .seat)
    }
}

/// Offline decisions uploaded in order (oldest first), at most `KioskAPI.maxEventsPerBatch`.
public struct EventBatch: Codable, Equatable, Sendable {
    public var events: [KioskEvent]
    public init(events: [KioskEvent]) { self.events = events }
}

/// An offline grant the server would have denied: recorded for the owner, never dropped.
public struct EventConflict: Codable, Equatable, Sendable {
    public var eventID: UUID
    /// What the server would have decided.
    public var serverVerdict: Verdict
    public var message: String

    public init(eventID: UUID, serverVerdict: Verdict, message: String) {
        self.eventID = eventID
        self.serverVerdict = serverVerdict
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", serverVerdict = "server_verdict", serverReason = "server_reason", message
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try container.decode(UUID.self, forKey: .eventID)
        serverVerdict = try Verdict.decode(from: container, verdictKey: .serverVerdict, reasonKey: .serverReason)
        message = try container.decode(String.self, forKey: .message)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID, forKey: .eventID)
        try serverVerdict.encode(to: &container, verdictKey: .serverVerdict, reasonKey: .serverReason)
        try container.encode(message, forKey: .message)
    }
}

/// Every uploaded event is in exactly one of `accepted` (new) or `duplicates` (seen before);
/// conflicts are accepted events the server would have decided otherwise. The kiosk deletes
/// from its outbox only what is accepted or duplicate.
public struct EventBatchResult: Codable, Equatable, Sendable {
    public var accepted: [UUID]
    public var duplicates: [UUID]
    public var conflicts: [EventConflict]

    public init(accepted: [UUID], duplicates: [UUID], conflicts: [EventConflict]) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.conflicts = conflicts
    }
}

// MARK: Print jobs

/// A pass sold at the counter, for the store's kiosk to print.
public struct PrintJob: Codable, Equatable, Sendable {
    public var jobID: UUID
    public var passID: UUID
    /// The signed pass text to print as QR.
    public var token: String
    /// The product's name for the receipt ("10시간권", "Day pass").
    public var label: String
    public var createdAt: Date

    public init(jobID: UUID, passID: UUID, token: String, label: String, createdAt: Date) {
        self.jobID = jobID
        self.passID = passID
        self.token = token
        self.label = label
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", passID = "pass_id", token, label, createdAt = "created_at"
    }
}

public struct PrintJobAck: Codable, Equatable, Sendable {
    public var printedAt: Date
    public init(printedAt: Date) { self.printedAt = printedAt }

    enum CodingKeys: String, CodingKey {
        case printedAt = "printed_at"
    }
}

// MARK: Shared encodings

extension PassKind {
    /// The JSON name of a kind: "day", "period", "time" (the token uses the byte).
    public var wireName: String {
        switch self {
        case .day: "day"
        case .period: "period"
        case .time: "time"
        }
    }

    /// The kind with this JSON name, or nil.
    public init?(wireName: String) {
        guard let kind = Self.allCases.first(where: { $0.wireName == wireName }) else { return nil }
        self = kind
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let kind = PassKind(wireName: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown pass kind \(name)")
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireName)
    }
}

extension KeyID {
    /// JSON: eight hex digits, as logs show it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard text.count == 8, let value = UInt32(text, radix: 16) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "key id must be 8 hex digits, got \(text)")
        }
        self.init(rawValue: value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Verdict {
    /// JSON: `"verdict": "enter" | "exit" | "deny"`, and `"reason"` beside it for a deny.
    func encode<Key: CodingKey>(to container: inout KeyedEncodingContainer<Key>, verdictKey: Key, reasonKey: Key) throws {
        switch self {
        case .enter: try container.encode("enter", forKey: verdictKey)
        case .exit: try container.encode("exit", forKey: verdictKey)
        case .deny(let reason):
            try container.encode("deny", forKey: verdictKey)
            try container.encode(reason, forKey: reasonKey)
        }
    }

    static func decode<Key: CodingKey>(from container: KeyedDecodingContainer<Key>, verdictKey: Key, reasonKey: Key) throws -> Verdict {
        switch try container.decode(String.self, forKey: verdictKey) {
        case "enter": return .enter
        case "exit": return .exit
        case "deny": return .deny(try container.decode(DenyReason.self, forKey: reasonKey))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: verdictKey, in: container, debugDescription: "unknown verdict \(other)")
        }
    }
}
