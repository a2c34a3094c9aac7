import CafeProtocol
import Crypto
import Foundation
import GRDB
import Testing
@testable import KioskCore

@Suite struct KioskDatabaseTests {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    let settings = StoreSettings(storeID: 1, name: "Gangnam", timeZone: "Asia/Seoul",
                                 closedHours: LocalTimeRange(startMinute: 120, endMinute: 300), seats: 40)
    let time = Date(timeIntervalSince1970: 1_795_575_600)

    func ticket(_ id: UUID = UUID(), revision: Int64, inside: Bool = false, remaining: Int? = 600) -> TicketState {
        TicketState(passID: id, storeID: 1, kind: .time, validFrom: time, validUntil: time.addingTimeInterval(86_400),
                    remainingMinutes: remaining, status: .valid, inside: inside, lastEnteredAt: nil,
                    holderName: "Kim", seat: "A1", revision: revision)
    }

    func page(_ tickets: [TicketState], cursor: String) -> SyncPage {
        SyncPage(cursor: cursor, hasMore: false, tickets: tickets,
                 keys: [PublicKeyRecord(keyID: signer.keyID, publicKey: signer.privateKey.publicKey.rawRepresentation, retired: false)],
                 store: settings, printJobs: [PrintJob(jobID: UUID(), passID: UUID(), token: "T", label: "Day pass", createdAt: time)],
                 serverTime: time)
    }

    func event(_ verdict: Verdict, pass: UUID?, at offset: TimeInterval = 0) -> KioskEvent {
        KioskEvent(eventID: UUID(), passID: pass, verdict: verdict, occurredAt: time.addingTimeInterval(offset),
                   decidedOffline: true, minutesCharged: nil)
    }

    /// A page is written in chunks (the door's commits get in between), and its cursor moves
    /// only with the last one: a failure part-way keeps the chunks before and pulls the page again.
    @Test func aPageGoesInChunksAndItsCursorMovesOnlyWithTheLast() throws {
        let database = try KioskDatabase.inMemory()
        let chunk = KioskDatabase.applyChunk
        let tickets = (0..<(chunk * 2 + 50)).map { ticket(revision: Int64($0 + 1)) }
        let poisoned = tickets[chunk * 2 + 10].passID.uuidString
        try database.writer.write { db in
            try db.execute(sql: "CREATE TEMP TRIGGER poison BEFORE INSERT ON ticket WHEN NEW.pass_id = '\(poisoned)' BEGIN SELECT RAISE(ABORT, 'poisoned'); END")
        }
        #expect(throws: (any Error).self) { try database.apply(page(tickets, cursor: "r450")) }
        #expect(try database.syncCursor() == nil, "the cursor moves only with the page's last chunk")
        #expect(try database.status().ticketsCached == chunk * 2, "the chunks before it are kept")
        #expect(try database.pendingPrintJobs().isEmpty, "the rest of the page goes with the last chunk")
        try database.writer.write { db in try db.execute(sql: "DROP TRIGGER poison") }
        try database.apply(page(tickets, cursor: "r450"))
        #expect(try database.syncCursor() == "r450")
        #expect(try database.status().ticketsCached == tickets.count)
        #expect(try database.ticket(passID: tickets.last!.passID) == tickets.last)
    }

    @Test func archivedPassesLeaveTheCache() throws {
        let database = try KioskDatabase.inMemory()
        let kept = ticket(revision: 1)
        let finished = ticket(revision: 2)
        try database.apply(page([kept, finished], cursor: "r2"))
        var archived = page([], cursor: "r3")
        archived.archived = [finished.passID, UUID()]   // one the cache never had: nothing to drop
        try database.apply(archived)
        #expect(try database.ticket(passID: finished.passID) == nil)
        #expect(try database.ticket(passID: kept.passID) == kept)
        #expect(try database.syncCursor() == "r3")
        // An older server's page has no "archived" key: none.
        let json = #"{"cursor":"r4","has_more":false,"keys":[],"print_jobs":[],"server_time":"2026-11-25T01:00:00Z","#
            + #""store":{"name":"G","seats":1,"store_id":1,"time_zone":"Asia/Seoul"},"tickets":[]}"#
        #expect(try WireCoding.decoder().decode(SyncPage.self, from: Data(json.utf8)).archived == [])
    }

    @Test func aSyncPageIsAppliedWholeAndIdempotently() throws {
        let database = try KioskDatabase.inMemory()
        #expect(try database.storeSettings() == nil)
        #expect(try database.syncCursor() == nil)
        let a = ticket(revision: 5)
        try database.apply(page([a], cursor: "c1"))
        #expect(try database.ticket(passID: a.passID) == a)
        #expect(try database.storeSettings() == settings)
        #expect(try database.syncCursor() == "c1")
        #expect(try database.verifier().keyIDs == [signer.keyID])
        // The same page again, and an older revision: nothing changes, nothing duplicates.
        try database.apply(page([a], cursor: "c1"))
        var older = a
        older.remainingMinutes = 999
        older.revision = 4
        try database.apply(page([older], cursor: "c2"))
        #expect(try database.ticket(passID: a.passID) == a)
        let status = try database.status()
        #expect(status.ticketsCached == 1 && status.printJobsWaiting == 3 && status.cursor == "c2")
    }

