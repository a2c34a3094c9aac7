/// The POSIX TZ rule at the end of a TZif file ("KST-9", "EST5EDT,M3.2.0,M11.1.0",
/// "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"): the zone's offsets for all the years after its last
/// listed transition. Dates are read in the `Mm.w.d` form only — the form tzdata writes for every
/// zone with daylight time; a footer in another form makes `ZoneClock` fall back to Foundation.
struct PosixZoneRule: Equatable, Sendable {
    /// Seconds east of UTC (POSIX writes them west: "KST-9" is +32,400).
    let standardOffset: Int
    let daylight: Daylight?

    struct Daylight: Equatable, Sendable {
        let offset: Int
        /// When daylight time starts, in standard wall-clock time, and when it ends, in daylight time.
        let start: DayRule
        let end: DayRule
    }

    /// Day `weekday` (Sunday 0) of week `week` (1 to 4, 5 = the last) of `month`, at `time` seconds
    /// after that day's midnight (may be negative or past 24 h, as version 3 allows).
    struct DayRule: Equatable, Sendable {
        let month: Int
        let week: Int
        let weekday: Int
        let time: Int

        /// Seconds since 1970 of this rule's wall-clock moment in `year`, in a zone `offset` east of UTC.
        func instant(year: Int, offset: Int) -> Int64 {
            let first = CivilTime.days(year: year, month: month, day: 1)
            var day = 1 + (weekday - CivilTime.weekday(days: first) + 7) % 7 + 7 * (week - 1)
            let length = CivilTime.daysIn(month: month, year: year)
            while day > length { day -= 7 }
            return Int64(first + day - 1) * 86_400 + Int64(time) - Int64(offset)
        }
    }

    func offset(at time: Int64) -> Int {
        guard let daylight else { return standardOffset }
        let (days, _) = CivilTime.floorDivide(time + Int64(standardOffset), 86_400)
        let year = CivilTime.civil(days: Int(days)).year
        let start = daylight.start.instant(year: year, offset: standardOffset)
        let end = daylight.end.instant(year: year, offset: daylight.offset)
        // Northern zones have daylight time inside the year, southern ones across its turn.
        let inDaylight = start < end ? (start <= time && time < end) : !(end <= time && time < start)
        return inDaylight ? daylight.offset : standardOffset
    }
}

extension PosixZoneRule {
    init?(_ text: String) {
        var scanner = ASCIIScanner(text)
        guard scanner.name(), let standard = scanner.offset().map({ -$0 }) else { return nil }
        if scanner.atEnd {
            self.init(standardOffset: standard, daylight: nil)
            return
        }
        guard scanner.name() else { return nil }
        let daylightOffset = scanner.offset().map { -$0 } ?? standard + 3_600
        guard scanner.take(","), let start = scanner.dayRule(), scanner.take(","), let end = scanner.dayRule(),
              scanner.atEnd else { return nil }
        self.init(standardOffset: standard, daylight: Daylight(offset: daylightOffset, start: start, end: end))
    }
}

/// The parts of a POSIX rule (`TZ` syntax, version 3 of TZif's footer).
private extension ASCIIScanner {
    /// A zone abbreviation: three or more letters, or anything in angle brackets ("<+09>").
    mutating func name() -> Bool {
        if take("<") {
            let start = index
            return skip(past: ">") && index - 1 > start
        }
        return letters() >= 3
    }

    /// `[+-]hh[:mm[:ss]]` as seconds (POSIX's sign: positive is west of Greenwich); nil when absent.
    mutating func offset() -> Int? {
        let start = index
        let direction = sign() ?? 1
        guard let seconds = clock(maxHours: 24) else {
            index = start
            return nil
        }
        return direction * seconds
    }

    /// `hh[:mm[:ss]]`.
    mutating func clock(maxHours: Int) -> Int? {
        guard let hours = digits(upTo: 3), hours <= maxHours else { return nil }
        var seconds = hours * 3_600
        if take(":") {
            guard let minutes = digits(upTo: 3), minutes < 60 else { return nil }
            seconds += minutes * 60
            if take(":") {
                guard let rest = digits(upTo: 3), rest < 60 else { return nil }
                seconds += rest
            }
        }
        return seconds
    }

    /// `Mm.w.d[/time]`, time 02:00 by default and ±167 h at most (version 3).
    mutating func dayRule() -> PosixZoneRule.DayRule? {
        guard take("M"), let month = digits(upTo: 3), (1...12).contains(month), take("."),
              let week = digits(upTo: 3), (1...5).contains(week), take("."),
              let weekday = digits(upTo: 3), (0...6).contains(weekday) else { return nil }
        var time = 7_200
        if take("/") {
            let direction = sign() ?? 1
            guard let value = clock(maxHours: 167) else { return nil }
            time = direction * value
        }
        return PosixZoneRule.DayRule(month: month, week: week, weekday: weekday, time: time)
    }
}
