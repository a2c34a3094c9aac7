import CafeProtocol
import Foundation
import Hummingbird
import Logging
import SQLKit

public struct EnrollmentCodeView: Codable, Sendable {
    public var code: String
    public var storeID: UInt32
    public var expiresAt: Date
    enum CodingKeys: String, CodingKey { case code, storeID = "store_id", expiresAt = "expires_at" }
}

public struct DeviceView: Codable, Sendable, Equatable {
    public var deviceID: UUID
    public var name: String
    public var enrolledAt: Date
    public var lastSeenAt: Date?
    public var revoked: Bool
    enum CodingKeys: String, CodingKey { case deviceID = "device_id", name, enrolledAt = "enrolled_at", lastSeenAt = "last_seen_at", revoked }
}

public struct CounterSaleRequest: Codable, Sendable {
    public var productCode: String
    public var holderName: String?
    enum CodingKeys: String, CodingKey { case productCode = "product_code", holderName = "holder_name" }
}

public struct CounterSaleView: Codable, Sendable {
    public var ticket: TicketView
    public var printJob: PrintJob
    enum CodingKeys: String, CodingKey { case ticket, printJob = "print_job" }
}

public struct ConflictView: Codable, Sendable, Equatable {
    public var eventID: UUID
    public var deviceID: UUID
    public var ticketID: UUID?
    public var occurredAt: Date
    public var serverReason: String?
    public var message: String
    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", deviceID = "device_id", ticketID = "ticket_id", occurredAt = "occurred_at"
        case serverReason = "server_reason", message
    }
}

public struct SalesReport: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        public var productCode: String
        public var count: Int
        public var revenue: Int
        enum CodingKeys: String, CodingKey { case productCode = "product_code", count, revenue }
    }
    public var storeID: UInt32
    public var from: Date
    public var to: Date
    public var sold: Int
    /// Sales refunded (whatever the amount given back).
    public var refunded: Int
    /// Won given back by refunds.
    public var refundedAmount: Int
    /// Won, refunds deducted.
    public var revenue: Int
    public var lines: [Line]
    /// With `?by=day|week|month`: the same figures per local period, oldest first.
    public var periods: [Period]?
    enum CodingKeys: String, CodingKey { case storeID = "store_id", from, to, sold, refunded, refundedAmount = "refunded_amount", revenue, lines, periods }

    public struct Period: Codable, Sendable, Equatable {
        public var start: Date
        public var sold: Int
        public var refunded: Int
        public var refundedAmount: Int
        public var revenue: Int
        public var lines: [Line]
        enum CodingKeys: String, CodingKey { case start, sold, refunded, refundedAmount = "refunded_amount", revenue, lines }
    }
}

/// What owners do: stores, enrolment codes and devices, counter sales, refunds, conflicts,
/// sales, catalog prices, key rotation. Every route checks that the caller owns the store.
struct OwnerService: Sendable {
    let database: ServerDatabase
    let gateway: (any PaymentGateway)?
    let kiosk: KioskService
    let enrollmentCodeLifetime: TimeInterval
    let logger: Logger

    func requireOwner(_ caller: AuthenticatedAccount, store: UInt32) async throws {
        guard caller.role == .owner else { throw APIFailure.forbidden("owners only") }
        let owns = try await database.read { db in try await Stores.isOwner(caller.id, of: store, in: db) }
        guard owns else { throw APIFailure.forbidden("you do not own store \(store)") }
    }

    /// The `:store_id` of the path, once the caller is checked to own it.
    func owned(_ context: CafeRequestContext) async throws -> UInt32 {
        let caller = try context.requireAccount()
        let store = try context.storeParameter()
        try await requireOwner(caller, store: store)
        return store
    }

