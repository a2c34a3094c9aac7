/// A cursor over the bytes of a short ASCII text — an RFC 3339 timestamp, a POSIX zone rule —
/// for the parsers of this folder, which read them by hand rather than through Foundation's
/// formatters (ICU on Linux). Each method consumes what it matches and nothing when it fails.
struct ASCIIScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// `+` as 1, `-` as -1; nil (and nothing consumed) for anything else.
    mutating func sign() -> Int? {
        if take("+") { return 1 }
        if take("-") { return -1 }
        return nil
    }

    /// Exactly `width` digits.
    mutating func number(_ width: Int) -> Int? {
        guard index + width <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + width] {
            guard Self.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        index += width
        return value
    }

    /// One to `maximum` digits, as many as there are.
    mutating func digits(upTo maximum: Int) -> Int? {
        let start = index
        var value = 0
        while index < bytes.count, Self.isDigit(bytes[index]), index - start < maximum {
            value = value * 10 + Int(bytes[index] - 0x30)
            index += 1
        }
        return index > start ? value : nil
    }

    /// One or more digits after a decimal point, as the nanoseconds they spell (digits past the
    /// ninth are read and dropped).
    mutating func nanoseconds() -> Int? {
        var value = 0
        let start = index
        while index < bytes.count, Self.isDigit(bytes[index]) {
            if index - start < 9 { value = value * 10 + Int(bytes[index] - 0x30) }
            index += 1
        }
        guard index > start else { return nil }
        for _ in min(index - start, 9)..<9 { value *= 10 }
        return value
    }

    /// The letters A–Z and a–z, as many as there are; how many.
    mutating func letters() -> Int {
        let start = index
        while index < bytes.count, (0x41...0x5A).contains(bytes[index]) || (0x61...0x7A).contains(bytes[index]) { index += 1 }
        return index - start
    }

    /// Past the next `character`, if there is one.
    mutating func skip(past character: Unicode.Scalar) -> Bool {
        guard let found = bytes[index...].firstIndex(of: UInt8(ascii: character)) else { return false }
        index = found + 1
        return true
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
