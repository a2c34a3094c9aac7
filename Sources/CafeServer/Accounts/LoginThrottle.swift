import Foundation
import Synchronization

/// Slows password guessing: after `limit` failed logins for one login name within `window`,
/// further attempts are refused (429 `rate_limited`) until the window has passed — whether the
/// password is right or not, so the throttle cannot be used to confirm a guess. A success
/// clears the count. Per server instance, in memory: a restart forgets it, which costs an
/// attacker a restart they cannot cause.
final class LoginThrottle: Sendable {
    let limit: Int
    let window: TimeInterval
    private let failures = Mutex<[String: [Date]]>([:])

    init(limit: Int = 5, window: TimeInterval = 300) {
        self.limit = limit
        self.window = window
    }

    /// Seconds until `login` may try again, or nil when it may now.
    func retryAfter(_ login: String, now: Date) -> Int? {
        failures.withLock { table in
            let key = login.lowercased()
            let recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
            table[key] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    func recordFailure(_ login: String, now: Date) {
        failures.withLock { table in
            // Bounded: an attacker cycling through made-up logins cannot grow the table forever.
            if table.count > 100_000 { table.removeAll(keepingCapacity: true) }
            table[login.lowercased(), default: []].append(now)
        }
    }

    func recordSuccess(_ login: String) {
        _ = failures.withLock { $0.removeValue(forKey: login.lowercased()) }
    }
}
