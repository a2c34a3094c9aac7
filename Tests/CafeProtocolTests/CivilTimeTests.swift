import Foundation
import Testing
@testable import CafeProtocol

/// `CivilTime` replaces Foundation's ICU formatters on the kiosk: it must say exactly what they said.
@Suite struct CivilTimeTests {
    /// Dates on whole milliseconds from 1900 to 2200, from a fixed seed (what the wire carries).
    static func sampleDates(count: Int = 20_000) -> [Date] {
        var generator = SplitMix(seed: 0x5EED)
        let low: Int64 = -2_208_988_800_000, high: Int64 = 7_258_118_400_000
        return (0..<count).map { _ in
            Date(timeIntervalSince1970: Double(Int64.random(in: low...high, using: &generator)) / 1_000)
        }
    }

    @Test func rfc3339IsWhatFoundationWrites() {
        let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        // Foundation truncates the Double it holds: for a date meant as .042 but held as
        // .04199999 it writes .041 (about half of these samples). Ours rounds to the microsecond
        // first and writes .042 — the only difference allowed, and the text then reads back as the
        // very same Date.
        for date in Self.sampleDates() {
            let ours = CivilTime.rfc3339(date), theirs = date.formatted(foundation)
            if ours != theirs {
                #expect(CivilTime.parse(theirs).map { date.timeIntervalSince($0) } .map { abs($0 - 0.001) < 1e-5 } == true, "\(ours) vs \(theirs)")
                #expect(CivilTime.parse(ours) == date)
            }
        }
        let seconds = Date.ISO8601FormatStyle()
        for date in Self.sampleDates(count: 2_000) {
            #expect(CivilTime.rfc3339(date, milliseconds: false) == date.formatted(seconds))
        }
    }

    @Test func rfc3339ReadsBackTheSameInstant() throws {
        let foundation = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for date in Self.sampleDates() {
            let text = CivilTime.rfc3339(date)
            let parsed = try #require(CivilTime.parse(text), "\(text)")
            #expect(parsed == date, "\(text)")
            #expect(abs(parsed.timeIntervalSince(try foundation.parse(text))) < 1e-6, "\(text)")
        }
    }

    @Test func offsetsAndFinerFractionsAreRead() throws {
        let utc = try #require(CivilTime.parse("2026-12-02T05:07:09Z"))
        #expect(CivilTime.parse("2026-12-02T14:07:09+09:00") == utc)
        #expect(CivilTime.parse("2026-12-01T23:37:09-05:30") == utc)
        #expect(CivilTime.parse("2026-12-02t05:07:09z") == utc)
        #expect(CivilTime.parse("2026-12-02 05:07:09Z") == utc)
        let fine = try #require(CivilTime.parse("2026-12-02T05:07:09.123456789Z"))
        #expect(abs(fine.timeIntervalSince(utc) - 0.123456789) < 1e-6)
        #expect(CivilTime.rfc3339(fine) == "2026-12-02T05:07:09.123Z")
        #expect(CivilTime.parse("2026-12-02T05:07:09.5Z") == utc.addingTimeInterval(0.5))
        #expect(CivilTime.parse("2024-02-29T00:00:00Z") != nil)
    }

    @Test(arguments: ["", "2026-12-02", "2026-12-02T05:07Z", "2026-12-02T05:07:09", "2026-02-29T00:00:00Z",
                      "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-12-32T00:00:00Z", "2026-12-02T24:00:00Z",
                      "2026-12-02T05:60:00Z", "2026-12-02T05:07:60Z", "2026-1-02T05:07:09Z", "2026-12-02T05:07:09.Z",
                      "2026-12-02T05:07:09Zjunk", "2026-12-02T05:07:09+0900", "2026-12-02T05:07:09+24:00", "２０２６-12-02T05:07:09Z"])
    func malformedTimestampsAreRefused(_ text: String) {
        #expect(CivilTime.parse(text) == nil)
    }

    @Test func sqliteFormsNeedNoZone() throws {
        let utc = try #require(CivilTime.parse("2026-12-02T05:07:00Z"))
        #expect(CivilTime.parse("2026-12-02 05:07", zoneRequired: false) == utc)
        #expect(CivilTime.parse("2026-12-02 05:07:00.000", zoneRequired: false) == utc)
        #expect(CivilTime.sqlText(utc.addingTimeInterval(0.042)) == "2026-12-02 05:07:00.042")
    }

    @Test func fieldsAndWeekdaysAreTheGregorianCalendars() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        for date in Self.sampleDates(count: 5_000) {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
            let civil = CivilTime(date)
            #expect([civil.year, civil.month, civil.day, civil.hour, civil.minute, civil.second]
                == [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map { $0! })
            #expect(civil.weekday == parts.weekday! - 1)
            #expect(civil.date() == date)
        }
    }

    @Test func daysAndDatesRoundTripAcrossEras() {
        for days in stride(from: -1_000_000, through: 1_000_000, by: 37) {
            let (year, month, day) = CivilTime.civil(days: days)
            #expect(CivilTime.days(year: year, month: month, day: day) == days)
        }
        #expect(CivilTime.days(year: 1970, month: 1, day: 1) == 0)
        #expect(CivilTime.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(CivilTime(Date(timeIntervalSince1970: -0.001)) == CivilTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, millisecond: 999))
    }

    @Test func anOffsetMovesTheWallClock() {
        let date = CivilTime.parse("2026-12-31T20:30:00Z")!
        #expect(CivilTime(date, offset: 9 * 3_600) == CivilTime(year: 2027, month: 1, day: 1, hour: 5, minute: 30))
        #expect(CivilTime(date, offset: 9 * 3_600).date(offset: 9 * 3_600) == date)
    }
}

/// A small seeded generator, so a failure names a date that fails again.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
