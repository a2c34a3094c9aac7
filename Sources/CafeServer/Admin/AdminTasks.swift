import CafeProtocol
import Foundation
import Logging
import SQLKit

/// What `cafe-server admin …` does from the shell, straight on the database, so a fresh install
/// needs no SQL and no running server: the first owner, a store, an enrolment code, devices.
public struct AdminTasks: Sendable {
    let database: ServerDatabase
    let configuration: ServerConfiguration
    let logger: Logger

    public init(database: ServerDatabase, configuration: ServerConfiguration, logger: Logger) {
        self.database = database
        self.configuration = configuration
        self.logger = logger
    }

    private var accounts: AccountService {
        get async throws {
            AccountService(database: database, hasher: PasswordHasher(cost: configuration.bcryptCost),
                           accessTokens: try await AccessTokens.load(database: database, lifetime: configuration.accessTokenLifetime),
                           refreshLifetime: configuration.refreshTokenLifetime, dummyHash: "")
        }
    }

    private var kiosk: KioskService { KioskService(database: database, rules: CheckInRules(), logger: logger) }

    /// Creates an owner account (or makes an existing account an owner, with a new password).
    public func createOwner(login: String, password: String, displayName: String) async throws -> UUID {
        if let existing = try await accounts.account(login: login) {
            try PasswordHasher.validate(password)
            let hash = try await PasswordHasher(cost: configuration.bcryptCost).hash(password)
            try await database.transaction { db in
                try await db.raw("UPDATE accounts SET role = 'owner', password_hash = \(bind: hash) WHERE id = \(bind: existing.id)").run()
            }
            return UUID(uuidString: existing.id)!
        }
        return try await accounts.create(login: login, password: password, displayName: displayName, role: .owner, now: Date()).accountID
    }

    public func createStore(_ input: StoreSettings, ownerLogin: String?) async throws -> StoreSettings {
        let owner = try await ownerLogin.asyncMap { login -> UUID in
            guard let row = try await accounts.account(login: login) else { throw AdminError("no account with login \(login)") }
            return UUID(uuidString: row.id)!
        }
        return try await database.transaction { db in try await Stores.create(input, owner: owner, now: Date(), in: db).settings }
    }

    public func addOwner(login: String, store: UInt32) async throws {
        guard let row = try await accounts.account(login: login) else { throw AdminError("no account with login \(login)") }
        try await database.transaction { db in
            _ = try await Stores.require(store, in: db)
            try await db.raw("UPDATE accounts SET role = 'owner' WHERE id = \(bind: row.id)").run()
            try await Stores.addOwner(UUID(uuidString: row.id)!, to: store, in: db)
        }
    }

    public func stores() async throws -> [StoreSettings] {
        try await database.read { db in try await Stores.all(in: db).map(\.settings) }
    }

    public func enrollmentCode(store: UInt32, lifetime: TimeInterval? = nil) async throws -> (code: String, expiresAt: Date) {
        try await kiosk.createEnrollmentCode(store: store, lifetime: lifetime ?? configuration.enrollmentCodeLifetime, now: Date())
    }

    public func devices(store: UInt32) async throws -> [DeviceView] {
        try await owners.devices(store: store)
    }

    public func revokeDevice(_ device: UUID, store: UInt32) async throws {
        try await owners.revokeDevice(device, store: store, now: Date())
    }

    /// A walk-in sale at the counter: the ticket, and a print job for the store's kiosk.
    public func counterSale(store: UInt32, productCode: String, holderName: String?, customerLogin: String? = nil) async throws -> (ticketID: UUID, token: String, job: UUID) {
        let sale = try await owners.counterSale(CounterSaleRequest(productCode: productCode, holderName: holderName, customerLogin: customerLogin),
                                                store: store, now: Date())
        return (sale.ticket.ticketID, sale.ticket.token, sale.printJob.jobID)
    }

    /// Refunds by the store's policy; returns the amount given back (won).
    @discardableResult
    public func refund(ticket: UUID, store: UInt32) async throws -> Int {
        let refunds = RefundService(database: database, gateway: CafeServerSetup.gateway(configuration, logger: logger), logger: logger)
        return try await refunds.refund(ticket: ticket, store: store, account: nil, by: .admin, expectedAmount: nil, now: Date()).amount
    }

    /// What refunding the ticket would give back now, term by term (nothing changes).
    public func refundQuote(ticket: UUID, store: UInt32, now: Date = Date()) async throws -> RefundQuote {
        try await RefundService(database: database, gateway: nil, logger: logger).quote(ticket: ticket, store: store, account: nil, now: now)
    }

    /// Runs the scheduled jobs once, as if it were `now`.
    public func runJobs(now: Date = Date(), archiveNow: Bool = false) async throws -> JobReport {
        try await CafeJobs(database: database, logger: logger).runOnce(at: now, archiveNow: archiveNow)
    }

    public func rotateKey(store: UInt32) async throws -> KeyID {
        try await database.transaction { db in try await SigningKeys.rotate(store: store, now: Date(), in: db) }
    }

    /// Retires a key that is no longer active: passes signed with it are `unknown_key` at the
    /// door from the kiosks' next sync.
    public func retireKey(store: UInt32, key: KeyID) async throws {
        try await database.transaction { db in try await SigningKeys.retire(store: store, key: key, in: db) }
    }

    public func catalog() async throws -> [CatalogProduct] {
        try await database.read { db in try await Catalog.all(includeInactive: true, in: db) }
    }

    public func setPrice(code: String, price: Int) async throws -> CatalogProduct {
        var input = ProductInput()
        input.price = price
        let change = input
        return try await database.transaction { db in
            guard try await Catalog.find(code, in: db) != nil else { throw AdminError("no product \(code)") }
            return try await Catalog.upsert(code: code, change, in: db)
        }
    }

    private var owners: OwnerService {
        OwnerService(database: database, gateway: CafeServerSetup.gateway(configuration, logger: logger), kiosk: kiosk,
                     enrollmentCodeLifetime: configuration.enrollmentCodeLifetime, logger: logger)
    }
}

public struct AdminError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
