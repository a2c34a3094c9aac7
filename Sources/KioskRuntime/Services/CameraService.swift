import Foundation
import KioskCore
import Logging
import Prometheus
import ServiceLifecycle

/// Where the door's frames come from, and how to open it again after a loss.
public struct CameraInput: Sendable {
    public enum AtEnd: Sendable {
        /// The recorded stream is the whole run: the daemon stops at its end (`kioskd run FILE`).
        case stop
        /// A live camera that ended was lost: open it again, with backoff.
        case reopen
    }

    /// What an admin calls it in the logs and STATUS=: "/dev/video0", "/run/kioskd/camera.fifo".
    public var name: String
    public var atEnd: AtEnd
    public var policy: FrameMailbox.Policy
    public var open: @Sendable () throws(FrameSourceError) -> any FrameSource

    public init(name: String, atEnd: AtEnd, policy: FrameMailbox.Policy,
                open: @escaping @Sendable () throws(FrameSourceError) -> any FrameSource) {
        self.name = name
        self.atEnd = atEnd
        self.policy = policy
        self.open = open
    }

    /// A raw or MJPEG stream: a file, a FIFO or "-" for stdin. Every frame is decoded: a
    /// capture tool writing into a pipe is held back when the decoder falls behind, and the
    /// camera driver under it drops what it cannot deliver. (Direct capture from a camera
    /// device drops at the mailbox instead: `.latest`.)
    public static func stream(path: String, format: KioskConfiguration.StreamFormat, size: KioskConfiguration.FrameSize?,
                              atEnd: AtEnd) -> CameraInput {
        CameraInput(name: path == "-" ? "standard input" : path, atEnd: atEnd, policy: .everyFrame) { () throws(FrameSourceError) -> any FrameSource in
            switch format {
            case .mjpeg: return try MJPEGStream(path: path)
            case .gray: return try RawFrameStream(path: path, format: .gray, width: size?.width ?? 0, height: size?.height ?? 0)
            case .yuyv: return try RawFrameStream(path: path, format: .yuyv, width: size?.width ?? 0, height: size?.height ?? 0)
            }
        }
    }
}

extension CameraInput {
    /// A V4L2 camera, captured directly: the newest frame wins (the mailbox keeps one and counts
    /// what it replaces), and a camera unplugged is opened again with backoff.
    public static func device(path: String, mode: CameraMode) -> CameraInput {
        CameraInput(name: path, atEnd: .reopen, policy: .latest) { () throws(FrameSourceError) -> any FrameSource in
            try V4L2Camera(path: path, mode: mode)
        }
    }
}

/// The camera: opens the input, captures frames on a thread of its own into the door's mailbox,
/// and when the camera is missing or lost (unplugged, a stream that ended) logs it once, says
/// so in the door's state, and tries again with backoff (1 s doubling to 30 s) while the rest of
/// the daemon goes on syncing. Reads wait at most `readTimeout`, so stopping never waits on a
/// silent camera.
public final class CameraService: Service, Sendable {
    let input: CameraInput?
    let mailbox: FrameMailbox
    let state: DoorState
    let metrics: KioskMetrics?
    let startup: StartupGate
    let logger: Logger
    let readTimeout: Duration
    let retry: (first: Duration, max: Duration)

    public init(input: CameraInput?, mailbox: FrameMailbox, state: DoorState, metrics: KioskMetrics?, startup: StartupGate,
                logger: Logger, readTimeout: Duration = .milliseconds(250), retry: (first: Duration, max: Duration) = (.seconds(1), .seconds(30))) {
        self.input = input
        self.mailbox = mailbox
        self.state = state
        self.metrics = metrics
        self.startup = startup
        self.logger = logger
        self.readTimeout = readTimeout
        self.retry = retry
    }

