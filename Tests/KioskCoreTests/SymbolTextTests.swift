#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KioskCore
import Testing

/// Codes whose text is not ASCII, generated in each charset, read back as they were written —
/// by both engines, by ECI when the symbol has one, else by the charset the bytes are in.
@Suite struct SymbolTextTests {
    /// `text` in `charset`, by glibc's iconv (the fixtures' encoder, not the code under test's path).
    static func encode(_ text: String, as charset: String) throws -> [UInt8] {
        let converter = try #require(iconv_open(charset, "UTF-8"))
        defer { iconv_close(converter) }
        var input = Array(text.utf8CString.dropLast())
        var output = [CChar](repeating: 0, count: input.count * 4 + 8)
        let produced: Int = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                var outLeft = outBuffer.count
                _ = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                return outBuffer.count - outLeft
            }
        }
        return output.prefix(produced).map { UInt8(bitPattern: $0) }
    }

    /// The code drawn into a frame and read by each engine and by the whole cascade.
    static func read(_ matrix: QRMatrix) -> [DecodedSymbol] {
        let image = matrix.image(moduleSize: 4)
        return [ZXingDecoder().decode(image).first, ZBarDecoder().decode(image).first, CascadeDecoder().decodeThoroughly(image).first]
            .compactMap { $0 }
    }

    @Test(arguments: [
        ("환영합니다 스터디카페", "EUC-KR", LegacyCharset.eucKR),
        ("Google モバイル", "SHIFT_JIS", .shiftJIS),
        ("席番号 12 ようこそ", "SHIFT_JIS", .shiftJIS),
    ])
    func legacyCharsetsComeBackAsWritten(text: String, charset: String, native: LegacyCharset) throws {
        let bytes = try Self.encode(text, as: charset)
        #expect(SymbolText.decode(bytes, eciText: nil, preferring: native).text == text, "the fixture holds the whole text")
        #expect(String(validating: bytes, as: UTF8.self) == nil, "the fixture is not UTF-8")
        let symbols = Self.read(try QRMatrix(payload: bytes))
        #expect(symbols.count == 3, "every engine reads it")
        for symbol in symbols {
            #expect(symbol.payload == bytes, "\(symbol.foundBy): the bytes as written")
            #expect(symbol.text(preferring: native) == text, "\(symbol.foundBy)")
        }
        // Japanese Shift-JIS is not valid EUC-KR: a Korean store still reads it right.
        if native == .shiftJIS { #expect(symbols[0].text(preferring: .eucKR) == text) }
    }

    @Test func eucKRIsPreferredWhereBothCharsetsFit() throws {
        let text = "환영합니다 감사합니다"
        let bytes = try Self.encode(text, as: "EUC-KR")
        // These bytes are valid Shift-JIS too (half-width katakana and kanji): the preference decides.
        let asShiftJIS = SymbolText.decode(bytes, eciText: nil, preferring: .shiftJIS)
        #expect(asShiftJIS.charset == "shift-jis")
        #expect(asShiftJIS.text != text)
        let asKorean = SymbolText.decode(bytes, eciText: nil, preferring: .eucKR)
        #expect(asKorean == (text: text, charset: "euc-kr"))
    }

    @Test func utf8AndLatin1() throws {
        let korean = "자리 7번 · 3시간 남음"
        let symbols = Self.read(try QRMatrix(payload: Array(korean.utf8)))
        #expect(symbols.count == 3)
        for symbol in symbols { #expect(symbol.text == korean, "\(symbol.foundBy)") }
        let latin = try Self.encode("Café naïve", as: "ISO-8859-1")
        #expect(SymbolText.decode(latin, eciText: nil, preferring: .eucKR) == (text: "Café naïve", charset: "iso-8859-1"))
    }

    @Test(arguments: [("Google モバイル", "Shift_JIS"), ("Привет", "ISO-8859-5"), ("환영합니다", "EUC-KR")])
    func anECIDesignatorDecidesTheCharset(text: String, charset: String) throws {
        let matrix = try QRMatrix.eciTagged(text, charset: charset)
        let symbol = try #require(ZXingDecoder().decode(matrix.image(moduleSize: 4)).first)
        #expect(symbol.eciText == text)
        // Whatever the preference: the symbol said.
        #expect(symbol.text(preferring: .eucKR) == text)
        #expect(symbol.text(preferring: .shiftJIS) == text)
    }

    @Test func passTokensAreUnaffected() throws {
        let token = Fixtures.passText()
        #expect(SymbolText.decode(Array(token.utf8), eciText: nil, preferring: .shiftJIS) == (text: token, charset: "utf-8"))
    }
}
