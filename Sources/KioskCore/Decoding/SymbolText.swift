/// The legacy (pre-Unicode) charsets a QR code's bytes may be in when its symbol does not say.
public enum LegacyCharset: String, Sendable, CaseIterable {
    /// Korean (KS X 1001): what Korean QR generators write when they do not write UTF-8.
    case eucKR = "euc-kr"
    /// Japanese: the QR standard's own Kanji mode and most Japanese generators.
    case shiftJIS = "shift-jis"

    var iconvName: String { self == .eucKR ? "EUC-KR" : "SHIFT_JIS" }
}

/// A QR payload's text, decided as ISO/IEC 18004 says and as real codes are written:
///
/// 1. the symbol's ECI designator, when it has one (ZXing has applied it);
/// 2. else UTF-8, when the bytes are valid UTF-8 (ASCII is; most codes today are);
/// 3. else the preferred legacy charset, then the other one, when the bytes are valid in it —
///    EUC-KR bytes are often valid Shift-JIS too (its half-width katakana take any byte from
///    0xA1 to 0xDF), and Japanese Shift-JIS text usually is not valid EUC-KR (its lead bytes
///    0x81–0x9F are not EUC-KR's), so a Korean store prefers EUC-KR (`door.legacy_charset`);
/// 4. else ISO-8859-1, the standard's default, which any byte string is.
///
/// Conversions go through glibc's iconv (`System.convert`), which refuses invalid sequences.
public enum SymbolText {
    public static func decode(_ payload: [UInt8], eciText: String?, preferring legacy: LegacyCharset) -> (text: String, charset: String) {
        if let eciText { return (eciText, "eci") }
        if let text = String(validating: payload, as: UTF8.self) { return (text, "utf-8") }
        let order = legacy == .eucKR ? [LegacyCharset.eucKR, .shiftJIS] : [.shiftJIS, .eucKR]
        for charset in order where charset != .eucKR || isEUCKR(payload) {
            if let text = convert(payload, from: charset.iconvName) { return (text, charset.rawValue) }
        }
        return (String(decoding: payload.map { UInt16($0) }, as: UTF16.self), "iso-8859-1")
    }

    /// Whether the bytes are shaped as EUC-KR: ASCII, or pairs of bytes 0xA1–0xFE (KS X 1001).
    /// glibc's EUC-KR converter passes the bytes 0x80–0xA0 through as C1 controls, so Shift-JIS
    /// text would "convert" into garbage without this check.
    static func isEUCKR(_ bytes: [UInt8]) -> Bool {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 { index += 1; continue }
            guard (0xA1...0xFE).contains(byte), index + 1 < bytes.count, (0xA1...0xFE).contains(bytes[index + 1]) else { return false }
            index += 2
        }
        return true
    }

    /// The bytes as UTF-8 text, or nil when they are not valid in `charset`.
    static func convert(_ bytes: [UInt8], from charset: String) -> String? {
        System.convert(bytes, from: charset, to: "UTF-8").map { String(decoding: $0, as: UTF8.self) }
    }
}
