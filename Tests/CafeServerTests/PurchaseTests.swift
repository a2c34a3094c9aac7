import CafeProtocol
import CafeServer
import CafeServerTesting
import FakeBootPay
import Foundation
import Logging
import Testing

@Suite("Purchase: order → BootPay verification → sale and ticket in one transaction")
struct PurchaseTests {
    @Test(arguments: TestBackend.available)
    func aVerifiedPaymentMakesOneTicketWithAValidToken(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let done = try await cafe.buy("time-10h", as: kim.access)
            #expect(done.status == 200)
            #expect(done.object["status"] as? String == "done", "\(done)")
            let ticket = try #require(done.object["ticket"] as? [String: Any])
            #expect(ticket["remaining_minutes"] as? Int == 600)
            #expect(ticket["kind"] as? String == "time")
            let token = try #require(ticket["token"] as? String)
            let unverified = try PassToken.parse(text: token)
            #expect(unverified.token.storeID == cafe.storeID)
            #expect(unverified.token.kind == .time)
            #expect(unverified.token.passID.uuidString == ticket["ticket_id"] as? String)

            let sales = try await cafe.call("GET", "/stores/1/sales?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", bearer: cafe.ownerToken)
            #expect(sales.object["sold"] as? Int == 1)
            #expect(sales.object["revenue"] as? Int == 10_000)
        }
    }

    @Test(arguments: TestBackend.available)
    func buyingTheSameKindAgainExtendsTheTicket(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let first = try await cafe.buy("period-7", as: kim.access)
            let second = try await cafe.buy("period-14", as: kim.access)
            let a = try #require(first.object["ticket"] as? [String: Any])
            let b = try #require(second.object["ticket"] as? [String: Any])
            #expect(a["ticket_id"] as? String == b["ticket_id"] as? String)
            let until = try #require(WireCoding.parseTimestamp(b["valid_until"] as? String ?? ""))
            #expect(abs(until.timeIntervalSince(cafe.clock.now) - 21 * 86_400) < 2)
            // The new token carries the new end; both still name the same pass.
            let token = try PassToken.parse(text: b["token"] as? String ?? "")
            #expect(abs(token.token.validUntil.timeIntervalSince(until)) < 1)

            let hours = try await cafe.buy("time-1h", as: kim.access)
            let more = try await cafe.buy("time-4h", as: kim.access)
            #expect((hours.object["ticket"] as? [String: Any])?["ticket_id"] as? String == (more.object["ticket"] as? [String: Any])?["ticket_id"] as? String)
            #expect((more.object["ticket"] as? [String: Any])?["remaining_minutes"] as? Int == 300)
        }
    }

    @Test(arguments: TestBackend.available)
    func aMismatchMakesNoTicketAndCancelsThePayment(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let cheap = try await cafe.buy("day", as: kim.access, price: 100)
            #expect(cheap.object["status"] as? String == "failed")
            #expect(cheap.object["ticket"] == nil)
            #expect((cheap.object["failure"] as? String)?.contains("paid 100 won") == true)
            #expect(cafe.gateway.cancellations.count == 1)
            #expect(cafe.gateway.cancellations.first?.price == 100)

            let unpaid = try await cafe.buy("day", as: kim.access, status: 0)
            #expect(unpaid.object["status"] as? String == "failed")
            #expect(cafe.gateway.cancellations.count == 1, "an unpaid receipt has nothing to cancel")

            let order = try await cafe.call("POST", "/orders", json: ["store_id": 1, "product_code": "day"], bearer: kim.access)
            let orderID = try #require(order.object["order_id"] as? String)
            let unknown = try await cafe.call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": "no-such-receipt"], bearer: kim.access)
            #expect(unknown.object["status"] as? String == "failed")

            let tickets = try await cafe.call("GET", "/me/tickets", bearer: kim.access)
            #expect((tickets.object["tickets"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func aReceiptPaysForOneOrderOnly(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let done = try await cafe.buy("day", as: kim.access)
            let receipt = try #require(done.object["receipt_id"] as? String)
            let other = try await cafe.call("POST", "/orders", json: ["store_id": 1, "product_code": "day"], bearer: kim.access)
            let otherID = try #require(other.object["order_id"] as? String)
            let reuse = try await cafe.call("POST", "/orders/\(otherID)/confirm", json: ["receipt_id": receipt], bearer: kim.access)
            #expect(reuse.status == 409)
            #expect(reuse.code == "receipt_already_used")
            // Confirming the paid order again is harmless: same answer, no second ticket.
            let orderID = try #require(done.object["order_id"] as? String)
            let again = try await cafe.call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": receipt], bearer: kim.access)
            #expect(again.status == 200)
            #expect(again.object["status"] as? String == "done")
            let tickets = try await cafe.call("GET", "/me/tickets", bearer: kim.access)
            #expect((tickets.object["tickets"] as? [Any])?.count == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func concurrentConfirmationsMakeOneTicket(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let order = try await cafe.call("POST", "/orders", json: ["store_id": 1, "product_code": "period-28"], bearer: kim.access)
            let orderID = try #require(order.object["order_id"] as? String)
            cafe.gateway.add(.init(receiptID: "race-receipt", orderID: orderID, price: 50_000))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await cafe.call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": "race-receipt"], bearer: kim.access).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 409 }, "\(statuses)")
            #expect(statuses.contains(200))
            let tickets = try await cafe.call("GET", "/me/tickets", bearer: kim.access)
            #expect((tickets.object["tickets"] as? [Any])?.count == 1)
            let sales = try await cafe.call("GET", "/stores/1/sales?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", bearer: cafe.ownerToken)
            #expect(sales.object["sold"] as? Int == 1)
        }
    }

    @Test(arguments: TestBackend.available)
    func aGatewayThatFailsLeavesTheOrderRetryable(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let order = try await cafe.call("POST", "/orders", json: ["store_id": 1, "product_code": "day"], bearer: kim.access)
            let orderID = try #require(order.object["order_id"] as? String)
            cafe.gateway.add(.init(receiptID: "r-1", orderID: orderID, price: 10_000))

            cafe.gateway.setFault(.serverError)
            let down = try await cafe.call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": "r-1"], bearer: kim.access)
            #expect(down.status == 502)
            #expect(down.code == "gateway_unavailable")

            cafe.gateway.setFault(.delay(.seconds(5)))   // past the client's 2 s timeout
            let hung = try await cafe.call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": "r-1"], bearer: kim.access)
            #expect(hung.status == 502)
            let state = try await cafe.call("GET", "/orders/\(orderID)", bearer: kim.access)
            #expect(state.object["status"] as? String == "unverified")
            #expect(state.object["ticket"] == nil)

            cafe.gateway.setFault(.none)
            let retried = try await cafe.call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": "r-1"], bearer: kim.access)
            #expect(retried.object["status"] as? String == "done")
            #expect(retried.object["ticket"] != nil)
        }
    }

    @Test(arguments: TestBackend.available)
    func refundCancelsAtTheGatewayAndRevokesAtTheDoor(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let done = try await cafe.buy("period-7", as: kim.access)
            let ticket = try #require((done.object["ticket"] as? [String: Any])?["ticket_id"] as? String)
            let refund = try await cafe.call("POST", "/stores/1/tickets/\(ticket)/refund", bearer: cafe.ownerToken)
            #expect(refund.status == 200)
            #expect(refund.object["state"] as? String == "done", "\(refund)")
            #expect(refund.object["amount"] as? Int == 15_000, "not used: everything back")
            #expect(cafe.gateway.cancellations.map(\.price) == [15_000])
            let order = try await cafe.call("GET", "/orders/\(done.object["order_id"] as? String ?? "")", bearer: kim.access)
            #expect(order.object["status"] as? String == "refunded")
            let sales = try await cafe.call("GET", "/stores/1/sales?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", bearer: cafe.ownerToken)
            #expect(sales.object["refunded"] as? Int == 1)
            #expect(sales.object["revenue"] as? Int == 0)
        }
    }

    @Test(arguments: TestBackend.available)
    func ownersChangePricesAndNewOrdersPayThem(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let catalog = try await cafe.call("GET", "/catalog")
            let products = try #require(catalog.object["products"] as? [[String: Any]])
            #expect(products.count == 10)
            #expect(products.first { $0["code"] as? String == "time-100h" }?["price"] as? Int == 50_000)
            let changed = try await cafe.call("PUT", "/catalog/day", json: ["price": 12_000], bearer: cafe.ownerToken)
            #expect(changed.status == 200)
            let kim = try await cafe.customer()
            let order = try await cafe.call("POST", "/orders", json: ["store_id": 1, "product_code": "day"], bearer: kim.access)
            #expect(order.object["price"] as? Int == 12_000)
            let bad = try await cafe.call("PUT", "/catalog/day", json: ["price": -5], bearer: cafe.ownerToken)
            #expect(bad.status == 400)
        }
    }
}

