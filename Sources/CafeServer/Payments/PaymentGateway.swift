import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A payment as the gateway reports it.
public struct GatewayReceipt: Sendable, Equatable {
    public var receiptID: String
    /// Our order id, as the app passed it to the gateway's checkout.
    public var orderID: String
    public var price: Int
    public var status: Int
    /// Won cancelled from this receipt so far (BootPay's `cancelled_price`; partial cancels add up).
    public var cancelledPrice: Int = 0

    /// BootPay's receipt status for a completed payment (결제완료).
    public static let paid = 1
}

public enum PaymentGatewayError: Error, Equatable, CustomStringConvertible {
    /// The gateway knows no such receipt.
    case unknownReceipt(String)
    /// The gateway refused or failed (its error code and message).
    case rejected(code: String, message: String)
    /// No answer, or one we could not read.
    case unreachable(String)

    public var description: String {
        switch self {
        case .unknownReceipt(let id): "the gateway knows no receipt \(id)"
        case .rejected(let code, let message): "the gateway refused: \(code) \(message)"
        case .unreachable(let detail): "the gateway did not answer: \(detail)"
        }
    }
}

/// What the server needs of a payment gateway: look a receipt up, cancel it.
public protocol PaymentGateway: Sendable {
    func receipt(_ receiptID: String) async throws(PaymentGatewayError) -> GatewayReceipt
    /// Cancels `price` won of the receipt (less than its price: a partial cancel).
    func cancel(_ receiptID: String, price: Int, reason: String) async throws(PaymentGatewayError)
}

/// BootPay's REST API v2: `GET receipt/{id}`, `POST cancel`, authenticated either with a bearer
/// token (`POST request/token` with the application id and private key; valid 30 minutes,
/// cached and renewed a minute before it expires) or, with the client key and secret key of
/// BootPay's current SDKs, HTTP Basic on every call.
public final class BootPayClient: PaymentGateway {
    private let configuration: PaymentGatewayConfiguration
    private let http: HTTPClient
    private let token = AccessTokenCache()
    private let logger: Logger

    public init(configuration: PaymentGatewayConfiguration, http: HTTPClient = .shared, logger: Logger) {
        self.configuration = configuration
        self.http = http
        self.logger = logger
    }

    public func receipt(_ receiptID: String) async throws(PaymentGatewayError) -> GatewayReceipt {
        // RFC 3986 unreserved characters pass; anything else is escaped (a receipt id never
        // reaches the gateway as a path of its own).
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let escaped = receiptID.addingPercentEncoding(withAllowedCharacters: unreserved) ?? receiptID
        let json: [String: Any]
        do {
            json = try await call("GET", "receipt/\(escaped)", body: nil, authorized: true)
        } catch .unknownReceipt {
            throw .unknownReceipt(receiptID)
        }
        guard let orderID = json["order_id"] as? String, let price = (json["price"] as? NSNumber)?.intValue,
              let status = (json["status"] as? NSNumber)?.intValue
        else { throw .unreachable("receipt \(receiptID): missing order_id, price or status") }
        return GatewayReceipt(receiptID: (json["receipt_id"] as? String) ?? receiptID, orderID: orderID, price: price, status: status,
                              cancelledPrice: (json["cancelled_price"] as? NSNumber)?.intValue ?? 0)
    }

    public func cancel(_ receiptID: String, price: Int, reason: String) async throws(PaymentGatewayError) {
        _ = try await call("POST", "cancel", body: [
            "receipt_id": receiptID, "cancel_price": price, "cancel_username": "cafe-server", "cancel_message": reason,
        ], authorized: true)
    }

    /// The `Authorization` header of an authorised call.
    private func authorization() async throws(PaymentGatewayError) -> String {
        switch configuration.credentials {
        case .clientSecret(let clientKey, let secretKey):
            return "Basic " + Data("\(clientKey):\(secretKey)".utf8).base64EncodedString()
        case .applicationKey(let applicationID, let privateKey):
            return "Bearer " + (try await accessToken(applicationID: applicationID, privateKey: privateKey))
        }
    }

    private func accessToken(applicationID: String, privateKey: String) async throws(PaymentGatewayError) -> String {
        if let cached = await token.get(now: Date()) { return cached }
        let json = try await call("POST", "request/token", body: [
            "application_id": applicationID, "private_key": privateKey,
        ], authorized: false)
        guard let value = json["access_token"] as? String else { throw .unreachable("token response without access_token") }
        // BootPay says when the token expires; 30 minutes when it does not.
        let expires = (json["expired_at"] as? String).flatMap { try? Date.ISO8601FormatStyle().parse($0) } ?? Date().addingTimeInterval(1800)
        await token.set(value, expires: expires)
        return value
    }

    private func call(_ method: String, _ path: String, body: [String: any Sendable]?, authorized: Bool) async throws(PaymentGatewayError) -> [String: Any] {
        var request = HTTPClientRequest(url: configuration.baseURL.trimmingSuffix("/") + "/" + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Accept", value: "application/json")
        if authorized {
            request.headers.add(name: "Authorization", value: try await authorization())
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            guard let data = try? JSONSerialization.data(withJSONObject: body) else { throw .unreachable("cannot encode request") }
            request.body = .bytes(ByteBuffer(data: data))
        }
        let status: UInt
        let json: [String: Any]
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(configuration.timeout * 1000)))
            let buffer = try await response.body.collect(upTo: 1 << 20)
            status = response.status.code
            json = (try? JSONSerialization.jsonObject(with: Data(buffer: buffer))) as? [String: Any] ?? [:]
        } catch {
            logger.warning("payment gateway unreachable", metadata: ["gateway.path": "\(path)", "error": "\(error)"])
            throw .unreachable("\(error)")
        }
        if (200..<300).contains(status), json["error_code"] == nil { return json }
        // The gateway's own trouble: nothing was decided, the caller may retry.
        if status >= 500 { throw .unreachable("HTTP \(status) from the gateway") }
        let code = (json["error_code"] as? String) ?? "HTTP_\(status)"
        let message = (json["message"] as? String) ?? "status \(status)"
        if status == 401, authorized { await token.clear() }
        if status == 404 || code.contains("NOT_FOUND") { throw .unknownReceipt(path) }
        throw .rejected(code: code, message: message)
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

/// A bearer token from an OAuth-style endpoint (BootPay's, Google's), kept until a minute
/// before it expires. Callers asking at once while it is being fetched share one fetch.
actor AccessTokenCache {
    private var value: (token: String, expires: Date)?
    private var inflight: Task<(token: String, expires: Date), any Error>?

    func get(now: Date) -> String? {
        guard let value, value.expires.timeIntervalSince(now) > 60 else { return nil }
        return value.token
    }

    func set(_ token: String, expires: Date) { value = (token, expires) }
    func clear() { value = nil }

    /// The cached token, or the one `fetch` gets (once for every caller waiting meanwhile).
    func token(now: Date, fetch: @escaping @Sendable () async throws -> (token: String, expires: Date)) async throws -> String {
        if let cached = get(now: now) { return cached }
        if let inflight { return try await inflight.value.token }
        let task = Task { try await fetch() }
        inflight = task
        defer { inflight = nil }
        let (token, expires) = try await task.value
        value = (token, expires)
        return token
    }
}
