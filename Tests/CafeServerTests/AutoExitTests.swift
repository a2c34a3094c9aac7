import CafeProtocol
@testable import CafeServer
import CafeServerTesting
import Foundation
import Logging
import SQLKit
import Testing

/// The auto-exit job: the rule on its own, then over HTTP and the database on both backends —
/// time run out, closing, a forgotten exit capped, nothing done twice, two instances at once.
@Suite("Auto-exit: holders whose time is up are exited once, by one instance")
struct AutoExitTests {
    static let entered = TestCafe.defaultStart   // 10:00 in Seoul

    static func inside(_ kind: PassKind, remaining: Int? = nil, validFor days: Double = 30) -> TicketState {
        TicketState(passID: UUID(), storeID: 1, kind: kind, validFrom: entered.addingTimeInterval(-3600),
                    validUntil: entered.addingTimeInterval(days * 86_400), remainingMinutes: remaining, status: .valid,
                    inside: true, lastEnteredAt: entered, holderName: "Kim", seat: nil, revision: 1)
    }

    static let store = StoreSettings(storeID: 1, name: "Gangnam", timeZone: "Asia/Seoul", closedHours: nil, seats: 40)

    @Test func theRuleNamesTheEarliestMomentThatHasCome() {
        let hour = Self.inside(.time, remaining: 90)
        #expect(AutoExitRule.due(hour, store: Self.store, now: Self.entered.addingTimeInterval(89 * 60)) == nil)
        let due = AutoExitRule.due(hour, store: Self.store, now: Self.entered.addingTimeInterval(95 * 60))
        #expect(due?.reason == .minutesUsedUp)
        #expect(due?.at == Self.entered.addingTimeInterval(90 * 60), "recorded when the minutes ran out, not when noticed")

        let day = Self.inside(.day, validFor: 0.25)   // ends at 16:00
        #expect(AutoExitRule.due(day, store: Self.store, now: Self.entered.addingTimeInterval(7 * 3600))?.reason == .validityEnded)

        // A period pass: only the cap (12 h by default) ends a forgotten visit.
        let period = Self.inside(.period)
        #expect(AutoExitRule.due(period, store: Self.store, now: Self.entered.addingTimeInterval(11 * 3600)) == nil)
        let forgotten = AutoExitRule.due(period, store: Self.store, now: Self.entered.addingTimeInterval(13 * 3600))
        #expect(forgotten?.reason == .forgottenExit)
        #expect(forgotten?.at == Self.entered.addingTimeInterval(12 * 3600))
        var short = Self.store
        short.maxVisitMinutes = 60
        #expect(AutoExitRule.due(period, store: short, now: Self.entered.addingTimeInterval(61 * 60))?.reason == .forgottenExit)

        // Closing at 02:00 (Seoul) comes before the cap for a 22:00 entry.
        var closing = Self.store
        closing.closedHours = LocalTimeRange(startMinute: 2 * 60, endMinute: 5 * 60)
        var late = period
        late.lastEnteredAt = Self.entered.addingTimeInterval(12 * 3600)   // 22:00
        let closed = AutoExitRule.due(late, store: closing, now: Self.entered.addingTimeInterval(16 * 3600 + 60))
        #expect(closed?.reason == .closing)
        #expect(closed?.at == Self.entered.addingTimeInterval(16 * 3600))   // 02:00
        #expect(AutoExitRule.due(late, store: closing, now: Self.entered.addingTimeInterval(15 * 3600)) == nil)

        var outside = hour
        outside.inside = false
        #expect(AutoExitRule.due(outside, store: Self.store, now: Self.entered.addingTimeInterval(86_400)) == nil)
    }

    /// Enters a pass online through the kiosk contract.
    static func enter(_ cafe: TestCafe, device: String, token: String) async throws {
        #expect(try await RefundTests.enter(cafe, device: device, token: token).verdict == .enter)
    }

    struct ExitRow: Decodable, Equatable {
        var ticketId: String; var deviceId: String; var reason: String?; var occurredAt: Int64; var minutesCharged: Int64?
    }

