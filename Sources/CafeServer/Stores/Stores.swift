import CafeProtocol
import Crypto
import Foundation
import HTTPTypes
import SQLKit

/// A store as the database holds it.
struct StoreRow: Codable, Sendable {
    var id: Int64
    var name: String
    var timeZone: String
    var closedStart: Int64?
    var closedEnd: Int64?
    var seats: Int64
    var maxVisitMinutes: Int64?

    var settings: StoreSettings {
        StoreSettings(storeID: UInt32(id), name: name, timeZone: timeZone,
                      closedHours: closedStart.flatMap { start in closedEnd.map { LocalTimeRange(startMinute: Int(start), endMinute: Int($0)) } },
                      seats: Int(seats), maxVisitMinutes: maxVisitMinutes.map(Int.init))
    }
}

extension StoreSettings {
    /// What an owner may set on a store (`POST /stores`, `PUT /stores/{id}`,
    /// `cafe-server admin create-store`) is exactly what kiosks receive: checked here.
    func validated() throws -> StoreSettings {
        guard storeID > 0 else { throw APIFailure.invalid("store_id must be 1 or more") }
        guard (1...100).contains(name.count) else { throw APIFailure.invalid("name must be 1 to 100 characters") }
        guard TimeZone(identifier: timeZone) != nil else { throw APIFailure.invalid("unknown time zone \(timeZone) (use an IANA name such as Asia/Seoul)") }
        guard (0...10_000).contains(seats) else { throw APIFailure.invalid("seats must be 0 to 10000") }
        if let minutes = maxVisitMinutes, !(30...2_880).contains(minutes) {
            throw APIFailure.invalid("max_visit_minutes must be 30 to 2880 (two days)")
        }
        if let closed = closedHours, closed.startMinute == closed.endMinute {
            throw APIFailure.invalid("closed_hours must not start and end at the same minute")
        }
        return self
    }
}

enum Stores {
    static let columns = "id, name, time_zone, closed_start, closed_end, seats, max_visit_minutes"

