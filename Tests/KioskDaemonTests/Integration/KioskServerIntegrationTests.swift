import CafeProtocol
import CafeServerTesting
import Foundation
import KioskCore
import KioskSimulation
import KioskTestSupport
import Logging
import Synchronization
import Testing

/// The real kiosk code (libcurl client, GRDB cache, check-in service, sync) against the real
/// `cafe-server` on loopback. Faults come from the network's side: a closed port, a server that
/// hangs or answers 500, a proxy that drops every other request.
@Suite("Kiosk ↔ cafe-server on loopback")
struct KioskServerIntegrationTests {
    static let quiet = Logger(label: "kiosk-test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// An enrolled kiosk with a synced cache.
    struct Kiosk {
        let database: KioskDatabase
        let client: CentralClient
        var sync: SyncEngine { SyncEngine(database: database, client: client) }

        /// The door, asking `server` (nil: offline only) with the given deadline. The default is
        /// generous: these tests are about what is decided and recorded, on a CI box running
        /// many tests at once; the deadline itself is tested with a hanging server.
        func door(_ cafe: TestCafe, server: CentralClient? = nil, online: Bool = true, deadline: Duration = .seconds(5),
                  breaker: SharedCircuitBreaker = SharedCircuitBreaker()) -> CheckInService {
            let engine = CheckInEngine(store: DatabaseCheckInStore(database: database), repeatWindow: 0, now: { cafe.clock.now })
            return CheckInService(engine: engine, client: online ? (server ?? client) : nil, deadline: deadline, breaker: breaker,
                                  logger: KioskServerIntegrationTests.quiet)
        }

        /// The same device token, to another address (a dead port, a faulty proxy).
        func client(at baseURL: String) -> CentralClient {
            CentralClient(baseURL: baseURL, deviceToken: client.deviceToken, transport: CurlTransport())
        }
    }

    static func enroll(_ cafe: TestCafe, database: KioskDatabase? = nil) async throws -> Kiosk {
        let code = try await cafe.enrollmentCode()
        let anonymous = CentralClient(baseURL: cafe.baseURL, deviceToken: nil, transport: CurlTransport())
        let enrolled = try await anonymous.enroll(EnrollRequest(code: code, deviceName: "entrance"))
        let kiosk = Kiosk(database: try database ?? KioskDatabase.inMemory(),
                          client: CentralClient(baseURL: cafe.baseURL, deviceToken: enrolled.deviceToken, transport: CurlTransport()))
        _ = try await kiosk.sync.runOnce(full: true)
        return kiosk
    }

    @Test func onlineGrantExitAndDenyComeFromTheServer() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("time-10h", holder: "Choi")
            let door = kiosk.door(cafe)
            let enter = try await door.scan(pass.token)
            #expect(enter.verdict == .enter)
            #expect(enter.event?.decidedOffline == false)
            #expect(enter.decision.display.holderName == "Choi")
            cafe.clock.advance(by: 45 * 60)
            let exit = try await door.scan(pass.token)
            #expect(exit.verdict == .exit)
            #expect(exit.decision.minutesCharged == 45, "the server says what it charged")
            #expect(try await cafe.ticketState(pass.ticketID).remainingMinutes == 555)
            #expect(try kiosk.database.status().outboxPending == 0, "online decisions are the server's record")

            // The server knows what the cache does not yet: a refund a second ago.
            let other = try await cafe.counterSale("period-7")
            _ = try await cafe.call("POST", "/stores/1/tickets/\(other.ticketID)/refund", bearer: cafe.ownerToken)
            #expect(try await door.scan(other.token).verdict == .deny(.refunded))
            let events = try await cafe.recordedEvents()
            #expect(events.count == 3)
            #expect(events.values.allSatisfy { !$0.decidedOffline })
        }
    }

    @Test func anAutoExitAndARefundReachAnOfflineKioskAtItsNextSync() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            let hour = try await cafe.counterSale("time-1h", holder: "Yoon")
            let week = try await cafe.counterSale("period-7", holder: "Jang")
            _ = try await kiosk.sync.runOnce()
            let door = kiosk.door(cafe)
            #expect(try await door.scan(hour.token).verdict == .enter)
            // Yoon forgets to scan out; the hour runs out; the server's job exits him.
            cafe.clock.advance(by: 70 * 60)
            #expect(try await cafe.runJobs() == 1)
            _ = try await cafe.call("POST", "/stores/1/tickets/\(week.ticketID)/refund", bearer: cafe.ownerToken)
            _ = try await kiosk.sync.runOnce()

            // Offline now: the cache alone decides. Yoon is outside with no time left (had the
            // kiosk still thought him inside, this scan would be an exit); Jang's pass is refunded.
            let offline = kiosk.door(cafe, online: false)
            #expect(try await offline.scan(hour.token).verdict == .deny(.noTimeLeft))
            #expect(try await offline.scan(week.token).verdict == .deny(.refunded))
        }
    }

    @Test func serverDownDecidesOfflineAndTheBacklogUploadsOnce() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            let passes = [try await cafe.counterSale("period-7"), try await cafe.counterSale("time-4h")]
            _ = try await kiosk.sync.runOnce()
            let down = kiosk.door(cafe, server: kiosk.client(at: "http://127.0.0.1:9"))
            var eventIDs: [UUID] = []
            for pass in passes {
                let enter = try await down.scan(pass.token)
                #expect(enter.verdict == .enter)
                #expect(enter.event?.decidedOffline == true)
                eventIDs.append(try #require(enter.event?.eventID))
            }
            cafe.clock.advance(by: 61)
            let exit = try await down.scan(passes[1].token)
            #expect(exit.verdict == .exit)
            #expect(exit.decision.minutesCharged == 2)
            eventIDs.append(try #require(exit.event?.eventID))

            let report = try await kiosk.sync.runOnce()
            #expect(report.pushed == 3)
            #expect(report.conflicts.isEmpty)
            #expect(try kiosk.database.status().outboxPending == 0)
            let again = try await kiosk.sync.runOnce()
            #expect(again.pushed == 0)
            for id in eventIDs { #expect(try await cafe.rowCount(forEvent: id) == 1) }
            #expect(try await cafe.ticketState(passes[1].ticketID).remainingMinutes == 238)
            #expect(try await cafe.ticketState(passes[0].ticketID).inside == true)
        }
    }

    @Test func aHangingServerCostsNoMoreThanTheDeadline() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("day")
            _ = try await kiosk.sync.runOnce()
            let hanging = try LoopbackHTTPServer { _ in .hang }
            defer { hanging.stop() }
            let door = kiosk.door(cafe, server: kiosk.client(at: hanging.baseURL), deadline: .milliseconds(200))
            let clock = ContinuousClock()
            let start = clock.now
            let outcome = try await door.scan(pass.token)
            let elapsed = clock.now - start
            #expect(outcome.verdict == .enter)
            #expect(outcome.event?.decidedOffline == true)
            // Generous for a loaded CI box; the benchmark measures it precisely.
            #expect(elapsed < .milliseconds(1_200), "took \(elapsed)")
            _ = try await kiosk.sync.runOnce()
            #expect(try await cafe.rowCount(forEvent: try #require(outcome.event?.eventID)) == 1)
        }
    }

    @Test func a5xxAnswerFallsBackOffline() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("period-14")
            _ = try await kiosk.sync.runOnce()
            let failing = try LoopbackHTTPServer { _ in
                .respond(status: 503, body: Array(#"{"code":"internal_error","message":"maintenance"}"#.utf8))
            }
            defer { failing.stop() }
            let door = kiosk.door(cafe, server: kiosk.client(at: failing.baseURL))
            let outcome = try await door.scan(pass.token)
            #expect(outcome.verdict == .enter)
            #expect(outcome.event?.decidedOffline == true)
            if case .serverError(let status, _)? = door.lastCentralError { #expect(status == 503) } else {
                Issue.record("expected a server error, got \(String(describing: door.lastCentralError))")
            }
        }
    }

    @Test func aFlappingNetworkLosesAndDuplicatesNothing() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            var passes: [(ticketID: UUID, token: String)] = []
            for _ in 0..<6 { passes.append(try await cafe.counterSale("time-10h")) }
            _ = try await kiosk.sync.runOnce()
            let proxy = try FlappingProxy(target: cafe.baseURL)
            defer { proxy.stop() }
            // A breaker that never opens: every scan tries the flapping path.
            let door = kiosk.door(cafe, server: kiosk.client(at: proxy.baseURL),
                                  breaker: SharedCircuitBreaker(CircuitBreaker(failureThreshold: 1_000, openDuration: 1)))
            let flappingSync = SyncEngine(database: kiosk.database, client: kiosk.client(at: proxy.baseURL))
            var recorded: [UUID] = []
            var online = 0, offline = 0
            for round in 0..<4 {
                for pass in passes {
                    cafe.clock.advance(by: 7 * 60)
                    let outcome = try await door.scan(pass.token)
                    #expect(outcome.verdict == (round % 2 == 0 ? .enter : .exit), "round \(round)")
                    if let event = outcome.event {
                        recorded.append(event.eventID)
                        if event.decidedOffline { offline += 1 } else { online += 1 }
                    }
                    _ = try? await flappingSync.runOnce()
                }
            }
            #expect(online > 0 && offline > 0, "the proxy let some through and dropped others: \(online) online, \(offline) offline")
            // The network comes back: everything reaches the server exactly once.
            _ = try await kiosk.sync.runOnce()
            #expect(try kiosk.database.status().outboxPending == 0)
            let events = try await cafe.recordedEvents()
            #expect(Set(recorded).isSubset(of: Set(events.keys)), "\(Set(recorded).subtracting(events.keys).count) event(s) lost")
            #expect(events.count == recorded.count, "no extra or duplicate events on the server")
            for pass in passes {
                let state = try await cafe.ticketState(pass.ticketID)
                #expect(state.inside == false)
                // Six passes take turns, 7 minutes apart: each visit lasts 42 minutes; two visits.
                #expect(state.remainingMinutes == 600 - 2 * 42)
            }
        }
    }

    @Test func aRevokedDeviceIsToldAndTheDoorKeepsWorkingOffline() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("period-7")
            _ = try await kiosk.sync.runOnce()
            let devices = try await cafe.call("GET", "/stores/1/devices", bearer: cafe.ownerToken)
            let deviceID = try #require((devices.object["devices"] as? [[String: Any]])?.first?["device_id"] as? String)
            #expect(try await cafe.call("POST", "/stores/1/devices/\(deviceID)/revoke", bearer: cafe.ownerToken).status == 204)

            await #expect {
                _ = try await kiosk.sync.runOnce()
            } throws: { error in
                switch error as? SyncError {
                case .pull(.unauthorized)?, .push(.unauthorized)?: true
                default: false
                }
            }
            let door = kiosk.door(cafe)
            let outcome = try await door.scan(pass.token)
            #expect(outcome.verdict == .enter, "the customer is not punished for the box's revocation")
            #expect(outcome.event?.decidedOffline == true)
            if case .unauthorized? = door.lastCentralError {} else { Issue.record("expected unauthorized, got \(String(describing: door.lastCentralError))") }
        }
    }

    @Test func aRefundReachesAnOfflineDoorAtTheNextSync() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("period-28")
            _ = try await kiosk.sync.runOnce()
            let door = kiosk.door(cafe, online: false)
            #expect(try await door.scan(pass.token).verdict == .enter)
            #expect(try await door.scan(pass.token).verdict == .exit)
            cafe.clock.advance(by: 60)
            _ = try await cafe.call("POST", "/stores/1/tickets/\(pass.ticketID)/refund", bearer: cafe.ownerToken)
            cafe.clock.advance(by: 60)
            #expect(try await door.scan(pass.token).verdict == .enter, "not synced yet: the cache still says valid")
            #expect(try await door.scan(pass.token).verdict == .exit)
            let report = try await kiosk.sync.runOnce()
            #expect(report.pushed == 4)
            #expect(report.conflicts.count == 1, "the offline entry after the refund is a conflict for the owner")
            #expect(report.conflicts.first?.serverVerdict == .deny(.refunded))
            #expect(try await door.scan(pass.token).verdict == .deny(.refunded))
        }
    }

    @Test func aCorruptCacheIsMovedAsideAndRefilledFromTheServer() async throws {
        try await TestCafe.run { cafe in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiosk-corrupt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = folder.appendingPathComponent("kiosk.sqlite").path
            var passes: [(ticketID: UUID, token: String)] = []
            for _ in 0..<3 { passes.append(try await cafe.counterSale("period-7")) }
            let first = try KioskDatabase.open(path: path)
            let kiosk = try await Self.enroll(cafe, database: first.database)
            #expect(try kiosk.database.status().ticketsCached == 3)

            // Garbage over the whole file (a failing SD card).
            try Data((0..<65_536).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: path))
            try? FileManager.default.removeItem(atPath: path + "-wal")
            let reopened = try KioskDatabase.open(path: path)
            #expect(reopened.movedAside != nil, "the damage is detected and said")
            #expect(try reopened.database.status().ticketsCached == 0)
            let refilled = Kiosk(database: reopened.database, client: kiosk.client)
            _ = try await refilled.sync.runOnce(full: true)
            #expect(try refilled.database.status().ticketsCached == 3)
            #expect(try await refilled.door(cafe, online: false).scan(passes[2].token).verdict == .enter)
        }
    }

    @Test func mutatedTokensAreNeverLetIn() async throws {
        try await TestCafe.run { cafe in
            let kiosk = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("period-28")
            _ = try await kiosk.sync.runOnce()
            let online = kiosk.door(cafe)
            let offline = kiosk.door(cafe, online: false)
            var generator = SeededGenerator(seed: 45)
            let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
            let original = Array(pass.token)
            var tried = Set<String>()
            for index in 0..<300 {
                var mutated = original
                switch index % 4 {
                case 0: mutated[Int.random(in: 0..<mutated.count, using: &generator)] = alphabet.randomElement(using: &generator)!
                case 1: mutated = Array(mutated.prefix(Int.random(in: 0..<mutated.count, using: &generator)))
                case 2: mutated.insert(alphabet.randomElement(using: &generator)!, at: Int.random(in: 0...mutated.count, using: &generator))
                default: mutated.swapAt(Int.random(in: 0..<mutated.count, using: &generator), Int.random(in: 0..<mutated.count, using: &generator))
                }
                let text = String(mutated)
                guard text != pass.token, tried.insert(text).inserted else { continue }
                // Alternate: half asked online, half decided offline.
                let outcome = try await (index % 2 == 0 ? online : offline).scan(text)
                guard case .deny = outcome.verdict else {
                    Issue.record("a mutated token was let through: \(text)")
                    return
                }
            }
            #expect(tried.count > 200)
            #expect(try await online.scan(pass.token).verdict == .enter, "the genuine one still works")
        }
    }
}

