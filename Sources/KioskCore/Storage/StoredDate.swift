import CafeProtocol
import Foundation
import GRDB

/// How the cache stores a date: UTC text `2026-12-02 05:07:09.042`, the form GRDB has always
/// written here (so caches written before stay readable, and SQLite's date functions read it).
///
/// Written and read by `CivilTime` rather than by GRDB's own `Date` conversion, which goes through
/// a `DateFormatter` and a `Calendar` — ICU on Linux, about 5 MB resident for the daemon and a slow
/// formatter on every check-in. Every record with a date column declares these strategies itself, and raw
/// SQL binds `StoredDate.text(_:)`, never a `Date`.
///
/// Itself, in the record's own body: GRDB then calls them. A default in an extension of a protocol
/// of ours refining GRDB's was never chosen over GRDB's own default — every date went through
/// `DateFormatter`, found with a breakpoint on ICU in a daemon's first check-in — and
/// `StoredDateTests` asks through the conformance, as GRDB does.
enum StoredDate {
    static func text(_ date: Date) -> String { CivilTime.sqlText(date) }

    static func text(_ date: Date?) -> String? { date.map(text) }

    /// Text in any of SQLite's date-and-time forms (UTC unless it says otherwise), or a number of
    /// seconds since 1970; nil for anything else.
    static func date(_ value: DatabaseValue) -> Date? {
        switch value.storage {
        case .string(let text): CivilTime.parse(text, zoneRequired: false)
        case .int64(let seconds): Date(timeIntervalSince1970: Double(seconds))
        case .double(let seconds): Date(timeIntervalSince1970: seconds)
        case .null, .blob: nil
        }
    }

    /// `SELECT MIN(created_at) …` and other single dates.
    static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Date? {
        try DatabaseValue.fetchOne(db, sql: sql, arguments: arguments).flatMap(date)
    }

    static let encoding = DatabaseDateEncodingStrategy.custom { text($0) }
    static let decoding = DatabaseDateDecodingStrategy.custom { date($0) }
}
