import CafeProtocol
import Foundation
import GRDB
import Testing
@testable import KioskCore

/// The cache's dates are written by `StoredDate` now, not by GRDB's `DateFormatter`: caches written
/// before must read the same, and what is written now must be what GRDB wrote.
@Suite struct StoredDateTests {
    static let dates: [Date] = (0..<5_000).map { index in
        // Whole milliseconds, 1990 to 2060, spread by a multiplicative step.
        Date(timeIntervalSince1970: Double(631_152_000_000 + (Int64(index) * 442_069_318_117) % 2_208_988_800_000) / 1_000)
    }

    @Test func writesWhatGRDBWrote() throws {
        try DatabaseQueue().read { db in
            for date in Self.dates {
                let grdb = try String.fetchOne(db, sql: "SELECT ?", arguments: [date])  // GRDB's own conversion
                #expect(StoredDate.text(date) == grdb)
            }
        }
    }

    @Test func readsWhatGRDBWroteAndWhatSQLiteWrites() throws {
        let queue = try DatabaseQueue()
        try queue.read { db in
            for date in Self.dates {
                let stored = try #require(try DatabaseValue.fetchOne(db, sql: "SELECT ?", arguments: [date]))
                #expect(StoredDate.date(stored) == date)
                // GRDB's own reading goes through `Calendar` and nanoseconds and lands a few
                // hundred nanoseconds off; ours gives back the stored millisecond exactly.
                #expect(abs(try #require(StoredDate.date(stored)).timeIntervalSince(try #require(Date.fromDatabaseValue(stored)))) < 1e-5)
            }
            // SQLite's own forms, and numbers of seconds.
            let sqlite = try #require(try DatabaseValue.fetchOne(db, sql: "SELECT datetime(1795575600, 'unixepoch')"))
            #expect(StoredDate.date(sqlite) == Date(timeIntervalSince1970: 1_795_575_600))
            #expect(StoredDate.date(1_795_575_600.databaseValue) == Date(timeIntervalSince1970: 1_795_575_600))
            #expect(StoredDate.date(1_795_575_600.5.databaseValue) == Date(timeIntervalSince1970: 1_795_575_600.5))
            #expect(StoredDate.date("yesterday".databaseValue) == nil)
            #expect(StoredDate.date(DatabaseValue.null) == nil)
        }
    }

    @Test func recordsGoThroughIt() throws {
        let queue = try DatabaseQueue()
        let date = Date(timeIntervalSince1970: 1_795_575_600.042)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE print_job (job_id TEXT PRIMARY KEY, pass_id TEXT, token TEXT, label TEXT, created_at TEXT, printed_at TEXT, acknowledged INTEGER, attempted_at TEXT)")
            try PrintJobRecord(jobID: "j", passID: "p", token: "t", label: "l", createdAt: date, printedAt: nil, acknowledged: false, attemptedAt: nil).insert(db)
            #expect(try String.fetchOne(db, sql: "SELECT created_at FROM print_job") == "2026-11-25 03:00:00.042")
            #expect(try PrintJobRecord.fetchOne(db)?.createdAt == date)
        }
        // The text above is also what GRDB's own `DateFormatter` writes, so ask, as GRDB does (through
        // the conformance, not the type), which strategy it will call: a requirement spelt GRDB 6's
        // way, or hidden by a default, is never called.
        func encoding<Record: EncodableRecord>(_: Record.Type) -> DatabaseDateEncodingStrategy {
            Record.databaseDateEncodingStrategy(for: "created_at")
        }
        func decoding<Record: FetchableRecord>(_: Record.Type) -> DatabaseDateDecodingStrategy {
            Record.databaseDateDecodingStrategy(for: "created_at")
        }
        for strategy in [encoding(TicketRecord.self), encoding(OutboxRecord.self), encoding(PrintJobRecord.self)] {
            guard case .custom = strategy else { Issue.record("a record encodes dates with GRDB's \(strategy)"); continue }
        }
        for strategy in [decoding(TicketRecord.self), decoding(OutboxRecord.self), decoding(PrintJobRecord.self)] {
            guard case .custom = strategy else { Issue.record("a record decodes dates with GRDB's \(strategy)"); continue }
        }
    }
}
