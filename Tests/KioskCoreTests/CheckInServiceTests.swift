import CafeProtocol
import Crypto
import Foundation
import Logging
import KioskTestSupport
import Testing
@testable import KioskCore

/// Online first with a deadline, offline fallback, circuit breaker — against a loopback server.
@Suite struct CheckInServiceTests {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    let settings = StoreSettings(storeID: 1, name: "Test", timeZone: "UTC", closedHours: nil, seats: 10)
    let now = Date(timeIntervalSince1970: 1_795_575_600)

    func passText() throws -> String {
        let token = PassToken(keyID: signer.keyID, passID: UUID(), storeID: 1, kind: .period,
                              validFrom: now.addingTimeInterval(-86_400), validUntil: now.addingTimeInterval(86_400), issuedAt: now)
        return try signer.signText(token)
    }

    func makeService(server: LoopbackHTTPServer?, store: InMemoryCheckInStore, deadline: Duration = .milliseconds(200)) -> CheckInService {
        let fixedNow = now
        let engine = CheckInEngine(store: store, repeatWindow: 0, now: { fixedNow })
        let client = server.map { CentralClient(baseURL: $0.baseURL, deviceToken: "t", transport: CurlTransport()) }
        return CheckInService(engine: engine, client: client, deadline: deadline, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func store() -> InMemoryCheckInStore {
        InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: settings)
    }

    @Test func theServersVerdictWinsAndNothingIsQueued() async throws {
        let passID = UUID()
        let server = try LoopbackHTTPServer { request in
            let asked = try! WireCoding.decoder().decode(CheckInRequest.self, from: Data(request.body))
            let ticket = TicketState(passID: passID, storeID: 1, kind: .time, validFrom: .distantPast, validUntil: .distantFuture,
                                     remainingMinutes: 0, status: .valid, inside: false, lastEnteredAt: nil,
                                     holderName: "Lee", seat: nil, revision: 9)
            let answer = CheckInResponse(eventID: asked.eventID, verdict: .deny(.noTimeLeft),
                                         display: VerdictDisplay(title: "No time left"), ticket: ticket)
            return .respond(status: 200, body: Array(try! WireCoding.encoder().encode(answer)))
        }
        defer { server.stop() }
        let cache = store()
        let service = makeService(server: server, store: cache)
        // The cache alone would let this pass in: the server knows better.
        let outcome = try await service.scan(try passText())
        #expect(outcome.verdict == .deny(.noTimeLeft))
        #expect(outcome.event?.decidedOffline == false)
        #expect(cache.events.isEmpty, "the server recorded it; nothing to upload")
        #expect(cache.tickets[passID]?.revision == 9, "the cache learns the server's state")
        #expect(service.isOnline)
    }

    /// An annulled online entry is not yet known to the server: the pass is decided from the
    /// cache (an entry again, not the server's stale "exit") until the sync has delivered it.
    @Test func aPassWithUndeliveredEventsIsDecidedFromTheCache() async throws {
        let text = try passText()
        let passID = try PassToken.parse(text: text).token.passID
        let server = try LoopbackHTTPServer { request in
            let asked = try! WireCoding.decoder().decode(CheckInRequest.self, from: Data(request.body))
            let ticket = TicketState(passID: passID, storeID: 1, kind: .period, validFrom: .distantPast, validUntil: .distantFuture,
                                     remainingMinutes: nil, status: .valid, inside: true, lastEnteredAt: nil,
                                     holderName: nil, seat: nil, revision: 5)
            let answer = CheckInResponse(eventID: asked.eventID, verdict: .enter, display: VerdictDisplay(title: "Welcome"), ticket: ticket)
            return .respond(status: 200, body: Array(try! WireCoding.encoder().encode(answer)))
        }
        defer { server.stop() }
        let cache = store()
        let service = makeService(server: server, store: cache)
        let entry = try await service.scan(text)
        #expect(entry.event?.decidedOffline == false)
        let annul = try service.annul(try #require(entry.event?.eventID))
        #expect(cache.events == [annul.event] && cache.tickets[passID]?.inside == false)

        let again = try await service.scan(text)
        #expect(again.verdict == .enter && again.event?.decidedOffline == true, "the cache knows the annul; the server not yet")
        #expect(server.requests.count == 1)
        cache.delivered = Set(cache.events.map(\.eventID))
        _ = try await service.scan(text)
        #expect(server.requests.count == 2, "all delivered: online again")
    }

    @Test func aHangingServerFallsBackOfflineWithTheSameEventID() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let cache = store()
        let service = makeService(server: server, store: cache)
        let outcome = try await service.scan(try passText())
        #expect(outcome.verdict == .enter)
        #expect(outcome.event?.decidedOffline == true)
        #expect(cache.events.count == 1)
        let asked = try WireCoding.decoder().decode(CheckInRequest.self, from: Data(try #require(server.requests.first).body))
        #expect(asked.eventID == cache.events[0].eventID, "if the server did record it, the upload is a duplicate, not a second event")
        // The online attempt gets the deadline less the reserve for deciding offline.
        let budget = Int((Duration.milliseconds(200) - CheckInService.offlineReserve).inMilliseconds)
        #expect(service.lastCentralError == .unavailable(.timedOut(milliseconds: budget)))
    }

    @Test func afterRepeatedFailuresTheKioskStopsAsking() async throws {
        let server = try LoopbackHTTPServer { _ in .respond(status: 503, body: []) }
        defer { server.stop() }
        let cache = store()
        let service = makeService(server: server, store: cache)
        for _ in 0..<3 { _ = try await service.scan(try passText()) }
        #expect(server.requests.count == 3)
        #expect(!service.isOnline)
        for _ in 0..<5 { #expect(try await service.scan(try passText()).verdict == .enter) }
        #expect(server.requests.count == 3, "the breaker is open: no customer waits for a dead server")
        #expect(cache.events.count == 8)
        service.serverReachable()
        #expect(service.isOnline)
        _ = try await service.scan(try passText())
        #expect(server.requests.count == 4)
    }

    @Test func noServerConfiguredMeansOfflineOnly() async throws {
        let cache = store()
        let service = makeService(server: nil, store: cache)
        #expect(!service.isOnline)
        #expect(try await service.scan("not a pass").verdict == .deny(.unreadable))
        #expect(cache.events.count == 1)
    }
}
