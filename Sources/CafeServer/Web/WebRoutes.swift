import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The customer's web app, served by `cafe-server` itself at `/app/`: one page of our own
/// (HTML, CSS, JavaScript, no framework, nothing from another origin) that uses the JSON API
/// with the same bearer tokens as any client. Every `/app/…` path answers with the same page, so
/// a reload or a shared link opens that screen; the script routes by `location.pathname`.
///
/// Why a small single-page app rather than server-rendered pages: the API already speaks JWT
/// in `Authorization` headers, which a browser never sends by itself — so no cookie carries the
/// session and no form can be forged across sites (CSRF-safe by construction), and the pass page
/// can run offline from a service worker's cache with the last pass it showed.
struct WebRoutes {
    let database: ServerDatabase
    /// Where the buy page sends the customer to pay (see `ServerConfiguration.paymentPage`).
    let paymentPage: String?
    /// BootPay's window on `/app/pay` (see `PaymentWindowPage`).
    let paymentWindow: BootPayWindow?
    let now: @Sendable () -> Date

    /// `GET /app/config.json`: what the page needs before anyone logs in.
    struct WebConfig: Encodable {
        struct Store: Encodable {
            var storeID: UInt32
            var name: String
            enum CodingKeys: String, CodingKey { case storeID = "store_id", name }
        }
        var stores: [Store]
        var paymentPage: String?
        /// The server's clock: the console's "today" is the store's, not the browser's.
        var serverTime: Date
        enum CodingKeys: String, CodingKey { case stores, paymentPage = "payment_page", serverTime = "server_time" }
    }

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.get("app") { _, _ in Self.page() }
        router.get("app/**") { request, _ in
            let path = request.uri.path
            if path == "/app/config.json" {
                let stores = try await database.read { db in try await Stores.all(in: db) }
                // A payment page of another origin when one is set, else BootPay's window here.
                let payment = paymentPage ?? paymentWindow.map { _ in "/app/pay" }
                return try WireResponse.json(WebConfig(stores: stores.map { .init(storeID: UInt32($0.id), name: $0.name) },
                                                       paymentPage: payment, serverTime: now()))
            }
            if let paymentWindow, path == "/app/pay" {
                return Self.response(PaymentWindowPage.html(window: paymentWindow), type: "text/html; charset=utf-8",
                                     policy: PaymentWindowPage.policy(window: paymentWindow))
            }
            if let asset = WebAssets.files[String(path.dropFirst("/app/".count))] {
                return Self.response(asset.body, type: asset.type)
            }
            return Self.page()
        }
        return router
    }

    static func page() -> Response { response(WebAssets.page, type: "text/html; charset=utf-8") }

    /// Nothing from another origin: no script, style, frame or connection.
    static let policy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
        + "manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    static func response(_ body: String, type: String, policy: String = Self.policy) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        // Always revalidated: a deployment is seen at the next load; offline, the service worker answers.
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("Content-Security-Policy")!] = policy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
