import FakeServerKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local BootPay REST API v2, for tests and the demo: `POST /v2/request/token`,
/// `GET /v2/receipt/{id}`, `POST /v2/cancel`, speaking the real JSON (snake_case fields,
/// `error_code` + `message` on failure, bearer tokens, or HTTP Basic with the client key and
/// secret key). Tests script receipts and faults.
public final class FakeBootPay: Sendable {
    public struct Receipt: Sendable, Equatable {
        public var receiptID: String
        public var orderID: String
        public var price: Int
        /// 1 paid (결제완료), 0 waiting, 20 cancelled (all of it).
        public var status: Int
        /// Won cancelled so far; partial cancels add up until the whole price is.
        public var cancelledPrice: Int
        public init(receiptID: String, orderID: String, price: Int, status: Int = 1, cancelledPrice: Int = 0) {
            self.receiptID = receiptID
            self.orderID = orderID
            self.price = price
            self.status = status
            self.cancelledPrice = cancelledPrice
        }
    }

    public struct Cancellation: Sendable, Equatable {
        public var receiptID: String
        public var price: Int
        public var message: String
    }

    public enum Fault: Sendable {
        /// Answer normally.
        case none
        /// Every call fails with HTTP 500.
        case serverError
        /// Every call waits this long before answering (a gateway that hangs).
        case delay(Duration)
        /// Cancels are refused (`RECEIPT_CANCEL_NOT_ALLOWED`); lookups answer.
        case refuseCancel
        /// A cancel is applied, then its answer is lost: the caller times out (a retry must see
        /// the money went back, and not cancel twice).
        case loseCancelAnswer(Duration)
    }

    private struct State {
        var receipts: [String: Receipt] = [:]
        var tokens: Set<String> = []
        var cancellations: [Cancellation] = []
        var receiptLookups = 0
        var fault = Fault.none
    }

    public let applicationID: String
    public let privateKey: String
    /// The current SDKs' credentials, accepted as HTTP Basic on every call.
    public let clientKey = "fake-client-key"
    public let secretKey = "fake-secret-key"
    private let state = Mutex(State())

    public init(applicationID: String = "fake-application", privateKey: String = "fake-private-key") {
        self.applicationID = applicationID
        self.privateKey = privateKey
    }

    public func add(_ receipt: Receipt) { state.withLock { $0.receipts[receipt.receiptID] = receipt } }
    public func setFault(_ fault: Fault) { state.withLock { $0.fault = fault } }
    public var cancellations: [Cancellation] { state.withLock { $0.cancellations } }
    public var receiptLookups: Int { state.withLock { $0.receiptLookups } }
    public func receipt(_ id: String) -> Receipt? { state.withLock { $0.receipts[id] } }

    /// Runs the fake on 127.0.0.1 (port 0: any free port) until `body` returns; `body` gets the
    /// base URL to configure, e.g. `http://127.0.0.1:PORT/v2`.
    public func run<T: Sendable>(port: Int = 0, _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        try await LoopbackApplication.run(router(), name: "fake-bootpay", port: port) { port in try await body("http://127.0.0.1:\(port)/v2") }
    }

