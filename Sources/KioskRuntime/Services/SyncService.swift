import Foundation
import KioskCore
import Logging
import Prometheus
import ServiceLifecycle

/// Syncs in the background: uploads the outbox, pulls changes, every `interval` (reloadable)
/// with backoff after failures. Its SQLite work (a page of up to a thousand tickets) runs on
/// the database executor, off the cooperative threads; stopping cancels a request in flight at
/// once (events leave the outbox only once the server has acknowledged them, so nothing is lost).
public final class SyncService: Service, Sendable {
    let database: KioskDatabase
    let client: CentralClient?
    let interval: LiveSetting<Duration>
    let breaker: SharedCircuitBreaker
    let state: DoorState
    let metrics: KioskMetrics?
    let executor: ThreadExecutor
    let startup: StartupGate
    let clock: ClockGuard
    let logger: Logger

    public init(database: KioskDatabase, client: CentralClient?, interval: LiveSetting<Duration>, breaker: SharedCircuitBreaker,
                state: DoorState, metrics: KioskMetrics?, executor: ThreadExecutor, startup: StartupGate, clock: ClockGuard, logger: Logger) {
        self.clock = clock
        self.database = database
        self.client = client
        self.interval = interval
        self.breaker = breaker
        self.state = state
        self.metrics = metrics
        self.executor = executor
        self.startup = startup
        self.logger = logger
    }

    public func run() async throws {
        startup.arrived("sync")
        guard let client else {
            // Not enrolled: nothing to sync with; wait for the end like the other services.
            try? await gracefulShutdown()
            return
        }
        let (breaker, state, metrics, executor, interval, logger, clock) = (self.breaker, self.state, self.metrics, self.executor, self.interval, self.logger, self.clock)
        let engine = SyncEngine(database: database, client: client)
        await cancelWhenGracefulShutdown {
            await withTaskExecutorPreference(executor) {
                await engine.run(interval: interval, logger: logger, onSuccess: { report in
                    breaker.recordSuccess()
                    if let serverTime = report.serverTime { clock.advance(to: serverTime) }
                    let before = state.snapshot.clockSkewSeconds
                    state.update {
                        $0.lastSync = Date()
                        $0.lastSyncError = nil
                        $0.serverReachable = true
                        $0.online = true
                        $0.clockSkewSeconds = report.clockSkew
                    }
                    if let skew = report.clockSkew {
                        metrics?.clockSkew.set(skew)
                        Self.logSkew(skew, before: before, logger: logger)
                    }
                }, onFailure: { error in
                    metrics?.syncFailures.increment()
                    state.update {
                        $0.lastSyncError = "\(error)"
                        $0.serverReachable = false
                        $0.online = false
                    }
                })
            }
        }
    }

    /// Said when the clocks drift apart past a minute, and when they agree again: not at every sync.
    static func logSkew(_ skew: Double, before: Double?, logger: Logger) {
        let wide = abs(skew) >= DoorState.skewWorthSaying
        let wasWide = before.map { abs($0) >= DoorState.skewWorthSaying } ?? false
        if wide && !wasWide {
            logger.warning("this box's clock is \(Int(abs(skew))) s \(skew > 0 ? "ahead of" : "behind") the server's: offline decisions use it (check NTP)",
                           metadata: ["clock.skew_s": "\(Int(skew))"])
        } else if !wide && wasWide {
            logger.notice("this box's clock agrees with the server's again", metadata: ["clock.skew_s": "\(Int(skew))"])
        }
    }
}
