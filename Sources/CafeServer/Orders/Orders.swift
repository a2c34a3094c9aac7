import CafeProtocol
import Foundation
import Hummingbird
import Logging
import SQLKit

public enum OrderStatus: String, Codable, Sendable {
    /// Created; the customer is paying at the gateway.
    case pending
    /// A confirmation is checking the receipt with the gateway.
    case verifying
    /// Paid and verified: the ticket exists.
    case done
    /// The gateway disagreed (not paid, other amount, unknown receipt, another order's receipt):
    /// no ticket; a paid receipt was cancelled.
    case failed
    /// The gateway did not answer: nothing was created; confirming again retries.
    case unverified
    /// Refunded after it was done.
    case refunded
}

public struct CreateOrderRequest: Codable, Sendable {
    public var storeID: UInt32
    public var productCode: String
    enum CodingKeys: String, CodingKey { case storeID = "store_id", productCode = "product_code" }
}

public struct ConfirmOrderRequest: Codable, Sendable {
    public var receiptID: String
    enum CodingKeys: String, CodingKey { case receiptID = "receipt_id" }
}

public struct OrderView: Codable, Sendable, ResponseEncodable {
    public var orderID: UUID
    public var storeID: UInt32
    public var productCode: String
    public var price: Int
    public var status: OrderStatus
    public var receiptID: String?
    public var failure: String?
    public var ticket: TicketView?
    /// The store's refund terms, shown before paying.
    public var refundTerms: RefundTermsView
    enum CodingKeys: String, CodingKey {
        case orderID = "order_id", storeID = "store_id", productCode = "product_code", price, status
        case receiptID = "receipt_id", failure, ticket, refundTerms = "refund_terms"
    }
}

struct OrderRow: Codable, Sendable {
    var id: String
    var accountId: String
    var storeId: Int64
    var productCode: String
    var price: Int64
    var status: String
    var receiptId: String?
    var ticketId: String?
    var failure: String?
}

/// Purchase: order → payment verified with the gateway → sale record, ticket and order DONE in
/// one transaction. A receipt pays for one order only, however many times or however
/// concurrently a confirmation is retried.
struct OrderService: Sendable {
    let database: ServerDatabase
    let gateway: (any PaymentGateway)?
    let logger: Logger

    static let columns = "id, account_id, store_id, product_code, price, status, receipt_id, ticket_id, failure"

    func create(_ body: CreateOrderRequest, account: UUID, now: Date) async throws -> OrderView {
        try await database.transaction { db in
            _ = try await Stores.require(body.storeID, in: db)
            let product = try await Catalog.requireActive(body.productCode, in: db)
            let id = UUID()
            try await db.raw("""
                INSERT INTO orders (id, account_id, store_id, product_code, price, status, created_at, updated_at)
                VALUES (\(bind: id.uuidString), \(bind: account.uuidString), \(bind: Int64(body.storeID)), \(bind: product.code),
                        \(bind: Int64(product.price)), 'pending', \(bind: DBTime.millis(now)), \(bind: DBTime.millis(now)))
                """).run()
            return try await view(id, in: db)
        }
    }

    func find(_ id: UUID, account: UUID) async throws -> OrderView {
        try await database.read { db in
            guard let row = try await row(id, in: db), row.accountId == account.uuidString else { throw APIFailure.notFound("order \(id)") }
            return try await view(id, in: db)
        }
    }

