import CafeProtocol
import Foundation
import Logging
import Synchronization
import Testing
@testable import KioskCore

@Suite struct ClockGuardTests {
    final class Wall: Sendable {
        let time: Mutex<Date>
        init(_ date: Date) { time = Mutex(date) }
        func set(_ date: Date) { time.withLock { $0 = date } }
        var now: Date { time.withLock { $0 } }
    }

    let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
    let base = Date(timeIntervalSince1970: 1_795_000_000)

    @Test func aClockThatWentBackDecidesAtTheLastKnownTime() {
        let wall = Wall(base.addingTimeInterval(-86_400))  // booted a day in the past
        let guardian = ClockGuard(floor: base, logger: logger, wallClock: { wall.now })
        #expect(guardian.now() == base, "never before the last committed decision")
        wall.set(base.addingTimeInterval(10))
        #expect(guardian.now() == base.addingTimeInterval(10), "the wall clock again once it is past the floor")
        wall.set(base.addingTimeInterval(5))
        #expect(guardian.now() == base.addingTimeInterval(10), "and it never goes back")
        guardian.advance(to: base.addingTimeInterval(100))
        wall.set(base.addingTimeInterval(20))
        #expect(guardian.now() == base.addingTimeInterval(100), "a sync's server time moves the floor")
    }

    /// End to end: a day pass that expired is not re-granted because the clock went back.
    @Test func theFloorComesFromTheCacheAcrossRestarts() throws {
        let database = try KioskDatabase.inMemory()
        #expect(try database.clockFloor() == nil)
        try database.record(KioskEvent(eventID: UUID(), passID: nil, verdict: .deny(.unreadable), occurredAt: base,
                                       decidedOffline: true, minutesCharged: nil), ticket: nil)
        try database.record(KioskEvent(eventID: UUID(), passID: nil, verdict: .deny(.unreadable), occurredAt: base.addingTimeInterval(-50),
                                       decidedOffline: true, minutesCharged: nil), ticket: nil)
        let floor = try #require(try database.clockFloor())
        #expect(abs(floor.timeIntervalSince(base)) < 0.002, "the latest decision, not the last written")
    }
}
