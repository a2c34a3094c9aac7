import Crypto
import Foundation
import Testing
@testable import CafeProtocol

@Suite struct PassTokenTests {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func token(kind: PassKind = .period, store: UInt32 = 7) -> PassToken {
        PassToken(keyID: KeyID(rawValue: 0), passID: UUID(), storeID: store, kind: kind,
                  validFrom: now, validUntil: now.addingTimeInterval(14 * 86_400), issuedAt: now)
    }

    @Test(arguments: PassKind.allCases)
    func signedTokenRoundTrips(kind: PassKind) throws {
        let original = token(kind: kind)
        let text = try signer.signText(original)
        let verifier = PassVerifier(publicKeys: [signer.privateKey.publicKey])
        let parsed = try verifier.verify(text: text)
        var expected = original
        expected.keyID = signer.keyID
        #expect(parsed == expected)
        #expect(text.count == (PassToken.encodedLength / 2) * 3)
        // Only base45 characters: the QR symbol stays in alphanumeric mode.
        #expect(text.utf8.allSatisfy { Base45.values[Int($0)] != 0xFF })
    }

    @Test func timesAreWholeSeconds() throws {
        let fractional = PassToken(keyID: KeyID(rawValue: 0), passID: UUID(), storeID: 1, kind: .day,
                                   validFrom: now.addingTimeInterval(0.7), validUntil: now.addingTimeInterval(86_400.9),
                                   issuedAt: now.addingTimeInterval(0.2))
        let verifier = PassVerifier(publicKeys: [signer.privateKey.publicKey])
        let parsed = try verifier.verify(text: signer.signText(fractional))
        #expect(parsed.validFrom == now)
        #expect(parsed.validUntil == now.addingTimeInterval(86_400))
    }

    @Test func tamperingWithAnyByteIsDetected() throws {
        let bytes = try signer.sign(token())
        let verifier = PassVerifier(publicKeys: [signer.privateKey.publicKey])
        #expect(try verifier.verify(bytes: bytes).storeID == 7)
        for index in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var forged = bytes
                forged[index] ^= flip
                #expect(throws: PassTokenError.self, "byte \(index) ^ \(flip) was accepted") {
                    try verifier.verify(bytes: forged)
                }
            }
        }
    }

    @Test func tamperedTextIsRejectedWithTheRightReason() throws {
        let text = try signer.signText(token())
        let verifier = PassVerifier(publicKeys: [signer.privateKey.publicKey])
        // Changing the store id bytes keeps the key id: the signature must fail.
        var bytes = try Base45.decode(text)
        bytes[22] ^= 0x01
        do {
            _ = try verifier.verify(text: Base45.encode(bytes))
            Issue.record("a token with a changed store id was accepted")
        } catch {
            #expect(error == .invalidSignature)
            #expect(error.denyReason == .invalidSignature)
        }
    }

    @Test func wrongKeyIsUnknownKey() throws {
        let stranger = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
        let verifier = PassVerifier(publicKeys: [signer.privateKey.publicKey])
        #expect(throws: PassTokenError.unknownKey(stranger.keyID)) {
            try verifier.verify(text: stranger.signText(token()))
        }
        #expect(PassTokenError.unknownKey(stranger.keyID).denyReason == .unknownKey)
    }

    @Test func forgedSignatureUnderAKnownKeyIDIsInvalid() throws {
        // An attacker copies the key id of the real store and signs with their own key.
        let attacker = Curve25519.Signing.PrivateKey()
        var forged = token()
        forged.keyID = signer.keyID
        let signed = forged.signedBytes
        let bytes = signed + Array(try attacker.signature(for: signed))
        let verifier = PassVerifier(publicKeys: [signer.privateKey.publicKey])
        #expect(throws: PassTokenError.invalidSignature) { try verifier.verify(bytes: bytes) }
    }

    @Test func rotatedKeysVerifyTogetherUntilRetired() throws {
        let old = signer
        let new = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
        var verifier = PassVerifier(publicKeys: [old.privateKey.publicKey, new.privateKey.publicKey])
        let oldText = try old.signText(token())
        let newText = try new.signText(token())
        #expect(try verifier.verify(text: oldText).keyID == old.keyID)
        #expect(try verifier.verify(text: newText).keyID == new.keyID)
        #expect(Set(verifier.keyIDs) == [old.keyID, new.keyID])
        verifier.remove(old.keyID)
        #expect(throws: PassTokenError.unknownKey(old.keyID)) { try verifier.verify(text: oldText) }
        #expect(try verifier.verify(text: newText).keyID == new.keyID)
    }

    @Test func everyTruncationIsATypedError() throws {
        let bytes = try signer.sign(token())
        let verifier = PassVerifier(publicKeys: [signer.privateKey.publicKey])
        for length in 0..<bytes.count {
            #expect(throws: PassTokenError.self) { try verifier.verify(bytes: Array(bytes.prefix(length))) }
        }
        #expect(throws: PassTokenError.wrongLength(expected: PassToken.encodedLength, actual: bytes.count + 1)) {
            try verifier.verify(bytes: bytes + [0])
        }
        let text = try signer.signText(token())
        for length in 0..<text.count {
            #expect(throws: PassTokenError.self) { try verifier.verify(text: String(text.prefix(length))) }
        }
    }

    @Test func parsingIsTotalOnRandomInput() {
        var generator = SystemRandomNumberGenerator()
        let verifier = PassVerifier(publicKeys: [signer.privateKey.publicKey])
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...160, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty, Bool.random(using: &generator) { bytes[0] = PassToken.currentVersion }
            #expect(throws: PassTokenError.self) { try verifier.verify(bytes: bytes) }
            #expect(throws: PassTokenError.self) { try verifier.verify(text: String(decoding: bytes, as: UTF8.self)) }
        }
    }

    @Test func structuralErrorsAreUnreadable() throws {
        var bytes = try signer.sign(token())
        bytes[0] = 9
        #expect(throws: PassTokenError.unsupportedVersion(9)) { try PassToken.parse(bytes: bytes) }
        bytes[0] = PassToken.currentVersion
        bytes[25] = 0x7F  // the kind byte
        #expect(throws: PassTokenError.unknownKind(0x7F)) { try PassToken.parse(bytes: bytes) }
        #expect(PassTokenError.unknownKind(0x7F).denyReason == .unreadable)
        var window = token()
        window.validUntil = now.addingTimeInterval(-1)
        #expect(throws: PassTokenError.invalidWindow) { try PassToken.parse(bytes: signer.sign(window)) }
    }

    @Test func keyIDIsStableAndPrintable() {
        let key = signer.privateKey.publicKey
        #expect(KeyID(publicKey: key) == KeyID(publicKey: key))
        #expect(KeyID(rawValue: 0xAB).description == "000000ab")
    }
}
