import CryptoExtras
import FakeServerKit
import Foundation
import Hummingbird
import JWTKit
import Logging
import NIOCore
import Synchronization

/// A local Firebase Cloud Messaging, for tests and the demo: Google's OAuth2 token endpoint
/// (`POST /token`, `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, the assertion a JWT
/// signed RS256 by the service account, checked against its public key, audience and scope) and
/// FCM HTTP v1 (`POST /v1/projects/{project}/messages:send` with the bearer token), answering
/// with FCM's JSON — `UNREGISTERED` for tokens the test says are gone. Tests script faults.
public final class FakeFCM: Sendable {
    public struct Delivered: Sendable, Equatable {
        public var token: String
        public var title: String
        public var body: String
        public var data: [String: String]
        /// The key that makes a resent copy replace the first on the device (Android, APNs).
        public var collapseKey: String? = nil
        public init(token: String, title: String, body: String, data: [String: String]) {
            self.token = token
            self.title = title
            self.body = body
            self.data = data
        }
    }

    public enum Fault: Sendable {
        case none
        /// Every send answers 503 UNAVAILABLE.
        case unavailable
        /// Every send hangs this long, then fails with 503 and delivers nothing.
        case delay(Duration)
    }

    private struct State {
        var delivered: [Delivered] = []
        var accessTokens: Set<String> = []
        var tokenRequests = 0
        var unregistered: Set<String> = []
        var fault = Fault.none
    }

    public let projectID = "cafe-test"
    public let clientEmail = "cafe-server@cafe-test.iam.gserviceaccount.com"
    /// The service account's key, made for this fake (RSA 2048).
    public let privateKeyPEM: String
    private let verifier: JWTKeyCollection
    private let state = Mutex(State())

    /// One key for every fake in the process: RSA key generation costs seconds in a debug build,
    /// and every test cafe starts a fake.
    private static let sharedKey: Result<_RSA.Signing.PrivateKey, any Error> = Result { try _RSA.Signing.PrivateKey(keySize: .bits2048) }

    /// `freshKey`: a service account of its own (a stranger's key), not the process's shared one.
    public init(freshKey: Bool = false) async throws {
        let key = freshKey ? try _RSA.Signing.PrivateKey(keySize: .bits2048) : try Self.sharedKey.get()
        privateKeyPEM = key.pemRepresentation
        verifier = JWTKeyCollection()
        await verifier.add(rsa: try Insecure.RSA.PublicKey(pem: key.publicKey.pemRepresentation), digestAlgorithm: .sha256)
    }

    public var delivered: [Delivered] { state.withLock { $0.delivered } }
    public var tokenRequests: Int { state.withLock { $0.tokenRequests } }
    public func setFault(_ fault: Fault) { state.withLock { $0.fault = fault } }
    /// FCM answers UNREGISTERED for this device token from now on (the app was uninstalled).
    public func unregister(_ token: String) { _ = state.withLock { $0.unregistered.insert(token) } }

    /// The service-account key file a server is configured with (`FCM_SERVICE_ACCOUNT_FILE`).
    public func serviceAccountJSON(baseURL: String) -> String {
        let object: [String: String] = [
            "type": "service_account", "project_id": projectID, "client_email": clientEmail,
            "private_key": privateKeyPEM, "token_uri": baseURL + "/token",
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    /// Runs on 127.0.0.1 (port 0: any free port) until `body` returns; `body` gets the base URL.
    public func run<T: Sendable>(port: Int = 0, _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        try await LoopbackApplication.run(router(), name: "fake-fcm", port: port) { port in try await body("http://127.0.0.1:\(port)") }
    }

    struct Assertion: JWTPayload {
        var iss: IssuerClaim
        var scope: String
        var aud: AudienceClaim
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        func verify(using algorithm: some JWTAlgorithm) throws { try exp.verifyNotExpired() }
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("token") { request, context -> Response in
            self.state.withLock { $0.tokenRequests += 1 }
            let form = String(buffer: try await request.body.collect(upTo: 1 << 16))
            var fields: [String: String] = [:]
            for pair in form.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard fields["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer", let assertion = fields["assertion"] else {
                return Self.json(400, ["error": "unsupported_grant_type", "error_description": "grant_type must be jwt-bearer"])
            }
            let claims: Assertion
            do { claims = try await self.verifier.verify(assertion, as: Assertion.self) } catch {
                return Self.json(400, ["error": "invalid_grant", "error_description": "Invalid JWT Signature."])
            }
            guard claims.iss.value == self.clientEmail, claims.scope.contains("firebase.messaging"),
                  claims.aud.value.contains(where: { $0.hasSuffix("/token") }) else {
                return Self.json(400, ["error": "invalid_grant", "error_description": "wrong issuer, audience or scope"])
            }
            let token = "ya29.fake-" + UUID().uuidString
            self.state.withLock { _ = $0.accessTokens.insert(token) }
            return Self.json(200, ["access_token": token, "expires_in": 3599, "token_type": "Bearer"])
        }
        router.post("v1/projects/:project/messages:send") { request, context -> Response in
            switch self.state.withLock({ $0.fault }) {
            case .none: break
            case .unavailable: return Self.fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", errorCode: "UNAVAILABLE")
            case .delay(let duration):
                try await Task.sleep(for: duration)
                return Self.fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", errorCode: "UNAVAILABLE")
            }
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
                  self.state.withLock({ $0.accessTokens.contains(String(header.dropFirst(7))) }) else {
                return Self.fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", errorCode: nil)
            }
            guard context.parameters.get("project") == self.projectID else {
                return Self.fcmError(403, "PERMISSION_DENIED", "Permission denied on project.", errorCode: "SENDER_ID_MISMATCH")
            }
            let buffer = try await request.body.collect(upTo: 1 << 16)
            guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any],
                  let message = object["message"] as? [String: Any], let token = message["token"] as? String,
                  let notification = message["notification"] as? [String: Any] else {
                return Self.fcmError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.", errorCode: "INVALID_ARGUMENT")
            }
            if self.state.withLock({ $0.unregistered.contains(token) }) {
                return Self.fcmError(404, "NOT_FOUND", "Requested entity was not found.", errorCode: "UNREGISTERED")
            }
            var delivered = Delivered(token: token, title: notification["title"] as? String ?? "", body: notification["body"] as? String ?? "",
                                      data: message["data"] as? [String: String] ?? [:])
            delivered.collapseKey = (message["android"] as? [String: Any])?["collapse_key"] as? String
            self.state.withLock { $0.delivered.append(delivered) }
            return Self.json(200, ["name": "projects/\(self.projectID)/messages/\(UUID().uuidString)"])
        }
        return router
    }

    private static func fcmError(_ status: Int, _ name: String, _ message: String, errorCode: String?) -> Response {
        var error: [String: Any] = ["code": status, "message": message, "status": name]
        if let errorCode { error["details"] = [["@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": errorCode]] }
        return json(status, ["error": error])
    }

    private static func json(_ status: Int, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=UTF-8"
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
