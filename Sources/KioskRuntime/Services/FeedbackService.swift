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
    /// A grant reversed because the door stayed shut (committed at `committedAt`).
    func annulled(_ annul: AnnulOutcome, committedAt: Date) async
}

extension VerdictSink {
    public func annulled(_ annul: AnnulOutcome, committedAt: Date) async {}
}

/// A verdict as the feedback side sees it.
public struct ShownVerdict: Sendable {
    public var outcome: CheckInOutcome
    public var frame: Int
    public var at: Date
    /// When the door handed it over, just after its commit: what the screen's delay is measured from.
    public var committedAt: Date
}

/// What the door hands the feedback side.
enum FeedbackItem: Sendable {
    case verdict(ShownVerdict)
    case annul(AnnulOutcome, committedAt: Date)
}

/// The door's end of the feedback queue: called by the door loop, hands each verdict to the
/// feedback service without waiting for it.
public final class FeedbackHub: DoorFeedback, Sendable {
    let continuation: AsyncStream<FeedbackItem>.Continuation
    let stream: AsyncStream<FeedbackItem>

    public init() {
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    public func verdict(_ outcome: CheckInOutcome, frame: Int) {
        let now = Date()
        continuation.yield(.verdict(ShownVerdict(outcome: outcome, frame: frame, at: outcome.event?.occurredAt ?? now, committedAt: now)))
    }

    public func annulled(_ annul: AnnulOutcome) {
        continuation.yield(.annul(annul, committedAt: Date()))
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
            for await item in hub.stream {
                switch item {
                case .verdict(let shown):
                    state.update {
                        $0.lastVerdict = shown.outcome.verdict.logName
                        $0.lastVerdictAt = shown.at
                    }
                    for sink in sinks { await sink.show(shown) }
                case .annul(let annul, let committedAt):
                    state.update { $0.lastVerdict = "annul:\(annul.annulled.verdict.logName)" }
                    for sink in sinks { await sink.annulled(annul, committedAt: committedAt) }
                }
            }
        } onGracefulShutdown: {
            self.hub.continuation.finish()
        }
    }
}