    private static func page(_ status: Int, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        let html = "<!doctype html><html lang=\"ko\"><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>fake-bootpay</title><body>\(body)</body></html>"
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: ">", with: "&gt;")
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        // The payment window a customer sees, standing in for BootPay's (its JS SDK opens one):
        // the order and its price, a button, then back to the shop's return address with the
        // receipt id — the receipt is then paid (status 1) for that order and price.
        router.get("fake/pay") { request, _ -> Response in
            let query = request.uri.queryParameters
            let order = String(query["order_id"] ?? ""), price = String(query["price"] ?? ""), back = String(query["return"] ?? "")
            let name = String(query["order_name"] ?? "")
            guard !order.isEmpty, Int(price) != nil, back.hasPrefix("http") else {
                return Self.page(400, "<p>order_id, price and return are required</p>")
            }
            return Self.page(200, """
                <h1>결제 (테스트) · Payment (test gateway)</h1>
                <p>\(Self.escape(name)) — ₩\(Self.escape(price))</p>
                <form method="post" action="/fake/pay">
                <input type="hidden" name="order_id" value="\(Self.escape(order))">
                <input type="hidden" name="price" value="\(Self.escape(price))">
                <input type="hidden" name="return" value="\(Self.escape(back))">
                <button type="submit" id="pay">결제하기 · Pay</button></form>
                """)
        }
        router.post("fake/pay") { request, context -> Response in
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            var fields: [String: String] = [:]
            for pair in String(buffer: buffer).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let order = fields["order_id"], let price = fields["price"].flatMap(Int.init), let back = fields["return"], back.hasPrefix("http") else {
                return Self.page(400, "<p>order_id, price and return are required</p>")
            }
            let receipt = "rcpt-\(UUID().uuidString.prefix(12).lowercased())"
            self.add(Receipt(receiptID: receipt, orderID: order, price: price, status: 1))
            var headers = HTTPFields()
            headers[.location] = back + (back.contains("?") ? "&" : "?") + "receipt_id=" + receipt
            return Response(status: .seeOther, headers: headers)
        }
        // A stand-in for BootPay's JavaScript SDK: `Bootpay.requestPayment(payload)` draws a
        // window with the order, Pay and Cancel, and resolves as the SDK does — `{event: "done",
        // data: {receipt_id, …}}` once a paid receipt exists here, or rejects with `{event:
        // "cancel"}`. The web app's /app/pay page loads it in place of js.bootpay.co.kr.
        router.get("fake/bootpay.js") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/javascript; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.sdk)))
        }
        router.post("fake/receipts") { request, context -> Response in
            // Sent by the stand-in SDK from the shop's page (another origin): a simple request
            // (text/plain), so no preflight, and answered for any origin, as a public SDK endpoint.
            let body = try await Self.json(request, context)
            var answer: Response
            if let order = body["order_id"] as? String, !order.isEmpty, let price = body["price"] as? Int, price > 0,
               let application = body["application_id"] as? String, !application.isEmpty {
                let receipt = "rcpt-\(UUID().uuidString.prefix(12).lowercased())"
                self.add(Receipt(receiptID: receipt, orderID: order, price: price, status: 1))
                answer = Self.respond(200, ["receipt_id": receipt, "order_id": order, "price": price, "status": 1])
            } else {
                answer = Self.error(400, "INVALID_PAYLOAD", "application_id, order_id and price are required")
            }
            answer.headers[.accessControlAllowOrigin] = "*"
            return answer
        }
        let v2 = router.group("v2")
        v2.post("request/token") { request, context -> Response in
            try await self.applyFault()
            let body = try await Self.json(request, context)
            guard body["application_id"] as? String == self.applicationID, body["private_key"] as? String == self.privateKey else {
                return Self.error(401, "TOKEN_INVALID_CREDENTIAL", "application_id or private_key is wrong")
            }
            let token = UUID().uuidString
            self.state.withLock { _ = $0.tokens.insert(token) }
            let expires = Date().addingTimeInterval(1800).formatted(.iso8601)
            return Self.respond(200, ["access_token": token, "expired_at": expires])
        }
        v2.get("receipt/:receipt_id") { request, context -> Response in
            try await self.applyFault()
            guard self.authorised(request) else { return Self.error(401, "TOKEN_INVALID", "bearer token missing or unknown") }
            let id = context.parameters.get("receipt_id") ?? ""
            guard let receipt = self.state.withLock({ state -> Receipt? in state.receiptLookups += 1; return state.receipts[id] }) else {
                return Self.error(404, "RECEIPT_NOT_FOUND", "no receipt \(id)")
            }
            return Self.respond(200, [
                "receipt_id": receipt.receiptID, "order_id": receipt.orderID, "price": receipt.price, "status": receipt.status,
                "cancelled_price": receipt.cancelledPrice,
                "method": "카드", "pg": "nicepay", "purchased_at": Date().formatted(.iso8601),
            ])
        }
        v2.post("cancel") { request, context -> Response in
            try await self.applyFault()
            guard self.authorised(request) else { return Self.error(401, "TOKEN_INVALID", "bearer token missing or unknown") }
            let body = try await Self.json(request, context)
            guard let id = body["receipt_id"] as? String, let price = (body["cancel_price"] as? NSNumber)?.intValue, price > 0 else {
                return Self.error(400, "INVALID_PARAMETER", "receipt_id and a positive cancel_price are required")
            }
            if case .refuseCancel = self.state.withLock({ $0.fault }) {
                return Self.error(400, "RECEIPT_CANCEL_NOT_ALLOWED", "the card company refused the cancel")
            }
            let message = body["cancel_message"] as? String ?? ""
            enum Outcome { case done(Receipt), notPaid, exceeds(Int) }
            let outcome = self.state.withLock { state -> Outcome in
                guard var receipt = state.receipts[id], receipt.status == 1 else { return .notPaid }
                guard receipt.cancelledPrice + price <= receipt.price else { return .exceeds(receipt.price - receipt.cancelledPrice) }
                receipt.cancelledPrice += price
                if receipt.cancelledPrice == receipt.price { receipt.status = 20 }
                state.receipts[id] = receipt
                state.cancellations.append(Cancellation(receiptID: id, price: price, message: message))
                return .done(receipt)
            }
            switch outcome {
            case .notPaid: return Self.error(400, "RECEIPT_CANCEL_NOT_ALLOWED", "receipt \(id) is not a paid receipt")
            case .exceeds(let left): return Self.error(400, "RECEIPT_CANCEL_PRICE_EXCEEDED", "only \(left) won are left to cancel")
            case .done(let receipt):
                if case .loseCancelAnswer(let duration) = self.state.withLock({ $0.fault }) { try await Task.sleep(for: duration) }
                return Self.respond(200, ["receipt_id": receipt.receiptID, "order_id": receipt.orderID, "cancelled_price": price,
                                          "status": receipt.status])
            }
        }
        return router
    }

    private func authorised(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        if header.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6))) {
            return String(decoding: decoded, as: UTF8.self) == "\(clientKey):\(secretKey)"
        }
        guard header.hasPrefix("Bearer ") else { return false }
        let token = String(header.dropFirst(7))
        return state.withLock { $0.tokens.contains(token) }
    }

    private func applyFault() async throws {
        switch state.withLock({ $0.fault }) {
        case .none: return
        case .serverError: throw HTTPError(.internalServerError)
        case .delay(let duration): try await Task.sleep(for: duration)
        case .refuseCancel, .loseCancelAnswer: return
        }
    }

    static let sdk = #"""
        "use strict";
        (() => {
          const gateway = new URL(document.currentScript.src).origin;
          function button(id, text) {
            const b = document.createElement("button");
            b.type = "button"; b.id = id; b.textContent = text;
            b.style.cssText = "font: inherit; padding: .7rem 1rem; margin: .25rem;";
            return b;
          }
          window.Bootpay = {
            requestPayment(payload) {
              return new Promise((resolve, reject) => {
                if (!payload || !payload.application_id || !payload.order_id || !(payload.price > 0)) {
                  reject({ event: "error", message: "application_id, order_id and price are required" });
                  return;
                }
                const box = document.createElement("div");
                box.id = "bootpay-window";
                box.setAttribute("role", "dialog");
                box.style.cssText = "position: fixed; inset: 10% 5%; background: #fff; border: 2px solid #333; padding: 1rem; z-index: 10;";
                const title = document.createElement("h2");
                title.textContent = "결제 (테스트 게이트웨이) · Payment (test gateway)";
                const what = document.createElement("p");
                what.textContent = (payload.order_name || "") + " — ₩" + payload.price;
                const pay = button("bootpay-pay", "결제하기 · Pay"), cancel = button("bootpay-cancel", "취소 · Cancel");
                pay.addEventListener("click", async () => {
                  pay.disabled = true;
                  try {
                    const response = await fetch(gateway + "/fake/receipts", { method: "POST", headers: { "Content-Type": "text/plain" },
                      body: JSON.stringify({ application_id: payload.application_id, order_id: payload.order_id, price: payload.price }) });
                    const data = await response.json();
                    box.remove();
                    if (response.ok) resolve({ event: "done", data }); else reject({ event: "error", message: data.message });
                  } catch (error) { box.remove(); reject({ event: "error", message: String(error) }); }
                });
                cancel.addEventListener("click", () => { box.remove(); reject({ event: "cancel", message: "cancelled" }); });
                box.append(title, what, pay, cancel);
                document.body.append(box);
              });
            },
          };
        })();

        """#

    private static func json(_ request: Request, _ context: BasicRequestContext) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: 1 << 16)
        return (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    private static func respond(_ status: Int, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func error(_ status: Int, _ code: String, _ message: String) -> Response {
        respond(status, ["error_code": code, "message": message])
    }
}
