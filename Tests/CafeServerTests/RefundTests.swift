import CafeProtocol
import CafeServerTesting
import FakeBootPay
import Foundation
import Testing

/// Refunds over HTTP on both databases: the terms at purchase, the quote, the partial cancel at
/// BootPay, a gateway that refuses or loses its answer, cash at the counter, self-refunds.
@Suite("Refunds by the store's policy, quoted first, cancelled partially at the gateway")
struct RefundTests {
    /// An online check-in through the kiosk contract (the first use a quote counts from).
    static func enter(_ cafe: TestCafe, device: String, token: String) async throws -> CheckInResponse {
        let request = CheckInRequest(eventID: UUID(), token: token, direction: .auto, scannedAt: cafe.clock.now)
        let body = String(decoding: try WireCoding.encoder().encode(request), as: UTF8.self)
        let answer = try await cafe.call("POST", KioskAPI.checkInsPath, headers: KioskContractTests.device(device), rawBody: body)
        guard answer.status == 200 else { throw TestCafeError("check-in: \(answer)") }
        return try WireCoding.decoder().decode(CheckInResponse.self, from: answer.body)
    }

    static func ticket(of order: TestHTTP.Answer) throws -> (id: String, token: String) {
        let ticket = try #require(order.object["ticket"] as? [String: Any])
        return (try #require(ticket["ticket_id"] as? String), try #require(ticket["token"] as? String))
    }

    @Test(arguments: TestBackend.available)
    func aUsedPassIsQuotedByTheLawAndPartlyCancelled(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let policy = try await cafe.call("PUT", "/stores/1/refund-policy", json: ["preset": "reading_room", "day_price": 5_000], bearer: cafe.ownerToken)
            #expect(policy.status == 200, "\(policy)")
            let kim = try await cafe.customer()
            let order = try await cafe.call("POST", "/orders", json: ["store_id": 1, "product_code": "period-28"], bearer: kim.access)
            let terms = try #require(order.object["refund_terms"] as? [String: Any], "terms are shown before paying: \(order)")
            #expect(terms["preset"] as? String == "reading_room")
            #expect((terms["summary"] as? String)?.contains("₩5,000") == true)
            #expect((terms["legal_basis"] as? String)?.contains("별표 4") == true)

            let bought = try await cafe.buy("period-28", as: kim.access)
            let pass = try Self.ticket(of: bought)
            let before = try await cafe.call("GET", "/me/tickets/\(pass.id)/refund-quote", bearer: kim.access)
            #expect(before.object["amount"] as? Int == 50_000, "not used yet: \(before)")

            let device = try await KioskContractTests.enroll(cafe)
            #expect(try await Self.enter(cafe, device: device.token, token: pass.token).verdict == .enter)
            cafe.clock.advance(by: 3 * 86_400)
            let quote = try await cafe.call("GET", "/me/tickets/\(pass.id)/refund-quote", bearer: kim.access)
            #expect(quote.object["amount"] as? Int == 50_000 - 3 * 5_000, "\(quote)")
            let lines = try #require(quote.object["terms"] as? [[String: Any]])
            #expect(lines.map { $0["code"] as? String } == ["paid", "days_used"])
            #expect(lines.reduce(0) { $0 + ($1["amount"] as? Int ?? 0) } == 35_000)
            let owners = try await cafe.call("GET", "/stores/1/tickets/\(pass.id)/refund-quote", bearer: cafe.ownerToken)
            #expect(owners.object["amount"] as? Int == 35_000)

            let refund = try await cafe.call("POST", "/me/tickets/\(pass.id)/refund?amount=35000", bearer: kim.access)
            #expect(refund.status == 200, "\(refund)")
            #expect(refund.object["state"] as? String == "done")
            #expect(refund.object["gateway_amount"] as? Int == 35_000)
            #expect(cafe.gateway.cancellations.map(\.price) == [35_000], "a partial cancel of the quoted amount")
            let receipt = try #require(bought.object["receipt_id"] as? String)
            #expect(cafe.gateway.receipt(receipt)?.cancelledPrice == 35_000)

            // Asking again is harmless; the door denies the pass.
            let again = try await cafe.call("POST", "/me/tickets/\(pass.id)/refund", bearer: kim.access)
            #expect(again.object["refund_id"] as? String == refund.object["refund_id"] as? String)
            #expect(cafe.gateway.cancellations.count == 1)
            // Kim was inside: the way out stays open, the way back in does not.
            #expect(try await Self.enter(cafe, device: device.token, token: pass.token).verdict == .exit)
            #expect(try await Self.enter(cafe, device: device.token, token: pass.token).verdict == .deny(.refunded))
            let sales = try await cafe.call("GET", "/stores/1/sales?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", bearer: cafe.ownerToken)
            #expect(sales.object["refunded"] as? Int == 1)
            #expect(sales.object["refunded_amount"] as? Int == 35_000)
            #expect(sales.object["revenue"] as? Int == 15_000, "what was kept for the days used")
        }
    }

