import CafeProtocol
import Foundation
import Hummingbird
import Logging
import SQLKit


/// What owners do, one area a file (stores and keys here; devices, counter sales, reports,
/// refunds, seats, notices beside): every route checks that the caller owns the store.
struct OwnerService: Sendable {
    let database: ServerDatabase
    let gateway: (any PaymentGateway)?
    let kiosk: KioskService
    let enrollmentCodeLifetime: TimeInterval
    let logger: Logger

    func requireOwner(_ caller: AuthenticatedAccount, store: UInt32) async throws {
        guard caller.role == .owner else { throw APIFailure.forbidden("owners only") }
        let owns = try await database.read { db in try await Stores.isOwner(caller.id, of: store, in: db) }
        guard owns else { throw APIFailure.forbidden("you do not own store \(store)") }
    }

    /// The `:store_id` of the path, once the caller is checked to own it.
    func owned(_ context: CafeRequestContext) async throws -> UInt32 {
        let caller = try context.requireAccount()
        let store = try context.storeParameter()
        try await requireOwner(caller, store: store)
        return store
    }
}

/// The catalog, stores and their signing keys.
struct StoreRoutes {
    let service: OwnerService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.get("catalog") { request, context -> Response in
            // `?all=true`: with the products taken off sale, for an owner's price list.
            let all = request.uri.queryParameters.get("all") == "true"
            if all { guard try context.requireAccount().role == .owner else { throw APIFailure.forbidden("owners only") } }
            let products = try await service.database.read { db in try await Catalog.all(includeInactive: all, in: db) }
            return try WireResponse.json(["products": products])
        }
        router.put("catalog/:code") { request, context -> Response in
            let caller = try context.requireAccount()
            guard caller.role == .owner else { throw APIFailure.forbidden("owners only") }
            let code = context.parameters.get("code") ?? ""
            let body = try await request.decodeBody(ProductInput.self, context: context)
            return try WireResponse.json(try await service.database.transaction { db in try await Catalog.upsert(code: code, body, in: db) })
        }
        router.get("stores") { _, _ -> Response in
            let stores = try await service.database.read { db in try await Stores.all(in: db) }
            return try WireResponse.json(["stores": stores.map(\.settings)])
        }
        router.get("me/stores") { _, context -> Response in
            let caller = try context.requireAccount()
            let stores = try await service.database.read { db in try await Stores.owned(by: caller.id, in: db) }
            return try WireResponse.json(["stores": stores.map(\.settings)])
        }
        router.post("stores") { request, context -> Response in
            let caller = try context.requireAccount()
            guard caller.role == .owner else { throw APIFailure.forbidden("owners only") }
            let body = try await request.decodeBody(StoreSettings.self, context: context)
            let store = try await service.database.transaction { db in try await Stores.create(body, owner: caller.id, now: now(), in: db) }
            return try WireResponse.json(store.settings, status: .created)
        }
        router.get("stores/:store_id") { _, context -> Response in
            let id = try context.storeParameter()
            return try WireResponse.json(try await service.database.read { db in try await Stores.require(id, in: db) }.settings)
        }
        router.put("stores/:store_id") { request, context -> Response in
            let store = try await service.owned(context)
            var body = try await request.decodeBody(StoreSettings.self, context: context)
            body.storeID = store
            let input = body
            let updated = try await service.database.transaction { db in
                let row = try await Stores.update(input, in: db)
                _ = try await Revisions.next(store: store, in: db)
                return row
            }
            return try WireResponse.json(updated.settings)
        }
        router.post("stores/:store_id/keys/rotate") { _, context -> Response in
            let store = try await service.owned(context)
            let key = try await service.database.transaction { db in try await SigningKeys.rotate(store: store, now: now(), in: db) }
            return try WireResponse.json(["key_id": key.description], status: .created)
        }
        router.post("stores/:store_id/keys/:key_id/retire") { _, context -> Response in
            let store = try await service.owned(context)
            guard let text = context.parameters.get("key_id"), text.count == 8, let value = UInt32(text, radix: 16) else {
                throw APIFailure.invalid("key_id must be 8 hex digits")
            }
            try await service.database.transaction { db in try await SigningKeys.retire(store: store, key: KeyID(rawValue: value), in: db) }
            return Response(status: .noContent)
        }
        return router
    }
}