    @Test func localDecisionsNotYetUploadedSurviveAStalePage() throws {
        let database = try KioskDatabase.inMemory()
        let id = UUID()
        try database.apply(page([ticket(id, revision: 1)], cursor: "c1"))
        // Offline: the holder entered; the server has not heard of it yet.
        var entered = ticket(id, revision: 1, inside: true, remaining: 600)
        entered.lastEnteredAt = time
        try database.record(event(.enter, pass: id), ticket: entered)
        // A server change (say, a purchase extended the pass) arrives, still saying "outside".
        var extended = ticket(id, revision: 2, inside: false, remaining: 1200)
        extended.validUntil = time.addingTimeInterval(86_400 * 7)
        try database.apply(page([extended], cursor: "c2"))
        let merged = try #require(try database.ticket(passID: id))
        #expect(merged.inside, "the local entry stands until the server has the event")
        #expect(merged.validUntil == extended.validUntil, "the server's extension applies")
        #expect(merged.revision == 2)
        // Once delivered, the server's word is the whole truth again.
        try database.markDelivered(try database.pendingEvents(limit: 10).map(\.eventID))
        try database.apply(page([ticket(id, revision: 3, inside: true, remaining: 1200)], cursor: "c3"))
        #expect(try database.ticket(passID: id)?.remainingMinutes == 1200)
    }

    @Test func theOutboxKeepsDecisionOrderAndForgetsOnlyDelivered() throws {
        let database = try KioskDatabase.inMemory()
        let events = (0..<5).map { event(.enter, pass: UUID(), at: TimeInterval($0)) }
        for event in events { try database.record(event, ticket: nil) }
        try database.record(events[2], ticket: nil)  // a retried write of the same event: no duplicate
        #expect(try database.pendingEvents(limit: 10) == events)
        #expect(try database.pendingEvents(limit: 2) == Array(events.prefix(2)))
        try database.markAttemptFailed([events[0].eventID], error: "timeout")
        try database.markDelivered([events[1].eventID, events[3].eventID])
        #expect(try database.pendingEvents(limit: 10) == [events[0], events[2], events[4]])
        let status = try database.status()
        #expect(status.outboxPending == 3)
        #expect(status.oldestPendingAt == events[0].occurredAt)
    }

    @Test func theEngineRecordsIntoTheOutbox() throws {
        let database = try KioskDatabase.inMemory()
        try database.apply(page([], cursor: "c1"))
        let engine = CheckInEngine(store: DatabaseCheckInStore(database: database), now: { self.time })
        let token = PassToken(keyID: signer.keyID, passID: UUID(), storeID: 1, kind: .period,
                              validFrom: time.addingTimeInterval(-86_400), validUntil: time.addingTimeInterval(86_400), issuedAt: time)
        let outcome = try engine.scan(try signer.signText(token))
        #expect(outcome.verdict == .enter)
        #expect(try database.pendingEvents(limit: 10).map(\.eventID) == [outcome.event!.eventID])
        #expect(try database.ticket(passID: token.passID)?.inside == true)
    }

    @Test func aCorruptFileIsMovedAsideAndReplaced() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Garbage where the database should be.
        let garbage = folder.appendingPathComponent("garbage.sqlite").path
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: garbage))
        let opened = try KioskDatabase.open(path: garbage)
        let aside = try #require(opened.movedAside)
        #expect(FileManager.default.fileExists(atPath: aside.path))
        #expect(aside.path.hasPrefix(garbage + ".corrupt-"))
        #expect(try opened.database.storeSettings() == nil, "a fresh cache: the engine will refuse to decide until synced")
        #expect(try opened.database.status().ticketsCached == 0)

        // A real database whose pages were overwritten in the middle.
        let damaged = folder.appendingPathComponent("damaged.sqlite").path
        do {
            let good = try KioskDatabase.open(path: damaged).database
            try good.apply(page((0..<300).map { _ in ticket(revision: 1) }, cursor: "c1"))
        }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: damaged))
        try handle.seek(toOffset: 8192)
        handle.write(Data(repeating: 0xA5, count: 16_384))
        try handle.close()
        let reopened = try KioskDatabase.open(path: damaged)
        #expect(reopened.movedAside != nil)
        #expect(try reopened.database.status().ticketsCached == 0)

        // Damage that spares the outbox: its events are carried over to the new cache.
        let salvage = folder.appendingPathComponent("salvage.sqlite").path
        let events = (0..<5).map { event(.enter, pass: UUID(), at: TimeInterval($0)) }
        do {
            let good = try KioskDatabase.open(path: salvage).database
            for event in events { try good.record(event, ticket: nil) }
            try good.apply(page((0..<2_000).map { _ in ticket(revision: 1) }, cursor: "c1"))
        }
        let size = try FileManager.default.attributesOfItem(atPath: salvage)[.size] as! Int
        let tail = try FileHandle(forUpdating: URL(fileURLWithPath: salvage))
        try tail.seek(toOffset: UInt64(size - 3 * 4096))  // the last pages hold tickets
        tail.write(Data(repeating: 0x5A, count: 3 * 4096))
        try tail.close()
        let salvaged = try KioskDatabase.open(path: salvage)
        #expect(salvaged.movedAside != nil)
        #expect(salvaged.salvagedEvents == 5)
        #expect(try salvaged.database.pendingEvents(limit: 10) == events)

        // A healthy file opens as it is.
        let healthy = try KioskDatabase.open(path: folder.appendingPathComponent("healthy.sqlite").path)
        #expect(healthy.movedAside == nil)
    }
}
