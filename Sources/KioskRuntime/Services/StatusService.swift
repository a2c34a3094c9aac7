import CafeProtocol
import Foundation
import Hummingbird
import KioskCore
import Logging
import Prometheus
import NIOCore
import ServiceLifecycle

/// Keeps the door's state current (cache counts, last sync, online or not) every `refresh`,
/// and serves it on loopback: Prometheus text at `/metrics`, the live state as JSON at
/// `/status` (what `kioskd status` shows beside a running daemon). A port that cannot be bound
/// is logged and the daemon runs on without metrics: the door matters more than the graphs.
public final class StatusService: Service, Sendable {
    let database: KioskDatabase
    let state: DoorState
    let metrics: KioskMetrics
    let breaker: SharedCircuitBreaker
    let listen: (host: String, port: Int)?
    let executor: ThreadExecutor
    let startup: StartupGate
    let logger: Logger
    let refresh: Duration
    /// Where the server listens once bound (port 0 picks one), for tests and the log.
    public let boundPort = LiveSetting<Int?>(nil)

    public init(database: KioskDatabase, state: DoorState, metrics: KioskMetrics, breaker: SharedCircuitBreaker,
                listen: (host: String, port: Int)?, executor: ThreadExecutor, startup: StartupGate, logger: Logger,
                refresh: Duration = .seconds(2)) {
        self.database = database
        self.state = state
        self.metrics = metrics
        self.breaker = breaker
        self.listen = listen
        self.executor = executor
        self.startup = startup
        self.logger = logger
        self.refresh = refresh
    }

    public func run() async throws {
        await withTaskExecutorPreference(executor) { self.refreshNow() }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.refreshLoop() }
            group.addTask { await self.serve() }
        }
    }

    /// Reads the cache's counts (on the database executor) into the state and the gauges.
    func refreshNow() {
        let now = Date()
        let online = !breaker.isOpen(at: now)
        do {
            let status = try database.status()
            let lastSync = try database.lastSyncAt()
            state.update {
                $0.ticketsCached = status.ticketsCached
                $0.outboxPending = status.outboxPending
                $0.printJobsWaiting = status.printJobsWaiting
                $0.online = online && $0.serverReachable == true
                if $0.lastSync == nil { $0.lastSync = lastSync }
            }
            metrics.ticketsCached.set(Double(status.ticketsCached))
            metrics.outboxEvents.set(Double(status.outboxPending))
            metrics.printQueueJobs.set(Double(status.printJobsWaiting))
            metrics.secondsSinceSync.set(lastSync.map { now.timeIntervalSince($0) } ?? -1)
        } catch {
            logger.warning("cannot read the cache's status", metadata: ["db.error": "\(error)"])
        }
        metrics.circuitOpen.set(online ? Double(0) : Double(1))
    }

    func refreshLoop() async {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.refresh)
                await withTaskExecutorPreference(self.executor) { self.refreshNow() }
            }
        }
    }

    func serve() async {
        guard let listen else {
            startup.arrived("status")
            return
        }
        let router = Router()
        let metrics = self.metrics, state = self.state
        router.get("metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("status") { _, _ -> Response in
            let encoder = WireCoding.encoder()
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let body = (try? encoder.encode(state.snapshot)) ?? Data("{}".utf8)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let startup = self.startup, boundPort = self.boundPort, logger = self.logger
        let app = Application(router: router, configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "kioskd"),
                              onServerRunning: { channel in
                                  boundPort.value = channel.localAddress?.port
                                  logger.info("metrics and status on http://\(listen.host):\(channel.localAddress?.port ?? listen.port)/metrics")
                                  startup.arrived("status")
                              },
                              logger: Logger(label: "kioskd.status", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            try await app.run()
        } catch {
            logger.error("metrics and status disabled: cannot listen on \(listen.host):\(listen.port)", metadata: ["status.error": "\(error)"])
            startup.arrived("status")
            try? await gracefulShutdown()
        }
    }
}
