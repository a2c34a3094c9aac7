import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PassQR

/// `GET /me/tickets/{id}/qr.svg`: the customer's pass token drawn as a QR code by our renderer
/// (libqrencode, level M, a 4-module quiet zone), for the pass page to show large at the door.
/// Private (the token admits its holder): `Cache-Control: private, no-store` — the page keeps its
/// own copy for offline use.
struct TicketRoutes {
    let database: ServerDatabase

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.get("me/tickets/:ticket_id/qr.svg") { _, context -> Response in
            let caller = try context.requireAccount()
            let id = try context.uuidParameter("ticket_id")
            let ticket = try await database.read { db in try await Tickets.require(id, store: nil, account: caller.id, in: db) }
            let svg: String
            do {
                svg = try QRMatrix(text: ticket.token, level: .medium).svg(moduleSize: 8, quietZone: 4)
            } catch {
                throw APIFailure(.internalServerError, "internal_error", "the pass token could not be drawn: \(error)")
            }
            var headers = HTTPFields()
            headers[.contentType] = "image/svg+xml; charset=utf-8"
            headers[.cacheControl] = "private, no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: svg)))
        }
        return router
    }
}
