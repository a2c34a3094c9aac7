import CafeProtocol
import Foundation
import Hummingbird

/// `/kiosk/v1/…`: the routes `kioskd` calls (see `KioskAPI`).
struct KioskRoutes {
    let service: KioskService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.post("enroll") { request, context -> Response in
            let body = try await request.decodeBody(EnrollRequest.self, context: context)
            return try WireResponse.json(try await service.enroll(body, now: now()))
        }
        let device = router.group().add(middleware: DeviceAuthenticator(service: service))
        device.get("sync") { request, context -> Response in
            let caller = try context.requireDevice()
            let limitText = request.uri.queryParameters.get("limit")
            let limit = limitText.map { Int($0) } ?? 1000
            guard let limit, (1...KioskAPI.maxSyncPageSize).contains(limit) else {
                throw APIFailure.invalid("limit must be 1 to \(KioskAPI.maxSyncPageSize)")
            }
            let cursor = request.uri.queryParameters.get("cursor")
            let outbox = try OutboxReport(query: request.uri.queryParameters.get(OutboxReport.pendingParameter),
                                          oldest: request.uri.queryParameters.get(OutboxReport.oldestParameter))
            let page = try await service.syncPage(device: caller, cursor: cursor, limit: limit, outbox: outbox, now: now())
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: page)))
        }
        device.post("check-ins") { request, context -> Response in
            let caller = try context.requireDevice()
            let body = try await request.decodeBody(CheckInRequest.self, context: context)
            return try WireResponse.json(try await service.checkIn(body, device: caller, now: now()))
        }
        device.post("events") { request, context -> Response in
            let caller = try context.requireDevice()
            let body = try await request.decodeBody(EventBatch.self, context: context)
            return try WireResponse.json(try await service.upload(body, device: caller, now: now()))
        }
        device.post("print-jobs/:job_id/ack") { request, context -> Response in
            let caller = try context.requireDevice()
            let job = try context.uuidParameter("job_id")
            let body = try await request.decodeBody(PrintJobAck.self, context: context)
            try await service.acknowledge(job: job, ack: body, device: caller)
            return Response(status: .noContent)
        }
        return router
    }
}


extension OutboxReport {
    /// From the sync request's query (nil when the kiosk did not say: an older kioskd).
    init?(query pending: String?, oldest: String?) throws {
        guard let pending else { return nil }
        guard let count = Int(pending), (0...100_000_000).contains(count) else { throw APIFailure.invalid("\(Self.pendingParameter) must be a count") }
        var oldestDate: Date?
        if let oldest {
            guard let date = WireCoding.parseTimestamp(oldest) else { throw APIFailure.invalid("\(Self.oldestParameter) is an RFC 3339 time") }
            oldestDate = date
        }
        self.init(pending: count, oldest: oldestDate)
    }
}
