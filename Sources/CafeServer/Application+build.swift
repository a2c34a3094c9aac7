import AsyncHTTPClient
import CafeProtocol
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// What the server is made of, built once at start: the database and the services over it.
public struct CafeServerDependencies: Sendable {
    public var database: ServerDatabase
    public var gateway: (any PaymentGateway)?
    /// Served at `/metrics` on the metrics listener only (`buildMetricsApplication`), never on
    /// the public API; the entry point bootstraps swift-metrics with the same registry.
    public var metrics: PrometheusCollectorRegistry
    /// The server's clock (tests pin it).
    public var now: @Sendable () -> Date

    public init(database: ServerDatabase, gateway: (any PaymentGateway)?, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.gateway = gateway
        self.metrics = metrics
        self.now = now
    }
}

/// Builds the HTTP application: the same function serves `cafe-server serve` and the tests.
/// The database must be migrated (`CafeServer.migrate`) first.
public func buildApplication(
    configuration: ServerConfiguration, dependencies: CafeServerDependencies, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let router = try await buildRouter(configuration: configuration, dependencies: dependencies, logger: logger)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "cafe-server"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
    return app
}

/// The router alone (for in-process tests).
public func buildRouter(configuration: ServerConfiguration, dependencies: CafeServerDependencies, logger: Logger) async throws -> Router<CafeRequestContext> {
    let database = dependencies.database
    let now = dependencies.now
    let hasher = PasswordHasher(cost: configuration.bcryptCost)
    let accessTokens = try await AccessTokens.load(database: database, lifetime: configuration.accessTokenLifetime)
    let accounts = AccountService(database: database, hasher: hasher, accessTokens: accessTokens,
                                  refreshLifetime: configuration.refreshTokenLifetime, dummyHash: try await hasher.hash(Secrets.random()))
    let kiosk = KioskService(database: database, rules: CheckInRules(), logger: logger)
    let orders = OrderService(database: database, gateway: dependencies.gateway, logger: logger)
    let owners = OwnerService(database: database, gateway: dependencies.gateway, kiosk: kiosk,
                              enrollmentCodeLifetime: configuration.enrollmentCodeLifetime, logger: logger)
    let refunds = RefundService(database: database, gateway: dependencies.gateway, logger: logger)
    let notices = NoticeService(database: database, logger: logger)

    let router = Router(context: CafeRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: APIFailureMiddleware())

    router.addRoutes(OperationsRoutes(database: database).collection)
    // The web app's pages and assets: public, the same for everyone; what they show comes from the API.
    router.addRoutes(WebRoutes(database: database, paymentPage: configuration.paymentPage,
                               paymentWindow: configuration.paymentWindow, now: now).collection)
    router.addRoutes(KioskRoutes(service: kiosk, now: now).collection, atPath: RouterPath(KioskAPI.basePath))
    // Everything else is the app's and the consoles': the caller is read from a bearer token.
    let api = router.group().add(middleware: AccountAuthenticator(tokens: accessTokens))
    api.addRoutes(AccountRoutes(service: accounts, now: now).collection)
    api.addRoutes(OrderRoutes(service: orders, now: now).collection)
    api.addRoutes(TicketRoutes(database: database).collection)
    api.addRoutes(PassLookupRoutes(service: PassLookup(database: database), owners: owners).collection)
    api.addRoutes(AlertRoutes(database: database).collection)
    api.addRoutes(StoreRoutes(service: owners, now: now).collection)
    api.addRoutes(DeviceRoutes(service: owners, now: now).collection)
    api.addRoutes(CounterSaleRoutes(service: owners, now: now).collection)
    api.addRoutes(ReportRoutes(service: owners, now: now).collection)
    api.addRoutes(RefundRoutes(service: refunds, owners: owners, now: now).collection)
    api.addRoutes(NoticeRoutes(service: notices, owners: owners, now: now).collection)
    api.addRoutes(OwnerDayRoutes(service: OwnerDayService(database: database), owners: owners, now: now).collection)
    api.addRoutes(SeatRoutes(service: SeatService(database: database), owners: owners, now: now).collection)
    return router
}

/// Opening and migrating, for the entry point, the admin commands and the tests.
public enum CafeServerSetup {
    /// Applies pending migrations; returns the versions applied now.
    @discardableResult
    public static func migrate(_ database: ServerDatabase) async throws -> [String] {
        try await Migrations.apply(to: database)
    }

    /// The gateway the configuration names, or nil.
    public static func gateway(_ configuration: ServerConfiguration, logger: Logger) -> (any PaymentGateway)? {
        configuration.gateway.map { BootPayClient(configuration: $0, logger: logger) }
    }

    /// The push service the configuration names (FCM with a service-account key), or nil: then
    /// messages wait in the outbox and go stale after an hour.
    public static func pushSender(_ configuration: ServerConfiguration, logger: Logger) async throws -> (any PushSender)? {
        guard let push = configuration.push else { return nil }
        return try await FCMClient(account: push.serviceAccount, baseURL: push.baseURL, logger: logger)
    }
}
