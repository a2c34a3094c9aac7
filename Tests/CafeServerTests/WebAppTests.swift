import CafeProtocol
import CafeServerTesting
import Foundation
import Testing

/// The web app's routes and the pass's QR code over HTTP (the pages themselves run in Chromium:
/// Tests/Web/web_test.py).
@Suite("Web app: every /app path is the page, the pass is drawn as SVG for its holder only")
struct WebAppTests {
    @Test func everyAppPathIsThePageWithAStrictPolicyAndTheFilesHaveTheirTypes() async throws {
        try await TestCafe.run { cafe in
            for path in ["/app", "/app/", "/app/login", "/app/passes/7b0c1c52-5a7e-4c44-9a39-0f3f1c1f3f0e", "/app/no/such/screen"] {
                let page = try await cafe.call("GET", path)
                #expect(page.status == 200, "\(path)")
                #expect(page.headers["content-type"]?.hasPrefix("text/html") == true, "\(path)")
                #expect(String(decoding: page.body, as: UTF8.self).contains("<script src=\"/app/app.js\" defer></script>"))
                let policy = page.headers["content-security-policy"] ?? ""
                #expect(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"), "\(policy)")
            }
            let types = ["/app/app.js": "text/javascript", "/app/app.css": "text/css", "/app/sw.js": "text/javascript",
                         "/app/manifest.webmanifest": "application/manifest+json", "/app/icon.svg": "image/svg+xml"]
            var weight = 0
            for (path, type) in types {
                let file = try await cafe.call("GET", path)
                #expect(file.status == 200, "\(path)")
                #expect(file.headers["content-type"]?.hasPrefix(type) == true, "\(path): \(file.headers["content-type"] ?? "-")")
                weight += file.body.count
            }
            #expect(weight < 100 * 1024, "the first page and its files: \(weight) bytes")
            // What the page needs before a login: the stores, the payment page (BootPay's window here), the server's clock.
            let config = try await cafe.call("GET", "/app/config.json")
            #expect((config.object["stores"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Gangnam"], "\(config)")
            #expect(config.object["payment_page"] as? String == "/app/pay")
            #expect((config.object["server_time"] as? String).flatMap(WireCoding.parseTimestamp) == cafe.clock.now)
            let manifest = try await cafe.call("GET", "/app/manifest.webmanifest")
            #expect((manifest.object["start_url"] as? String) == "/app/passes")
        }
    }

    /// The payment page is the one page that lets BootPay's script in, from the one origin
    /// configured; the receipt its window makes is verified by the server as any other.
    @Test func thePaymentPageOpensBootPaysWindowAndOnlyItLetsItsScriptIn() async throws {
        try await TestCafe.run { cafe in
            let gateway = cafe.gatewayOrigin
            let pay = try await cafe.call("GET", "/app/pay")
            let page = String(decoding: pay.body, as: UTF8.self)
            #expect(page.contains("<script src=\"\(gateway)/fake/bootpay.js\" defer></script>"), "\(page)")
            #expect(page.contains("data-application-id=\"fake-web-application\""))
            let policy = pay.headers["content-security-policy"] ?? ""
            #expect(policy.contains("script-src 'self' \(gateway);") && policy.contains("frame-ancestors 'none'"), "\(policy)")
            let app = try await cafe.call("GET", "/app/passes")
            #expect(!(app.headers["content-security-policy"] ?? "").contains(gateway), "no other page lets it in")
            #expect(try await cafe.call("GET", "/app/pay.js").headers["content-type"]?.hasPrefix("text/javascript") == true)
            let sdk = try await TestHTTP.call("GET", gateway + "/fake/bootpay.js")
            #expect(String(decoding: sdk.body, as: UTF8.self).contains("requestPayment"))

            // What the window does when the customer pays, then the app's confirmation.
            let minji = try await cafe.customer("minji")
            let order = try await cafe.call("POST", "/orders", json: ["store_id": 1, "product_code": "day"], bearer: minji.access)
            let orderID = try #require(order.object["order_id"] as? String, "\(order)")
            let paid = try await TestHTTP.call("POST", gateway + "/fake/receipts", headers: ["Content-Type": "text/plain"],
                                               rawBody: #"{"application_id":"fake-web-application","order_id":"\#(orderID)","price":10000}"#)
            #expect(paid.headers["access-control-allow-origin"] == "*")
            let receipt = try #require(paid.object["receipt_id"] as? String, "\(paid)")
            let confirmed = try await cafe.call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": receipt], bearer: minji.access)
            #expect(confirmed.object["status"] as? String == "done", "\(confirmed)")
            let short = try await TestHTTP.call("POST", gateway + "/fake/receipts", rawBody: #"{"order_id":"x","price":0}"#)
            #expect(short.status == 400)
        }
    }

    @Test func aPassSoldToACustomerIsInTheirAppAndDrawnForThemOnly() async throws {
        try await TestCafe.run { cafe in
            let minji = try await cafe.customer("minji")
            let sale = try await cafe.call("POST", "/stores/1/counter-sales", json: ["product_code": "period-14", "customer_login": "minji"],
                                           bearer: cafe.ownerToken)
            #expect(sale.status == 201 || sale.status == 200, "\(sale)")
            let ticket = try #require((sale.object["ticket"] as? [String: Any])?["ticket_id"] as? String)
            let mine = try await cafe.call("GET", "/me/tickets", bearer: minji.access)
            #expect((mine.object["tickets"] as? [[String: Any]])?.compactMap { $0["ticket_id"] as? String } == [ticket])

            let svg = try await cafe.call("GET", "/me/tickets/\(ticket)/qr.svg", bearer: minji.access)
            #expect(svg.status == 200)
            #expect(svg.headers["content-type"]?.hasPrefix("image/svg+xml") == true)
            #expect(svg.headers["cache-control"] == "private, no-store")
            let text = String(decoding: svg.body, as: UTF8.self)
            #expect(text.contains("<svg") && text.contains("<path fill=\"#000000\" d=\"M"), "\(text.prefix(200))")
            #expect(!text.contains("<script"))

            let other = try await cafe.customer()
            #expect(try await cafe.call("GET", "/me/tickets/\(ticket)/qr.svg", bearer: other.access).status == 404, "not theirs")
            #expect(try await cafe.call("GET", "/me/tickets/\(ticket)/qr.svg").status == 401)
            let nobody = try await cafe.call("POST", "/stores/1/counter-sales", json: ["product_code": "day", "customer_login": "no-such-login"],
                                             bearer: cafe.ownerToken)
            #expect(nobody.status == 404, "\(nobody)")
            let huge = try await cafe.call("POST", "/stores/1/counter-sales", json: ["product_code": "day", "customer_login": String(repeating: "a", count: 100_000)],
                                           bearer: cafe.ownerToken)
            #expect(huge.status == 400 && huge.body.count < 200, "refused without echoing it: \(huge.status) \(huge.body.count) bytes")
        }
    }
}