    func confirm(_ id: UUID, receiptID: String, account: UUID, now: Date) async throws -> OrderView {
        guard (1...100).contains(receiptID.count) else { throw APIFailure.invalid("receipt_id must be 1 to 100 characters") }

        // 1. Claim the order for this receipt. The unique receipt column makes a receipt pay for
        //    one order only; the status condition makes one confirmation win a race.
        enum Claim: Sendable { case claimed(price: Int, orderID: String), settled }
        let claim = try await database.transaction { db -> Claim in
            guard let order = try await row(id, in: db), order.accountId == account.uuidString else { throw APIFailure.notFound("order \(id)") }
            if order.receiptId == receiptID, ["done", "failed", "refunded"].contains(order.status) { return .settled }
            guard gateway != nil else { throw APIFailure(.serviceUnavailable, "gateway_not_configured", "online payment is not set up on this server") }
            guard order.status == "pending" || order.status == "unverified" else {
                throw APIFailure.conflict("order_not_pending", "order \(id) is \(order.status)")
            }
            if let other = try await db.raw("SELECT id FROM orders WHERE receipt_id = \(bind: receiptID)").first(),
               try other.decode(column: "id", as: String.self) != id.uuidString {
                throw APIFailure.conflict("receipt_already_used", "receipt \(receiptID) already paid for another order")
            }
            guard try await db.raw("""
                UPDATE orders SET status = 'verifying', receipt_id = \(bind: receiptID), updated_at = \(bind: DBTime.millis(now))
                WHERE id = \(bind: id.uuidString) AND status IN ('pending', 'unverified') RETURNING id
                """).first() != nil else {
                throw APIFailure.conflict("order_not_pending", "order \(id) is being confirmed already")
            }
            return .claimed(price: Int(order.price), orderID: order.id)
        }
        guard case .claimed(let price, let orderID) = claim, let gateway else { return try await database.read { db in try await view(id, in: db) } }

        // 2. Ask the gateway (outside any transaction: it may take seconds).
        let receipt: GatewayReceipt
        do {
            receipt = try await gateway.receipt(receiptID)
        } catch .unreachable(let detail) {
            try await settle(id, status: .unverified, failure: "the payment could not be verified (\(detail)); confirm again", now: now)
            throw APIFailure(.badGateway, "gateway_unavailable", "the payment gateway did not answer; nothing was charged twice — confirm again")
        } catch {
            try await settle(id, status: .failed, failure: "\(error)", now: now)
            return try await database.read { db in try await view(id, in: db) }
        }

        var problems: [String] = []
        if receipt.status != GatewayReceipt.paid { problems.append("receipt status is \(receipt.status), not paid") }
        if receipt.price != price { problems.append("paid \(receipt.price) won, the order costs \(price)") }
        if receipt.orderID != orderID { problems.append("the receipt is for order \(receipt.orderID)") }
        if !problems.isEmpty {
            // Anything that disagrees: no ticket, and give the money back when it was taken.
            if receipt.status == GatewayReceipt.paid {
                do { try await gateway.cancel(receiptID, price: receipt.price, reason: "verification failed: \(problems.joined(separator: "; "))") }
                catch { logger.error("could not cancel a mismatched receipt", metadata: ["order.id": "\(id)", "receipt.id": "\(receiptID)", "error": "\(error)"]) }
            }
            logger.warning("payment verification failed", metadata: ["order.id": "\(id)", "problems": "\(problems.joined(separator: "; "))"])
            try await settle(id, status: .failed, failure: problems.joined(separator: "; "), now: now)
            return try await database.read { db in try await view(id, in: db) }
        }

        // 3. Sale, ticket and order DONE together.
        return try await database.transaction { db in
            guard let order = try await row(id, in: db), order.status == "verifying" else { throw APIFailure.conflict("order_not_pending", "order \(id) changed meanwhile") }
            // The price was fixed at order time; a product made inactive since still delivers.
            guard let product = try await Catalog.find(order.productCode, in: db) else { throw APIFailure.notFound("product \(order.productCode)") }
            let holder = try await db.raw("SELECT display_name FROM accounts WHERE id = \(bind: account.uuidString)").first()
                .map { try $0.decode(column: "display_name", as: String.self) }
            let ticket = try await Tickets.issueOrExtend(product: product, store: UInt32(order.storeId), account: account,
                                                         holderName: holder, now: now, in: db)
            try await db.raw("""
                INSERT INTO sales (id, order_id, store_id, ticket_id, product_code, price, channel, state, paid_at)
                VALUES (\(bind: UUID().uuidString), \(bind: order.id), \(bind: order.storeId), \(bind: ticket.id), \(bind: order.productCode),
                        \(bind: order.price), 'app', 'sale', \(bind: DBTime.millis(now)))
                """).run()
            try await db.raw("UPDATE orders SET status = 'done', ticket_id = \(bind: ticket.id), failure = NULL, updated_at = \(bind: DBTime.millis(now)) WHERE id = \(bind: order.id)").run()
            return try await view(id, in: db)
        }
    }

    private func settle(_ id: UUID, status: OrderStatus, failure: String, now: Date) async throws {
        try await database.transaction { db in
            try await db.raw("UPDATE orders SET status = \(bind: status.rawValue), failure = \(bind: failure), updated_at = \(bind: DBTime.millis(now)) WHERE id = \(bind: id.uuidString)").run()
        }
    }

    func row(_ id: UUID, in db: any SQLDatabase) async throws -> OrderRow? {
        try await db.raw("SELECT \(unsafeRaw: Self.columns) FROM orders WHERE id = \(bind: id.uuidString)")
            .first(decoding: OrderRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    func view(_ id: UUID, in db: any SQLDatabase) async throws -> OrderView {
        guard let row = try await row(id, in: db) else { throw APIFailure.notFound("order \(id)") }
        let ticket = try await row.ticketId.flatMap(UUID.init(uuidString:)).asyncMap { try await Tickets.find($0, in: db) } ?? nil
        return OrderView(orderID: id, storeID: UInt32(row.storeId), productCode: row.productCode, price: Int(row.price),
                         status: OrderStatus(rawValue: row.status) ?? .failed, receiptID: row.receiptId, failure: row.failure,
                         ticket: ticket?.view, refundTerms: RefundTermsView(try await RefundService.policy(store: UInt32(row.storeId), in: db)))
    }
}

struct OrderRoutes {
    let service: OrderService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.post("orders") { request, context -> Response in
            let caller = try context.requireAccount()
            let body = try await request.decodeBody(CreateOrderRequest.self, context: context)
            return try WireResponse.json(try await service.create(body, account: caller.id, now: now()), status: .created)
        }
        router.get("orders/:order_id") { _, context -> OrderView in
            let caller = try context.requireAccount()
            return try await service.find(try context.uuidParameter("order_id"), account: caller.id)
        }
        router.post("orders/:order_id/confirm") { request, context -> OrderView in
            let caller = try context.requireAccount()
            let id = try context.uuidParameter("order_id")
            let body = try await request.decodeBody(ConfirmOrderRequest.self, context: context)
            return try await service.confirm(id, receiptID: body.receiptID, account: caller.id, now: now())
        }
        router.get("me/tickets") { _, context -> Response in
            let caller = try context.requireAccount()
            let tickets = try await service.database.read { db in try await Tickets.owned(by: caller.id, in: db) }
            return try WireResponse.json(["tickets": tickets.map(\.view)])
        }
        return router
    }
}

