import CafeProtocol
import Foundation
import Hummingbird

/// Refund routes: the store's policy and its quotes and refunds (owners), and a customer's own
/// quote and refund (`/me/tickets/{id}/…`). Mounted behind the account authenticator.
struct RefundRoutes {
    let service: RefundService
    let owners: OwnerService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let routes = RouteCollection(context: CafeRequestContext.self)
        routes.get("stores/:store_id/refund-policy") { _, context -> Response in
            let store = try await owners.owned(context)
            return try WireResponse.json(try await service.policy(store: store))
        }
        routes.put("stores/:store_id/refund-policy") { request, context -> Response in
            let store = try await owners.owned(context)
            let body = try await request.decodeBody(RefundPolicy.self, context: context)
            return try WireResponse.json(try await service.setPolicy(body, store: store, now: now()))
        }
        routes.get("stores/:store_id/tickets/:ticket_id/refund-quote") { _, context -> Response in
            let store = try await owners.owned(context)
            return try WireResponse.json(try await service.quote(ticket: try context.uuidParameter("ticket_id"), store: store, account: nil, now: now()))
        }
        routes.post("stores/:store_id/tickets/:ticket_id/refund") { request, context -> Response in
            let store = try await owners.owned(context)
            return try WireResponse.json(try await service.refund(
                ticket: try context.uuidParameter("ticket_id"), store: store, account: nil, by: .owner,
                expectedAmount: try Self.expectedAmount(request), now: now()))
        }
        routes.get("stores/:store_id/refunds") { request, context -> Response in
            let store = try await owners.owned(context)
            let state = try request.uri.queryParameters.get("state").map { text -> RefundState in
                guard let state = RefundState(rawValue: text) else { throw APIFailure.invalid("state is pending or done") }
                return state
            }
            return try WireResponse.json(["refunds": try await service.refunds(store: store, state: state)])
        }
        routes.get("me/tickets/:ticket_id/refund-quote") { _, context -> Response in
            let caller = try context.requireAccount()
            return try WireResponse.json(try await service.quote(ticket: try context.uuidParameter("ticket_id"), store: nil, account: caller.id, now: now()))
        }
        routes.post("me/tickets/:ticket_id/refund") { request, context -> Response in
            let caller = try context.requireAccount()
            return try WireResponse.json(try await service.refund(
                ticket: try context.uuidParameter("ticket_id"), store: nil, account: caller.id, by: .customer,
                expectedAmount: try Self.expectedAmount(request), now: now()))
        }
        return routes
    }

    /// `?amount=WON`: the quote the caller agreed to.
    static func expectedAmount(_ request: Request) throws -> Int? {
        guard let text = request.uri.queryParameters.get("amount") else { return nil }
        guard let amount = Int(text), amount >= 0 else { throw APIFailure.invalid("amount is the quoted refund in won, 0 or more") }
        return amount
    }
}
