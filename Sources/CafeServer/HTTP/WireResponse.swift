import CafeProtocol
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON responses with our wire conventions and a chosen status.
enum WireResponse {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try WireCoding.encoder().encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Path parameters every area reads.
extension CafeRequestContext {
    func uuidParameter(_ name: String) throws -> UUID {
        guard let text = parameters.get(name), let id = UUID(uuidString: text) else { throw APIFailure.invalid("\(name) must be a UUID") }
        return id
    }

    func storeParameter() throws -> UInt32 {
        guard let text = parameters.get("store_id"), let id = UInt32(text), id > 0 else { throw APIFailure.invalid("store_id must be a positive integer") }
        return id
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
