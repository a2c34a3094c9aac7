import AsyncHTTPClient
import CafeProtocol
import CafeServer
import FakeBootPay
import FakeFCM
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SQLKit
import ServiceLifecycle
import Synchronization

/// Which database a test runs on. PostgreSQL runs when `CAFE_TEST_POSTGRES_URL` names a server
/// (`.ci/run` starts one); under CI its absence is an error, never a silent skip.
public enum TestBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }

    public static var available: [TestBackend] {
        if postgresURL != nil { return [.sqlite, .postgres] }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            fatalError("CI=true but CAFE_TEST_POSTGRES_URL is not set: the PostgreSQL path must be tested in CI")
        }
        return [.sqlite]
    }

    public static var postgresURL: String? { ProcessInfo.processInfo.environment["CAFE_TEST_POSTGRES_URL"] }

    /// An empty database of this kind: a new SQLite file, or a new schema on the test server.
    public func freshLocation(logger: Logger) async throws -> DatabaseLocation {
        switch self {
        case .sqlite:
            return .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("cafe-test-\(UUID().uuidString).sqlite").path)
        case .postgres:
            guard let url = TestBackend.postgresURL else { throw TestCafeError("CAFE_TEST_POSTGRES_URL is not set") }
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let admin = try await ServerDatabase.open(.postgres(url: url), logger: logger)
            try await admin.withService { try await admin.execute("CREATE SCHEMA \(schema)") }
            return .postgres(url: url + (url.contains("?") ? "&" : "?") + "search_path=\(schema)")
        }
    }
}

/// A test clock the server reads; tests move it.
public final class TestClock: Sendable {
    private let current: Mutex<Date>
    public init(_ start: Date) { current = Mutex(start) }
    public var now: Date { current.withLock { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    public func set(_ date: Date) { current.withLock { $0 = date } }
}

/// A real `cafe-server` on 127.0.0.1 (any free port) over a fresh database, with a fake BootPay,
/// an owner and a store — what every server and integration test starts from.
public struct TestCafe: Sendable {
    public let baseURL: String
    public let gateway: FakeBootPay
    /// `http://127.0.0.1:PORT`: the fake gateway's pages (payment window, stand-in SDK).
    public let gatewayOrigin: String
    public let clock: TestClock
    public let database: ServerDatabase
    public let storeID: UInt32
    public let ownerToken: String
    public let backend: TestBackend
    /// The scheduled jobs on the test clock; tests run them with `jobs.runOnce()`.
    public let jobs: CafeJobs
    /// Where the database is, for a second handle on it (a second "instance").
    public let location: DatabaseLocation
    /// The local FCM the server's push delivery talks to.
    public let fcm: FakeFCM
    /// Push delivery on the test clock; tests run a round with `deliverPush()`.
    public let push: PushDelivery

    public static let ownerLogin = "owner"
    public static let ownerPassword = "owner-password"
    /// 01:00 UTC = 10:00 in Seoul: the store is open.
    public static let defaultStart = Date(timeIntervalSince1970: 1_795_568_400)

    /// Runs `body` with a fresh cafe; everything stops when it returns.
    public static func run<T: Sendable>(
        _ backend: TestBackend = .sqlite, start: Date = defaultStart, realClock: Bool = false,
        closedHours: LocalTimeRange? = nil,
        _ body: @escaping @Sendable (TestCafe) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "test-cafe")
        logger.logLevel = ProcessInfo.processInfo.environment["CAFE_TEST_LOG"] == "1" ? .debug : .critical
        let location = try await backend.freshLocation(logger: logger)
        let fake = FakeBootPay()
        defer { location.removeFiles() }
        let database = try await ServerDatabase.open(location, logger: logger)
        let clock = TestClock(start)
        let now: @Sendable () -> Date
        if realClock { now = { Date() } } else { now = { clock.now } }
        let setup = Setup(backend: backend, database: database, location: location, fake: fake, clock: clock, now: now, logger: logger,
                          closedHours: closedHours)
        do {
            let result: T = try await database.withService { try await setup.serve(body) }
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    /// The parts of one run, so each step is a small function.
    struct Setup: Sendable {
        let backend: TestBackend
        let database: ServerDatabase
        let location: DatabaseLocation
        let fake: FakeBootPay
        let clock: TestClock
        let now: @Sendable () -> Date
        let logger: Logger
        let closedHours: LocalTimeRange?

        func serve<T: Sendable>(_ body: @escaping @Sendable (TestCafe) async throws -> T) async throws -> T {
            try await CafeServerSetup.migrate(database)
            let tasks = AdminTasks(database: database, configuration: TestCafe.configuration(gateway: nil), logger: logger)
            _ = try await tasks.createOwner(login: TestCafe.ownerLogin, password: TestCafe.ownerPassword, displayName: "Owner")
            let store = try await tasks.createStore(
                StoreSettings(storeID: 1, name: "Gangnam", timeZone: "Asia/Seoul", closedHours: closedHours, seats: 40), ownerLogin: TestCafe.ownerLogin)
            let fcm = try await FakeFCM()
            return try await fake.run { gatewayURL in
                try await fcm.run { fcmURL in
                    let account = try JSONDecoder().decode(FCMServiceAccount.self, from: Data(fcm.serviceAccountJSON(baseURL: fcmURL).utf8))
                    let sender = try await FCMClient(account: account, baseURL: fcmURL, timeout: 2, logger: logger)
                    let push = PushDelivery(database: database, sender: sender, now: now, logger: logger)
                    return try await self.serve(gatewayURL: gatewayURL, storeID: store.storeID, fcm: fcm, push: push, body)
                }
            }
        }

        private func serve<T: Sendable>(gatewayURL: String, storeID: UInt32, fcm: FakeFCM, push: PushDelivery,
                                        _ body: @escaping @Sendable (TestCafe) async throws -> T) async throws -> T {
            var configuration = TestCafe.configuration(gateway: PaymentGatewayConfiguration(
                baseURL: gatewayURL, applicationID: fake.applicationID, privateKey: fake.privateKey, timeout: 2))
            // The web app's payment page opens the fake's stand-in for BootPay's SDK.
            configuration.paymentWindow = BootPayWindow(applicationID: "fake-web-application",
                                                        scriptURL: String(gatewayURL.dropLast("/v2".count)) + "/fake/bootpay.js")
            let dependencies = CafeServerDependencies(
                database: database, gateway: CafeServerSetup.gateway(configuration, logger: logger), now: now)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: logger) { port in
                continuation.yield(port)
            }
            let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await services.run(); return nil }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw CancellationError() }
                defer { group.cancelAll() }
                let cafe = try await self.cafe(baseURL: "http://127.0.0.1:\(port)", gatewayOrigin: String(gatewayURL.dropLast("/v2".count)),
                                               storeID: storeID, fcm: fcm, push: push)
                let result = try await body(cafe)
                await services.triggerGracefulShutdown()
                return result
            }
        }