    func devices(store: UInt32) async throws -> [DeviceView] {
        struct Row: Decodable { var id: String; var name: String; var enrolledAt: Int64; var lastSeenAt: Int64?; var revokedAt: Int64? }
        return try await database.read { db in
            try await db.raw("SELECT id, name, enrolled_at, last_seen_at, revoked_at FROM devices WHERE store_id = \(bind: Int64(store)) AND kind = 'kiosk' ORDER BY enrolled_at")
                .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase).map {
                    DeviceView(deviceID: UUID(uuidString: $0.id)!, name: $0.name, enrolledAt: DBTime.date($0.enrolledAt),
                               lastSeenAt: $0.lastSeenAt.map(DBTime.date), revoked: $0.revokedAt != nil)
                }
        }
    }

    func revokeDevice(_ device: UUID, store: UInt32, now: Date) async throws {
        try await database.transaction { db in
            guard try await db.raw("""
                UPDATE devices SET revoked_at = COALESCE(revoked_at, \(bind: DBTime.millis(now)))
                WHERE id = \(bind: device.uuidString) AND store_id = \(bind: Int64(store)) RETURNING id
                """).first() != nil else { throw APIFailure.notFound("device \(device)") }
        }
        logger.notice("kiosk device revoked", metadata: ["device.id": "\(device)", "store.id": "\(store)"])
    }

    func counterSale(_ body: CounterSaleRequest, store: UInt32, now: Date) async throws -> CounterSaleView {
        if let name = body.holderName, name.count > 50 { throw APIFailure.invalid("holder_name must be at most 50 characters") }
        return try await database.transaction { db in
            _ = try await Stores.require(store, in: db)
            let product = try await Catalog.requireActive(body.productCode, in: db)
            let ticket = try await Tickets.issueOrExtend(product: product, store: store, account: nil, holderName: body.holderName, now: now, in: db)
            try await db.raw("""
                INSERT INTO sales (id, store_id, ticket_id, product_code, price, channel, state, paid_at)
                VALUES (\(bind: UUID().uuidString), \(bind: Int64(store)), \(bind: ticket.id), \(bind: product.code), \(bind: Int64(product.price)),
                        'counter', 'sale', \(bind: DBTime.millis(now)))
                """).run()
            let job = try await PrintJobs.create(ticket: ticket, now: now, in: db)
            return CounterSaleView(ticket: ticket.view, printJob: job)
        }
    }

    func conflicts(store: UInt32) async throws -> [ConflictView] {
        struct Row: Decodable { var eventId: String; var deviceId: String; var ticketId: String?; var occurredAt: Int64; var conflictReason: String?; var conflictMessage: String? }
        return try await database.read { db in
            try await db.raw("""
                SELECT event_id, device_id, ticket_id, occurred_at, conflict_reason, conflict_message FROM check_in_events
                WHERE store_id = \(bind: Int64(store)) AND conflict_verdict IS NOT NULL ORDER BY occurred_at DESC LIMIT 500
                """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase).map {
                    ConflictView(eventID: UUID(uuidString: $0.eventId)!, deviceID: UUID(uuidString: $0.deviceId)!,
                                 ticketID: $0.ticketId.flatMap(UUID.init(uuidString:)), occurredAt: DBTime.date($0.occurredAt),
                                 serverReason: $0.conflictReason, message: $0.conflictMessage ?? "")
                }
        }
    }

    func sales(store: UInt32, from: Date, to: Date, by period: SalesPeriod? = nil) async throws -> SalesReport {
        let (rows, zone) = try await database.read { db -> ([SaleRow], String) in
            let store = try await Stores.require(store, in: db)
            let rows = try await db.raw("""
                SELECT product_code, state, price, refund_amount, paid_at FROM sales
                WHERE store_id = \(bind: Int64(store.id)) AND paid_at >= \(bind: DBTime.millis(from)) AND paid_at < \(bind: DBTime.millis(to))
                ORDER BY paid_at
                """).all(decoding: SaleRow.self, keyDecodingStrategy: .convertFromSnakeCase)
            return (rows, store.timeZone)
        }
        let total = SalesTotals(rows)
        var report = SalesReport(storeID: store, from: from, to: to, sold: total.sold, refunded: total.refunded, refundedAmount: total.refundedAmount,
                                 revenue: total.revenue, lines: total.lines)
        if let period {
            var calendar = Calendar(identifier: .iso8601)
            calendar.timeZone = TimeZone(identifier: zone) ?? .gmt
            let component: Calendar.Component = switch period { case .day: .day; case .week: .weekOfYear; case .month: .month }
            var buckets: [Date: [SaleRow]] = [:]
            for row in rows {
                let start = calendar.dateInterval(of: component, for: DBTime.date(row.paidAt))?.start ?? DBTime.date(row.paidAt)
                buckets[start, default: []].append(row)
            }
            report.periods = buckets.keys.sorted().map { start in
                let totals = SalesTotals(buckets[start]!)
                return SalesReport.Period(start: start, sold: totals.sold, refunded: totals.refunded, refundedAmount: totals.refundedAmount,
                                          revenue: totals.revenue, lines: totals.lines)
            }
        }
        return report
    }
}

struct SaleRow: Decodable, Sendable { var productCode: String; var state: String; var price: Int64; var refundAmount: Int64?; var paidAt: Int64 }

/// Sales added up: a refund gives back what the policy allowed (all of it before policies existed).
struct SalesTotals {
    var sold = 0, refunded = 0, revenue = 0, refundedAmount = 0
    var lines: [SalesReport.Line] = []

    init(_ rows: [SaleRow]) {
        var byProduct: [String: SalesReport.Line] = [:]
        for row in rows {
            let back = row.state == "refunded" ? Int(row.refundAmount ?? row.price) : 0
            if row.state == "refunded" { refunded += 1 } else { sold += 1 }
            refundedAmount += back
            let net = Int(row.price) - back
            revenue += net
            byProduct[row.productCode, default: .init(productCode: row.productCode, count: 0, revenue: 0)].count += row.state == "refunded" ? 0 : 1
            byProduct[row.productCode]!.revenue += net
        }
        lines = byProduct.values.filter { $0.count > 0 || $0.revenue != 0 }.sorted { $0.productCode < $1.productCode }
    }
}

struct OwnerRoutes {
    let service: OwnerService
    let now: @Sendable () -> Date

