import CafeProtocol
@testable import CafeServer
import CafeServerTesting
import Foundation
import Logging
import SQLKit
import Testing

/// The nightly archive: finished passes leave the hot table in the store's night hour, kiosks
/// are told to drop them, and history, sales and late uploads still find them; and the
/// migration that made the archive possible keeps the data and the foreign keys it had.
@Suite("Archive: finished passes leave the hot table, once, and stay in the history")
struct ArchiveTests {
    /// 04:10 in Seoul, `days` nights after the test cafe's start (10:00).
    static func night(_ days: Int) -> Date {
        TestCafe.defaultStart.addingTimeInterval(Double(days - 1) * 86_400 + 18 * 3600 + 10 * 60)
    }

    static func count(_ table: String, where condition: String = "1 = 1", _ cafe: TestCafe) async throws -> Int {
        try await cafe.database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(unsafeRaw: condition)").first()?.decode(column: "n", as: Int.self) ?? -1
        }
    }

    static func sync(_ cafe: TestCafe, device: String, cursor: String?) async throws -> SyncPage {
        let path = KioskAPI.syncPath + (cursor.map { "?cursor=\($0)" } ?? "")
        let page = try await cafe.call("GET", path, headers: KioskContractTests.device(device))
        guard page.status == 200 else { throw TestCafeError("sync: \(page)") }
        return try WireCoding.decoder().decode(SyncPage.self, from: page.body)
    }

    @Test(arguments: TestBackend.available)
    func finishedPassesMoveInTheNightHourOnceAndKiosksDropThem(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            let day = try await cafe.counterSale("day", holder: "Han")
            #expect(try await RefundTests.enter(cafe, device: device.token, token: day.token).verdict == .enter)
            #expect(try await RefundTests.enter(cafe, device: device.token, token: day.token).verdict == .exit)
            let customer = try await cafe.customer()
            let week = try RefundTests.ticket(of: try await cafe.buy("period-7", as: customer.access))
            let month = try await cafe.counterSale("period-28", holder: "Seo")
            let before = try await Self.sync(cafe, device: device.token, cursor: nil)
            #expect(Set(before.tickets.map(\.passID)) == [day.ticketID, UUID(uuidString: week.id)!, month.ticketID])
            let sales = try await Self.count("sales", cafe)

            // Nine days on, at 10:00: not the night hour, nothing moves.
            #expect(try await cafe.jobs.runOnce(at: TestCafe.defaultStart.addingTimeInterval(9 * 86_400)).archived == 0)
            // The ninth night: the day pass ended a week and a day ago; the week pass (ends on
            // day 7) is kept until a week after its end.
            #expect(try await cafe.jobs.runOnce(at: Self.night(9)).archived == 1)
            #expect(try await cafe.jobs.runOnce(at: Self.night(15)).archived == 1)
            #expect(try await cafe.jobs.runOnce(at: Self.night(15)).archived == 0, "nothing twice")
            #expect(try await Self.count("tickets", cafe) == 1)
            #expect(try await Self.count("ticket_archive", cafe) == 2)
            #expect(try await Self.count("ticket_ids", where: "archived_at IS NOT NULL", cafe) == 2)
            #expect(try await Self.count("sales", cafe) == sales, "sales stay, referencing the registry")

            // A kiosk that synced before is told to drop both; then nothing more.
            let after = try await Self.sync(cafe, device: device.token, cursor: before.cursor)
            #expect(Set(after.archived) == [day.ticketID, UUID(uuidString: week.id)!])
            #expect(after.tickets.isEmpty)
            let again = try await Self.sync(cafe, device: device.token, cursor: after.cursor)
            #expect(again.archived.isEmpty && again.tickets.isEmpty)
            // A new kiosk's first sync: the hot pass, and the tombstones (harmless, for a cache it never had).
            let fresh = try await Self.sync(cafe, device: device.token, cursor: nil)
            #expect(fresh.tickets.map(\.passID) == [month.ticketID])

            // The customer's history still lists the archived pass; a refund quote says why not.
            let mine = try await cafe.call("GET", "/me/tickets", bearer: customer.access)
            let listed = (mine.object["tickets"] as? [[String: Any]])?.compactMap { $0["ticket_id"] as? String } ?? []
            #expect(listed.map { $0.lowercased() } == [week.id.lowercased()], "\(mine)")
            let quote = try await cafe.call("GET", "/me/tickets/\(week.id)/refund-quote", bearer: customer.access)
            #expect(quote.status == 409 && quote.code == "ticket_archived", "\(quote)")
            let owner = try await cafe.call("GET", "/stores/1/tickets/\(day.ticketID)/refund-quote", bearer: cafe.ownerToken)
            #expect(owner.code == "ticket_archived", "\(owner)")

            // The owner's day of the visit still names the holder.
            let visit = try await cafe.call("GET", "/stores/1/day?date=2026-11-25", bearer: cafe.ownerToken)
            let names = (visit.object["events"] as? [[String: Any]])?.compactMap { $0["holder_name"] as? String } ?? []
            #expect(names == ["Han", "Han"], "\(visit)")

            // A kiosk that let the finished pass in offline (a wrong clock): kept, and reported.
            let late = KioskEvent(eventID: UUID(), passID: day.ticketID, verdict: .enter, occurredAt: Self.night(15),
                                  decidedOffline: true, minutesCharged: nil)
            let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: [late])), as: UTF8.self)
            let upload = try await cafe.call("POST", KioskAPI.eventsPath, headers: KioskContractTests.device(device.token), rawBody: body)
            let result = try WireCoding.decoder().decode(EventBatchResult.self, from: upload.body)
            #expect(result.accepted == [late.eventID])
            #expect(result.conflicts.map(\.serverVerdict) == [.deny(.expired)])
            #expect(try await Self.count("ticket_archive", where: "inside = 0", cafe) == 2, "the archived pass stays finished")
        }
    }

    @Test(arguments: TestBackend.available)
    func aPassStillInUseOrWithARefundUnderWayStaysHot(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            // A day pass bought today, exited today: its row's end is the exit, its token's the
            // end of the day; an extended time pass (re-signed) runs 30 more days.
            let day = try await cafe.counterSale("day", holder: "Moon")
            _ = try await RefundTests.enter(cafe, device: device.token, token: day.token)
            _ = try await RefundTests.enter(cafe, device: device.token, token: day.token)
            let customer = try await cafe.customer()
            #expect(try await cafe.buy("time-1h", as: customer.access).status == 200)
            // A refund left pending on another pass (its gateway cancel failed).
            try await cafe.database.transaction { db in
                let pass = try await Tickets.find(day.ticketID, in: db)!
                try await db.raw("""
                    INSERT INTO refunds (id, store_id, ticket_id, amount, quote, state, requested_by, created_at)
                    VALUES (\(bind: UUID().uuidString), 1, \(bind: pass.id), 0, '{}', 'pending', 'owner', 0)
                    """).run()
            }
            // Day 20: the hour pass bought again on day 20 runs 30 more days.
            cafe.clock.set(TestCafe.defaultStart.addingTimeInterval(20 * 86_400))
            _ = try await cafe.buy("time-1h", as: customer.access)
            #expect(try await cafe.jobs.runOnce(at: Self.night(40)).archived == 0, "refund pending; the hour pass valid to day 50")
            try await cafe.database.transaction { db in
                try await db.raw("UPDATE refunds SET state = 'done'").run()
            }
            #expect(try await cafe.jobs.runOnce(at: Self.night(40)).archived == 1)
            #expect(try await cafe.jobs.runOnce(at: Self.night(58)).archived == 1, "the hour pass, a week after its token's end")
        }
    }

    @Test(arguments: TestBackend.available)
    func twoInstancesArchiveEachPassOnce(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            // More than two batches' worth, so both instances find work.
            let count = ArchiveJob.batchSize * 2 + 50
            let passes = try await cafe.database.transaction { db -> [TicketRow] in
                var rows: [TicketRow] = []
                for _ in 0..<count {
                    let product = try await Catalog.requireActive("day", in: db)
                    rows.append(try await Tickets.issueOrExtend(product: product, store: 1, account: nil, holderName: nil,
                                                                now: TestCafe.defaultStart, in: db))
                }
                return rows
            }
            var quiet = Logger(label: "second-instance")
            quiet.logLevel = .critical
            let logger = quiet
            let second = try await ServerDatabase.open(cafe.location, logger: logger)
            let counts = try await second.withService {
                let other = CafeJobs(database: second, logger: logger)
                async let a = cafe.jobs.runOnce(at: Self.night(10)).archived
                async let b = other.runOnce(at: Self.night(10)).archived
                return try await (a, b)
            }
            await second.close()
            #expect(counts.0 + counts.1 == count, "every pass moved by one of them: \(counts)")
            #expect(try await Self.count("ticket_archive", cafe) == count)
            #expect(try await Self.count("ticket_tombstones", cafe) == count)
            #expect(try await Self.count("tickets", cafe) == 0)
            let revisions = try await cafe.database.read { db in
                try await db.raw("SELECT COUNT(DISTINCT revision) AS n FROM ticket_tombstones").first()?.decode(column: "n", as: Int.self)
            }
            #expect(revisions == count, "one revision per tombstone: a page boundary never splits one")
            #expect(Set(try await cafe.database.read { db in
                try await db.raw("SELECT ticket_id FROM ticket_tombstones").all().map { try $0.decode(column: "ticket_id", as: String.self) }
            }) == Set(passes.map(\.id)))
        }
    }

    @Test(arguments: TestBackend.available)
    func theMigrationKeepsTicketsAndTheirReferences(backend: TestBackend) async throws {
        try await Self.withBareDatabase(backend) { database in
            _ = try await Migrations.apply(to: database, through: "007_seats")
            let ticket = UUID().uuidString
            try await database.transaction { db in
                try await db.raw("INSERT INTO stores (id, name, time_zone, seats, revision, created_at) VALUES (1, 'Gangnam', 'Asia/Seoul', 40, 1, 0)").run()
                try await db.raw("""
                    INSERT INTO tickets (id, store_id, kind, label, valid_from, valid_until, status, inside, token, revision, wire_state, updated_at)
                    VALUES (\(bind: ticket), 1, 'day', 'day', 0, 86400000, 'valid', 1, 'T', 1, '{}', 0)
                    """).run()
                try await db.raw("""
                    INSERT INTO sales (id, store_id, ticket_id, product_code, price, channel, state, paid_at)
                    VALUES ('s1', 1, \(bind: ticket), 'day', 10000, 'counter', 'paid', 0)
                    """).run()
            }
            #expect(try await Migrations.apply(to: database, through: "008_archive") == ["008_archive"])
            try await database.read { db in
                let hot = try await db.raw("SELECT id, inside, token FROM tickets").all()
                #expect(hot.count == 1)
                #expect(try hot.first?.decode(column: "token", as: String.self) == "T")
                #expect(try await db.raw("SELECT id FROM ticket_ids WHERE id = \(bind: ticket)").all().count == 1)
            }
            // The sale's reference now points at the registry, and is still enforced.
            await #expect(throws: (any Error).self) {
                try await database.transaction { db in
                    try await db.raw("""
                        INSERT INTO sales (id, store_id, ticket_id, product_code, price, channel, state, paid_at)
                        VALUES ('s2', 1, 'no-such-ticket', 'day', 10000, 'counter', 'paid', 0)
                        """).run()
                }
            }
            // The one-seat-per-holder index came back on the new table.
            await #expect(throws: (any Error).self) {
                try await database.transaction { db in
                    try await db.raw("UPDATE tickets SET seat = 'A1'").run()
                    try await db.raw("""
                        INSERT INTO tickets (id, store_id, kind, label, valid_from, valid_until, status, inside, seat, token, revision, wire_state, updated_at)
                        VALUES ('x', 1, 'day', 'day', 0, 1, 'valid', 1, 'A1', 'T', 2, '{}', 0)
                        """).run()
                }
            }
        }
    }

    /// A database with no schema at all, on either backend, removed afterwards.
    static func withBareDatabase(_ backend: TestBackend, _ body: @escaping @Sendable (ServerDatabase) async throws -> Void) async throws {
        var logger = Logger(label: "archive-migration")
        logger.logLevel = .critical
        let location = try await backend.freshLocation(logger: logger)
        defer { location.removeFiles() }
        let database = try await ServerDatabase.open(location, logger: logger)
        do {
            try await database.withService { try await body(database) }
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }
}
