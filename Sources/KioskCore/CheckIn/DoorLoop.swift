import CafeProtocol
import Foundation
import Histogram
import Logging
import Synchronization

/// What the door does with a verdict: the screen, the speaker, the relay, the log. The real
/// ones come with the hardware; tests and the console use their own.
public protocol DoorFeedback: AnyObject {
    /// A verdict for a code first seen in frame `frame`.
    func verdict(_ outcome: CheckInOutcome, frame: Int)
    /// The camera gave an unusable frame (the loop goes on).
    func badFrame(_ error: FrameSourceError)
    /// A grant was annulled: the door reported it stayed shut.
    func annulled(_ annul: AnnulOutcome)
}

extension DoorFeedback {
    public func annulled(_ annul: AnnulOutcome) {}
}

/// What the door reports as it works, for metrics: called from the decode thread (frames) and
/// from the check-in side (verdicts), so it must be thread-safe.
public protocol DoorObserver: Sendable {
    func frameDecoded(in duration: Duration)
    func frameUnusable()
    /// A new code's verdict, `latency` after the frame it was first seen in was decoded.
    func decided(_ outcome: CheckInOutcome, latency: Duration)
    func annulled(_ annul: AnnulOutcome)
}

extension DoorObserver {
    public func annulled(_ annul: AnnulOutcome) {}
}

/// Asks a running door loop to stop: the decode thread ends after its current frame or wait,
/// and the codes already found are still decided. Thread-safe, so a shutdown handler on another
/// task can use it.
public final class StopSignal: Sendable {
    private let flag = Mutex(false)
    public init() {}
    public func stop() { flag.withLock { $0 = true } }
    public var isStopped: Bool { flag.withLock { $0 } }
}

/// What a run of the door loop did, in fixed space however long it runs: counts, and decode
/// times in a histogram (a box runs for months at 30 frames a second).
public struct DoorLoopStats: Sendable, Equatable {
    public var frames = 0
    public var badFrames = 0
    public var scans = 0
    /// Waits in which the camera sent nothing.
    public var idleWaits = 0
    /// Frames the scene gate found like the empty doorway: not decoded at all, or only by the
    /// cheap pass.
    public var framesSkipped = 0
    public var framesDecodedCheaply = 0
    /// Decode time per frame that was decoded (fully or cheaply), microseconds (1 µs … 60 s, two significant digits: about 4 kB).
    public var decodeMicroseconds = Histogram<UInt32>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .two)

    public init() {}

    mutating func recordDecode(_ duration: Duration) {
        let micros = UInt64(max(0, min(duration.inMilliseconds * 1_000, 60_000_000)))
        _ = decodeMicroseconds.record(micros)
    }

    /// The decode time at `percentile` (0…100), milliseconds; 0 before any frame.
    public func decodeMilliseconds(atPercentile percentile: Double) -> Double {
        decodeMicroseconds.totalCount == 0 ? 0 : Double(decodeMicroseconds.valueAtPercentile(percentile)) / 1_000
    }

    /// Adds another run's counts and times to these.
    public mutating func merge(_ other: DoorLoopStats) {
        frames += other.frames
        badFrames += other.badFrames
        scans += other.scans
        idleWaits += other.idleWaits
        framesSkipped += other.framesSkipped
        framesDecodedCheaply += other.framesDecodedCheaply
        decodeMicroseconds.add(other.decodeMicroseconds)
    }

    public var decodeMedianMilliseconds: Double { decodeMilliseconds(atPercentile: 50) }
    public var decodeP95Milliseconds: Double { decodeMilliseconds(atPercentile: 95) }
}

/// The door: frames → decoder → debouncer → check-in → feedback.
///
/// Decoding is CPU work that runs on every frame, so it has a thread of its own and never
/// holds one of Swift's cooperative threads; new codes cross to the async side, where the
/// check-in (which may wait for the server) runs while the next frames are decoded. The
/// heartbeat is called from the decode thread after every frame, and after every wait in which
/// the camera sent nothing (at most `idleWait`): a watchdog fed from there notices a stuck
/// decoder, which a timer of its own would not, and does not fire for a camera that is away.
public final class DoorLoop {
    private let service: CheckInService
    private let feedback: any DoorFeedback
    private let observer: (any DoorObserver)?
    private let logger: Logger

    public init(service: CheckInService, feedback: any DoorFeedback, observer: (any DoorObserver)? = nil, logger: Logger) {
        self.service = service
        self.feedback = feedback
        self.observer = observer
        self.logger = logger
    }

    enum Item: Sendable {
        case code(text: String, frame: Int, decodedAt: ContinuousClock.Instant)
        case badFrame(FrameSourceError)
        case doorStayedShut(UUID)
    }

    /// Hands the frame source and decoder to the decode thread, which alone uses them
    /// afterwards. @unchecked: the caller gives them up when it passes them to `run`; `stats`
    /// is read only after the thread has finished.
    final class DecodeWork: @unchecked Sendable {
        var source: any FrameSource
        let decoder: any QRDecoder
        var debouncer: ScanDebouncer
        let heartbeat: @Sendable () -> Void
        let observer: (any DoorObserver)?
        let idleWait: Duration
        let stopSignal: StopSignal
        var gate: SceneGate?
        var legacyCharset = LegacyCharset.eucKR
        let developer = FrameDeveloper()
        var stats = DoorLoopStats()