        private func cafe(baseURL: String, gatewayOrigin: String, storeID: UInt32, fcm: FakeFCM, push: PushDelivery) async throws -> TestCafe {
            let login = try await TestHTTP.call("POST", baseURL + "/auth/login",
                                                json: ["login": TestCafe.ownerLogin, "password": TestCafe.ownerPassword])
            guard let token = login.object["access_token"] as? String else { throw TestCafeError("owner login failed: \(login)") }
            return TestCafe(baseURL: baseURL, gateway: fake, gatewayOrigin: gatewayOrigin, clock: clock, database: database, storeID: storeID,
                            ownerToken: token, backend: backend, jobs: CafeJobs(database: database, now: now, logger: logger),
                            location: location, fcm: fcm, push: push)
        }
    }

    static func configuration(gateway: PaymentGatewayConfiguration?) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.bcryptCost = 4
        configuration.gateway = gateway
        // Long enough that a slow CI run never sees a token expire mid-test.
        configuration.accessTokenLifetime = 3600 * 24 * 365
        return configuration
    }

    // MARK: Helpers for tests

    /// Delivers what the push outbox holds now (one round); returns how many were sent.
    @discardableResult
    public func deliverPush() async throws -> PushDelivery.Round { try await push.runOnce() }

    /// Runs the scheduled jobs once on the test clock; returns how many holders were auto-exited.
    public func runJobs() async throws -> Int { try await jobs.runOnce().autoExits }

    /// `POST`/`GET`/… with JSON, as a bearer token holder (or anonymous).
    public func call(_ method: String, _ path: String, json: [String: any Sendable]? = nil, bearer: String? = nil,
                     headers: [String: String] = [:], rawBody: String? = nil) async throws -> TestHTTP.Answer {
        var headers = headers
        if let bearer { headers["Authorization"] = "Bearer \(bearer)" }
        return try await TestHTTP.call(method, baseURL + path, json: json, headers: headers, rawBody: rawBody)
    }

    /// A customer account, logged in: (account id, access token, refresh token).
    public func customer(_ login: String = "kim-\(UUID().uuidString.prefix(6))", password: String = "password-1") async throws -> (id: String, access: String, refresh: String) {
        let created = try await call("POST", "/accounts", json: ["login": login, "password": password, "display_name": "Kim"])
        guard created.status == 201, let id = created.object["account_id"] as? String else { throw TestCafeError("sign-up failed: \(created)") }
        let pair = try await call("POST", "/auth/login", json: ["login": login, "password": password])
        guard let access = pair.object["access_token"] as? String, let refresh = pair.object["refresh_token"] as? String else {
            throw TestCafeError("login failed: \(pair)")
        }
        return (id, access, refresh)
    }

    /// A one-time enrolment code for the store.
    public func enrollmentCode() async throws -> String {
        let answer = try await call("POST", "/stores/\(storeID)/enrollment-codes", bearer: ownerToken)
        guard let code = answer.object["code"] as? String else { throw TestCafeError("no code: \(answer)") }
        return code
    }

    /// A pass sold at the counter: (ticket id, token).
    public func counterSale(_ product: String, holder: String? = nil) async throws -> (ticketID: UUID, token: String) {
        var body: [String: any Sendable] = ["product_code": product]
        if let holder { body["holder_name"] = holder }
        let answer = try await call("POST", "/stores/\(storeID)/counter-sales", json: body, bearer: ownerToken)
        guard let ticket = answer.object["ticket"] as? [String: Any], let id = (ticket["ticket_id"] as? String).flatMap(UUID.init(uuidString:)),
              let token = ticket["token"] as? String else { throw TestCafeError("counter sale failed: \(answer)") }
        return (id, token)
    }

    /// Buys a pass in the app: order, gateway receipt, confirmation. Returns the order answer.
    public func buy(_ product: String, as customer: String, price: Int? = nil, status: Int = 1) async throws -> TestHTTP.Answer {
        let order = try await call("POST", "/orders", json: ["store_id": Int(storeID), "product_code": product], bearer: customer)
        guard let orderID = order.object["order_id"] as? String, let orderPrice = order.object["price"] as? Int else {
            throw TestCafeError("order failed: \(order)")
        }
        let receipt = "rcpt-\(UUID().uuidString.prefix(12))"
        gateway.add(.init(receiptID: receipt, orderID: orderID, price: price ?? orderPrice, status: status))
        return try await call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": receipt], bearer: customer)
    }
}

