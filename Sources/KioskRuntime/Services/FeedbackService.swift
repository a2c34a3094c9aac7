import CafeProtocol
import Foundation
import KioskCore
import Logging
import ServiceLifecycle

/// What is done with a verdict once it is committed: a line on stdout, the screen, the sound,
/// the door relay (the door-side issue adds those). Sinks run on the feedback service's task, in
/// order, one verdict at a time; a slow sink delays the next verdict's feedback, never a scan.
public protocol VerdictSink: Sendable {
    func show(_ verdict: ShownVerdict) async
}

/// A verdict as the feedback side sees it.
public struct ShownVerdict: Sendable {
    public var outcome: CheckInOutcome
    public var frame: Int
    public var at: Date
}

/// The door's end of the feedback queue: called by the door loop, hands each verdict to the
/// feedback service without waiting for it.
public final class FeedbackHub: DoorFeedback, Sendable {
    let continuation: AsyncStream<ShownVerdict>.Continuation
    let stream: AsyncStream<ShownVerdict>

    public init() {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    public func verdict(_ outcome: CheckInOutcome, frame: Int) {
        continuation.yield(ShownVerdict(outcome: outcome, frame: frame, at: outcome.event?.occurredAt ?? Date()))
    }

    public func badFrame(_ error: FrameSourceError) {}
}

/// Starts before the door and stops after it, so the scan in flight at shutdown still gets its
/// screen and its door: on shutdown it ends the queue and works through what is left.
public final class FeedbackService: Service, Sendable {
    let hub: FeedbackHub
    let sinks: [any VerdictSink]
    let state: DoorState
    let startup: StartupGate

    public init(hub: FeedbackHub, sinks: [any VerdictSink], state: DoorState, startup: StartupGate) {
        self.hub = hub
        self.sinks = sinks
        self.state = state
        self.startup = startup
    }

    public func run() async {
        startup.arrived("feedback")
        await withGracefulShutdownHandler {
            for await shown in hub.stream {
                state.update {
                    $0.lastVerdict = shown.outcome.verdict.logName
                    $0.lastVerdictAt = shown.at
                }
                for sink in sinks { await sink.show(shown) }
            }
        } onGracefulShutdown: {
            self.hub.continuation.finish()
        }
    }
}
