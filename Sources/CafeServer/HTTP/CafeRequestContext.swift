import CafeProtocol
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The request context of every route: the wire JSON conventions (RFC 3339 dates, sorted keys)
/// and who is calling, once a middleware has checked their credentials.
public struct CafeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AccountAuthenticator` for a valid access token.
    var account: AuthenticatedAccount?
    /// Set by `DeviceAuthenticator` for an enrolled, not revoked kiosk.
    var device: AuthenticatedDevice?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var requestDecoder: JSONDecoder { WireCoding.decoder() }
    public var responseEncoder: JSONEncoder { WireCoding.encoder() }
    /// Event batches of 500 are the largest bodies; 1 MiB is ample and bounds abuse.
    public var maxUploadSize: Int { 1 << 20 }

    func requireAccount() throws -> AuthenticatedAccount {
        guard let account else { throw APIFailure.unauthorized() }
        return account
    }

    func requireDevice() throws -> AuthenticatedDevice {
        guard let device else { throw APIFailure(.unauthorized, APIError.unauthorized, "unknown or revoked device") }
        return device
    }
}

public enum Role: String, Codable, Sendable, CaseIterable {
    case customer, owner
}

struct AuthenticatedAccount: Sendable {
    var id: UUID
    var role: Role
}

struct AuthenticatedDevice: Sendable {
    var id: UUID
    var storeID: UInt32
}

extension Request {
    /// Decodes the JSON body; malformed or mistyped JSON is a 400 `invalid_request` that says
    /// which field was wrong.
    func decodeBody<T: Decodable>(_ type: T.Type, context: CafeRequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIFailure(.contentTooLarge, "invalid_request", "request body over \(context.maxUploadSize) bytes")
        }
        do {
            return try WireCoding.decoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIFailure.invalid(Self.explain(error))
        }
    }

    static func explain(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "body" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field \(path(context.codingPath + [key]))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context.codingPath))"
        case .valueNotFound(_, let context): return "missing value at \(path(context.codingPath))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "bad value at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "the body is not the expected JSON"
        }
    }
}
