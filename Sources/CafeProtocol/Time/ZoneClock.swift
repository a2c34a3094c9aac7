import Foundation
import Synchronization

/// A store's time zone: the offset from UTC at any instant, and the wall-clock time it gives.
///
/// Read from the system's tz database (`/usr/share/zoneinfo`, the TZif files of RFC 8536) with the
/// file's own transitions and, past the last one, its POSIX rule — the same answers as Foundation's
/// `TimeZone` without mapping ICU into the daemon (see `CivilTime`). A zone this cannot read (no
/// tzdata on the box, a rule form tzdata never writes) falls back to Foundation's `TimeZone`, and
/// an unknown name is UTC, as the check-in rules always treated it.
public struct ZoneClock: Sendable {
    public let identifier: String
    let rules: Rules

    enum Rules: Sendable {
        case fixed(Int)
        case table(TZifTable)
        case foundation(TimeZone)
        /// A name neither the tz database nor Foundation knows: UTC.
        case unknown
    }

    /// The zone named `identifier`, read once per process and kept (a store has one zone).
    public static func named(_ identifier: String) -> ZoneClock {
        if let known = cache.withLock({ $0[identifier] }) { return known }
        let clock = ZoneClock(identifier: identifier)
        cache.withLock { zones in
            if zones.count >= 32 { zones.removeAll() }  // bounded: only tests ask for many zones
            zones[identifier] = clock
        }
        return clock
    }

    private static let cache = Mutex<[String: ZoneClock]>([:])

    /// Reads the zone from `directory` (tests point it at zones they compile with `zic`).
    public init(identifier: String, directory: String = ZoneClock.systemDirectory) {
        self.identifier = identifier
        if ["UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z", "Zulu"].contains(identifier) {
            rules = .fixed(0)
        } else if Self.isSafeName(identifier),
                  let bytes = FileManager.default.contents(atPath: directory + "/" + identifier),
                  let table = TZifTable(bytes: [UInt8](bytes)) {
            rules = table.fixedOffset.map { .fixed($0) } ?? .table(table)
        } else if let zone = TimeZone(identifier: identifier) {
            rules = .foundation(zone)
        } else {
            rules = .unknown
        }
    }

    public static var systemDirectory: String {
        ProcessInfo.processInfo.environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/share/zoneinfo"
    }

    /// Seconds east of UTC at `date` (Seoul: 32,400).
    public func secondsFromUTC(at date: Date) -> Int {
        switch rules {
        case .fixed(let offset): offset
        case .table(let table): table.offset(at: Int64(date.timeIntervalSince1970.rounded(.down)))
        case .foundation(let zone): zone.secondsFromGMT(for: date)
        case .unknown: 0
        }
    }

    /// The zone's wall-clock time at `date`.
    public func wallTime(at date: Date) -> CivilTime {
        CivilTime(date, offset: secondsFromUTC(at: date))
    }

    /// Whether this zone was read without Foundation (for the tests and `kioskd status`).
    public var readFromTZif: Bool {
        switch rules {
        case .fixed, .table: true
        case .foundation, .unknown: false
        }
    }

    /// A zone name as the tz database spells them ("Asia/Seoul", "America/Argentina/Buenos_Aires",
    /// "Etc/GMT+9"): nothing that could leave the directory.
    static func isSafeName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("/") else { return false }
        let allowed = name.utf8.allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
        }
        return allowed && !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0.hasPrefix(".") }
    }
}

/// One TZif file: its transitions, the offset after each, and the rule for the times after them.
struct TZifTable: Sendable {
    /// Transition instants, seconds since 1970, ascending.
    let transitions: [Int64]
    /// The offset in force from each transition on.
    let offsets: [Int32]
    /// The offset before the first transition (the file's time type 0).
    let initial: Int32
    /// After the last transition: the file's footer, when it has one.
    let tail: PosixZoneRule?

    /// The whole zone is one offset (Seoul since 1988 still has transitions, so not Seoul).
    var fixedOffset: Int? {
        guard transitions.isEmpty, let tail, tail.daylight == nil else { return nil }
        return tail.standardOffset
    }

