import Foundation
import Logging
import Synchronization

/// The kiosk's "now" for decisions: the wall clock, but never earlier than the latest moment the
/// kiosk knows has passed (its last committed decision, the server's time at the last sync).
///
/// A box without a battery-backed clock boots with a stale time until NTP answers; deciding at
/// that time would re-grant passes that expired since. While the wall clock is behind, decisions
/// are made at the floor (time stands still rather than going back) and that is logged once; the
/// floor moves forward with every decision and every sync.
public final class ClockGuard: Sendable {
    private struct State {
        var floor: Date
        var behindLogged = false
    }
    private let state: Mutex<State>
    private let wallClock: @Sendable () -> Date
    private let logger: Logger

    public init(floor: Date?, logger: Logger, wallClock: @escaping @Sendable () -> Date = Date.init) {
        state = Mutex(State(floor: floor ?? .distantPast))
        self.wallClock = wallClock
        self.logger = logger
    }

    public func now() -> Date {
        let wall = wallClock()
        let (chosen, report) = state.withLock { state -> (Date, TimeInterval?) in
            if wall >= state.floor {
                state.floor = wall
                let recovered = state.behindLogged
                state.behindLogged = false
                return (wall, recovered ? 0 : nil)
            }
            let behind = state.floor.timeIntervalSince(wall)
            defer { state.behindLogged = true }
            return (state.floor, state.behindLogged ? nil : behind)
        }
        if let report {
            if report > 0 {
                logger.warning("the box's clock is behind the last known time: deciding at that time until the clock catches up (check NTP)",
                               metadata: ["clock.behind_s": "\(Int(report.rounded()))"])
            } else {
                logger.notice("the box's clock has caught up with the last known time")
            }
        }
        return chosen
    }

    /// A moment known to have passed (the server's time in a sync page).
    public func advance(to known: Date) {
        state.withLock { $0.floor = max($0.floor, known) }
    }
}
