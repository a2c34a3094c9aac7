import Foundation

/// The kinds of pass a study cafe sells. The raw value is the token's byte; never renumber.
public enum PassKind: UInt8, Codable, Sendable, CaseIterable {
    /// One entry on one day; the pass ends on its exit.
    case day = 1
    /// Any number of visits between valid-from and valid-until (7, 14, 21, 28 days).
    case period = 2
    /// A number of hours, charged by the minute on exit.
    case time = 3
}

/// The signed content of a pass QR code: who may enter which store, of which kind, and when.
/// What changes after issue (remaining minutes, refunds, inside/outside) is deliberately not
/// here: it comes from the central API or the kiosk's cache.
///
/// Wire form (big-endian), `PassToken.signedLength` bytes followed by a 64-byte Ed25519
/// signature over them, the whole as base45 text:
///
///     version u8 | key id u32 | pass id 16 bytes (UUID) | store id u32 | kind u8 |
///     valid from u32 | valid until u32 | issued at u32   (times: Unix seconds)
public struct PassToken: Hashable, Sendable {
    public static let currentVersion: UInt8 = 1
    /// Bytes covered by the signature.
    public static let signedLength = 1 + 4 + 16 + 4 + 1 + 4 + 4 + 4
    public static let signatureLength = 64
    public static let encodedLength = signedLength + signatureLength

    public var keyID: KeyID
    public var passID: UUID
    public var storeID: UInt32
    public var kind: PassKind
    public var validFrom: Date
    public var validUntil: Date
    public var issuedAt: Date

    /// Times are truncated to whole seconds, as the wire form carries them.
    public init(
        keyID: KeyID, passID: UUID, storeID: UInt32, kind: PassKind,
        validFrom: Date, validUntil: Date, issuedAt: Date
    ) {
        self.keyID = keyID
        self.passID = passID
        self.storeID = storeID
        self.kind = kind
        self.validFrom = Self.wholeSeconds(validFrom)
        self.validUntil = Self.wholeSeconds(validUntil)
        self.issuedAt = Self.wholeSeconds(issuedAt)
    }

    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: TimeInterval(UnixSeconds(date)))
    }

    /// The signed part of the wire form.
    public var signedBytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.signedLength)
        bytes.append(Self.currentVersion)
        bytes.appendBigEndian(keyID.rawValue)
        withUnsafeBytes(of: passID.uuid) { bytes.append(contentsOf: $0) }
        bytes.appendBigEndian(storeID)
        bytes.append(kind.rawValue)
        bytes.appendBigEndian(UnixSeconds(validFrom))
        bytes.appendBigEndian(UnixSeconds(validUntil))
        bytes.appendBigEndian(UnixSeconds(issuedAt))
        return bytes
    }
}

/// A date as the u32 of Unix seconds the token carries, clamped to the representable range
/// (1970 … 2106) so that no date can trap.
func UnixSeconds(_ date: Date) -> UInt32 {
    let seconds = date.timeIntervalSince1970.rounded(.down)
    if !(seconds > 0) { return 0 }
    if seconds >= Double(UInt32.max) { return UInt32.max }
    return UInt32(seconds)
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }
}

/// Why a scanned text is not a pass this kiosk can accept. Parsing is total: every input gives
/// a token or one of these, never a crash.
public enum PassTokenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not base45 text at all: a foreign QR code, or a damaged read.
    case notBase45(Base45.DecodingError)
    /// Fewer or more bytes than a token of this version has.
    case wrongLength(expected: Int, actual: Int)
    case unsupportedVersion(UInt8)
    case unknownKind(UInt8)
    /// valid-until before valid-from: no honest issuer signs that.
    case invalidWindow
    /// Signed by a key this kiosk does not hold (never synced, or retired).
    case unknownKey(KeyID)
    /// The signature does not match the content: forged or tampered.
    case invalidSignature

    /// The deny reason the door reports for this error.
    public var denyReason: DenyReason {
        switch self {
        case .unknownKey: .unknownKey
        case .invalidSignature: .invalidSignature
        case .notBase45, .wrongLength, .unsupportedVersion, .unknownKind, .invalidWindow: .unreadable
        }
    }

    public var description: String {
        switch self {
        case .notBase45(let error): "not a pass: \(error)"
        case .wrongLength(let expected, let actual):
            "not a pass: \(actual) bytes where a pass has \(expected)"
        case .unsupportedVersion(let version): "pass format version \(version) is not supported"
        case .unknownKind(let kind): "unknown pass kind \(kind)"
        case .invalidWindow: "pass validity ends before it starts"
        case .unknownKey(let keyID): "pass signed with unknown key \(keyID)"
        case .invalidSignature: "pass signature is invalid (forged or altered)"
        }
    }
}

extension PassToken {
    /// A token whose signature has not been checked yet, straight from the wire bytes.
    public struct Unverified: Sendable {
        public let token: PassToken
        public let signedBytes: ArraySlice<UInt8>
        public let signature: ArraySlice<UInt8>
    }

    /// Parses the wire bytes without checking the signature.
    public static func parse(bytes: [UInt8]) throws(PassTokenError) -> Unverified {
        guard let version = bytes.first else {
            throw .wrongLength(expected: encodedLength, actual: 0)
        }
        guard version == currentVersion else { throw .unsupportedVersion(version) }
        guard bytes.count == encodedLength else {
            throw .wrongLength(expected: encodedLength, actual: bytes.count)
        }
        var reader = ByteReader(bytes: bytes, offset: 1)
        let keyID = KeyID(rawValue: reader.readUInt32())
        let passID = reader.readUUID()
        let storeID = reader.readUInt32()
        let kindByte = reader.readUInt8()
        guard let kind = PassKind(rawValue: kindByte) else { throw .unknownKind(kindByte) }
        let validFrom = reader.readUInt32()
        let validUntil = reader.readUInt32()
        let issuedAt = reader.readUInt32()
        guard validUntil >= validFrom else { throw .invalidWindow }
        let token = PassToken(
            keyID: keyID, passID: passID, storeID: storeID, kind: kind,
            validFrom: Date(timeIntervalSince1970: TimeInterval(validFrom)),
            validUntil: Date(timeIntervalSince1970: TimeInterval(validUntil)),
            issuedAt: Date(timeIntervalSince1970: TimeInterval(issuedAt)))
        return Unverified(
            token: token,
            signedBytes: bytes[0..<signedLength],
            signature: bytes[signedLength..<encodedLength])
    }

    /// Parses the QR text (base45) without checking the signature.
    public static func parse(text: String) throws(PassTokenError) -> Unverified {
        let bytes: [UInt8]
        do { bytes = try Base45.decode(text) } catch { throw .notBase45(error) }
        return try parse(bytes: bytes)
    }
}

/// Big-endian reads over a buffer whose length the caller has already checked.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func readUInt8() -> UInt8 {
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt32() -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(readUInt8()) }
        return value
    }

    mutating func readUUID() -> UUID {
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { raw in
            for index in 0..<16 { raw[index] = readUInt8() }
        }
        return UUID(uuid: uuid)
    }
}
