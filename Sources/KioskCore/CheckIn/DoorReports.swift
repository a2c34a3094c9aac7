import Foundation
import Synchronization

/// What the door says after a grant — the hook's exit status or a sensor line: "it stayed
/// shut". Reported from the feedback side, acted on by the door loop, which alone holds the
/// check-in engine: the report wakes the loop like a decoded code does, and the grant is annulled
/// between two scans, never during one. Thread-safe.
public final class DoorReports: Sendable {
    private struct State {
        var continuation: AsyncStream<DoorLoop.Item>.Continuation?
        /// Reports made before the loop started (or between two runs), handed over when it starts.
        var waiting: [UUID] = []
        var loopEnded = false
    }
    private let state = Mutex(State())
    /// How many reports may wait for a loop that is not running: a door answers once per grant.
    private static let waitingLimit = 64

    public init() {}

    /// The door did not open after the grant recorded as `eventID`: annul it. Returns false when
    /// the door loop has ended (shutdown) and the report cannot be acted on.
    @discardableResult
    public func doorStayedShut(after eventID: UUID) -> Bool {
        state.withLock { state in
            if let continuation = state.continuation {
                // A loop whose camera stream just ended has finished its queue: too late.
                if case .terminated = continuation.yield(.doorStayedShut(eventID)) { return false }
                return true
            }
            guard !state.loopEnded, state.waiting.count < Self.waitingLimit else { return false }
            state.waiting.append(eventID)
            return true
        }
    }

    func attach(_ continuation: AsyncStream<DoorLoop.Item>.Continuation) {
        state.withLock { state in
            for eventID in state.waiting { continuation.yield(.doorStayedShut(eventID)) }
            state.waiting = []
            state.continuation = continuation
            state.loopEnded = false
        }
    }

    func detach() {
        state.withLock { state in
            state.continuation = nil
            state.loopEnded = true
        }
    }
}
