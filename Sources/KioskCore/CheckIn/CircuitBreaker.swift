import Foundation
import Synchronization

/// Stops asking the server after repeated failures, so that a dead network does not cost every
/// customer the online deadline. After `openDuration` one request is let through as a probe;
/// its failure opens the breaker again at once. A successful sync closes it too.
public struct CircuitBreaker: Sendable {
    public let failureThreshold: Int
    public let openDuration: TimeInterval
    public private(set) var consecutiveFailures = 0
    public private(set) var openUntil: Date?

    public init(failureThreshold: Int = 3, openDuration: TimeInterval = 30) {
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
    }

    public func allowsRequest(at now: Date) -> Bool {
        guard let openUntil else { return true }
        return now >= openUntil
    }

    /// Offline: the last requests failed and the breaker is holding requests back.
    public func isOpen(at now: Date) -> Bool { !allowsRequest(at: now) }

    public mutating func recordSuccess() {
        consecutiveFailures = 0
        openUntil = nil
    }

    public mutating func recordFailure(at now: Date) {
        consecutiveFailures += 1
        if consecutiveFailures >= failureThreshold { openUntil = now.addingTimeInterval(openDuration) }
    }
}

/// The breaker shared by the door (which trips it) and the sync loop (which closes it when
/// the server answers again): the two run in different tasks.
public final class SharedCircuitBreaker: Sendable {
    private let state: Mutex<CircuitBreaker>

    public init(_ breaker: CircuitBreaker = CircuitBreaker()) { state = Mutex(breaker) }

    public func allowsRequest(at now: Date) -> Bool { state.withLock { $0.allowsRequest(at: now) } }
    public func isOpen(at now: Date) -> Bool { state.withLock { $0.isOpen(at: now) } }
    public func recordSuccess() { state.withLock { $0.recordSuccess() } }
    public func recordFailure(at now: Date) { state.withLock { $0.recordFailure(at: now) } }
}
