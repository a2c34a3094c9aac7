import CafeProtocol
import Foundation
import GRDB

// The rows of the kiosk's SQLite cache. Plain column types only: the wire types may evolve,
// the schema changes by migration.

/// The synced state of one pass.
struct TicketRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "ticket"

    static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { StoredDate.encoding }
    static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { StoredDate.decoding }

    var passID: String
    var storeID: Int64
    var kind: String
    var validFrom: Date
    var validUntil: Date
    var remainingMinutes: Int?
    var status: String
    var inside: Bool
    var lastEnteredAt: Date?
    var holderName: String?
    var seat: String?
    var revision: Int64

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case passID = "pass_id", storeID = "store_id", kind, validFrom = "valid_from", validUntil = "valid_until"
        case remainingMinutes = "remaining_minutes", status, inside, lastEnteredAt = "last_entered_at"
        case holderName = "holder_name", seat, revision
    }

    init(_ state: TicketState) {
        passID = state.passID.uuidString
        storeID = Int64(state.storeID)
        kind = state.kind.wireName
        validFrom = state.validFrom
        validUntil = state.validUntil
        remainingMinutes = state.remainingMinutes
        status = state.status.rawValue
        inside = state.inside
        lastEnteredAt = state.lastEnteredAt
        holderName = state.holderName
        seat = state.seat
        revision = state.revision
    }

    /// Nil for a row this version cannot read (written by a newer one): treated as not cached.
    var state: TicketState? {
        guard let id = UUID(uuidString: passID), let storeID = UInt32(exactly: storeID),
              let kind = PassKind(wireName: self.kind),
              let status = TicketStatus(rawValue: status) else { return nil }
        return TicketState(passID: id, storeID: storeID, kind: kind, validFrom: validFrom, validUntil: validUntil,
                           remainingMinutes: remainingMinutes, status: status, inside: inside, lastEnteredAt: lastEnteredAt,
                           holderName: holderName, seat: seat, revision: revision)
    }
}

/// One of the store's public keys.
struct SigningKeyRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "signing_key"

    var publicKey: Data
    var keyID: Int64
    var retired: Bool

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case publicKey = "public_key", keyID = "key_id", retired
    }
}

/// A decision waiting to be uploaded. `seq` keeps the order decisions were made in.
struct OutboxRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "outbox"

    static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { StoredDate.encoding }
    static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { StoredDate.decoding }

    var seq: Int64?
    var eventID: String
    var passID: String?
    var payload: String
    var createdAt: Date
    var attempts: Int
    var lastError: String?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case seq, eventID = "event_id", passID = "pass_id", payload, createdAt = "created_at", attempts, lastError = "last_error"
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }
}

/// A pass to print, from the server.
struct PrintJobRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "print_job"

    static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { StoredDate.encoding }
    static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { StoredDate.decoding }

    var jobID: String
    var passID: String
    var token: String
    var label: String
    var createdAt: Date
    var printedAt: Date?
    var acknowledged: Bool
    var attemptedAt: Date?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case jobID = "job_id", passID = "pass_id", token, label, createdAt = "created_at"
        case printedAt = "printed_at", acknowledged, attemptedAt = "attempted_at"
    }
}

/// Small named values: the sync cursor, the store settings (JSON), the last sync time.
struct SettingRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "setting"

    var name: String
    var value: String

    enum Names {
        static let syncCursor = "sync.cursor"
        static let storeSettings = "store.settings"
        static let lastSyncAt = "sync.last_success_at"
        /// The latest decision's time, Unix milliseconds: a clock that went back never decides before it.
        static let lastDecisionAt = "clock.last_decision_ms"
    }
}
