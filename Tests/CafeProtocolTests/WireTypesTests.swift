import Foundation
import Testing
@testable import CafeProtocol

/// The kiosk contract's JSON: field names are the contract, so they are checked literally.
@Suite struct WireTypesTests {
    let encoder = WireCoding.encoder()
    let decoder = WireCoding.decoder()
    let time = Date(timeIntervalSince1970: 1_795_000_000.25)
    let pass = UUID(uuidString: "6F1E2A9C-0000-4000-8000-000000000001")!
    let event = UUID(uuidString: "6F1E2A9C-0000-4000-8000-0000000000E1")!

    var store: StoreSettings {
        StoreSettings(storeID: 1, name: "Gangnam", timeZone: "Asia/Seoul",
                      closedHours: LocalTimeRange(startMinute: 120, endMinute: 300), seats: 48)
    }

    var ticket: TicketState {
        TicketState(passID: pass, storeID: 1, kind: .time, validFrom: time, validUntil: time.addingTimeInterval(86_400 * 30),
                    remainingMinutes: 600, status: .valid, inside: false, lastEnteredAt: nil,
                    holderName: "Kim", seat: "A12", revision: 42)
    }

    func json(_ value: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: encoder.encode(value)) as! [String: Any]
    }

    func roundTrip<T: Codable & Equatable>(_ value: T) throws {
        let data = try encoder.encode(value)
        #expect(try decoder.decode(T.self, from: data) == value, "\(String(decoding: data, as: UTF8.self))")
    }

    @Test func everyTypeRoundTrips() throws {
        try roundTrip(EnrollRequest(code: "K7Q2-MX4P", deviceName: "entrance"))
        try roundTrip(EnrollResponse(deviceID: event, deviceToken: "secret", store: store, serverTime: time))
        try roundTrip(SyncPage(cursor: "c1", hasMore: true, tickets: [ticket],
                               keys: [PublicKeyRecord(keyID: KeyID(rawValue: 0xDEADBEEF), publicKey: Data(repeating: 9, count: 32), retired: false)],
                               store: store, printJobs: [PrintJob(jobID: event, passID: pass, token: "TOKEN", label: "10시간권", createdAt: time)],
                               serverTime: time))
        try roundTrip(CheckInRequest(eventID: event, token: "ABC", direction: .auto, scannedAt: time))
        for verdict in [Verdict.enter, .exit, .deny(.alreadyInside)] {
            try roundTrip(CheckInResponse(eventID: event, verdict: verdict,
                                          display: VerdictDisplay(title: "입장", holderName: "Kim", seat: "A12", remainingMinutes: 540, validUntil: time),
                                          ticket: ticket))
            try roundTrip(EventBatch(events: [KioskEvent(eventID: event, passID: pass, verdict: verdict, occurredAt: time, decidedOffline: true, minutesCharged: 60)]))
        }
        try roundTrip(EventBatchResult(accepted: [event], duplicates: [], conflicts: [EventConflict(eventID: event, serverVerdict: .deny(.refunded), message: "refunded at 10:02")]))
        try roundTrip(PrintJobAck(printedAt: time))
        try roundTrip(APIError(code: APIError.unauthorized, message: "device revoked"))
    }

    @Test func fieldNamesAreTheContract() throws {
        let ticketJSON = try json(ticket)
        #expect(Set(ticketJSON.keys) == ["pass_id", "store_id", "kind", "valid_from", "valid_until", "remaining_minutes",
                                          "status", "inside", "holder_name", "seat", "revision"])
        #expect(ticketJSON["kind"] as? String == "time")
        #expect(ticketJSON["pass_id"] as? String == "6F1E2A9C-0000-4000-8000-000000000001")
        #expect(ticketJSON["valid_from"] as? String == "2026-11-18T11:06:40.250Z")

        let storeJSON = try json(store)
        #expect(storeJSON["closed_hours"] as? [String: String] == ["start": "02:00", "end": "05:00"])

        let deny = try json(CheckInResponse(eventID: event, verdict: .deny(.noTimeLeft), display: VerdictDisplay(title: "시간 없음"), ticket: nil))
        #expect(deny["verdict"] as? String == "deny")
        #expect(deny["reason"] as? String == "no_time_left")
        #expect(deny["ticket"] == nil)
        #expect(deny["minutes_charged"] == nil)
        let exit = try json(CheckInResponse(eventID: event, verdict: .exit, display: VerdictDisplay(title: "Goodbye"), ticket: ticket, minutesCharged: 61))
        #expect(exit["minutes_charged"] as? Int == 61)
        try roundTrip(CheckInResponse(eventID: event, verdict: .exit, display: VerdictDisplay(title: "Goodbye"), ticket: ticket, minutesCharged: 61))
        let enter = try json(KioskEvent(eventID: event, passID: nil, verdict: .enter, occurredAt: time, decidedOffline: false, minutesCharged: nil))
        #expect(enter["verdict"] as? String == "enter")
        #expect(enter["reason"] == nil)

        let key = try json(PublicKeyRecord(keyID: KeyID(rawValue: 0xAB), publicKey: Data([1, 2, 3]), retired: true))
        #expect(key["key_id"] as? String == "000000ab")
        #expect(key["public_key"] as? String == "AQID")
    }

    @Test func malformedJSONIsADecodingError() {
        let cases: [(String, any Decodable.Type)] = [
            (#"{"event_id":"not-a-uuid","token":"A","direction":"auto","scanned_at":"2026-11-18T11:06:40Z"}"#, CheckInRequest.self),
            (#"{"event_id":"6F1E2A9C-0000-4000-8000-0000000000E1","token":"A","direction":"sideways","scanned_at":"2026-11-18T11:06:40Z"}"#, CheckInRequest.self),
            (#"{"event_id":"6F1E2A9C-0000-4000-8000-0000000000E1","token":"A","direction":"auto","scanned_at":"yesterday"}"#, CheckInRequest.self),
            (#"{"events":[{"event_id":"6F1E2A9C-0000-4000-8000-0000000000E1","verdict":"deny","occurred_at":"2026-11-18T11:06:40Z","decided_offline":true}]}"#, EventBatch.self),
            (#"{"events":[{"event_id":"6F1E2A9C-0000-4000-8000-0000000000E1","verdict":"maybe","occurred_at":"2026-11-18T11:06:40Z","decided_offline":true}]}"#, EventBatch.self),
            (#"{"store_id":1,"name":"x","time_zone":"Asia/Seoul","closed_hours":{"start":"25:00","end":"05:00"},"seats":1}"#, StoreSettings.self),
            (#"{"key_id":"xyz","public_key":"AQID","retired":false}"#, PublicKeyRecord.self),
            (#"[1,2"#, EventBatch.self),
        ]
        for (text, type) in cases {
            #expect(throws: DecodingError.self, "\(text)") { _ = try decoder.decode(type, from: Data(text.utf8)) }
        }
    }

    @Test func timestampsWithoutFractionAreAccepted() throws {
        let request = try decoder.decode(CheckInRequest.self, from: Data(#"{"event_id":"6F1E2A9C-0000-4000-8000-0000000000E1","token":"A","direction":"exit","scanned_at":"2026-11-18T11:06:40Z"}"#.utf8))
        #expect(request.scannedAt == Date(timeIntervalSince1970: 1_795_000_000))
        #expect(request.direction == .exit)
    }

    @Test func closedHoursMayWrapPastMidnight() {
        let night = LocalTimeRange(startMinute: 22 * 60, endMinute: 6 * 60)
        #expect(night.contains(minuteOfDay: 23 * 60))
        #expect(night.contains(minuteOfDay: 2 * 60))
        #expect(!night.contains(minuteOfDay: 6 * 60))
        #expect(!night.contains(minuteOfDay: 12 * 60))
        let early = LocalTimeRange(startMinute: 120, endMinute: 300)
        #expect(early.contains(minuteOfDay: 120) && !early.contains(minuteOfDay: 300))
    }
}
