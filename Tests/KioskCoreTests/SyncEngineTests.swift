import CafeProtocol
import Crypto
import Foundation
import KioskTestSupport
import Testing
@testable import KioskCore

/// Push then pull, resumable — against a scripted server speaking the kiosk contract.
@Suite struct SyncEngineTests {
    static let time = Date(timeIntervalSince1970: 1_795_575_600)
    static let store = StoreSettings(storeID: 1, name: "S", timeZone: "UTC", closedHours: nil, seats: 1)

    static func ticket(_ n: Int) -> TicketState {
        TicketState(passID: UUID(), storeID: 1, kind: .period, validFrom: time, validUntil: time.addingTimeInterval(86_400),
                    remainingMinutes: nil, status: .valid, inside: false, lastEnteredAt: nil, holderName: "#\(n)", seat: nil,
                    revision: Int64(n))
    }

    /// Three pages of two tickets: cursors "p1", "p2", "p3". `failPage` answers 500 instead.
    final class ScriptedServer: @unchecked Sendable {
        // @unchecked: `failPage` and `uploaded` are guarded by `lock`.
        let lock = NSLock()
        var failPage: String?
        var uploaded: [[UUID]] = []
        let tickets = (1...6).map(SyncEngineTests.ticket)

        func handle(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Action {
            let encoder = WireCoding.encoder()
            if request.path == KioskAPI.eventsPath {
                let batch = try! WireCoding.decoder().decode(EventBatch.self, from: Data(request.body))
                let ids = batch.events.map(\.eventID)
                let seenBefore: Set<UUID> = lock.withLock {
                    let seen = Set(uploaded.joined())
                    uploaded.append(ids)
                    return seen
                }
                let result = EventBatchResult(accepted: ids.filter { !seenBefore.contains($0) },
                                              duplicates: ids.filter { seenBefore.contains($0) }, conflicts: [])
                return .respond(status: 200, body: Array(try! encoder.encode(result)))
            }
            let cursor = URLComponents(string: request.path)?.queryItems?.first { $0.name == "cursor" }?.value
            let index = ["p1": 1, "p2": 2][cursor ?? ""] ?? 0
            let next = "p\(index + 1)"
            if lock.withLock({ failPage == next }) { return .respond(status: 500, body: []) }
            let page = SyncPage(cursor: next, hasMore: index < 2, tickets: Array(tickets[index * 2..<index * 2 + 2]),
                                keys: [], store: SyncEngineTests.store, printJobs: [], serverTime: SyncEngineTests.time)
            return .respond(status: 200, body: Array(try! encoder.encode(page)))
        }
    }

