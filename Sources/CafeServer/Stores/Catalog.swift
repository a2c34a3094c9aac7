import CafeProtocol
import Foundation
import SQLKit

/// A product of the pass catalog, as customers and owners see it.
public struct CatalogProduct: Codable, Sendable, Equatable {
    public var code: String
    public var kind: PassKind
    public var label: String
    /// Korean won.
    public var price: Int
    /// How long the pass is valid after purchase (time passes: how long the minutes last).
    public var days: Int
    /// Time passes: the minutes bought.
    public var minutes: Int?
    public var active: Bool

    enum CodingKeys: String, CodingKey {
        case code, kind, label, price, days, minutes, active
    }
}

struct ProductRow: Codable, Sendable {
    var code: String
    var kind: String
    var label: String
    var price: Int64
    var days: Int64?
    var minutes: Int64?
    var active: Int64

    var product: CatalogProduct? {
        guard let kind = PassKind(wireName: kind) else { return nil }
        return CatalogProduct(code: code, kind: kind, label: label, price: Int(price), days: Int(days ?? 0),
                              minutes: minutes.map(Int.init), active: active != 0)
    }
}

/// What an owner may change of a product (`PUT /catalog/{code}`) or add (`POST /catalog`).
public struct ProductInput: Codable, Sendable {
    public var code: String?
    public var kind: PassKind?
    public var label: String?
    public var price: Int?
    public var days: Int?
    public var minutes: Int?
    public var active: Bool?
}

enum Catalog {
    /// The seed app's price list (₩), as shipped by migration `002_seed_catalog`.
    static let seed: [(code: String, kind: PassKind, label: String, price: Int, days: Int, minutes: Int?)] = [
        ("day", .day, "1일권 (day pass)", 10_000, 1, nil),
        ("period-7", .period, "7일권 (7-day pass)", 15_000, 7, nil),
        ("period-14", .period, "14일권 (14-day pass)", 30_000, 14, nil),
        ("period-21", .period, "21일권 (21-day pass)", 40_000, 21, nil),
        ("period-28", .period, "28일권 (28-day pass)", 50_000, 28, nil),
        ("time-1h", .time, "1시간권 (1 hour)", 1_000, 30, 60),
        ("time-4h", .time, "4시간권 (4 hours)", 7_000, 30, 240),
        ("time-10h", .time, "10시간권 (10 hours)", 10_000, 60, 600),
        ("time-50h", .time, "50시간권 (50 hours)", 35_000, 180, 3_000),
        ("time-100h", .time, "100시간권 (100 hours)", 50_000, 365, 6_000),
    ]

    static func seedStatements() -> [String] {
        seed.enumerated().map { index, item in
            let label = item.label.replacingOccurrences(of: "'", with: "''")
            return "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('\(item.code)', '\(item.kind.wireName)', '\(label)', \(item.price), \(item.days), \(item.minutes.map(String.init) ?? "NULL"), 1, \(index))"
        }
    }

    static func all(includeInactive: Bool, in db: any SQLDatabase) async throws -> [CatalogProduct] {
        try await db.raw("SELECT code, kind, label, price, days, minutes, active FROM products \(unsafeRaw: includeInactive ? "" : "WHERE active = 1") ORDER BY sort_order, code")
            .all(decoding: ProductRow.self).compactMap(\.product)
    }

    static func find(_ code: String, in db: any SQLDatabase) async throws -> CatalogProduct? {
        try await db.raw("SELECT code, kind, label, price, days, minutes, active FROM products WHERE code = \(bind: code)")
            .first(decoding: ProductRow.self)?.product
    }

    static func requireActive(_ code: String, in db: any SQLDatabase) async throws -> CatalogProduct {
        guard let product = try await find(code, in: db), product.active else { throw APIFailure.notFound("product \(code)") }
        return product
    }

    static func upsert(code: String, _ input: ProductInput, in db: any SQLDatabase) async throws -> CatalogProduct {
        guard (1...40).contains(code.count), code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw APIFailure.invalid("code must be 1 to 40 letters, digits or dashes")
        }
        var product = try await find(code, in: db) ?? {
            guard let kind = input.kind, let label = input.label, let price = input.price, let days = input.days else {
                throw APIFailure.invalid("a new product needs kind, label, price and days")
            }
            return CatalogProduct(code: code, kind: kind, label: label, price: price, days: days, minutes: input.minutes, active: true)
        }()
        if let label = input.label { product.label = label }
        if let price = input.price { product.price = price }
        if let days = input.days { product.days = days }
        if let minutes = input.minutes { product.minutes = minutes }
        if let active = input.active { product.active = active }
        guard (1...100).contains(product.label.count) else { throw APIFailure.invalid("label must be 1 to 100 characters") }
        guard (0...10_000_000).contains(product.price) else { throw APIFailure.invalid("price must be 0 to 10,000,000 won") }
        guard (1...3_650).contains(product.days) else { throw APIFailure.invalid("days must be 1 to 3650") }
        if product.kind == .time {
            guard let minutes = product.minutes, (1...600_000).contains(minutes) else { throw APIFailure.invalid("a time pass needs minutes, 1 to 600000") }
        } else {
            product.minutes = nil
        }
        try await db.raw("""
            INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order)
            VALUES (\(bind: product.code), \(bind: product.kind.wireName), \(bind: product.label), \(bind: Int64(product.price)),
                    \(bind: Int64(product.days)), \(bind: product.minutes.map(Int64.init)), \(bind: product.active ? Int64(1) : 0), 1000)
            ON CONFLICT (code) DO UPDATE SET label = excluded.label, price = excluded.price, days = excluded.days,
                minutes = excluded.minutes, active = excluded.active
            """).run()
        return product
    }
}
