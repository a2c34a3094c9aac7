import CafeProtocol
import Foundation
import Logging

/// What the door does with a verdict: the screen, the speaker, the relay, the log. The real
/// ones come with the hardware; tests and the console use their own.
public protocol DoorFeedback: AnyObject {
    /// A verdict for a code first seen in frame `frame`.
    func verdict(_ outcome: CheckInOutcome, frame: Int)
    /// The camera gave an unusable frame (the loop goes on).
    func badFrame(_ error: FrameSourceError)
}

/// What a run of the door loop did.
public struct DoorLoopStats: Sendable, Equatable {
    public var frames = 0
    public var badFrames = 0
    public var scans = 0
    /// Decode time per frame, milliseconds, sorted.
    public var decodeMilliseconds: [Double] = []
}

/// The door: frames → decoder → debouncer → check-in → feedback.
///
/// Decoding is CPU work that runs on every frame, so it has a thread of its own and never
/// holds one of Swift's cooperative threads; new codes cross to the async side, where the
/// check-in (which may wait for the server) runs while the next frames are decoded. The
/// heartbeat is called from the decode thread after every frame: a watchdog fed from there
/// notices a stuck decoder, which a timer of its own would not.
public final class DoorLoop {
    private let service: CheckInService
    private let feedback: any DoorFeedback
    private let logger: Logger

    public init(service: CheckInService, feedback: any DoorFeedback, logger: Logger) {
        self.service = service
        self.feedback = feedback
        self.logger = logger
    }

    enum Item: Sendable {
        case code(text: String, frame: Int)
        case badFrame(FrameSourceError)
    }

    /// Hands the frame source and decoder to the decode thread, which alone uses them
    /// afterwards. @unchecked: the caller gives them up when it passes them to `run`.
    final class DecodeWork: @unchecked Sendable {
        var source: any FrameSource
        let decoder: CascadeDecoder
        var debouncer: ScanDebouncer
        let heartbeat: @Sendable () -> Void
        let stopped = NSLock()
        var isStopped = false
        var stats = DoorLoopStats()

        init(source: any FrameSource, decoder: CascadeDecoder, debouncer: ScanDebouncer, heartbeat: @escaping @Sendable () -> Void) {
            self.source = source
            self.decoder = decoder
            self.debouncer = debouncer
            self.heartbeat = heartbeat
        }

        func stop() { stopped.withLock { isStopped = true } }
        var shouldStop: Bool { stopped.withLock { isStopped } }

        func run(into continuation: AsyncStream<Item>.Continuation) {
            defer { continuation.finish() }
            while !shouldStop {
                let frame: Frame?
                do {
                    frame = try source.nextFrame()
                } catch {
                    stats.badFrames += 1
                    continuation.yield(.badFrame(error))
                    switch error {
                    case .badFrame, .oversizedFrame: continue
                    case .truncatedFrame, .unreadable: return
                    }
                }
                guard let frame else { return }
                let start = ContinuousClock.now
                let symbols = decoder.decode(frame.image)
                stats.decodeMilliseconds.append((ContinuousClock.now - start).inMilliseconds)
                stats.frames += 1
                for payload in debouncer.newPayloads(symbols.map(\.payload), frame: frame.number) {
                    continuation.yield(.code(text: String(decoding: payload, as: UTF8.self), frame: frame.number))
                }
                heartbeat()
            }
        }
    }

    /// Runs until the source ends or the calling task is cancelled.
    public func run(source: any FrameSource, decoder: CascadeDecoder = CascadeDecoder(),
                    debouncer: ScanDebouncer = ScanDebouncer(),
                    heartbeat: @escaping @Sendable () -> Void = {}) async -> DoorLoopStats {
        let work = DecodeWork(source: source, decoder: decoder, debouncer: debouncer, heartbeat: heartbeat)
        // Unbounded: a code must never be dropped while a check-in waits for the server; codes are
        // debounced, so the queue stays short.
        let (stream, continuation) = AsyncStream<Item>.makeStream(bufferingPolicy: .unbounded)
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
                case .code(let text, let frame):
                    do {
                        let outcome = try await service.scan(text)
                        scans += 1
                        feedback.verdict(outcome, frame: frame)
                    } catch {
                        logger.error("check-in failed: no verdict", metadata: ["scan.error": "\(error)", "camera.frame": "\(frame)"])
                    }
                }
            }
        } onCancel: {
            work.stop()
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
        stats.decodeMilliseconds.sort()
        return stats
    }
}