    @Test(arguments: TestBackend.available)
    func aGatewayThatFailsLeavesTheRefundPendingAndItFinishesOnce(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let pass = try Self.ticket(of: try await cafe.buy("time-10h", as: kim.access))

            cafe.gateway.setFault(.serverError)
            let down = try await cafe.call("POST", "/stores/1/tickets/\(pass.id)/refund", bearer: cafe.ownerToken)
            #expect(down.status == 502)
            #expect(down.code == "refund_pending")
            let pending = try await cafe.call("GET", "/stores/1/refunds?state=pending", bearer: cafe.ownerToken)
            let listed = try #require((pending.object["refunds"] as? [[String: Any]])?.first, "\(pending)")
            #expect(listed["amount"] as? Int == 10_000)
            #expect((listed["last_error"] as? String)?.isEmpty == false)
            #expect(try await cafe.ticketState(UUID(uuidString: pass.id)!).status == "valid", "nothing half-done")

            cafe.gateway.setFault(.refuseCancel)
            #expect(try await cafe.call("POST", "/stores/1/tickets/\(pass.id)/refund", bearer: cafe.ownerToken).code == "refund_pending")

            // The gateway cancels but its answer is lost (past the client's 2 s timeout).
            cafe.gateway.setFault(.loseCancelAnswer(.seconds(4)))
            #expect(try await cafe.call("POST", "/stores/1/tickets/\(pass.id)/refund", bearer: cafe.ownerToken).code == "refund_pending")
            #expect(cafe.gateway.cancellations.count == 1)

            cafe.gateway.setFault(.none)
            let done = try await cafe.call("POST", "/stores/1/tickets/\(pass.id)/refund", bearer: cafe.ownerToken)
            #expect(done.status == 200, "\(done)")
            #expect(done.object["state"] as? String == "done")
            #expect(cafe.gateway.cancellations.map(\.price) == [10_000], "the retry saw the money back and did not cancel twice")
            #expect(try await cafe.ticketState(UUID(uuidString: pass.id)!).status == "refunded")
            let left = try await cafe.call("GET", "/stores/1/refunds?state=pending", bearer: cafe.ownerToken)
            #expect((left.object["refunds"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func anExtendedPassIsCancelledOnEachReceiptAndACounterPassInCash(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            _ = try await cafe.buy("period-7", as: kim.access)
            let extended = try Self.ticket(of: try await cafe.buy("period-7", as: kim.access))
            let quote = try await cafe.call("GET", "/me/tickets/\(extended.id)/refund-quote", bearer: kim.access)
            #expect(quote.object["price"] as? Int == 30_000, "both sales of the pass")
            let refund = try await cafe.call("POST", "/me/tickets/\(extended.id)/refund", bearer: kim.access)
            #expect(refund.object["gateway_amount"] as? Int == 30_000)
            #expect(cafe.gateway.cancellations.map(\.price) == [15_000, 15_000])
            #expect(Set(cafe.gateway.cancellations.map(\.receiptID)).count == 2)

            let counter = try await cafe.counterSale("period-7", holder: "Lee")
            let changed = try await cafe.call("POST", "/stores/1/tickets/\(counter.ticketID)/refund?amount=1", bearer: cafe.ownerToken)
            #expect(changed.status == 409)
            #expect(changed.code == "quote_changed")
            let cash = try await cafe.call("POST", "/stores/1/tickets/\(counter.ticketID)/refund?amount=15000", bearer: cafe.ownerToken)
            #expect(cash.object["state"] as? String == "done", "\(cash)")
            #expect(cash.object["cash_amount"] as? Int == 15_000)
            #expect(cash.object["gateway_amount"] as? Int == 0)
            #expect(cafe.gateway.cancellations.count == 2, "nothing at the gateway for a counter sale")
        }
    }

    @Test(arguments: TestBackend.available)
    func customersRefundTheirOwnPassOnlyWhereTheStoreAllows(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let bad = try await cafe.call("PUT", "/stores/1/refund-policy", json: ["preset": "reading_room", "fee_percent": 10], bearer: cafe.ownerToken)
            #expect(bad.status == 400, "the reading-room rule takes no fee")
            #expect(try await cafe.call("PUT", "/stores/1/refund-policy", json: ["preset": "sometimes"], bearer: cafe.ownerToken).status == 400)
            let set = try await cafe.call("PUT", "/stores/1/refund-policy",
                                          json: ["preset": "continuous_contract", "fee_percent": 10, "self_refund": false], bearer: cafe.ownerToken)
            #expect(set.status == 200)
            #expect(try await cafe.call("GET", "/stores/1/refund-policy", bearer: cafe.ownerToken).object["preset"] as? String == "continuous_contract")

            let kim = try await cafe.customer()
            let lee = try await cafe.customer()
            let pass = try Self.ticket(of: try await cafe.buy("period-28", as: kim.access))
            #expect(try await cafe.call("GET", "/me/tickets/\(pass.id)/refund-quote", bearer: lee.access).status == 404, "not Lee's pass")
            #expect(try await cafe.call("GET", "/stores/1/tickets/\(pass.id)/refund-quote", bearer: kim.access).status == 403, "owners only")
            let quote = try await cafe.call("GET", "/me/tickets/\(pass.id)/refund-quote", bearer: kim.access)
            #expect(quote.object["amount"] as? Int == 45_000, "10 % fee: \(quote)")
            #expect(quote.object["self_refund"] as? Bool == false)
            let refused = try await cafe.call("POST", "/me/tickets/\(pass.id)/refund", bearer: kim.access)
            #expect(refused.status == 403)
            #expect(cafe.gateway.cancellations.isEmpty)
            let byOwner = try await cafe.call("POST", "/stores/1/tickets/\(pass.id)/refund", bearer: cafe.ownerToken)
            #expect(byOwner.object["amount"] as? Int == 45_000)
            #expect(byOwner.object["requested_by"] as? String == "owner")
            let twice = try await cafe.call("POST", "/stores/1/tickets/\(UUID())/refund", bearer: cafe.ownerToken)
            #expect(twice.status == 404)
        }
    }
}
