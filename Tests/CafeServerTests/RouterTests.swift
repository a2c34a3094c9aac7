import CafeProtocol
import CafeServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The router in-process (HummingbirdTesting's `.router`, no socket): what is mounted where and
/// who may call it, on an in-memory SQLite database.
@Suite("The router: mounts and guards")
struct RouterTests {
    static func withApp(_ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        var logger = Logger(label: "router-test")
        logger.logLevel = .critical
        let database = try await ServerDatabase.open(.sqliteInMemory, logger: logger)
        try await CafeServerSetup.migrate(database)
        var configuration = ServerConfiguration()
        configuration.bcryptCost = 4
        let tasks = AdminTasks(database: database, configuration: configuration, logger: logger)
        _ = try await tasks.createOwner(login: "owner", password: "owner-password", displayName: "Owner")
        _ = try await tasks.createStore(StoreSettings(storeID: 1, name: "Gangnam", timeZone: "Asia/Seoul", closedHours: nil, seats: 12), ownerLogin: "owner")
        let app = try await buildApplication(configuration: configuration, dependencies: CafeServerDependencies(database: database, gateway: nil), logger: logger)
        try await app.test(.router) { client in
            let login = try await client.execute(uri: "/auth/login", method: .post, body: ByteBuffer(string: #"{"login":"owner","password":"owner-password"}"#))
            let json = try JSONSerialization.jsonObject(with: Data(login.body.readableBytesView)) as? [String: Any]
            let token = try #require(json?["access_token"] as? String, "\(login.status)")
            try await body(client, token)
        }
        await database.close()
    }

    @Test func areasAreMountedWhereTheContractSaysAndGuarded() async throws {
        try await Self.withApp { client, token in
            let owner: HTTPFields = [.authorization: "Bearer \(token)"]
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .notFound, "metrics live on their own listener")
            #expect(try await client.execute(uri: KioskAPI.syncPath, method: .get).status == .unauthorized, "the kiosk's routes want a device")
            #expect(try await client.execute(uri: "/kiosk/v1/sync", method: .get, headers: owner).status == .unauthorized, "an owner is not a kiosk")
            #expect(try await client.execute(uri: "/stores/1/seats", method: .get).status == .unauthorized)
            let seats = try await client.execute(uri: "/stores/1/seats", method: .get, headers: owner)
            #expect(seats.status == .ok)
            let map = try JSONSerialization.jsonObject(with: Data(seats.body.readableBytesView)) as? [String: Any]
            #expect((map?["seats"] as? [Any])?.count == 12)
            let bad = try await client.execute(uri: "/stores/1/refund-policy", method: .put, headers: owner, body: ByteBuffer(string: #"{"preset":"academy_steps","fee_percent":5}"#))
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("takes no fee"))
            let csv = try await client.execute(uri: "/stores/1/sales?by=week", method: .get, headers: owner.merging([.accept: "text/csv"]))
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(String(buffer: csv.body).hasPrefix("period_start,product_code,sold,revenue\r\n"))
        }
    }
}

extension HTTPFields {
    func merging(_ other: HTTPFields) -> HTTPFields {
        var fields = self
        for field in other { fields.append(field) }
        return fields
    }
}
