import CafeProtocol
import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// What one run of the jobs did.
public struct JobReport: Sendable, Equatable {
    public var exits: [AutoExitRecord]
    /// Holders told "10 minutes left" for the first time this visit.
    public var timeWarnings: Int
    /// Finished passes moved to the archive (in a store's night hour).
    public var archived: Int = 0
    public var autoExits: Int { exits.count }
}

/// The server's scheduled work, a service beside the HTTP app in one `ServiceGroup`: every
/// `interval` it runs each job once (auto-exit, then "10 minutes left", then the archive in each store's
/// night hour). Several instances on one PostgreSQL may run it at the same time; each job is
/// written so one instance does each piece of work (see `AutoExitJob`, `ArchiveJob`). A run
/// that fails is logged and the next one tries again; shutdown waits for no sleeping timer.
public struct CafeJobs: Service {
    let autoExit: AutoExitJob
    let timeWarnings: TimeWarningJob
    let archive: ArchiveJob
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    private let exits = Counter(label: "cafe_auto_exits_total")
    private let failures = Counter(label: "cafe_job_failures_total")

    public init(database: ServerDatabase, interval: Duration = .seconds(60), now: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        autoExit = AutoExitJob(database: database, rules: CheckInRules(), logger: logger)
        timeWarnings = TimeWarningJob(database: database, logger: logger)
        archive = ArchiveJob(database: database, logger: logger)
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        logger.info("scheduled jobs running", metadata: ["jobs.interval": "\(interval)"])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                _ = try await runOnce()
            } catch {
                failures.increment()
                logger.error("scheduled jobs failed; trying again next run", metadata: ["error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return   // shutting down (or cancelled) while waiting: nothing is half-done
            }
        }
    }

    /// One run of every job now (the service's tick; tests and `cafe-server admin run-jobs`).
    @discardableResult
    public func runOnce() async throws -> JobReport {
        try await runOnce(at: now())
    }

    /// One run as if it were `now` (`cafe-server admin run-jobs --now`: rehearsals, the demo);
    /// `archiveNow` archives every store's finished passes whatever the hour.
    @discardableResult
    public func runOnce(at now: Date, archiveNow: Bool = false) async throws -> JobReport {
        // Exits first: a holder whose time is up gets "left at", not "10 minutes left".
        let exited = try await autoExit.run(now: now)
        if !exited.isEmpty {
            exits.increment(by: exited.count)
            logger.notice("auto-exited holders whose time was up", metadata: ["auto_exit.count": "\(exited.count)"])
        }
        let warned = try await timeWarnings.run(now: now)
        let archived = try await archive.run(now: now, force: archiveNow)
        return JobReport(exits: exited, timeWarnings: warned, archived: archived)
    }
}
