import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One notification to one device.
public struct PushMessage: Sendable, Equatable {
    public var token: String
    public var title: String
    public var body: String
    /// Small string pairs the app reads (`kind`, `ticket_id`, …).
    public var data: [String: String]
    /// The same for every try of one message: a copy resent after a lost answer replaces the
    /// first on the device instead of showing twice (Android `collapse_key`, APNs `apns-collapse-id`).
    public var collapseKey: String?

    public init(token: String, title: String, body: String, data: [String: String] = [:], collapseKey: String? = nil) {
        self.token = token
        self.title = title
        self.body = body
        self.data = data
        self.collapseKey = collapseKey
    }
}

public enum PushError: Error, Equatable, CustomStringConvertible {
    /// The device token is not (or no longer) valid: drop it, never retry.
    case invalidToken(String)
    /// Not delivered this time (down, slow, over quota): try again later.
    case retryable(String)
    /// Refused for good (a malformed message, wrong credentials).
    case rejected(String)

    public var description: String {
        switch self {
        case .invalidToken(let detail): "the device token is no longer valid: \(detail)"
        case .retryable(let detail): "not delivered, will retry: \(detail)"
        case .rejected(let detail): "refused by the push service: \(detail)"
        }
    }
}

/// What the server needs of a push service.
public protocol PushSender: Sendable {
    func send(_ message: PushMessage) async throws(PushError)
}

/// A Firebase service-account key file (the JSON downloaded from the Firebase console), the
/// fields FCM HTTP v1 needs.
public struct FCMServiceAccount: Codable, Sendable, Equatable {
    public var projectID: String
    public var clientEmail: String
    /// PEM, `-----BEGIN PRIVATE KEY-----`. Secret: never logged.
    public var privateKey: String
    /// `https://oauth2.googleapis.com/token` (or a local fake's).
    public var tokenURI: String

    enum CodingKeys: String, CodingKey {
        case projectID = "project_id", clientEmail = "client_email", privateKey = "private_key", tokenURI = "token_uri"
    }

    public init(projectID: String, clientEmail: String, privateKey: String, tokenURI: String) {
        self.projectID = projectID
        self.clientEmail = clientEmail
        self.privateKey = privateKey
        self.tokenURI = tokenURI
    }

    /// Reads the key file; a clear error names what is missing.
    public static func load(path: String) throws -> FCMServiceAccount {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServerConfigurationError.invalid("FCM_SERVICE_ACCOUNT_FILE", "cannot read \(path)")
        }
        do { return try JSONDecoder().decode(FCMServiceAccount.self, from: data) } catch {
            throw ServerConfigurationError.invalid("FCM_SERVICE_ACCOUNT_FILE", "\(path) is not a service-account key (project_id, client_email, private_key, token_uri)")
        }
    }
}

/// The claims of the OAuth2 assertion a service account signs (RFC 7523, Google's flavour).
struct ServiceAccountAssertion: JWTPayload {
    var iss: IssuerClaim
    var scope: String
    var aud: AudienceClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
    }
}

/// Firebase Cloud Messaging, HTTP v1: an access token from the service account (a JWT signed
/// RS256, exchanged at the token URI, cached until a minute before it expires), then
/// `POST {base}/v1/projects/{project}/messages:send` per message.
public final class FCMClient: PushSender {
    public static let productionURL = "https://fcm.googleapis.com"
    static let scope = "https://www.googleapis.com/auth/firebase.messaging"

    private let account: FCMServiceAccount
    private let baseURL: String
    private let keys: JWTKeyCollection
    private let http: HTTPClient
    private let timeout: TimeAmount
    private let token = AccessTokenCache()
    private let logger: Logger

    public init(account: FCMServiceAccount, baseURL: String = FCMClient.productionURL, http: HTTPClient = .shared,
                timeout: TimeInterval = 10, logger: Logger) async throws {
        self.account = account
        self.baseURL = baseURL.trimmingSuffix("/")
        self.http = http
        self.timeout = .milliseconds(Int64(timeout * 1000))
        self.logger = logger
        let key: Insecure.RSA.PrivateKey
        do { key = try Insecure.RSA.PrivateKey(pem: account.privateKey) } catch {
            throw ServerConfigurationError.invalid("FCM_SERVICE_ACCOUNT_FILE", "private_key is not an RSA key in PEM (\(error))")
        }
        keys = JWTKeyCollection()
        await keys.add(rsa: key, digestAlgorithm: .sha256)
    }

