import CafeProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Every error the API returns: a status and a JSON `APIError` body with a stable code. Handlers
/// throw these; anything else becomes `internal_error` (500) with no detail leaked.
public struct APIFailure: Error, HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Seconds, for a `Retry-After` header (429, 503).
    public let retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try WireCoding.encoder().encode(APIError(code: code, message: message))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func invalid(_ message: String) -> APIFailure { APIFailure(.badRequest, "invalid_request", message) }
    static func unauthorized(_ message: String = "sign in first") -> APIFailure { APIFailure(.unauthorized, "unauthorized", message) }
    static func forbidden(_ message: String) -> APIFailure { APIFailure(.forbidden, "forbidden", message) }
    static func notFound(_ what: String) -> APIFailure { APIFailure(.notFound, "not_found", "\(what) not found") }
    static func conflict(_ code: String, _ message: String) -> APIFailure { APIFailure(.conflict, code, message) }
}

/// Turns what a handler threw into an `APIFailure`, so clients only ever see our JSON errors.
struct APIFailureMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let failure as APIFailure {
            throw failure
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw APIFailure(.notFound, "not_found", "no such path: \(request.method) \(request.uri.path)")
            case .methodNotAllowed: throw APIFailure(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge: throw APIFailure(.contentTooLarge, "invalid_request", "request body too large")
            case let status where status.code < 500: throw APIFailure(status, "invalid_request", error.body ?? status.reasonPhrase)
            default:
                context.logger.error("request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
                throw APIFailure(.internalServerError, "internal_error", "the server failed; it is logged")
            }
        } catch is DecodingError {
            throw APIFailure.invalid("the body is not the expected JSON")
        } catch {
            context.logger.error("request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
            throw APIFailure(.internalServerError, "internal_error", "the server failed; it is logged")
        }
    }
}