    public func run() async throws {
        guard let input else {
            state.update { $0.camera = .none; $0.cameraProblem = "no camera configured (camera.device or camera.stream)" }
            metrics?.cameraUp.set(Double(0))
            logger.warning("no camera configured: the door decides nothing; syncing goes on (set camera.device or camera.stream in the configuration)")
            startup.arrived("camera")
            try? await gracefulShutdown()
            return
        }
        let stop = StopSignal()
        let capture = Capture(service: self, input: input, stop: stop)
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    capture.run()
                    done.resume()
                }
                thread.name = "kioskd.camera"
                thread.start()
                startup.arrived("camera")
            }
        } onGracefulShutdown: {
            stop.stop()
            self.mailbox.close()
        }
        // A recorded stream that ended (its writer closed the FIFO) ends the door, and the door
        // ends the group; the camera returns only when the group asks it to, so that a writer and
        // the daemon stopped together (systemctl stop) are a clean shutdown, not a service that
        // "finished unexpectedly".
        try? await gracefulShutdown()
    }

    /// The capture loop, on the camera thread.
    struct Capture: @unchecked Sendable {
        // @unchecked: used by the camera thread only, once handed over.
        let service: CameraService
        let input: CameraInput
        let stop: StopSignal

        func run() {
            defer { service.mailbox.finish() }
            var failures = 0
            // Frames are numbered from the daemon's start, across reopenings: the debouncer and the
            // verdict lines need one increasing count.
            var numbering = 0
            while !stop.isStopped {
                var source: any FrameSource
                do { source = try input.open() } catch {
                    failures += 1
                    lost("no camera: retrying \(input.name)", error: "\(error)", failures: failures)
                    pause(failures)
                    continue
                }
                if failures > 0 { service.logger.notice("camera is back", metadata: ["camera.name": "\(input.name)"]) }
                if let camera = source as? V4L2Camera {
                    service.logger.info("camera \(camera.path) (\(camera.card)): \(camera.mode)",
                                        metadata: ["camera.name": "\(input.name)"])
                }
                failures = 0
                service.state.update { $0.camera = .running; $0.cameraProblem = nil }
                service.metrics?.cameraUp.set(Double(1))
                let ended = capture(from: &source, numbering: &numbering)
                (source as? any ClosableFrameSource)?.close()
                if stop.isStopped { return }
                switch (ended, input.atEnd) {
                case (.end, .stop):
                    service.state.update { $0.camera = .ended; $0.cameraProblem = "camera stream ended" }
                    service.metrics?.cameraUp.set(Double(0))
                    service.logger.notice("camera stream ended", metadata: ["camera.name": "\(input.name)"])
                    return
                case (.end, .reopen):
                    failures += 1
                    lost("camera stream ended: reopening \(input.name)", error: "end of stream", failures: failures)
                case (.lost(let error), _):
                    failures += 1
                    lost("camera lost: retrying \(input.name)", error: error, failures: failures)
                    if input.atEnd == .stop { return }
                }
                pause(failures)
            }
        }

        enum Ended { case end, lost(String) }

        /// Frames until the source ends, fails or the service stops.
        func capture(from source: inout any FrameSource, numbering: inout Int) -> Ended {
            var windowStart = ContinuousClock.now
            var windowFrames = 0
            var cameraDropped = 0
            while !stop.isStopped {
                let now = ContinuousClock.now
                if now - windowStart >= .seconds(1) {
                    let fps = Double(windowFrames) / (now - windowStart).inSeconds
                    // Frames replaced in the mailbox, and those the camera itself replaced
                    // before the door could take them.
                    let dropped = service.mailbox.dropped + ((source as? V4L2Camera)?.framesDropped ?? 0)
                    service.state.update { $0.cameraFPS = fps; $0.framesDropped = dropped }
                    service.metrics?.cameraFPS.set(fps)
                    windowStart = now
                    windowFrames = 0
                }
                do {
                    switch try source.nextFrame(waitingAtMost: service.readTimeout) {
                    case .frame(let frame):
                        windowFrames += 1
                        numbering += 1
                        let before = service.mailbox.dropped
                        guard service.mailbox.put(.frame(frame.renumbered(numbering))) else { return .end }
                        if service.mailbox.dropped > before { service.metrics?.droppedFrames.increment() }
                        if let camera = source as? V4L2Camera, camera.framesDropped > cameraDropped {
                            service.metrics?.droppedFrames.increment(by: Int64(camera.framesDropped - cameraDropped))
                            cameraDropped = camera.framesDropped
                        }
                    case .idle: continue
                    case .end: return .end
                    }
                } catch {
                    switch error {
                    case .badFrame, .oversizedFrame:
                        numbering += 1
                        service.mailbox.put(.unusable(error))
                    case .truncatedFrame:
                        service.logger.warning("camera frame cut short", metadata: ["camera.error": "\(error)"])
                        return .end
                    case .unreadable(let reason):
                        return .lost(reason)
                    }
                }
            }
            return .end
        }

        /// Logged at warning the first time, then quietly: a box without its camera must not fill
        /// the journal with one line a second.
        func lost(_ problem: String, error: String, failures: Int) {
            service.state.update { $0.camera = .lost; $0.cameraProblem = problem; $0.cameraFPS = 0 }
            service.metrics?.cameraUp.set(Double(0))
            service.metrics?.cameraFPS.set(Double(0))
            if failures == 1 {
                service.logger.warning("\(problem)", metadata: ["camera.error": "\(error)"])
            } else {
                service.logger.debug("\(problem)", metadata: ["camera.error": "\(error)", "camera.attempt": "\(failures)"])
            }
        }

        /// Waits before the next attempt, in short steps so stopping is never delayed.
        func pause(_ failures: Int) {
            let exponent = min(failures - 1, 10)
            let wait = min(service.retry.first * (1 << exponent), service.retry.max)
            let until = ContinuousClock.now + wait
            while !stop.isStopped && ContinuousClock.now < until {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }
}

