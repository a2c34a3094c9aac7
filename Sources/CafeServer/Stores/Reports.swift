import CafeProtocol
import Foundation
import Hummingbird
import Logging
import SQLKit
import HTTPTypes
import NIOCore

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

/// Conflicts from offline decisions, and sales.
extension OwnerService {
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

/// `GET /stores/{id}/conflicts`, `GET /stores/{id}/sales` (JSON or CSV).
struct ReportRoutes {
    let service: OwnerService
    let now: @Sendable () -> Date

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.get("stores/:store_id/conflicts") { _, context -> Response in
            let store = try await service.owned(context)
            return try WireResponse.json(["conflicts": try await service.conflicts(store: store)])
        }
        router.get("stores/:store_id/sales") { request, context -> Response in
            let store = try await service.owned(context)
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
        return router
    }

    static func date(_ text: String) throws -> Date {
        guard let date = WireCoding.parseTimestamp(text) else { throw APIFailure.invalid("dates are RFC 3339, as 2026-11-25T09:00:00Z") }
        return date
    }
}
