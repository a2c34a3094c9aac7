import CafeProtocol
import Foundation
import Hummingbird
import Logging
import SQLKit

public struct CounterSaleRequest: Codable, Sendable {
    public var productCode: String
    public var holderName: String?
    /// A registered customer buying at the counter: the pass is theirs, in their app.
    public var customerLogin: String?
    public init(productCode: String, holderName: String?, customerLogin: String? = nil) {
        self.productCode = productCode
        self.holderName = holderName
        self.customerLogin = customerLogin
    }
    enum CodingKeys: String, CodingKey { case productCode = "product_code", holderName = "holder_name", customerLogin = "customer_login" }
}

public struct CounterSaleView: Codable, Sendable {
    public var ticket: TicketView
    public var printJob: PrintJob
    enum CodingKeys: String, CodingKey { case ticket, printJob = "print_job" }
}

/// A walk-in sale: the ticket, its sale and a print job for the store's kiosk, together.
extension OwnerService {
    func counterSale(_ body: CounterSaleRequest, store: UInt32, now: Date) async throws -> CounterSaleView {
        if let name = body.holderName, name.count > 50 { throw APIFailure.invalid("holder_name must be at most 50 characters") }
        if let login = body.customerLogin, login.count > 64 { throw APIFailure.invalid("customer_login must be at most 64 characters") }
        return try await database.transaction { db in
            _ = try await Stores.require(store, in: db)
            let product = try await Catalog.requireActive(body.productCode, in: db)
            var account: UUID?
            var holder = body.holderName
            if let login = body.customerLogin {
                guard let customer = try await AccountRow.find(login: login, in: db) else { throw APIFailure.notFound("customer \(login)") }
                account = customer.view.accountID
                holder = holder ?? customer.displayName
            }
            let ticket = try await Tickets.issueOrExtend(product: product, store: store, account: account, holderName: holder, now: now, in: db)
            try await db.raw("""
                INSERT INTO sales (id, store_id, ticket_id, product_code, price, channel, state, paid_at)
                VALUES (\(bind: UUID().uuidString), \(bind: Int64(store)), \(bind: ticket.id), \(bind: product.code), \(bind: Int64(product.price)),
                        'counter', 'sale', \(bind: DBTime.millis(now)))
                """).run()
            let job = try await PrintJobs.create(ticket: ticket, now: now, in: db)
            return CounterSaleView(ticket: ticket.view, printJob: job)
        }
    }
}

/// `POST /stores/{id}/counter-sales`.
struct CounterSaleRoutes {
    let service: OwnerService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.post("stores/:store_id/counter-sales") { request, context -> Response in
            let store = try await service.owned(context)
            let body = try await request.decodeBody(CounterSaleRequest.self, context: context)
            return try WireResponse.json(try await service.counterSale(body, store: store, now: now()), status: .created)
        }
        return router
    }
}