    func offset(at time: Int64) -> Int {
        guard let first = transitions.first, time >= first else { return Int(initial) }
        if let last = transitions.last, time >= last, let tail { return tail.offset(at: time) }
        // The last transition at or before `time`.
        var (low, high) = (0, transitions.count - 1)
        while low < high {
            let middle = (low + high + 1) / 2
            if transitions[middle] <= time { low = middle } else { high = middle - 1 }
        }
        return Int(offsets[low])
    }

    /// Parses a TZif file (versions 1 to 4); nil when it is not one, or its footer has a rule this
    /// does not read.
    init?(bytes: [UInt8]) {
        var reader = BigEndianReader(bytes: bytes)
        guard let header = reader.header() else { return nil }
        var block = header
        var timeSize = 4
        if header.version >= 2 {
            // Skip the 32-bit block: the 64-bit one after it says the same for all of time.
            guard reader.skip(header.dataSize(timeSize: 4)), let second = reader.header() else { return nil }
            block = second
            timeSize = 8
        }
        var transitions: [Int64] = []
        transitions.reserveCapacity(block.timeCount)
        for _ in 0..<block.timeCount {
            guard let time = timeSize == 8 ? reader.int64() : reader.int32().map(Int64.init) else { return nil }
            transitions.append(time)
        }
        var typeIndices: [Int] = []
        for _ in 0..<block.timeCount {
            guard let index = reader.byte(), Int(index) < block.typeCount else { return nil }
            typeIndices.append(Int(index))
        }
        var typeOffsets: [Int32] = []
        for _ in 0..<block.typeCount {
            guard let offset = reader.int32(), reader.skip(2) else { return nil }  // utoff, then isdst and desigidx
            typeOffsets.append(offset)
        }
        guard let initial = typeOffsets.first,
              reader.skip(block.charCount + block.leapCount * (timeSize + 4) + block.standardCount + block.utCount),
              zip(transitions, transitions.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        var tail: PosixZoneRule?
        if header.version >= 2 {
            guard let footer = reader.footer() else { return nil }
            if !footer.isEmpty {
                guard let rule = PosixZoneRule(footer) else { return nil }
                tail = rule
            }
        }
        self.transitions = transitions
        self.offsets = typeIndices.map { typeOffsets[$0] }
        self.initial = initial
        self.tail = tail
    }
}

private struct TZifHeader {
    var version: Int
    var utCount, standardCount, leapCount, timeCount, typeCount, charCount: Int

    func dataSize(timeSize: Int) -> Int {
        timeCount * timeSize + timeCount + typeCount * 6 + charCount + leapCount * (timeSize + 4) + standardCount + utCount
    }
}

private struct BigEndianReader {
    let bytes: [UInt8]
    var index = 0

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, index + count <= bytes.count else { return false }
        index += count
        return true
    }

    mutating func byte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func int32() -> Int32? {
        guard index + 4 <= bytes.count else { return nil }
        defer { index += 4 }
        return Int32(bitPattern: bytes[index..<index + 4].reduce(0) { $0 << 8 | UInt32($1) })
    }

    mutating func int64() -> Int64? {
        guard index + 8 <= bytes.count else { return nil }
        defer { index += 8 }
        return Int64(bitPattern: bytes[index..<index + 8].reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// "TZif", a version byte, 15 reserved bytes, six counts.
    mutating func header() -> TZifHeader? {
        guard index + 44 <= bytes.count, Array(bytes[index..<index + 4]) == Array("TZif".utf8) else { return nil }
        let versionByte = bytes[index + 4]
        let version = versionByte == 0 ? 1 : Int(versionByte) - 0x30
        guard (1...9).contains(version), skip(20) else { return nil }
        var counts: [Int] = []
        for _ in 0..<6 {
            guard let count = int32(), count >= 0, count < 1 << 20 else { return nil }
            counts.append(Int(count))
        }
        guard counts[4] >= 1 else { return nil }  // at least one time type
        return TZifHeader(version: version, utCount: counts[0], standardCount: counts[1], leapCount: counts[2],
                          timeCount: counts[3], typeCount: counts[4], charCount: counts[5])
    }

    /// The v2+ footer: a POSIX TZ string between two newlines (empty when the file has no rule).
    mutating func footer() -> String? {
        guard byte() == 0x0A, let end = bytes[index...].firstIndex(of: 0x0A) else { return nil }
        defer { index = end + 1 }
        return String(decoding: bytes[index..<end], as: UTF8.self)
    }
}
