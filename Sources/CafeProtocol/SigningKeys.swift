import Crypto
import Foundation

/// A short identifier of a store's signing key, carried in every token so a kiosk holding
/// several keys (rotation) knows which one to check: the first four bytes of SHA-256 over the
/// raw public key.
public struct KeyID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(publicKey: Curve25519.Signing.PublicKey) {
        let digest = Array(SHA256.hash(data: publicKey.rawRepresentation))
        rawValue = digest[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Eight lower-case hex digits, as logs and `kioskd status` show it.
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}

/// The server's side: signs tokens with one store key. The private key never reaches a kiosk.
public struct PassSigner: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    public var keyID: KeyID { KeyID(publicKey: privateKey.publicKey) }

    public init(privateKey: Curve25519.Signing.PrivateKey) { self.privateKey = privateKey }

    /// The wire bytes: the token's content with this signer's key id, then the signature.
    public func sign(_ token: PassToken) throws -> [UInt8] {
        var token = token
        token.keyID = keyID
        let signed = token.signedBytes
        let signature = try privateKey.signature(for: signed)
        return signed + Array(signature)
    }

    /// The QR text: base45 of `sign(_:)`.
    public func signText(_ token: PassToken) throws -> String {
        Base45.encode(try sign(token))
    }
}

/// The kiosk's side: the public keys of its store, several at once while keys rotate.
public struct PassVerifier: Sendable {
    private var keys: [KeyID: [Curve25519.Signing.PublicKey]] = [:]

    public init(publicKeys: [Curve25519.Signing.PublicKey] = []) {
        for key in publicKeys { add(key) }
    }

    public mutating func add(_ key: Curve25519.Signing.PublicKey) {
        let id = KeyID(publicKey: key)
        if keys[id, default: []].contains(where: { $0.rawRepresentation == key.rawRepresentation }) {
            return
        }
        keys[id, default: []].append(key)
    }

    /// Retires every key with this id: tokens signed with it become `unknown_key`.
    public mutating func remove(_ id: KeyID) { keys[id] = nil }

    public var keyIDs: [KeyID] { keys.keys.sorted { $0.rawValue < $1.rawValue } }

    /// Parses and checks a scanned text: a token whose signature matches one of the keys,
    /// or the reason it is not one.
    public func verify(text: String) throws(PassTokenError) -> PassToken {
        try verify(PassToken.parse(text: text))
    }

    public func verify(bytes: [UInt8]) throws(PassTokenError) -> PassToken {
        try verify(PassToken.parse(bytes: bytes))
    }

    public func verify(_ unverified: PassToken.Unverified) throws(PassTokenError) -> PassToken {
        let id = unverified.token.keyID
        guard let candidates = keys[id] else { throw .unknownKey(id) }
        for key in candidates
        where key.isValidSignature(unverified.signature, for: unverified.signedBytes) {
            return unverified.token
        }
        throw .invalidSignature
    }
}
