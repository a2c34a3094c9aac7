import CafeProtocol
import Foundation
import Logging

/// The door's decision, online first: ask `cafe-server` and wait at most `deadline`; past it,
/// or when the server is down, failing or refusing, decide from the cache (and queue the
/// event). The online attempt and the offline fallback share one event id, so a request that
/// did reach the server before the deadline passed is never counted twice.
public final class CheckInService {
    private let engine: CheckInEngine
    private let client: CentralClient?
    private let deadlineSetting: LiveSetting<Duration>
    private var deadline: Duration { deadlineSetting.value }
    private let breaker: SharedCircuitBreaker
    private let logger: Logger
    /// The last reason the server could not be used (nil after a success).
    public private(set) var lastCentralError: CentralError?

    /// - Parameters:
    ///   - client: nil for an offline-only kiosk.
    ///   - deadline: the longest a customer waits for the online verdict (default 300 ms).
    public convenience init(engine: CheckInEngine, client: CentralClient?, deadline: Duration = .milliseconds(300),
                            breaker: SharedCircuitBreaker = SharedCircuitBreaker(), logger: Logger) {
        self.init(engine: engine, client: client, deadline: LiveSetting(deadline), breaker: breaker, logger: logger)
    }

    /// - Parameter deadline: read at every scan, so a reloaded configuration applies to the next one.
    public init(engine: CheckInEngine, client: CentralClient?, deadline: LiveSetting<Duration>,
                breaker: SharedCircuitBreaker = SharedCircuitBreaker(), logger: Logger) {
        self.engine = engine
        self.client = client
        self.deadlineSetting = deadline
        self.breaker = breaker
        self.logger = logger
    }

    /// What the online attempt may take: the deadline is the customer's whole wait, so the
    /// offline decision that may follow (a cache read and an fsync'd commit, 1–2 ms; curl's
    /// timer overshoots by a few more) is kept out of it.
    private var onlineBudget: Duration {
        max(deadline - Self.offlineReserve, .milliseconds(5))
    }

    public static let offlineReserve = Duration.milliseconds(6)

    /// Whether the next scan will ask the server.
    public var isOnline: Bool { client != nil && breaker.allowsRequest(at: engine.currentTime) }

    /// The sync loop reached the server: scans may ask it again. (The sync loop may also
    /// hold the shared breaker itself and call `recordSuccess()` from its own task.)
    public func serverReachable() { breaker.recordSuccess() }

    public func scan(_ text: String, direction: ScanDirection = .auto) async throws -> CheckInOutcome {
        if let outcome = engine.repeatOutcome(for: text) { return outcome }
        let started = ContinuousClock.now
        let eventID = engine.makeID()
        let scannedAt = engine.currentTime
        let undelivered = client != nil && engine.passHasUndeliveredEvents(text)
        if undelivered {
            logger.debug("pass has decisions not uploaded yet: deciding from the cache", metadata: ["scan.event": "\(eventID)"])
        }
        if let client, !undelivered, breaker.allowsRequest(at: scannedAt) {
            do {
                let response = try await client.checkIn(
                    CheckInRequest(eventID: eventID, token: text, direction: direction, scannedAt: scannedAt),
                    deadline: onlineBudget)
                breaker.recordSuccess()
                lastCentralError = nil
                let outcome = engine.acceptOnline(response, for: text, at: scannedAt)
                log(outcome, online: true, elapsed: ContinuousClock.now - started)
                return outcome
            } catch {
                breaker.recordFailure(at: engine.currentTime)
                lastCentralError = error
                logger.warning("online check-in failed, deciding offline", metadata: [
                    "scan.event": "\(eventID)", "central.error": "\(error)",
                    "central.breaker_open": "\(breaker.isOpen(at: engine.currentTime))",
                ])
            }
        }
        let outcome = try engine.scan(text, direction: direction, eventID: eventID)
        log(outcome, online: false, elapsed: ContinuousClock.now - started)
        return outcome
    }

    /// Annuls the grant recorded as `eventID` (the door stayed shut); see `CheckInEngine.annul`.
    public func annul(_ eventID: UUID) throws(AnnulError) -> AnnulOutcome {
        let annul = try engine.annul(eventID)
        var metadata: Logger.Metadata = [
            "scan.event": "\(annul.event.eventID.uuidString.prefix(8).lowercased())",
            "annul.of": "\(eventID.uuidString.prefix(8).lowercased())",
            "annul.verdict": "\(annul.annulled.verdict.logName)",
            "scan.online": "\(!annul.annulled.decidedOffline)",
        ]
        if let pass = annul.event.passID { metadata["scan.pass"] = "\(pass.uuidString.prefix(8).lowercased())" }
        if let error = annul.recordError {
            metadata["scan.record_error"] = "\(error)"
            logger.error("annul decided but NOT yet written to disk; kept in memory", metadata: metadata)
        } else {
            logger.info("annulled: the door stayed shut, the customer can scan again", metadata: metadata)
        }
        return annul
    }

    /// One line per verdict: what, why, how fast, online or not, and the event's short id (the
    /// first 8 hex digits, as the screen and `kioskd status` show it). Never the token: a
    /// logged token is a pass anyone reading the journal could show.
    private func log(_ outcome: CheckInOutcome, online: Bool, elapsed: Duration) {
        var metadata: Logger.Metadata = [
            "scan.verdict": "\(outcome.verdict.logName)",
            "scan.online": "\(online)",
            "scan.ms": "\(String(format: "%.1f", elapsed.inMilliseconds))",
        ]
        if let event = outcome.event { metadata["scan.event"] = "\(event.eventID.uuidString.prefix(8).lowercased())" }
        if let pass = outcome.decision.token?.passID { metadata["scan.pass"] = "\(pass.uuidString.prefix(8).lowercased())" }
        if let error = outcome.recordError { metadata["scan.record_error"] = "\(error)" }
        if outcome.recordError != nil {
            logger.error("check-in decided but NOT yet written to disk; kept in memory", metadata: metadata)
        } else {
            logger.info("check-in", metadata: metadata)
        }
    }
}

extension Verdict {
    /// "enter", "exit" or "deny:<reason>", for logs.
    public var logName: String {
        switch self {
        case .enter: "enter"
        case .exit: "exit"
        case .deny(let reason): "deny:\(reason.rawValue)"
        }
    }
}