    @Test func pushesTheOutboxThenPullsEveryPage() async throws {
        let script = ScriptedServer()
        let server = try LoopbackHTTPServer { script.handle($0) }
        defer { server.stop() }
        let database = try KioskDatabase.inMemory()
        let events = (0..<7).map { KioskEvent(eventID: UUID(), passID: UUID(), verdict: .enter, occurredAt: Self.time.addingTimeInterval(Double($0)),
                                             decidedOffline: true, minutesCharged: nil) }
        for event in events { try database.record(event, ticket: nil) }
        var engine = SyncEngine(database: database, client: CentralClient(baseURL: server.baseURL, deviceToken: "t", transport: CurlTransport()))
        engine.batchSize = 3
        let held = try database.outboxReport()
        #expect(held.pending == 7 && held.oldest != nil)
        let report = try await engine.runOnce()
        #expect(report.pushed == 7 && report.duplicates == 0)
        #expect(script.uploaded.map(\.count) == [3, 3, 1])
        #expect(Array(script.uploaded.joined()) == events.map(\.eventID), "uploaded in the order decided")
        #expect(report.pages == 3 && report.pulledTickets == 6 && report.cursor == "p3")
        #expect(try database.status().ticketsCached == 6)
        #expect(try database.pendingEvents(limit: 10).isEmpty)
        // Requests went push, push, push, pull from the start (saying the outbox is now empty), pull p1, pull p2.
        #expect(try database.outboxReport() == OutboxReport(pending: 0, oldest: nil))
        #expect(server.requests.suffix(3).map(\.path) == ["/kiosk/v1/sync?limit=1000&outbox=0", "/kiosk/v1/sync?limit=1000&cursor=p1",
                                                          "/kiosk/v1/sync?limit=1000&cursor=p2"])
    }

    @Test func aFailureMidwayResumesFromTheLastCommittedPage() async throws {
        let script = ScriptedServer()
        script.failPage = "p3"
        let server = try LoopbackHTTPServer { script.handle($0) }
        defer { server.stop() }
        let database = try KioskDatabase.inMemory()
        let engine = SyncEngine(database: database, client: CentralClient(baseURL: server.baseURL, deviceToken: "t", transport: CurlTransport()))
        await #expect(throws: SyncError.self) { try await engine.runOnce() }
        #expect(try database.syncCursor() == "p2", "the pages before the failure are kept")
        #expect(try database.status().ticketsCached == 4)
        script.lock.withLock { script.failPage = nil }
        let report = try await engine.runOnce()
        #expect(report.pages == 1 && report.cursor == "p3")
        #expect(server.requests.last?.path == "/kiosk/v1/sync?limit=1000&cursor=p2&outbox=0")
        #expect(try database.status().ticketsCached == 6)
        // --full starts over; the same tickets again change nothing.
        let full = try await engine.runOnce(full: true)
        #expect(full.pages == 3)
        #expect(try database.status().ticketsCached == 6)
    }

    @Test func eventsStayQueuedWhenTheUploadFails() async throws {
        let server = try LoopbackHTTPServer { _ in .respond(status: 401, body: Array(#"{"code":"unauthorized","message":"device revoked"}"#.utf8)) }
        defer { server.stop() }
        let database = try KioskDatabase.inMemory()
        let event = KioskEvent(eventID: UUID(), passID: nil, verdict: .deny(.unreadable), occurredAt: Self.time, decidedOffline: true, minutesCharged: nil)
        try database.record(event, ticket: nil)
        let engine = SyncEngine(database: database, client: CentralClient(baseURL: server.baseURL, deviceToken: "t", transport: CurlTransport()))
        do {
            _ = try await engine.runOnce()
            Issue.record("a revoked device synced")
        } catch let error as SyncError {
            #expect(error.centralError == .unauthorized("device revoked"))
        }
        #expect(try database.pendingEvents(limit: 10) == [event])
    }

    @Test func printedJobsAreAcknowledgedOnceAndNeverPrintedTwice() async throws {
        let job = PrintJob(jobID: UUID(), passID: UUID(), token: "TOKEN", label: "Day pass", createdAt: Self.time)
        let gone = PrintJob(jobID: UUID(), passID: UUID(), token: "TOKEN2", label: "Day pass", createdAt: Self.time.addingTimeInterval(1))
        let server = try LoopbackHTTPServer { request in
            if request.path == KioskAPI.printJobAckPath(job.jobID.uuidString) { return .respond(status: 204, body: []) }
            if request.path == KioskAPI.printJobAckPath(gone.jobID.uuidString) {
                return .respond(status: 404, body: Array(#"{"code":"not_found","message":"no such job"}"#.utf8))
            }
            let page = SyncPage(cursor: "c", hasMore: false, tickets: [], keys: [], store: Self.store,
                                printJobs: [job, gone], serverTime: Self.time)
            return .respond(status: 200, body: Array(try! WireCoding.encoder().encode(page)))
        }
        defer { server.stop() }
        let database = try KioskDatabase.inMemory()
        let engine = SyncEngine(database: database, client: CentralClient(baseURL: server.baseURL, deviceToken: "t", transport: CurlTransport()))
        _ = try await engine.runOnce()
        #expect(try database.pendingPrintJobs() == [job, gone])
        try database.markPrinted(job.jobID, at: Self.time.addingTimeInterval(5))
        try database.markPrinted(gone.jobID, at: Self.time.addingTimeInterval(6))
        #expect(try database.pendingPrintJobs().isEmpty, "printed once, even before the server hears of it")
        let report = try await engine.runOnce()
        #expect(report.printJobsAcknowledged == 2)
        let acks = server.requests.filter { $0.path.hasSuffix("/ack") }
        #expect(acks.count == 2)
        let body = try WireCoding.decoder().decode(PrintJobAck.self, from: Data(acks[0].body))
        #expect(body.printedAt == Self.time.addingTimeInterval(5))
        // The next page lists the same jobs again: they are not printed again, nor acknowledged again.
        let again = try await engine.runOnce()
        #expect(again.printJobsAcknowledged == 0)
        #expect(try database.pendingPrintJobs().isEmpty)
    }

    @Test func backoffGrowsIsCappedAndJittered() {
        #expect(SyncEngine.backoff(after: 1, base: .seconds(5), max: .seconds(300), jitter: 1) == .seconds(5))
        #expect(SyncEngine.backoff(after: 3, base: .seconds(5), max: .seconds(300), jitter: 1) == .seconds(20))
        #expect(SyncEngine.backoff(after: 30, base: .seconds(5), max: .seconds(300), jitter: 1) == .seconds(300))
        #expect(SyncEngine.backoff(after: 3, base: .seconds(5), max: .seconds(300), jitter: 0.5) == .seconds(10))
    }
}
