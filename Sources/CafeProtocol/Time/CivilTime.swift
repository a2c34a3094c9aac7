import Foundation

/// A date and time of day on the proleptic Gregorian calendar, at some offset from UTC, turned to
/// and from a `Date` by arithmetic alone.
///
/// Why not `Calendar`: on Linux, Foundation's calendars, time zones and date formatters are ICU,
/// and the first one touched maps ICU's code and data into the process (about 5 MB resident, measured
/// in `docs/PERFORMANCE.md`). The kiosk needs only this arithmetic — the wire's RFC 3339, the cache's
/// stored dates, the store's wall clock — so it keeps ICU out of the daemon.
public struct CivilTime: Equatable, Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var millisecond: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) {
        (self.year, self.month, self.day) = (year, month, day)
        (self.hour, self.minute, self.second, self.millisecond) = (hour, minute, second, millisecond)
    }

    /// The time `offset` seconds east of UTC at `date` (milliseconds truncated).
    public init(_ date: Date, offset: Int = 0) {
        let milliseconds = Self.milliseconds(date) + Int64(offset) * 1_000
        let (seconds, millisecond) = Self.floorDivide(milliseconds, 1_000)
        let (days, secondOfDay) = Self.floorDivide(seconds, 86_400)
        (year, month, day) = Self.civil(days: Int(days))
        hour = Int(secondOfDay) / 3_600
        minute = Int(secondOfDay) / 60 % 60
        second = Int(secondOfDay) % 60
        self.millisecond = Int(millisecond)
    }

    /// The instant this time names at `offset` seconds east of UTC, or nil when a field is out of
    /// range (month 13, 30 February, 24:00, second 60).
    public func date(offset: Int = 0) -> Date? {
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              (0...999).contains(millisecond) else { return nil }
        let seconds = Int64(Self.days(year: year, month: month, day: day)) * 86_400
            + Int64(hour * 3_600 + minute * 60 + second) - Int64(offset)
        return Date(timeIntervalSince1970: Double(seconds * 1_000 + Int64(millisecond)) / 1_000)
    }

    /// Sunday 0 … Saturday 6.
    public var weekday: Int { Self.weekday(days: Self.days(year: year, month: month, day: day)) }

    public var minuteOfDay: Int { hour * 60 + minute }

    // MARK: The arithmetic

    /// Whole milliseconds since 1970, rounded to the microsecond first so that a value stored as
    /// x.123 and read back as x.12299999 stays .123.
    static func milliseconds(_ date: Date) -> Int64 {
        let micro = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard micro.isFinite, abs(micro) < 9.0e18 else { return micro < 0 ? Int64.min / 2 : Int64.max / 2 }
        return floorDivide(Int64(micro), 1_000).quotient
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value >= 0 ? value / divisor : -((-value - 1) / divisor) - 1
        return (quotient, value - quotient * divisor)
    }

    /// Days since 1970-01-01 of a civil date (the era-based method: 400-year cycles of 146,097 days).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day counted from 1970-01-01.
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // March = 0
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func weekday(days: Int) -> Int { ((days % 7) + 11) % 7 }  // 1970-01-01 was a Thursday

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

// MARK: - Text

extension CivilTime {
    /// RFC 3339 in UTC with milliseconds: `2026-12-02T05:07:09.042Z`, what the wire carries.
    public static func rfc3339(_ date: Date, milliseconds: Bool = true) -> String {
        CivilTime(date).text(separator: "T", milliseconds: milliseconds, zone: "Z")
    }

    /// `2026-12-02 05:07:09.042`, the UTC form SQLite's date functions read and GRDB always stored.
    public static func sqlText(_ date: Date) -> String {
        CivilTime(date).text(separator: " ", milliseconds: true, zone: "")
    }

    /// This time as text: `YYYY-MM-DD`, the separator, `HH:MM:SS`, `.mmm` if asked, then the zone.
    public func text(separator: Character, milliseconds: Bool, zone: String) -> String {
        var text = ""
        text.reserveCapacity(30)
        if year < 0 { text.append("-") }
        Self.pad(abs(year), 4, &text)
        text.append("-"); Self.pad(month, 2, &text)
        text.append("-"); Self.pad(day, 2, &text)
        text.append(separator); Self.pad(hour, 2, &text)
        text.append(":"); Self.pad(minute, 2, &text)
        text.append(":"); Self.pad(second, 2, &text)
        if milliseconds { text.append("."); Self.pad(millisecond, 3, &text) }
        text.append(zone)
        return text
    }

    private static func pad(_ value: Int, _ width: Int, _ text: inout String) {
        let digits = String(value)
        if digits.count < width { text.append(String(repeating: "0", count: width - digits.count)) }
        text.append(digits)
    }

    /// Reads an RFC 3339 timestamp (`T` or a space between date and time, any number of fraction
    /// digits, `Z` or `±HH:MM`). With `zoneRequired` false a missing zone means UTC and the time of
    /// day may stop after the minutes — SQLite's stored forms. Nil for anything else, never a guess.
    public static func parse(_ text: String, zoneRequired: Bool = true) -> Date? {
        var reader = ASCIIScanner(text)
        guard let year = reader.number(4), reader.take("-"), let month = reader.number(2), reader.take("-"),
              let day = reader.number(2) else { return nil }
        guard reader.take("T") || reader.take("t") || reader.take(" ") else { return nil }
        guard let hour = reader.number(2), reader.take(":"), let minute = reader.number(2) else { return nil }
        var second = 0
        var nanoseconds = 0
        if reader.take(":") {
            guard let value = reader.number(2) else { return nil }
            second = value
            if reader.take(".") {
                guard let digits = reader.nanoseconds() else { return nil }
                nanoseconds = digits
            }
        } else if zoneRequired {
            return nil
        }
        var offset = 0
        if reader.take("Z") || reader.take("z") {
        } else if let sign = reader.sign() {
            guard let hours = reader.number(2), reader.take(":"), let minutes = reader.number(2),
                  hours <= 23, minutes <= 59 else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        } else if zoneRequired {
            return nil
        }
        // Milliseconds exactly as the writer meant them (the nearest Double, as `CivilTime.date` makes
        // it); finer digits added as a fraction of a second.
        guard reader.atEnd,
              let whole = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                                    millisecond: nanoseconds / 1_000_000).date(offset: offset) else { return nil }
        let finer = nanoseconds % 1_000_000
        return finer == 0 ? whole : whole.addingTimeInterval(Double(finer) / 1_000_000_000)
    }
}
