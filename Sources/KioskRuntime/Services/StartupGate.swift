import Synchronization

/// READY=1 means every service is up, not merely started: a ServiceGroup starts its services
/// in order but does not wait for any of them. Each service says when it is up; the notifier
/// waits for all of them.
public final class StartupGate: Sendable {
    private struct State {
        var waiting: Set<String>
        var continuations: [CheckedContinuation<Void, Never>] = []
    }
    private let state: Mutex<State>

    public init(expecting names: Set<String>) { state = Mutex(State(waiting: names)) }

    public func arrived(_ name: String) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.waiting.remove(name)
            guard state.waiting.isEmpty else { return [] }
            defer { state.continuations = [] }
            return state.continuations
        }
        ready.forEach { $0.resume() }
    }

    public var pending: Set<String> { state.withLock { $0.waiting } }

    /// Returns once every expected service has arrived.
    public func allArrived() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if state.waiting.isEmpty { return true }
                state.continuations.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
