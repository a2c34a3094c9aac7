import CafeProtocol
import Foundation
import KioskTestSupport
import Testing
@testable import KioskCore

/// The libcurl transport and the typed client against a scriptable server on loopback.
@Suite struct CentralClientTests {
    let time = Date(timeIntervalSince1970: 1_795_575_600)

    func json(_ value: some Encodable) -> [UInt8] { Array(try! WireCoding.encoder().encode(value)) }

    @Test func aCheckInRoundTripsWithAuthAndJSON() async throws {
        let event = UUID()
        let answer = CheckInResponse(eventID: event, verdict: .enter, display: VerdictDisplay(title: "Welcome"), ticket: nil)
        let server = try LoopbackHTTPServer { request in
            guard request.method == "POST", request.path == KioskAPI.checkInsPath,
                  request.headers["authorization"] == "Device secret-token",
                  request.headers["content-type"] == "application/json",
                  let body = try? WireCoding.decoder().decode(CheckInRequest.self, from: Data(request.body)),
                  body.token == "PASS"
            else { return .respond(status: 400, body: Array(#"{"code":"invalid_request","message":"bad"}"#.utf8)) }
            return .respond(status: 200, body: Array(try! WireCoding.encoder().encode(answer)))
        }
        defer { server.stop() }
        let client = CentralClient(baseURL: server.baseURL + "/", deviceToken: "secret-token", transport: CurlTransport())
        let response = try await client.checkIn(CheckInRequest(eventID: event, token: "PASS", direction: .auto, scannedAt: time),
                                                deadline: .seconds(2))
        #expect(response == answer)
    }

    @Test func oneConnectionIsKeptAlive() async throws {
        let page = SyncPage(cursor: "c", hasMore: false, tickets: [], keys: [],
                            store: StoreSettings(storeID: 1, name: "S", timeZone: "UTC", closedHours: nil, seats: 1),
                            printJobs: [], serverTime: time)
        let body = json(page)
        let server = try LoopbackHTTPServer { _ in .respond(status: 200, body: body) }
        defer { server.stop() }
        let client = CentralClient(baseURL: server.baseURL, deviceToken: "t", transport: CurlTransport())
        for _ in 0..<5 { _ = try await client.sync(cursor: "a b/c", limit: 10) }
        #expect(server.requests.count == 5)
        #expect(server.connections == 1)
        #expect(server.requests[0].path == "/kiosk/v1/sync?limit=10&cursor=a%20b%2Fc")
        // What the outbox held rides along, the time percent-encoded.
        _ = try await client.sync(cursor: nil, limit: 10, outbox: OutboxReport(pending: 2, oldest: time))
        #expect(server.requests.last?.path == "/kiosk/v1/sync?limit=10&outbox=2&outbox_oldest=\(WireCoding.timestamp(time).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
    }

    /// The time limit catches a client that would wait for ever; the error proves curl gave up
    /// at the deadline. How close to the deadline the verdict comes is measured by the
    /// benchmark: under the parallel test load, resuming this task can itself take seconds.
    @Test(.timeLimit(.minutes(1)))
    func aHangingServerCostsNoMoreThanTheDeadline() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let client = CentralClient(baseURL: server.baseURL, deviceToken: "t", transport: CurlTransport())
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await client.checkIn(CheckInRequest(eventID: UUID(), token: "X", direction: .auto, scannedAt: time),
                                         deadline: .milliseconds(300))
            Issue.record("a hanging server answered")
        } catch {
            #expect(error == .unavailable(.timedOut(milliseconds: 300)))
            #expect(error.isTransient)
        }
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(290), "gave up after \(elapsed), before the deadline")
    }

    @Test func statusCodesMapToWhatTheKioskDoes() async throws {
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/kiosk/v1/events": .respond(status: 401, body: Array(#"{"code":"unauthorized","message":"device revoked"}"#.utf8))
            case "/kiosk/v1/check-ins": .respond(status: 503, body: Array("<html>busy</html>".utf8))
            case "/kiosk/v1/enroll": .respond(status: 400, body: Array(#"{"code":"enrollment_code_invalid","message":"used"}"#.utf8))
            default: .respond(status: 200, body: Array(#"{"cursor": 5}"#.utf8))
            }
        }
        defer { server.stop() }
        let client = CentralClient(baseURL: server.baseURL, deviceToken: "t", transport: CurlTransport())
        await #expect(throws: CentralError.unauthorized("device revoked")) { try await client.upload(EventBatch(events: [])) }
        do {
            _ = try await client.checkIn(CheckInRequest(eventID: UUID(), token: "X", direction: .auto, scannedAt: time), deadline: .seconds(2))
            Issue.record("503 accepted")
        } catch {
            #expect(error == .serverError(status: 503, nil))
            #expect(error.isTransient)
        }
        await #expect(throws: CentralError.rejected(status: 400, APIError(code: "enrollment_code_invalid", message: "used"))) {
            try await client.enroll(EnrollRequest(code: "X", deviceName: "door"))
        }
        do {
            _ = try await client.sync(cursor: nil, limit: 1)
            Issue.record("malformed page accepted")
        } catch {
            guard case .invalidResponse(let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason.contains("cursor"))
            #expect(!error.isTransient)
        }
    }

    @Test func nobodyListeningIsUnavailable() async throws {
        // A port that was just freed: connection refused.
        let server = try LoopbackHTTPServer { _ in .close }
        let url = server.baseURL
        server.stop()
        let client = CentralClient(baseURL: url, deviceToken: nil, transport: CurlTransport())
        do {
            _ = try await client.enroll(EnrollRequest(code: "X", deviceName: "door"), timeout: .seconds(2))
            Issue.record("answered")
        } catch {
            guard case .unavailable(.unreachable) = error else { Issue.record("\(error)"); return }
        }
        let dropped = try LoopbackHTTPServer { _ in .close }
        defer { dropped.stop() }
        let other = CentralClient(baseURL: dropped.baseURL, deviceToken: nil, transport: CurlTransport())
        do {
            _ = try await other.enroll(EnrollRequest(code: "X", deviceName: "door"), timeout: .seconds(2))
            Issue.record("answered")
        } catch {
            #expect(error.isTransient, "\(error)")
        }
    }

    @Test func anOversizedResponseIsRefused() async throws {
        let server = try LoopbackHTTPServer { _ in .respond(status: 200, body: [UInt8](repeating: 0x20, count: 200_000)) }
        defer { server.stop() }
        let client = CentralClient(baseURL: server.baseURL, deviceToken: "t", transport: CurlTransport(maxResponseBytes: 100_000))
        await #expect(throws: CentralError.unavailable(.responseTooLarge(limit: 100_000))) {
            try await client.sync(cursor: nil, limit: 1)
        }
    }
}