    static func find(_ id: UInt32, in db: any SQLDatabase) async throws -> StoreRow? {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM stores WHERE id = \(bind: Int64(id))")
            .first(decoding: StoreRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    static func require(_ id: UInt32, in db: any SQLDatabase) async throws -> StoreRow {
        guard let store = try await find(id, in: db) else { throw APIFailure.notFound("store \(id)") }
        return store
    }

    static func all(in db: any SQLDatabase) async throws -> [StoreRow] {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM stores ORDER BY id")
            .all(decoding: StoreRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    /// Creates the store and its first signing key.
    static func create(_ input: StoreSettings, owner: UUID?, now: Date, in db: any SQLDatabase) async throws -> StoreRow {
        let input = try input.validated()
        if try await find(input.storeID, in: db) != nil {
            throw APIFailure.conflict("store_exists", "store \(input.storeID) exists already")
        }
        try await db.raw("""
            INSERT INTO stores (id, name, time_zone, closed_start, closed_end, seats, max_visit_minutes, revision, created_at)
            VALUES (\(bind: Int64(input.storeID)), \(bind: input.name), \(bind: input.timeZone),
                    \(bind: input.closedHours.map { Int64($0.startMinute) }), \(bind: input.closedHours.map { Int64($0.endMinute) }),
                    \(bind: Int64(input.seats)), \(bind: input.maxVisitMinutes.map(Int64.init)), 0, \(bind: DBTime.millis(now)))
            """).run()
        if let owner {
            try await db.raw("INSERT INTO store_owners (store_id, account_id) VALUES (\(bind: Int64(input.storeID)), \(bind: owner.uuidString))").run()
        }
        _ = try await SigningKeys.rotate(store: input.storeID, now: now, in: db)
        return try await require(input.storeID, in: db)
    }

    static func update(_ input: StoreSettings, in db: any SQLDatabase) async throws -> StoreRow {
        let input = try input.validated()
        _ = try await require(input.storeID, in: db)
        try await db.raw("""
            UPDATE stores SET name = \(bind: input.name), time_zone = \(bind: input.timeZone),
                closed_start = \(bind: input.closedHours.map { Int64($0.startMinute) }),
                closed_end = \(bind: input.closedHours.map { Int64($0.endMinute) }), seats = \(bind: Int64(input.seats)),
                max_visit_minutes = \(bind: input.maxVisitMinutes.map(Int64.init))
            WHERE id = \(bind: Int64(input.storeID))
            """).run()
        return try await require(input.storeID, in: db)
    }

    /// The stores this account owns, by id.
    static func owned(by account: UUID, in db: any SQLDatabase) async throws -> [StoreRow] {
        try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM stores WHERE id IN (SELECT store_id FROM store_owners WHERE account_id = \(bind: account.uuidString)) ORDER BY id
            """).all(decoding: StoreRow.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    static func isOwner(_ account: UUID, of store: UInt32, in db: any SQLDatabase) async throws -> Bool {
        try await db.raw("SELECT store_id FROM store_owners WHERE store_id = \(bind: Int64(store)) AND account_id = \(bind: account.uuidString)").first() != nil
    }

    static func addOwner(_ account: UUID, to store: UInt32, in db: any SQLDatabase) async throws {
        guard try await !isOwner(account, of: store, in: db) else { return }
        try await db.raw("INSERT INTO store_owners (store_id, account_id) VALUES (\(bind: Int64(store)), \(bind: account.uuidString))").run()
    }
}

/// The store's change counter, which orders what kiosks pull.
///
/// Every change a kiosk must see takes the next number from the store's row, in the same
/// transaction as the change. Taking it locks the row until commit, so a later number is never
/// committed before an earlier one: a kiosk that has seen revision N has seen every change up to
/// N, and a cursor never skips a row committed late (the classic bug of sequence or timestamp
/// cursors under concurrent writers on PostgreSQL). On SQLite transactions are serial anyway.
enum Revisions {
    static func next(store: UInt32, in db: any SQLDatabase) async throws -> Int64 {
        guard let row = try await db.raw("UPDATE stores SET revision = revision + 1 WHERE id = \(bind: Int64(store)) RETURNING revision").first() else {
            throw APIFailure.notFound("store \(store)")
        }
        return try row.decode(column: "revision", as: Int64.self)
    }
}

/// A store's Ed25519 keys: the active one signs new tokens; older ones keep verifying until retired.
enum SigningKeys {
    struct Row: Codable, Sendable {
        var keyId: Int64
        var publicKey: String
        var privateKey: String
        var active: Int64
        var retired: Int64
    }

    static func all(store: UInt32, in db: any SQLDatabase) async throws -> [Row] {
        try await db.raw("SELECT key_id, public_key, private_key, active, retired FROM signing_keys WHERE store_id = \(bind: Int64(store)) ORDER BY created_at, key_id")
            .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
    }

    static func publicRecords(store: UInt32, in db: any SQLDatabase) async throws -> [PublicKeyRecord] {
        try await all(store: store, in: db).compactMap { row in
            guard let key = Data(base64Encoded: row.publicKey) else { return nil }
            return PublicKeyRecord(keyID: KeyID(rawValue: UInt32(row.keyId)), publicKey: key, retired: row.retired != 0)
        }
    }

    static func verifier(store: UInt32, in db: any SQLDatabase) async throws -> PassVerifier {
        var verifier = PassVerifier()
        for row in try await all(store: store, in: db) where row.retired == 0 {
            if let data = Data(base64Encoded: row.publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: data) {
                verifier.add(key)
            }
        }
        return verifier
    }

    static func signer(store: UInt32, in db: any SQLDatabase) async throws -> PassSigner {
        guard let row = try await all(store: store, in: db).last(where: { $0.active != 0 && $0.retired == 0 }),
              let data = Data(base64Encoded: row.privateKey),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: data)
        else { throw APIFailure(.internalServerError, "internal_error", "store \(store) has no active signing key") }
        return PassSigner(privateKey: key)
    }

    /// Makes a new active key; the previous ones stay valid for verification until retired.
    /// Kiosks learn the new key at their next sync (the revision bump makes them pull).
    @discardableResult
    static func rotate(store: UInt32, now: Date, in db: any SQLDatabase) async throws -> KeyID {
        let key = Curve25519.Signing.PrivateKey()
        let id = KeyID(publicKey: key.publicKey)
        try await db.raw("UPDATE signing_keys SET active = 0 WHERE store_id = \(bind: Int64(store))").run()
        try await db.raw("""
            INSERT INTO signing_keys (store_id, key_id, public_key, private_key, active, retired, created_at)
            VALUES (\(bind: Int64(store)), \(bind: Int64(id.rawValue)), \(bind: key.publicKey.rawRepresentation.base64EncodedString()),
                    \(bind: key.rawRepresentation.base64EncodedString()), 1, 0, \(bind: DBTime.millis(now)))
            """).run()
        _ = try await Revisions.next(store: store, in: db)
        return id
    }

    /// Retires a key: tokens signed with it become `unknown_key` at the door.
    static func retire(store: UInt32, key: KeyID, in db: any SQLDatabase) async throws {
        guard let row = try await db.raw("UPDATE signing_keys SET retired = 1 WHERE store_id = \(bind: Int64(store)) AND key_id = \(bind: Int64(key.rawValue)) AND active = 0 RETURNING key_id").first(),
              (try? row.decode(column: "key_id", as: Int64.self)) != nil
        else { throw APIFailure.conflict("key_not_retirable", "key \(key) is unknown or still the active key; rotate first") }
        _ = try await Revisions.next(store: store, in: db)
    }
}