        init(source: any FrameSource, decoder: any QRDecoder, gate: SceneGate.Settings?, debouncer: ScanDebouncer, idleWait: Duration,
             observer: (any DoorObserver)?, stop: StopSignal, heartbeat: @escaping @Sendable () -> Void) {
            self.source = source
            self.decoder = decoder
            self.gate = gate.map { SceneGate(settings: $0) }
            self.debouncer = debouncer
            self.idleWait = idleWait
            self.observer = observer
            self.stopSignal = stop
            self.heartbeat = heartbeat
        }

        /// The frame's codes, at the cost the scene gate allows (the whole cascade without a gate).
        func look(at frame: Frame) throws(FrameSourceError) -> [DecodedSymbol] {
            guard gate != nil else {
                let image = try developer.image(of: frame)
                return try timed { decoder.decode(image) }
            }
            let decision = gate!.decide(preview: try developer.preview(of: frame))
            let symbols: [DecodedSymbol]
            switch decision {
            case .skip:
                stats.framesSkipped += 1
                symbols = []
            case .cheap:
                stats.framesDecodedCheaply += 1
                let image = try developer.image(of: frame)
                symbols = try timed { decoder.decodeCheaply(image) }
            case .full:
                let image = try developer.image(of: frame)
                symbols = try timed { decoder.decode(image) }
            }
            gate!.decoded(decision, foundCode: !symbols.isEmpty)
            return symbols
        }

        private func timed(_ decode: () throws(FrameSourceError) -> [DecodedSymbol]) throws(FrameSourceError) -> [DecodedSymbol] {
            let start = ContinuousClock.now
            let symbols = try decode()
            let elapsed = ContinuousClock.now - start
            stats.recordDecode(elapsed)
            observer?.frameDecoded(in: elapsed)
            return symbols
        }

        func run(into continuation: AsyncStream<Item>.Continuation) {
            defer { continuation.finish() }
            while !stopSignal.isStopped {
                let frame: Frame
                do {
                    switch try source.nextFrame(waitingAtMost: idleWait) {
                    case .frame(let next): frame = next
                    case .idle:
                        stats.idleWaits += 1
                        heartbeat()
                        continue
                    case .end: return
                    }
                } catch {
                    stats.badFrames += 1
                    observer?.frameUnusable()
                    continuation.yield(.badFrame(error))
                    switch error {
                    case .badFrame, .oversizedFrame: continue
                    case .truncatedFrame, .unreadable: return
                    }
                }
                let symbols: [DecodedSymbol]
                do { symbols = try look(at: frame) } catch {
                    // A JPEG that does not decode: one unusable frame, the stream goes on.
                    stats.badFrames += 1
                    observer?.frameUnusable()
                    continuation.yield(.badFrame(error))
                    heartbeat()
                    continue
                }
                let decoded = ContinuousClock.now
                stats.frames += 1
                for payload in debouncer.newPayloads(symbols.map(\.payload), frame: frame.number) {
                    // As `kioskd scan` reads it: a pass token is ASCII, anything else is shown as written.
                    let text = symbols.first { $0.payload == payload }!.text(preferring: legacyCharset)
                    continuation.yield(.code(text: text, frame: frame.number, decodedAt: decoded))
                }
                heartbeat()
            }
        }
    }

    /// Runs until the source ends, `stop` is signalled or the calling task is cancelled. The
    /// codes found before that are all decided before it returns.
    ///
    /// `gate` spares frames of an unchanged empty doorway (`SceneGate`); nil decodes every frame
    /// in full.
    public func run(source: any FrameSource, decoder: any QRDecoder = CascadeDecoder(),
                    gate: SceneGate.Settings? = .standard, legacyCharset: LegacyCharset = .eucKR,
                    debouncer: ScanDebouncer = ScanDebouncer(), idleWait: Duration = .milliseconds(250),
                    stop: StopSignal = StopSignal(), reports: DoorReports? = nil,
                    heartbeat: @escaping @Sendable () -> Void = {}) async -> DoorLoopStats {
        let work = DecodeWork(source: source, decoder: decoder, gate: gate, debouncer: debouncer, idleWait: idleWait,
                              observer: observer, stop: stop, heartbeat: heartbeat)
        work.legacyCharset = legacyCharset
        // Unbounded: a code must never be dropped while a check-in waits for the server; codes are
        // debounced, so the queue stays short.
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .unbounded)
        reports?.attach(continuation)
        defer { reports?.detach() }
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            work.run(into: continuation)
            finished.signal()
        }
        thread.name = "kioskd.decode"
        thread.start()
        var scans = 0
        await withTaskCancellationHandler {
            for await item in stream {
                switch item {
                case .badFrame(let error):
                    logger.warning("unusable camera frame", metadata: ["camera.error": "\(error)"])
                    feedback.badFrame(error)
                case .code(let text, let frame, let decodedAt):
                    do {
                        let outcome = try await service.scan(text)
                        scans += 1
                        observer?.decided(outcome, latency: ContinuousClock.now - decodedAt)
                        feedback.verdict(outcome, frame: frame)
                    } catch {
                        logger.error("check-in failed: no verdict", metadata: ["scan.error": "\(error)", "camera.frame": "\(frame)"])
                    }
                case .doorStayedShut(let eventID):
                    do {
                        let annul = try service.annul(eventID)
                        observer?.annulled(annul)
                        feedback.annulled(annul)
                    } catch {
                        logger.warning("the door stayed shut, but its grant was not annulled", metadata: [
                            "scan.event": "\(eventID.uuidString.prefix(8).lowercased())", "annul.error": "\(error)"])
                    }
                }
            }
        } onCancel: {
            stop.stop()
        }
        // The stream ended: the decode thread has returned or is about to.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                finished.wait()
                done.resume()
            }
        }
        var stats = work.stats
        stats.scans = scans
        return stats
    }
}
