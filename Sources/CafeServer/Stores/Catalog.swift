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
