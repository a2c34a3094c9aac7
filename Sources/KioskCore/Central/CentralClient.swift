import CafeProtocol
import Foundation

/// Why a call to `cafe-server` did not give the answer asked for.
public enum CentralError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No answer: network down, server down, or the deadline passed. Decide offline.
    case unavailable(TransportError)
    /// 401: the device token is unknown or was revoked. The kiosk must be enrolled again.
    case unauthorized(String)
    /// 4xx other than 401: this request is wrong and will not succeed if repeated.
    case rejected(status: Int, APIError?)
    /// 5xx: the server failed; try again later (and decide offline now).
    case serverError(status: Int, APIError?)
    /// A 2xx whose body is not what the contract says.
    case invalidResponse(String)

    /// Whether the kiosk should fall back to its cache and retry later.
    public var isTransient: Bool {
        switch self {
        case .unavailable, .serverError: true
        case .unauthorized, .rejected, .invalidResponse: false
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let error): "\(error)"
        case .unauthorized(let message): "device not authorised (\(message)): enrol it again with 'kioskd enroll'"
        case .rejected(let status, let body): "request refused (HTTP \(status))\(body.map { ": \($0)" } ?? "")"
        case .serverError(let status, let body): "server error (HTTP \(status))\(body.map { ": \($0)" } ?? "")"
        case .invalidResponse(let reason): "unexpected answer from the server: \(reason)"
        }
    }
}

/// The kiosk contract (`KioskAPI`, version 1) as typed calls over an `HTTPTransport`.
public struct CentralClient: Sendable {
    public let baseURL: String
    public let deviceToken: String?
    private let transport: any HTTPTransport

    /// - Parameter baseURL: e.g. `https://cafe.example.com` (no trailing slash needed).
    public init(baseURL: String, deviceToken: String?, transport: any HTTPTransport) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.deviceToken = deviceToken
        self.transport = transport
    }

    public func enroll(_ request: EnrollRequest, timeout: Duration = .seconds(10)) async throws(CentralError) -> EnrollResponse {
        try await call("POST", KioskAPI.enrollPath, body: request, timeout: timeout)
    }

    public func sync(cursor: String?, limit: Int, outbox: OutboxReport? = nil, timeout: Duration = .seconds(30)) async throws(CentralError) -> SyncPage {
        var query = "?limit=\(limit)"
        if let cursor { query += "&cursor=\(Self.percentEncoded(cursor))" }
        if let outbox {
            query += "&\(OutboxReport.pendingParameter)=\(outbox.pending)"
            if let oldest = outbox.oldest { query += "&\(OutboxReport.oldestParameter)=\(Self.percentEncoded(WireCoding.timestamp(oldest)))" }
        }
        return try await call("GET", KioskAPI.syncPath + query, body: Optional<EnrollRequest>.none, timeout: timeout)
    }

    /// The online verdict, within `deadline`: past it the caller decides offline.
    public func checkIn(_ request: CheckInRequest, deadline: Duration) async throws(CentralError) -> CheckInResponse {
        try await call("POST", KioskAPI.checkInsPath, body: request, timeout: deadline, connectTimeout: deadline)
    }

    public func upload(_ batch: EventBatch, timeout: Duration = .seconds(30)) async throws(CentralError) -> EventBatchResult {
        try await call("POST", KioskAPI.eventsPath, body: batch, timeout: timeout)
    }

    /// Tells the server a print job came out of the printer (204, no body).
    public func acknowledgePrintJob(_ jobID: UUID, printedAt: Date, timeout: Duration = .seconds(10)) async throws(CentralError) {
        let _: NoContent = try await call("POST", KioskAPI.printJobAckPath(jobID.uuidString), body: PrintJobAck(printedAt: printedAt),
                                          timeout: timeout)
    }

    /// An answer without a body (204).
    struct NoContent: Decodable {}

    private func call<Body: Encodable, Answer: Decodable>(
        _ method: String, _ path: String, body: Body?, timeout: Duration, connectTimeout: Duration = .seconds(3)
    ) async throws(CentralError) -> Answer {
        var headers: [(name: String, value: String)] = [("Accept", "application/json"), ("User-Agent", "kioskd/1")]
        if let deviceToken { headers.append(("Authorization", "\(KioskAPI.authorizationScheme) \(deviceToken)")) }
        var bytes: [UInt8]?
        if let body {
            headers.append(("Content-Type", "application/json"))
            do { bytes = Array(try WireCoding.encoder().encode(body)) } catch {
                throw .invalidResponse("cannot encode request: \(error)")
            }
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: method, url: baseURL + path, headers: headers, body: bytes,
                                                            timeout: timeout, connectTimeout: min(connectTimeout, timeout)))
        } catch {
            throw .unavailable(error)
        }
        let apiError = try? WireCoding.decoder().decode(APIError.self, from: Data(response.body))
        switch response.status {
        case 200..<300:
            if Answer.self == NoContent.self, let none = NoContent() as? Answer { return none }
            do { return try WireCoding.decoder().decode(Answer.self, from: Data(response.body)) } catch {
                throw .invalidResponse("\(Answer.self): \(Self.describe(error))")
            }
        case 401: throw .unauthorized(apiError?.message ?? "HTTP 401")
        case 400..<500: throw .rejected(status: response.status, apiError)
        default: throw .serverError(status: response.status, apiError)
        }
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?: "\(context.debugDescription) at \(path(context.codingPath))"
        case .keyNotFound(let key, let context)?: "missing '\(key.stringValue)' at \(path(context.codingPath))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            "\(context.debugDescription) at \(path(context.codingPath))"
        default: "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "top level" : keys.map(\.stringValue).joined(separator: ".")
    }
}
