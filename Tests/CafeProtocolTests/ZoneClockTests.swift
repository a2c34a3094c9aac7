import Foundation
import Testing
@testable import CafeProtocol

/// `ZoneClock` reads the tz database itself; Foundation's `TimeZone` is the reference it must match.
@Suite struct ZoneClockTests {
    /// Fixed zones, half and quarter hours, both hemispheres' daylight time, a 30-minute daylight shift.
    static let zones = ["Asia/Seoul", "Asia/Tokyo", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "America/Los_Angeles",
                        "Europe/London", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham",
                        "Pacific/Auckland", "Etc/GMT+9", "UTC"]

    @Test(arguments: zones)
    func offsetsAreFoundationsEverywhereFrom1990To2045(_ identifier: String) throws {
        let clock = ZoneClock(identifier: identifier)
        #expect(clock.readFromTZif, "\(identifier) was not read from /usr/share/zoneinfo")
        let zone = try #require(TimeZone(identifier: identifier))
        let start = CivilTime(year: 1990, month: 1, day: 1).date()!, end = CivilTime(year: 2045, month: 12, day: 31).date()!
        var date = start
        while date < end {
            #expect(clock.secondsFromUTC(at: date) == zone.secondsFromGMT(for: date), "\(identifier) at \(CivilTime.rfc3339(date))")
            date += 5 * 3_600 + 11 * 60 + 7
        }
        // And to the second on each side of every transition Foundation knows.
        var transitions = 0
        var cursor = start
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end {
            for probe in [next - 1, next] {
                #expect(clock.secondsFromUTC(at: probe) == zone.secondsFromGMT(for: probe), "\(identifier) at \(CivilTime.rfc3339(probe))")
            }
            cursor = next
            transitions += 1
        }
        if ["America/New_York", "Europe/Berlin", "Australia/Sydney"].contains(identifier) { #expect(transitions > 100) }
    }

    @Test func wallClockIsTheCalendars() {
        let clock = ZoneClock.named("Australia/Sydney")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Australia/Sydney")!
        var date = CivilTime(year: 2026, month: 1, day: 1).date()!
        for _ in 0..<3_000 {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
            let wall = clock.wallTime(at: date)
            let expected: [Int] = [parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!]
            #expect([wall.year, wall.month, wall.day, wall.hour, wall.minute] == expected)
            date += 2 * 3_600 + 53 * 60
        }
        let seoul = ZoneClock.named("Asia/Seoul").wallTime(at: CivilTime.parse("2026-12-02T05:07:09Z")!)
        #expect((seoul.day, seoul.hour, seoul.minute) == (2, 14, 7))
    }

    @Test func aCompiledZonesRuleGovernsTheFuture() throws {
        let directory = try Self.compile("""
            Rule\tTest\t2000\tmax\t-\tApr\tSun>=1\t2:00\t1:00\tD
            Rule\tTest\t2000\tmax\t-\tOct\tlastSun\t3:00\t0\tS
            Zone\tTest/Zone\t3:00\tTest\tT%sT
            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ZoneClock(identifier: "Test/Zone", directory: directory)
        guard case .table(let table) = clock.rules else { Issue.record("not read from the compiled file"); return }
        #expect(table.tail == PosixZoneRule("TST-3TDT,M4.1.0,M10.5.0/3"))
        // 2077: far past any transition the slim file lists. First Sunday of April is the 4th,
        // 02:00 at +3 is 23:00 UTC the day before; the last Sunday of October is the 31st, 03:00 at +4.
        let springs = CivilTime.parse("2077-04-03T23:00:00Z")!, falls = CivilTime.parse("2077-10-30T23:00:00Z")!
        #expect(clock.secondsFromUTC(at: springs - 1) == 10_800)
        #expect(clock.secondsFromUTC(at: springs) == 14_400)
        #expect(clock.secondsFromUTC(at: falls - 1) == 14_400)
        #expect(clock.secondsFromUTC(at: falls) == 10_800)
        #expect(clock.wallTime(at: springs).hour == 3)
    }

    @Test func posixRules() throws {
        #expect(PosixZoneRule("KST-9") == PosixZoneRule(standardOffset: 32_400, daylight: nil))
        #expect(PosixZoneRule("<+0545>-5:45")?.standardOffset == 20_700)
        #expect(PosixZoneRule("<-03>3")?.standardOffset == -10_800)
        let newYork = try #require(PosixZoneRule("EST5EDT,M3.2.0,M11.1.0"))
        #expect(newYork.daylight?.offset == -14_400)
        #expect(newYork.daylight?.start == .init(month: 3, week: 2, weekday: 0, time: 7_200))
        // Israel's start is at 26:00 of a Thursday, version 3's extended hours.
        #expect(PosixZoneRule("IST-2IDT,M3.4.4/26,M10.5.0")?.daylight?.start.time == 26 * 3_600)
        #expect(PosixZoneRule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0")?.daylight?.start.time == -3_600)
        for unread in ["", "EST5EDT", "EST", "EST5EDT,J60,J300", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "E5", "<+09-9"] {
            #expect(PosixZoneRule(unread) == nil, "\(unread)")
        }
    }

    @Test func namesThatLeaveTheDirectoryAreNotRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zones-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/Bad", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("TZif2 but not really".utf8).write(to: URL(fileURLWithPath: directory + "/Bad/Zone"))
        // A broken file is not trusted: Foundation answers, and for a name it does not know, UTC.
        let broken = ZoneClock(identifier: "Bad/Zone", directory: directory)
        #expect(!broken.readFromTZif)
        #expect(broken.secondsFromUTC(at: Date()) == 0)
        for name in ["../etc/passwd", "/etc/localtime", "Asia/../Asia/Seoul", "Asia//Seoul", "Asia/Seoul\0", ".hidden", ""] {
            #expect(!ZoneClock.isSafeName(name), "\(name)")
        }
        #expect(ZoneClock.isSafeName("America/Argentina/Buenos_Aires") && ZoneClock.isSafeName("Etc/GMT-14"))
        #expect(ZoneClock.named("No/Such_Zone").secondsFromUTC(at: Date()) == 0)
    }

    /// Compiles zone source text with Debian's `zic` into a new directory, slim, so that the future
    /// is the footer's rule.
    static func compile(_ source: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zones-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/source.zi"
        try Data((source + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let zic = Process()
        zic.executableURL = URL(fileURLWithPath: "/usr/sbin/zic")
        zic.arguments = ["-b", "slim", "-d", directory, file]
        try zic.run()
        zic.waitUntilExit()
        try #require(zic.terminationStatus == 0, "zic failed")
        return directory
    }
}