@Suite("BootPay client credentials")
struct BootPayCredentialsTests {
    @Test func theClientKeyAndSecretKeyOfTheCurrentSDKsAreSentAsBasic() async throws {
        let fake = FakeBootPay()
        try await fake.run { url in
            fake.add(.init(receiptID: "r-basic", orderID: "o-1", price: 10_000))
            let logger = Logger(label: "bootpay-test")
            let client = BootPayClient(configuration: PaymentGatewayConfiguration(
                baseURL: url, credentials: .clientSecret(clientKey: fake.clientKey, secretKey: fake.secretKey), timeout: 2), logger: logger)
            let receipt = try await client.receipt("r-basic")
            #expect(receipt.price == 10_000)
            #expect(receipt.orderID == "o-1")
            try await client.cancel("r-basic", price: 4_000, reason: "partial refund")
            #expect(fake.receipt("r-basic")?.cancelledPrice == 4_000, "a partial cancel")
            #expect(fake.receipt("r-basic")?.status == 1, "still paid for the rest")
            #expect(try await client.receipt("r-basic").cancelledPrice == 4_000)

            let wrong = BootPayClient(configuration: PaymentGatewayConfiguration(
                baseURL: url, credentials: .clientSecret(clientKey: fake.clientKey, secretKey: "not-it"), timeout: 2), logger: logger)
            await #expect(throws: PaymentGatewayError.self) { try await wrong.receipt("r-basic") }
        }
    }
}
