import CafeProtocol
import Foundation
import Logging

/// What one synchronisation did, for `kioskd sync` and the logs.
public struct SyncReport: Sendable, Equatable {
    public var pushed = 0
    public var duplicates = 0
    public var conflicts: [EventConflict] = []
    public var pulledTickets = 0
    public var pages = 0
    public var printJobsAcknowledged = 0
    public var cursor: String?
    public var duration: Duration = .zero
    /// The server's clock in the last page, and how far this box's clock was ahead of it
    /// (seconds; negative: behind) when the page arrived.
    public var serverTime: Date?
    public var clockSkew: TimeInterval?
}

/// Pushes the outbox, then pulls changes page by page from the saved cursor. Every step is
/// committed before the next one starts, so a crash or a network failure anywhere resumes
/// where it stopped: events stay in the outbox until the server has them (it is idempotent by
/// event id), and the cursor moves only with the page it belongs to.
public struct SyncEngine: Sendable {
    public let database: KioskDatabase
    public let client: CentralClient
    public var pageSize = 1_000
    public var batchSize = KioskAPI.maxEventsPerBatch

    public init(database: KioskDatabase, client: CentralClient) {
        self.database = database
        self.client = client
    }

    /// One full round. `full` pulls from the beginning instead of the saved cursor.
    public func runOnce(full: Bool = false) async throws -> SyncReport {
        let clock = ContinuousClock()
        let start = clock.now
        var report = SyncReport()
        try await push(into: &report)
        try await acknowledgePrinted(into: &report)
        var cursor = full ? nil : try database.syncCursor()
        // One page ahead: the next page is asked for while this one is written to the cache, so
        // the server's work and ours overlap (an initial sync of 100,000 tickets is dominated
        // by the two). The saved cursor still moves only with the page it belongs to.
        var page: SyncPage
        // What is left after the push (events decided while it ran, or none): the owner's device list shows it.
        let outbox = try? database.outboxReport()
        do { page = try await client.sync(cursor: cursor, limit: pageSize, outbox: outbox) } catch { throw SyncError.pull(error) }
        // The first page's time, as it arrives: later pages may wait behind our own writes.
        report.serverTime = page.serverTime
        report.clockSkew = Date().timeIntervalSince(page.serverTime)
        while true {
            if page.hasMore {
                let client = self.client, nextCursor = page.cursor, limit = pageSize
                async let next = Self.fetch(client, cursor: nextCursor, limit: limit)
                try database.apply(page)
                report.pages += 1
                report.pulledTickets += page.tickets.count
                cursor = page.cursor
                switch await next {
                case .success(let following): page = following
                case .failure(let error): throw SyncError.pull(error)
                }
            } else {
                try database.apply(page)
                report.pages += 1
                report.pulledTickets += page.tickets.count
                cursor = page.cursor
                break
            }
        }
        report.cursor = cursor
        report.duration = clock.now - start
        return report
    }

    /// A page, or why not, as a value (so it can be fetched with `async let` and still keep
    /// its typed error).
    private static func fetch(_ client: CentralClient, cursor: String, limit: Int) async -> Result<SyncPage, CentralError> {
        do { return .success(try await client.sync(cursor: cursor, limit: limit)) } catch { return .failure(error) }
    }

    /// Tells the server which counter sales came out of the printer. A job the server no
    /// longer knows (404) or already has (409) counts as acknowledged.
    private func acknowledgePrinted(into report: inout SyncReport) async throws {
        for (jobID, printedAt) in try database.printedUnacknowledged() {
            do {
                try await client.acknowledgePrintJob(jobID, printedAt: printedAt)
            } catch .rejected(let status, _) where status == 404 || status == 409 {
                // Nothing left to tell.
            } catch {
                throw SyncError.push(error)
            }
            try database.markAcknowledged(jobID)
            report.printJobsAcknowledged += 1
        }
    }

    private func push(into report: inout SyncReport) async throws {
        while true {
            let events = try database.pendingEvents(limit: batchSize)
            if events.isEmpty { return }
            let result: EventBatchResult
            do {
                result = try await client.upload(EventBatch(events: events))
            } catch {
                try? database.markAttemptFailed(events.map(\.eventID), error: "\(error)")
                throw SyncError.push(error)
            }
            let delivered = Set(result.accepted + result.duplicates)
            try database.markDelivered(Array(delivered))
            report.pushed += result.accepted.count
            report.duplicates += result.duplicates.count
            report.conflicts += result.conflicts
            // The server must account for every event; if it did not, stop rather than loop.
            let missing = events.filter { !delivered.contains($0.eventID) }
            if !missing.isEmpty {
                try? database.markAttemptFailed(missing.map(\.eventID), error: "not acknowledged by the server")
                throw SyncError.unacknowledged(missing.map(\.eventID))
            }
        }
    }

    /// Syncs every `interval` until cancelled; after a failure waits with exponential backoff
    /// and jitter (at most `maxBackoff`), so a fleet of kiosks does not hammer a recovering
    /// server in step. Calls `onSuccess` after each good round (to close the circuit breaker).
    public func run(interval: Duration, maxBackoff: Duration = .seconds(300), logger: Logger,
                    onSuccess: @Sendable (SyncReport) -> Void) async {
        await run(interval: LiveSetting(interval), maxBackoff: maxBackoff, logger: logger, onSuccess: onSuccess, onFailure: { _ in })
    }

    /// The same, with an interval read before every wait (a reloaded configuration applies to
    /// the next one) and a report of each failure.
    public func run(interval setting: LiveSetting<Duration>, maxBackoff: Duration = .seconds(300), logger: Logger,
                    onSuccess: @Sendable (SyncReport) -> Void, onFailure: @Sendable (any Error) -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            let interval = setting.value
            var wait = interval
            do {
                let report = try await runOnce()
                failures = 0
                onSuccess(report)
                if report.pushed + report.pulledTickets > 0 || !report.conflicts.isEmpty {
                    logger.info("synced", metadata: [
                        "sync.pushed": "\(report.pushed)", "sync.pulled": "\(report.pulledTickets)",
                        "sync.conflicts": "\(report.conflicts.count)", "sync.ms": "\(Int(report.duration.inMilliseconds))",
                    ])
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                onFailure(error)
                wait = Self.backoff(after: failures, base: interval, max: maxBackoff, jitter: Double.random(in: 0.5...1))
                logger.warning("sync failed, retrying", metadata: ["sync.error": "\(error)", "sync.retry_in_ms": "\(Int(wait.inMilliseconds))"])
            }
            try? await Task.sleep(for: wait)
        }
    }

    /// base × 2^(failures-1), capped, times a jitter factor in 0.5…1.
    static func backoff(after failures: Int, base: Duration, max: Duration, jitter: Double) -> Duration {
        let exponent = Swift.min(failures - 1, 16)
        let raw = base * (1 << exponent)
        return (raw < max ? raw : max) * jitter
    }
}

public enum SyncError: Error, Sendable, CustomStringConvertible {
    case push(CentralError)
    case pull(CentralError)
    /// The server's answer to an upload left out some events.
    case unacknowledged([UUID])

    public var description: String {
        switch self {
        case .push(let error): "uploading events failed: \(error)"
        case .pull(let error): "pulling changes failed: \(error)"
        case .unacknowledged(let ids): "the server did not acknowledge \(ids.count) event(s); they stay queued"
        }
    }

    public var centralError: CentralError? {
        switch self {
        case .push(let error), .pull(let error): error
        case .unacknowledged: nil
        }
    }
}
