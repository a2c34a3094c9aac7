import CafeProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// Reads `Authorization: Bearer <access token>` when present; routes that need a caller ask
/// `context.requireAccount()`.
struct AccountAuthenticator: RouterMiddleware {
    let tokens: AccessTokens

    func handle(_ request: Request, context: CafeRequestContext, next: (Request, CafeRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            guard let account = await tokens.verify(String(header.dropFirst("Bearer ".count))) else {
                throw APIFailure(.unauthorized, "unauthorized", "the access token is invalid or expired; refresh it")
            }
            context.account = account
        }
        return try await next(request, context)
    }
}

/// `Authorization: Device <token>`: an enrolled device that was not revoked, or 401 everywhere.
struct DeviceAuthenticator: RouterMiddleware {
    let service: KioskService

    func handle(_ request: Request, context: CafeRequestContext, next: (Request, CafeRequestContext) async throws -> Response) async throws -> Response {
        let prefix = KioskAPI.authorizationScheme + " "
        guard let header = request.headers[.authorization], header.hasPrefix(prefix), header.count < 200 else {
            throw APIFailure(.unauthorized, APIError.unauthorized, "missing 'Authorization: Device <token>'")
        }
        guard let device = try await service.authenticate(token: String(header.dropFirst(prefix.count))) else {
            throw APIFailure(.unauthorized, APIError.unauthorized, "unknown or revoked device: enrol it again")
        }
        var context = context
        context.device = device
        return try await next(request, context)
    }
}
