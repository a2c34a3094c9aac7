/// Base45 (RFC 9285): bytes as text from a 45-character alphabet that QR codes encode in
/// alphanumeric mode, 5.5 bits per character, so a signed pass fits a small QR symbol.
public enum Base45 {
    /// The RFC 9285 alphabet, in value order.
    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)

    /// Character value by ASCII code, or 0xFF for a character outside the alphabet.
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        /// A character outside the base45 alphabet (lower case included), at this offset.
        case invalidCharacter(offset: Int)
        /// The text length leaves one lone character, which no byte sequence encodes to.
        case invalidLength(Int)
        /// A group whose value does not fit the bytes it stands for, at this offset.
        case valueOutOfRange(offset: Int)

        public var description: String {
            switch self {
            case .invalidCharacter(let offset): "base45: invalid character at offset \(offset)"
            case .invalidLength(let length): "base45: a text of \(length) characters is not base45"
            case .valueOutOfRange(let offset): "base45: group at offset \(offset) is out of range"
            }
        }
    }

    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count / 2) * 3 + 2)
        var index = 0
        while index + 1 < input.count {
            let n = Int(input[index]) << 8 | Int(input[index + 1])
            output.append(alphabet[n % 45])
            output.append(alphabet[(n / 45) % 45])
            output.append(alphabet[n / 2025])
            index += 2
        }
        if index < input.count {
            let n = Int(input[index])
            output.append(alphabet[n % 45])
            output.append(alphabet[n / 45])
        }
        return String(decoding: output, as: UTF8.self)
    }

    public static func decode(_ text: String) throws(DecodingError) -> [UInt8] {
        try decode(utf8: Array(text.utf8))
    }

    public static func decode(utf8 characters: [UInt8]) throws(DecodingError) -> [UInt8] {
        if characters.count % 3 == 1 { throw .invalidLength(characters.count) }
        var output = [UInt8]()
        output.reserveCapacity(characters.count / 3 * 2 + 1)
        var index = 0
        while index < characters.count {
            let groupLength = min(3, characters.count - index)
            var n = 0
            var weight = 1
            for offset in 0..<groupLength {
                let value = values[Int(characters[index + offset])]
                if value == 0xFF { throw .invalidCharacter(offset: index + offset) }
                n += Int(value) * weight
                weight *= 45
            }
            if groupLength == 3 {
                if n > 0xFFFF { throw .valueOutOfRange(offset: index) }
                output.append(UInt8(n >> 8))
                output.append(UInt8(n & 0xFF))
            } else {
                if n > 0xFF { throw .valueOutOfRange(offset: index) }
                output.append(UInt8(n))
            }
            index += groupLength
        }
        return output
    }
}