public struct TestCafeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A small JSON client over AsyncHTTPClient for tests.
public enum TestHTTP {
    public struct Answer: Sendable, CustomStringConvertible {
        public var status: Int
        public var body: Data
        public var headers: [String: String]
        public var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        public var code: String? { object["code"] as? String }
        public var description: String { "HTTP \(status) \(String(decoding: body.prefix(400), as: UTF8.self))" }
    }

    public static func call(_ method: String, _ url: String, json: [String: any Sendable]? = nil, headers: [String: String] = [:],
                            rawBody: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        } else if let rawBody {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: rawBody))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        var answerHeaders: [String: String] = [:]
        for header in response.headers { answerHeaders[header.name.lowercased()] = header.value }
        return Answer(status: Int(response.status.code), body: Data(buffer: buffer), headers: answerHeaders)
    }
}

// MARK: Looking into the server's database (integration tests)

extension TestCafe {
    /// A door decision as the server recorded it.
    public struct RecordedEvent: Sendable, Equatable {
        public var eventID: UUID
        public var verdict: String
        public var reason: String?
        public var decidedOffline: Bool
        public var conflictReason: String?
    }

    /// Every check-in event the server holds, by event id.
    public func recordedEvents() async throws -> [UUID: RecordedEvent] {
        struct Row: Decodable {
            var eventId: String; var verdict: String; var reason: String?; var decidedOffline: Int64; var conflictReason: String?
        }
        let rows = try await database.read { db in
            try await db.raw("SELECT event_id, verdict, reason, decided_offline, conflict_reason FROM check_in_events")
                .all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
        var events: [UUID: RecordedEvent] = [:]
        for row in rows {
            guard let id = UUID(uuidString: row.eventId) else { continue }
            events[id] = RecordedEvent(eventID: id, verdict: row.verdict, reason: row.reason, decidedOffline: row.decidedOffline != 0,
                                       conflictReason: row.conflictReason)
        }
        return events
    }

    /// How many rows the server holds for this event id (a duplicate would make it more than 1
    /// were it not for the primary key; counted all the same).
    public func rowCount(forEvent id: UUID) async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM check_in_events WHERE event_id = \(bind: id.uuidString)").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// The server's state of a ticket.
    public func ticketState(_ id: UUID) async throws -> (inside: Bool, remainingMinutes: Int?, status: String) {
        try await database.read { db in
            guard let row = try await db.raw("SELECT inside, remaining_minutes, status FROM tickets WHERE id = \(bind: id.uuidString)").first() else {
                throw TestCafeError("no ticket \(id)")
            }
            return (try row.decode(column: "inside", as: Int64.self) != 0, try row.decode(column: "remaining_minutes", as: Int?.self),
                    try row.decode(column: "status", as: String.self))
        }
    }
}

extension DatabaseLocation {
    /// A test's SQLite file and its WAL companions; nothing for PostgreSQL (the schema is the run's).
    public func removeFiles() {
        if case .sqlite(let path) = self {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
    }
}
