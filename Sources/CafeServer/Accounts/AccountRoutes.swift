import CafeProtocol
import Foundation
import Hummingbird
import SQLKit

public struct SignUpRequest: Codable, Sendable {
    public var login: String
    public var password: String
    public var displayName: String
    enum CodingKeys: String, CodingKey { case login, password, displayName = "display_name" }
}

public struct LoginRequest: Codable, Sendable {
    public var login: String
    public var password: String
}

public struct RefreshRequest: Codable, Sendable {
    public var refreshToken: String
    enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
}

public struct TokenPair: Codable, Sendable, ResponseEncodable {
    public var accessToken: String
    public var refreshToken: String
    public var tokenType = "Bearer"
    /// Seconds until the access token expires.
    public var expiresIn: Int
    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", refreshToken = "refresh_token", tokenType = "token_type", expiresIn = "expires_in"
    }
}

public struct AccountView: Codable, Sendable, ResponseEncodable {
    public var accountID: UUID
    public var login: String
    public var displayName: String
    public var role: Role
    enum CodingKeys: String, CodingKey { case accountID = "account_id", login, displayName = "display_name", role }
}

struct AccountRow: Codable, Sendable {
    var id: String
    var login: String
    var passwordHash: String
    var displayName: String
    var role: String

    var view: AccountView {
        AccountView(accountID: UUID(uuidString: id)!, login: login, displayName: displayName, role: Role(rawValue: role) ?? .customer)
    }

    /// The account with this login, inside the caller's transaction.
    static func find(login: String, in db: any SQLDatabase) async throws -> AccountRow? {
        try await db.raw("SELECT id, login, password_hash, display_name, role FROM accounts WHERE login = \(bind: login)")
            .first(decoding: AccountRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }
}

/// Accounts: sign up, log in, refresh (rotating, with reuse detection), log out, who am I.
struct AccountService: Sendable {
    let database: ServerDatabase
    let hasher: PasswordHasher
    let accessTokens: AccessTokens
    let refreshLifetime: TimeInterval
    /// A hash of a random password with the configured cost: verified against when the login is
    /// unknown, so a failed login takes the same time either way.
    let dummyHash: String
    var throttle = LoginThrottle()

    static func validateLogin(_ login: String) throws {
        guard (3...64).contains(login.count),
              login.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-@+".contains($0)) })
        else { throw APIFailure.invalid("login must be 3 to 64 letters, digits or . _ - @ +") }
    }

    func create(login: String, password: String, displayName: String, role: Role, now: Date) async throws -> AccountView {
        try Self.validateLogin(login)
        try PasswordHasher.validate(password)
        guard (1...50).contains(displayName.count) else { throw APIFailure.invalid("display_name must be 1 to 50 characters") }
        let hash = try await hasher.hash(password)
        let id = UUID()
        return try await database.transaction { db in
            if try await db.raw("SELECT id FROM accounts WHERE login = \(bind: login)").first() != nil {
                throw APIFailure.conflict("login_taken", "the login \(login) is taken")
            }
            try await db.raw("""
                INSERT INTO accounts (id, login, password_hash, display_name, role, created_at)
                VALUES (\(bind: id.uuidString), \(bind: login), \(bind: hash), \(bind: displayName), \(bind: role.rawValue), \(bind: DBTime.millis(now)))
                """).run()
            return AccountView(accountID: id, login: login, displayName: displayName, role: role)
        }
    }

    func account(login: String) async throws -> AccountRow? {
        try await database.read { db in try await AccountRow.find(login: login, in: db) }
    }

