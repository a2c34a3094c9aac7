import Crypto
import Foundation
import HummingbirdBcrypt
import JWTKit
import NIOPosix
import SQLKit

/// Passwords are hashed with bcrypt (HummingbirdBcrypt: the Hummingbird project's maintained
/// wrapper of OpenBSD's bcrypt). bcrypt rather than argon2: it is in a package we already trust
/// for the HTTP server, needs no system library, and its cost factor is tunable per box. Hashing
/// runs on NIO's thread pool so a login never stalls the event loop.
struct PasswordHasher: Sendable {
    let cost: UInt8

    func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// bcrypt reads at most 72 bytes: longer passwords are refused rather than silently cut.
    static func validate(_ password: String) throws {
        guard password.utf8.count >= 8 else { throw APIFailure.invalid("password must be at least 8 characters") }
        guard password.utf8.count <= 72 else { throw APIFailure.invalid("password must be at most 72 bytes") }
    }
}

/// The claims of an access token (JWT, HS256).
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var role: String

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
    }
}

/// Opaque secrets (refresh tokens, device tokens, enrolment codes) are random and stored only as
/// SHA-256 digests: a stolen database does not hand out working credentials.
enum Secrets {
    static func random(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Short codes an owner reads aloud or types on the box: 10 characters without look-alikes.
    static func enrollmentCode() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<10).map { _ in alphabet.randomElement(using: &generator)! }
        return String(characters[0..<5]) + "-" + String(characters[5...])
    }
}

/// Signs and verifies access tokens with the server's HMAC secret, kept in `server_settings` so
/// every instance of a PostgreSQL deployment shares it and restarts keep sessions.
struct AccessTokens: Sendable {
    let keys: JWTKeyCollection
    let lifetime: TimeInterval

    static func load(database: ServerDatabase, lifetime: TimeInterval) async throws -> AccessTokens {
        let secret = try await database.transaction { db -> String in
            if let row = try await db.raw("SELECT value FROM server_settings WHERE name = 'jwt_secret'").first() {
                return try row.decode(column: "value", as: String.self)
            }
            let secret = Secrets.random(bytes: 48)
            try await db.raw("INSERT INTO server_settings (name, value) VALUES ('jwt_secret', \(bind: secret)) ON CONFLICT (name) DO NOTHING").run()
            let row = try await db.raw("SELECT value FROM server_settings WHERE name = 'jwt_secret'").first()
            return try row!.decode(column: "value", as: String.self)
        }
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return AccessTokens(keys: keys, lifetime: lifetime)
    }

    func issue(account: UUID, role: Role, now: Date) async throws -> String {
        try await keys.sign(AccessClaims(sub: .init(value: account.uuidString), exp: .init(value: now.addingTimeInterval(lifetime)),
                                         iat: .init(value: now), role: role.rawValue))
    }

    func verify(_ token: String) async -> AuthenticatedAccount? {
        guard let claims = try? await keys.verify(token, as: AccessClaims.self),
              let id = UUID(uuidString: claims.sub.value), let role = Role(rawValue: claims.role)
        else { return nil }
        return AuthenticatedAccount(id: id, role: role)
    }
}
