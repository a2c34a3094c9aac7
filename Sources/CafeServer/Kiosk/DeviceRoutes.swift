import CafeProtocol
import Foundation
import Hummingbird
import Logging
import SQLKit

public struct EnrollmentCodeView: Codable, Sendable {
    public var code: String
    public var storeID: UInt32
    public var expiresAt: Date
    enum CodingKeys: String, CodingKey { case code, storeID = "store_id", expiresAt = "expires_at" }
}

public struct DeviceView: Codable, Sendable, Equatable {
    public var deviceID: UUID
    public var name: String
    public var enrolledAt: Date
    /// Its last complete sync.
    public var lastSeenAt: Date?
    public var revoked: Bool
    /// Events it still held at its last sync, and the oldest one's time (nil: none, or an older kioskd).
    public var outboxPending: Int?
    public var outboxOldestAt: Date?
    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id", name, enrolledAt = "enrolled_at", lastSeenAt = "last_seen_at", revoked
        case outboxPending = "outbox_pending", outboxOldestAt = "outbox_oldest_at"
    }
}

/// Enrolment codes and the store's kiosks.
extension OwnerService {
    func devices(store: UInt32) async throws -> [DeviceView] {
        struct Row: Decodable {
            var id: String; var name: String; var enrolledAt: Int64; var lastSeenAt: Int64?; var revokedAt: Int64?
            var outboxPending: Int64?; var outboxOldestAt: Int64?
        }
        return try await database.read { db in
            try await db.raw("""
                SELECT id, name, enrolled_at, last_seen_at, revoked_at, outbox_pending, outbox_oldest_at FROM devices
                WHERE store_id = \(bind: Int64(store)) AND kind = 'kiosk' ORDER BY enrolled_at
                """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase).map {
                    DeviceView(deviceID: UUID(uuidString: $0.id)!, name: $0.name, enrolledAt: DBTime.date($0.enrolledAt),
                               lastSeenAt: $0.lastSeenAt.map(DBTime.date), revoked: $0.revokedAt != nil,
                               outboxPending: $0.outboxPending.map(Int.init), outboxOldestAt: $0.outboxOldestAt.map(DBTime.date))
                }
        }
    }

    func revokeDevice(_ device: UUID, store: UInt32, now: Date) async throws {
        try await database.transaction { db in
            guard try await db.raw("""
                UPDATE devices SET revoked_at = COALESCE(revoked_at, \(bind: DBTime.millis(now)))
                WHERE id = \(bind: device.uuidString) AND store_id = \(bind: Int64(store)) RETURNING id
                """).first() != nil else { throw APIFailure.notFound("device \(device)") }
        }
        logger.notice("kiosk device revoked", metadata: ["device.id": "\(device)", "store.id": "\(store)"])
    }
}

/// `POST /stores/{id}/enrollment-codes`, the device list, revocation.
struct DeviceRoutes {
    let service: OwnerService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.post("stores/:store_id/enrollment-codes") { _, context -> Response in
            let store = try await service.owned(context)
            let code = try await service.kiosk.createEnrollmentCode(store: store, lifetime: service.enrollmentCodeLifetime, now: now())
            return try WireResponse.json(EnrollmentCodeView(code: code.code, storeID: store, expiresAt: code.expiresAt), status: .created)
        }
        router.get("stores/:store_id/devices") { _, context -> Response in
            let store = try await service.owned(context)
            return try WireResponse.json(["devices": try await service.devices(store: store)])
        }
        router.post("stores/:store_id/devices/:device_id/revoke") { _, context -> Response in
            let store = try await service.owned(context)
            try await service.revokeDevice(try context.uuidParameter("device_id"), store: store, now: now())
            return Response(status: .noContent)
        }
        return router
    }
}