    func add(to router: RouterGroup<CafeRequestContext>) {
        router.get("catalog") { _, _ -> Response in
            let products = try await service.database.read { db in try await Catalog.all(includeInactive: false, in: db) }
            return try WireResponse.json(["products": products])
        }
        router.put("catalog/:code") { request, context -> Response in
            let caller = try context.requireAccount()
            guard caller.role == .owner else { throw APIFailure.forbidden("owners only") }
            let code = context.parameters.get("code") ?? ""
            let body = try await request.decodeBody(ProductInput.self, context: context)
            return try WireResponse.json(try await service.database.transaction { db in try await Catalog.upsert(code: code, body, in: db) })
        }
        router.get("stores") { _, _ -> Response in
            let stores = try await service.database.read { db in try await Stores.all(in: db) }
            return try WireResponse.json(["stores": stores.map(\.settings)])
        }
        router.post("stores") { request, context -> Response in
            let caller = try context.requireAccount()
            guard caller.role == .owner else { throw APIFailure.forbidden("owners only") }
            let body = try await request.decodeBody(StoreSettings.self, context: context)
            let store = try await service.database.transaction { db in try await Stores.create(body, owner: caller.id, now: now(), in: db) }
            return try WireResponse.json(store.settings, status: .created)
        }
        router.get("stores/:store_id") { _, context -> Response in
            let id = try context.storeParameter()
            return try WireResponse.json(try await service.database.read { db in try await Stores.require(id, in: db) }.settings)
        }
        router.put("stores/:store_id") { request, context -> Response in
            let store = try await owned(context)
            var body = try await request.decodeBody(StoreSettings.self, context: context)
            body.storeID = store
            let input = body
            let updated = try await service.database.transaction { db in
                let row = try await Stores.update(input, in: db)
                _ = try await Revisions.next(store: store, in: db)
                return row
            }
            return try WireResponse.json(updated.settings)
        }
        router.post("stores/:store_id/enrollment-codes") { _, context -> Response in
            let store = try await owned(context)
            let code = try await service.kiosk.createEnrollmentCode(store: store, lifetime: service.enrollmentCodeLifetime, now: now())
            return try WireResponse.json(EnrollmentCodeView(code: code.code, storeID: store, expiresAt: code.expiresAt), status: .created)
        }
        router.get("stores/:store_id/devices") { _, context -> Response in
            let store = try await owned(context)
            return try WireResponse.json(["devices": try await service.devices(store: store)])
        }
        router.post("stores/:store_id/devices/:device_id/revoke") { _, context -> Response in
            let store = try await owned(context)
            try await service.revokeDevice(try context.uuidParameter("device_id"), store: store, now: now())
            return Response(status: .noContent)
        }
        router.post("stores/:store_id/counter-sales") { request, context -> Response in
            let store = try await owned(context)
            let body = try await request.decodeBody(CounterSaleRequest.self, context: context)
            return try WireResponse.json(try await service.counterSale(body, store: store, now: now()), status: .created)
        }
        router.get("stores/:store_id/conflicts") { _, context -> Response in
            let store = try await owned(context)
            return try WireResponse.json(["conflicts": try await service.conflicts(store: store)])
        }
        router.get("stores/:store_id/sales") { request, context -> Response in
            let store = try await owned(context)
            let to = try request.uri.queryParameters.get("to").map(Self.date) ?? now()
            let from = try request.uri.queryParameters.get("from").map(Self.date) ?? to.addingTimeInterval(-30 * 86_400)
            guard from <= to else { throw APIFailure.invalid("from must not be after to") }
            let by = try request.uri.queryParameters.get("by").map { text -> SalesPeriod in
                guard let period = SalesPeriod(rawValue: text) else { throw APIFailure.invalid("by is day, week or month") }
                return period
            }
            let report = try await service.sales(store: store, from: from, to: to, by: by)
            if request.headers[.accept]?.contains("text/csv") == true {
                var headers = HTTPFields()
                headers[.contentType] = "text/csv; charset=utf-8"
                headers[.contentDisposition] = "attachment; filename=\"sales-\(store).csv\""
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: report.csv())))
            }
            return try WireResponse.json(report)
        }
        router.post("stores/:store_id/keys/rotate") { _, context -> Response in
            let store = try await owned(context)
            let key = try await service.database.transaction { db in try await SigningKeys.rotate(store: store, now: now(), in: db) }
            return try WireResponse.json(["key_id": key.description], status: .created)
        }
        router.post("stores/:store_id/keys/:key_id/retire") { _, context -> Response in
            let store = try await owned(context)
            guard let text = context.parameters.get("key_id"), text.count == 8, let value = UInt32(text, radix: 16) else {
                throw APIFailure.invalid("key_id must be 8 hex digits")
            }
            try await service.database.transaction { db in try await SigningKeys.retire(store: store, key: KeyID(rawValue: value), in: db) }
            return Response(status: .noContent)
        }
    }

    private func owned(_ context: CafeRequestContext) async throws -> UInt32 {
        try await service.owned(context)
    }

    static func date(_ text: String) throws -> Date {
        guard let date = WireCoding.parseTimestamp(text) else { throw APIFailure.invalid("dates are RFC 3339, as 2026-11-25T09:00:00Z") }
        return date
    }
}