    public func send(_ message: PushMessage) async throws(PushError) {
        let bearer = try await accessToken()
        var request = HTTPClientRequest(url: "\(baseURL)/v1/projects/\(account.projectID)/messages:send")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(bearer)")
        request.headers.add(name: "Content-Type", value: "application/json")
        var fields: [String: Any] = [
            "token": message.token,
            "notification": ["title": message.title, "body": message.body],
            "data": message.data,
        ]
        if let key = message.collapseKey {
            fields["android"] = ["collapse_key": key]
            fields["apns"] = ["headers": ["apns-collapse-id": key]]
        }
        let payload: [String: Any] = ["message": fields]
        guard let body = try? JSONSerialization.data(withJSONObject: payload) else { throw .rejected("cannot encode the message") }
        request.body = .bytes(ByteBuffer(data: body))
        let (status, json) = try await execute(request)
        if (200..<300).contains(status) { return }
        let error = json["error"] as? [String: Any]
        let code = (error?["status"] as? String) ?? "HTTP_\(status)"
        let text = (error?["message"] as? String) ?? "status \(status)"
        let details = (error?["details"] as? [[String: Any]])?.compactMap { $0["errorCode"] as? String } ?? []
        switch status {
        case 404 where details.contains("UNREGISTERED") || code == "NOT_FOUND":
            throw .invalidToken("\(code) \(text)")
        case 403 where details.contains("SENDER_ID_MISMATCH"):
            throw .invalidToken("SENDER_ID_MISMATCH \(text)")
        case 400 where details.contains("INVALID_ARGUMENT") && text.lowercased().contains("token"):
            throw .invalidToken("\(code) \(text)")
        case 401:
            await token.clear()
            throw .retryable("the access token was refused (\(text)); a new one is fetched")
        case 429, 500...599:
            throw .retryable("\(code) \(text)")
        default:
            throw .rejected("\(code) \(text)")
        }
    }

    private func accessToken() async throws(PushError) -> String {
        do {
            return try await token.token(now: Date()) { () async throws -> (token: String, expires: Date) in try await self.fetchAccessToken() }
        } catch let error as PushError {
            throw error
        } catch {
            throw .retryable("\(error)")
        }
    }

    private func fetchAccessToken() async throws(PushError) -> (token: String, expires: Date) {
        let now = Date()
        let claims = ServiceAccountAssertion(iss: .init(value: account.clientEmail), scope: Self.scope, aud: .init(value: account.tokenURI),
                                             iat: .init(value: now), exp: .init(value: now.addingTimeInterval(3600)))
        let assertion: String
        do { assertion = try await keys.sign(claims) } catch { throw .rejected("cannot sign the service-account assertion: \(error)") }
        var request = HTTPClientRequest(url: account.tokenURI)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"))
        let (status, json) = try await execute(request)
        guard (200..<300).contains(status), let value = json["access_token"] as? String else {
            let reason = (json["error_description"] as? String) ?? (json["error"] as? String) ?? "HTTP \(status)"
            if status >= 500 || status == 429 { throw .retryable("token endpoint: \(reason)") }
            throw .rejected("the token endpoint refused the service account: \(reason)")
        }
        let lifetime = (json["expires_in"] as? NSNumber)?.doubleValue ?? 3600
        return (value, now.addingTimeInterval(lifetime))
    }

    private func execute(_ request: HTTPClientRequest) async throws(PushError) -> (UInt, [String: Any]) {
        do {
            let response = try await http.execute(request, timeout: timeout)
            let buffer = try await response.body.collect(upTo: 1 << 20)
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
            return (response.status.code, json)
        } catch {
            throw .retryable("no answer from \(request.url): \(error)")
        }
    }
}