    static func serverExits(_ cafe: TestCafe) async throws -> [ExitRow] {
        try await cafe.database.read { db in
            try await db.raw("""
                SELECT ticket_id, device_id, reason, occurred_at, minutes_charged FROM check_in_events
                WHERE verdict = 'exit' AND device_id IN (SELECT id FROM devices WHERE kind = 'server') ORDER BY ticket_id
                """).all(decoding: ExitRow.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
    }

    @Test(arguments: TestBackend.available)
    func aTimePassRunOutIsExitedChargedAndSeenByKiosks(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            let pass = try await cafe.counterSale("time-1h", holder: "Park")
            try await Self.enter(cafe, device: device.token, token: pass.token)
            let start = cafe.clock.now

            cafe.clock.advance(by: 30 * 60)
            #expect(try await cafe.jobs.runOnce().autoExits == 0, "30 minutes left")
            cafe.clock.advance(by: 45 * 60)
            #expect(try await cafe.jobs.runOnce().autoExits == 1)
            #expect(try await cafe.jobs.runOnce().autoExits == 0, "done once")

            let state = try await cafe.ticketState(pass.ticketID)
            #expect(state.inside == false)
            #expect(state.remainingMinutes == 0)
            let exits = try await Self.serverExits(cafe)
            #expect(exits.count == 1)
            #expect(exits.first?.reason == "minutes_used_up")
            #expect(exits.first?.minutesCharged == 60)
            #expect(exits.first?.occurredAt == Int64((start.timeIntervalSince1970 + 3600) * 1000), "recorded when the hour ran out")

            // The kiosk's next sync carries "outside"; the owner's device list shows only kiosks.
            let page = try await cafe.call("GET", KioskAPI.syncPath, headers: KioskContractTests.device(device.token))
            let sync = try WireCoding.decoder().decode(SyncPage.self, from: page.body)
            #expect(sync.tickets.first { $0.passID == pass.ticketID }?.inside == false)
            let devices = try await cafe.call("GET", "/stores/1/devices", bearer: cafe.ownerToken)
            #expect((devices.object["devices"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func closingAndForgottenExitsAreCapped(backend: TestBackend) async throws {
        try await TestCafe.run(backend, closedHours: LocalTimeRange(startMinute: 2 * 60, endMinute: 5 * 60)) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            let hours = try await cafe.counterSale("time-50h", holder: "Lee")
            let period = try await cafe.counterSale("period-28", holder: "Choi")
            cafe.clock.advance(by: 10 * 3600)   // 20:00
            try await Self.enter(cafe, device: device.token, token: hours.token)
            try await Self.enter(cafe, device: device.token, token: period.token)
            cafe.clock.advance(by: 10 * 3600)   // 06:00 the next morning: closing (02:00) came before the 12-hour cap
            #expect(try await cafe.jobs.runOnce().autoExits == 2)
            let exits = try await Self.serverExits(cafe)
            #expect(exits.map(\.reason) == ["closing", "closing"])
            // Lee was charged 6 hours (20:00 → 02:00), not the 10 until the job looked.
            #expect(try await cafe.ticketState(hours.ticketID).remainingMinutes == 50 * 60 - 6 * 60)

            // A round-the-clock store caps a forgotten exit at its max visit.
            let settings = try await cafe.call("PUT", "/stores/1", json: [
                "store_id": 1, "name": "Gangnam", "time_zone": "Asia/Seoul", "seats": 40, "max_visit_minutes": 180,
            ], bearer: cafe.ownerToken)
            #expect(settings.status == 200, "\(settings)")
            #expect(settings.object["max_visit_minutes"] as? Int == 180)
            try await Self.enter(cafe, device: device.token, token: hours.token)
            cafe.clock.advance(by: 10 * 3600)
            #expect(try await cafe.jobs.runOnce().autoExits == 1)
            #expect(try await cafe.ticketState(hours.ticketID).remainingMinutes == 50 * 60 - 6 * 60 - 180, "charged the cap, not 10 hours")
            #expect(try await Self.serverExits(cafe).filter { $0.reason == "forgotten_exit" }.count == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func twoInstancesRunningTogetherExitEachHolderOnce(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            var passes: [UUID] = []
            var events: [KioskEvent] = []
            let entered = cafe.clock.now.addingTimeInterval(-2 * 3600)
            for index in 0..<40 {
                let pass = try await cafe.counterSale(index % 2 == 0 ? "time-1h" : "day")
                passes.append(pass.ticketID)
                events.append(KioskEvent(eventID: UUID(), passID: pass.ticketID, verdict: .enter, occurredAt: entered, decidedOffline: true, minutesCharged: nil))
            }
            let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: events)), as: UTF8.self)
            let upload = try await cafe.call("POST", KioskAPI.eventsPath, headers: KioskContractTests.device(device.token), rawBody: body)
            #expect(upload.status == 200, "\(upload)")
            // Sixteen hours on: the hour passes ran out, the day passes passed the 12-hour visit cap.
            cafe.clock.advance(by: 16 * 3600)

            // A second instance: its own handle (its own connection or pool) on the same database.
            var quiet = Logger(label: "second-instance")
            quiet.logLevel = .critical
            let logger = quiet
            let second = try await ServerDatabase.open(cafe.location, logger: logger)
            let clock = cafe.clock
            let counts = try await second.withService {
                let other = CafeJobs(database: second, now: { clock.now }, logger: logger)
                async let a = cafe.jobs.runOnce().autoExits
                async let b = other.runOnce().autoExits
                return try await (a, b)
            }
            await second.close()
            #expect(counts.0 + counts.1 == 40, "every holder exited by one of them: \(counts)")
            let exits = try await Self.serverExits(cafe)
            #expect(exits.count == 40)
            #expect(Set(exits.map(\.ticketId)) == Set(passes.map(\.uuidString)), "nothing skipped, nothing twice")
            for pass in passes { #expect(try await cafe.ticketState(pass).inside == false) }
        }
    }
}
