import Testing
@testable import CafeProtocol

@Suite struct Base45Tests {
    /// RFC 9285, section 4.3 and 4.4 examples.
    @Test(arguments: [("AB", "BB8"), ("Hello!!", "%69 VD92EX0"), ("base-45", "UJCLQE7W581"), ("ietf!", "QED8WEX0")])
    func rfcVectors(plain: String, encoded: String) throws {
        #expect(Base45.encode(Array(plain.utf8)) == encoded)
        #expect(try Base45.decode(encoded) == Array(plain.utf8))
    }

    @Test func emptyRoundTrips() throws {
        #expect(Base45.encode([UInt8]()) == "")
        #expect(try Base45.decode("") == [])
    }

    @Test func everyLengthAndByteValueRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(try Base45.decode(Base45.encode(bytes)) == bytes)
        }
        let extremes: [[UInt8]] = [[0], [255], [0, 0], [255, 255], [255, 255, 255]]
        for bytes in extremes { #expect(try Base45.decode(Base45.encode(bytes)) == bytes) }
    }

    @Test func rejectsWhatIsNotBase45() {
        // 'GGW' is 65536, one past two bytes (RFC 9285 section 6).
        #expect(throws: Base45.DecodingError.valueOutOfRange(offset: 0)) { try Base45.decode("GGW") }
        // Two characters encode one byte, at most 255 ("U5" is 5 + 45*5 = 230; "::" is 44*46 = 2024).
        #expect(throws: Base45.DecodingError.valueOutOfRange(offset: 3)) { try Base45.decode("BB8::") }
        #expect(throws: Base45.DecodingError.invalidCharacter(offset: 1)) { try Base45.decode("Bb8") }
        #expect(throws: Base45.DecodingError.invalidLength(4)) { try Base45.decode("BB8B") }
        #expect(throws: Base45.DecodingError.invalidCharacter(offset: 0)) { try Base45.decode("ä€0") }
    }
}