/// An HTTP proxy on loopback that forwards about half the requests to `target` (a seeded coin
/// toss) and drops the rest (closes the connection without an answer): a network that flaps.
final class FlappingProxy: Sendable {
    private let server: LoopbackHTTPServer
    var baseURL: String { server.baseURL }

    init(target: String) throws {
        let counter = Counter()
        server = try LoopbackHTTPServer { request in
            guard counter.coinToss() else { return .close }
            return Self.forward(request, to: target)
        }
    }

    func stop() { server.stop() }

    /// Runs on the proxy's connection thread, so blocking on the forwarded call is fine.
    private static func forward(_ request: LoopbackHTTPServer.Request, to target: String) -> LoopbackHTTPServer.Action {
        let transport = CurlTransport()
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        let headers = request.headers.filter { ["authorization", "content-type", "accept"].contains($0.key.lowercased()) }
            .map { (name: $0.key, value: $0.value) }
        let outgoing = HTTPRequest(method: request.method, url: target + request.path, headers: headers,
                                   body: request.body.isEmpty ? nil : request.body, timeout: .seconds(10), connectTimeout: .seconds(2))
        Task {
            box.set(try? await transport.send(outgoing))
            done.signal()
        }
        done.wait()
        guard let response = box.get() else { return .close }
        return .respond(status: response.status, body: response.body, headers: ["Content-Type": "application/json"])
    }

    final class Counter: Sendable {
        private let generator = Mutex(SeededGenerator(seed: 7))
        func coinToss() -> Bool { generator.withLock { Bool.random(using: &$0) } }
    }

    final class ResultBox: Sendable {
        private let value = Mutex<HTTPResponse?>(nil)
        func set(_ response: HTTPResponse?) { value.withLock { $0 = response } }
        func get() -> HTTPResponse? { value.withLock { $0 } }
    }
}