    func account(id: UUID) async throws -> AccountRow? {
        try await database.read { db in
            try await db.raw("SELECT id, login, password_hash, display_name, role FROM accounts WHERE id = \(bind: id.uuidString)")
                .first(decoding: AccountRow.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
    }

    func logIn(login: String, password: String, now: Date) async throws -> TokenPair {
        if let wait = throttle.retryAfter(login, now: now) {
            throw APIFailure(.tooManyRequests, APIError.rateLimited, "too many failed logins for \(login): try again in \(wait) s",
                             retryAfter: wait)
        }
        // The same answer, and about the same time, whether the login exists or not.
        let row = try await account(login: login)
        let hash = row?.passwordHash ?? dummyHash
        let matches = try await hasher.verify(password, hash: hash)
        guard let row, matches else {
            throttle.recordFailure(login, now: now)
            throw APIFailure(.unauthorized, "invalid_credentials", "wrong login or password")
        }
        throttle.recordSuccess(login)
        return try await issuePair(account: row.view, family: UUID(), now: now)
    }

    private func issuePair(account: AccountView, family: UUID, now: Date) async throws -> TokenPair {
        let refresh = Secrets.random()
        try await database.transaction { db in
            try await db.raw("""
                INSERT INTO refresh_tokens (token_hash, account_id, family_id, expires_at, created_at)
                VALUES (\(bind: Secrets.digest(refresh)), \(bind: account.accountID.uuidString), \(bind: family.uuidString),
                        \(bind: DBTime.millis(now.addingTimeInterval(refreshLifetime))), \(bind: DBTime.millis(now)))
                """).run()
        }
        let access = try await accessTokens.issue(account: account.accountID, role: account.role, now: now)
        return TokenPair(accessToken: access, refreshToken: refresh, expiresIn: Int(accessTokens.lifetime))
    }

    /// Rotation: each refresh token works once. Presenting a used one means it was copied: the
    /// whole family (every token descended from that login) is revoked.
    func refresh(_ token: String, now: Date) async throws -> TokenPair {
        let digest = Secrets.digest(token)
        let claimed = try await database.transaction { db -> (account: String, family: String)? in
            if let row = try await db.raw("""
                UPDATE refresh_tokens SET used_at = \(bind: DBTime.millis(now))
                WHERE token_hash = \(bind: digest) AND used_at IS NULL AND revoked_at IS NULL AND expires_at > \(bind: DBTime.millis(now))
                RETURNING account_id, family_id
                """).first() {
                return (try row.decode(column: "account_id", as: String.self), try row.decode(column: "family_id", as: String.self))
            }
            if let row = try await db.raw("SELECT family_id, used_at, revoked_at FROM refresh_tokens WHERE token_hash = \(bind: digest)").first(),
               try row.decode(column: "used_at", as: Int64?.self) != nil, try row.decode(column: "revoked_at", as: Int64?.self) == nil {
                let family = try row.decode(column: "family_id", as: String.self)
                try await db.raw("UPDATE refresh_tokens SET revoked_at = \(bind: DBTime.millis(now)) WHERE family_id = \(bind: family) AND revoked_at IS NULL").run()
                return ("", family)
            }
            return nil
        }
        guard let claimed else { throw APIFailure(.unauthorized, "invalid_refresh_token", "the refresh token is unknown, expired or revoked; log in again") }
        guard !claimed.account.isEmpty else {
            throw APIFailure(.unauthorized, "refresh_token_reused", "this refresh token was used before: every session of that login is signed out")
        }
        guard let id = UUID(uuidString: claimed.account), let account = try await account(id: id) else { throw APIFailure.unauthorized() }
        return try await issuePair(account: account.view, family: UUID(uuidString: claimed.family) ?? UUID(), now: now)
    }

    func logOut(_ token: String, now: Date) async throws {
        try await database.transaction { db in
            guard let row = try await db.raw("SELECT family_id FROM refresh_tokens WHERE token_hash = \(bind: Secrets.digest(token))").first() else { return }
            let family = try row.decode(column: "family_id", as: String.self)
            try await db.raw("UPDATE refresh_tokens SET revoked_at = \(bind: DBTime.millis(now)) WHERE family_id = \(bind: family) AND revoked_at IS NULL").run()
        }
    }
}

struct AccountRoutes {
    let service: AccountService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.post("accounts") { request, context -> Response in
            let body = try await request.decodeBody(SignUpRequest.self, context: context)
            let account = try await service.create(login: body.login, password: body.password, displayName: body.displayName,
                                                   role: .customer, now: now())
            return try WireResponse.json(account, status: .created)
        }
        router.post("auth/login") { request, context -> TokenPair in
            let body = try await request.decodeBody(LoginRequest.self, context: context)
            guard body.login.count <= 64, body.password.utf8.count <= 1024 else {
                throw APIFailure(.unauthorized, "invalid_credentials", "wrong login or password")
            }
            return try await service.logIn(login: body.login, password: body.password, now: now())
        }
        router.post("auth/refresh") { request, context -> TokenPair in
            let body = try await request.decodeBody(RefreshRequest.self, context: context)
            return try await service.refresh(body.refreshToken, now: now())
        }
        router.post("auth/logout") { request, context -> Response in
            let body = try await request.decodeBody(RefreshRequest.self, context: context)
            try await service.logOut(body.refreshToken, now: now())
            return Response(status: .noContent)
        }
        router.get("me") { _, context -> AccountView in
            let caller = try context.requireAccount()
            guard let row = try await service.account(id: caller.id) else { throw APIFailure.unauthorized() }
            return row.view
        }
        return router
    }
}

