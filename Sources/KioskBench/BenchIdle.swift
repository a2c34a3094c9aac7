import ArgumentParser
import CafeProtocol
import Crypto
import Foundation
import KioskCLI
import KioskCore
import KioskRuntime
import KioskSimulation
import Logging
import Synchronization

extension KioskdBench {
    struct Idle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What the door costs at 1280x720 and 30 fps: an empty doorway, codes held up, people passing.",
            discussion: """
                Runs the daemon's services in this process on a camera paced at --fps, for \
                --seconds, and prints the CPU time they used (getrusage: every thread) as a share \
                of one core. --scene empty shows the empty doorway with sensor noise; --scene \
                mixed repeats a 10 s cycle: 3 s empty, a code slides in, is held perfectly still \
                for 2.5 s and leaves, 2 s empty, a person walks by without a code. Each cycle shows \
                a new pass: the verdicts are counted against the codes shown, and the time from \
                the first frame showing the whole code to its verdict is reported (p50, p95). \
                --no-gate decodes every frame in full, as before the scene gate.

                Examples:
                  kioskd-bench idle --format gray --scene empty --seconds 60
                  kioskd-bench idle --format mjpeg --scene mixed --seconds 60
                """)

        enum Format: String, ExpressibleByArgument { case gray, mjpeg }
        enum Scene: String, ExpressibleByArgument { case empty, mixed }

        @Option(help: "gray (raw frames) or mjpeg (JPEG frames, decoded by the door).")
        var format: Format = .gray

        @Option(help: "empty or mixed.")
        var scene: Scene = .empty

        @Option(help: "Seconds to measure (after 2 s of warm-up).")
        var seconds = 60

        @Option(help: "Frames a second.")
        var fps = 30

        @Flag(help: "Decode every frame in full (no scene gate).")
        var noGate = false

        static let width = 1280, height = 720

        func run() async throws {
            let cache = try SyncedCache(storeName: "Idle")
            defer { cache.remove() }
            let (database, signer) = (cache.database, cache.signer)
            let cycles = max(1, (seconds + 2 + 9) / 10)
            Output.error("rendering \(scene == .empty ? "the empty doorway" : "\(cycles) cycles of 300 frames") at \(Self.width)x\(Self.height)…")
            let film = try Film(scene: scene, format: format, cycles: cycles, signer: signer)
            let totalFrames = (seconds + 2) * fps
            let source = PacedFrames(film: film, total: totalFrames, fps: fps)
            let camera = CameraInput(name: "paced", atEnd: .stop, policy: .latest) { source }
            var configuration = KioskConfiguration()
            configuration.metricsEnabled = false
            configuration.gateEnabled = !noGate
            let shown = ShownTimes()
            let logger = Logger(label: "idle", factory: { _ in SwiftLogNoOpLogHandler() })
            let runtime = KioskDaemonRuntime(configuration: configuration, configurationPath: nil, database: database, device: nil,
                                             camera: camera, sinks: [shown], notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil),
                                             logLevel: LiveSetting(.critical), logger: logger)
            try await runtime.run()
            guard let start = source.clock.measuredFrom.value else { return }
            let cpu = (CPUTime.now() - start.cpu) / (source.clock.endedAt.value! - start.wall).inSeconds * 100
            let label = "\(format.rawValue) \(Self.width)x\(Self.height) at \(fps) fps, \(scene.rawValue), \(noGate ? "no gate" : "scene gate")"
            Output.line(String(format: "%@: CPU %.1f %% of one core over %d s", label, cpu, seconds))
            if scene == .mixed {
                let appearances = source.clock.appearances.withLock { $0 }
                let verdicts = shown.times.withLock { $0 }
                var latencies = [Double]()
                for (index, appearance) in appearances.enumerated() {
                    let next = index + 1 < appearances.count ? appearances[index + 1] : .now + .seconds(3_600)
                    if let verdict = verdicts.first(where: { $0 >= appearance && $0 < next }) {
                        latencies.append((verdict - appearance).inMilliseconds)
                    }
                }
                latencies.sort()
                func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
                Output.line(String(format: "  codes shown %d, detected %d; first frame with the whole code in view → verdict p50 %.0f ms, p95 %.0f ms, max %.0f ms",
                                   appearances.count, latencies.count, percentile(0.5), percentile(0.95), latencies.last ?? 0))
            }
        }
    }

    /// The frames of one run, made before it starts so that rendering costs nothing while measuring.
    struct Film: Sendable {
        var frames: [Frame.Content] = []
        /// Indices of the frames where a code first shows.
        var codeStarts = Set<Int>()

        init(scene: Idle.Scene, format: Idle.Format, cycles: Int, signer: PassSigner) throws {
            let width = Idle.width, height = Idle.height
            let wall = SyntheticScene(width: width, height: height, seed: 11).render()
            func noisy(_ image: GrayImage, _ seed: UInt64) -> GrayImage {
                var image = image
                var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
                image.pixels.withUnsafeMutableBufferPointer { pixels in
                    for index in 0..<pixels.count {
                        state ^= state << 13; state ^= state >> 7; state ^= state << 17
                        pixels[index] = UInt8(clamping: Int(pixels[index]) + Int(state % 9) - 4)
                    }
                }
                return image
            }
            func content(_ image: GrayImage) throws -> Frame.Content {
                format == .gray ? .pixels(image) : .jpeg(try JPEGEncoder.encode(image, quality: 80))
            }
            let empties = try (0..<8).map { try content(noisy(wall, UInt64($0 + 1))) }
            guard scene == .mixed else {
                frames = (0..<300).map { empties[$0 % empties.count] }
                return
            }
            var seed: UInt64 = 100
            for _ in 0..<cycles {
                let now = Date()
                let token = try signer.signText(PassToken(keyID: signer.keyID, passID: UUID(), storeID: 1, kind: .period,
                                                          validFrom: now.addingTimeInterval(-60), validUntil: now.addingTimeInterval(86_400), issuedAt: now))
                let code = try QRMatrix(text: token).image(moduleSize: 6)
                func withCode(atX x: Int) -> GrayImage {
                    var image = wall
                    let top = (height - code.height) / 2
                    for y in 0..<code.height {
                        for cx in 0..<code.width where x + cx >= 0 && x + cx < width { image[x + cx, top + y] = code[cx, y] }
                    }
                    seed += 1
                    return noisy(image, seed)
                }
                func withPerson(atX x: Int) -> GrayImage {
                    var image = wall
                    for y in 150..<height { for px in max(0, x - 120)..<min(width, x + 120) { image[px, y] = 45 } }
                    seed += 1
                    return noisy(image, seed)
                }
                let stillX = (width - code.width) / 2
                for index in 0..<90 { frames.append(empties[index % empties.count]) }
                var fullyInView = false
                for step in 0..<10 {
                    let x = width - (width - stillX) * (step + 1) / 10
                    // Latency counts from the first frame with the whole code in view.
                    if !fullyInView, x + code.width <= width { codeStarts.insert(frames.count); fullyInView = true }
                    frames.append(try content(withCode(atX: x)))
                }
                let still = try content(withCode(atX: stillX))
                for _ in 0..<75 { frames.append(still) }  // held perfectly still: the same frame
                for step in 0..<10 { frames.append(try content(withCode(atX: stillX - (stillX + code.width) * (step + 1) / 10))) }
                for index in 0..<60 { frames.append(empties[index % empties.count]) }
                for step in 0..<45 { frames.append(try content(withPerson(atX: -120 + step * (width + 240) / 45))) }
                for index in 0..<10 { frames.append(empties[index % empties.count]) }
            }
        }
    }

    /// CPU time of the whole process (every thread), seconds.
    enum CPUTime {
        static func now() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
    }

    /// When the measured part began and ended, and when each code first showed.
    final class PacingClock: Sendable {
        let measuredFrom = LiveSetting<(wall: ContinuousClock.Instant, cpu: Double)?>(nil)
        let endedAt = LiveSetting<ContinuousClock.Instant?>(nil)
        let appearances = Mutex<[ContinuousClock.Instant]>([])
    }

    /// The film as a camera: each frame at its due time, as a camera delivers them.
    struct PacedFrames: FrameSource {
        let film: Film
        let total: Int
        let fps: Int
        let clock = PacingClock()
        var count = 0
        var start: ContinuousClock.Instant?

        mutating func nextFrame() throws(FrameSourceError) -> Frame? {
            guard count < total else {
                if clock.endedAt.value == nil { clock.endedAt.value = .now }
                return nil
            }
            let start = self.start ?? .now
            self.start = start
            let due = start + .seconds(1) * count / fps
            let wait = due - .now
            if wait > .zero { Thread.sleep(forTimeInterval: wait.inSeconds) }
            count += 1
            let index = (count - 1) % film.frames.count
            if count == 2 * fps + 1 { clock.measuredFrom.value = (.now, CPUTime.now()) }
            if count > 2 * fps, film.codeStarts.contains(index) { clock.appearances.withLock { $0.append(.now) } }
            switch film.frames[index] {
            case .pixels(let image): return Frame(number: count, image: image)
            case .jpeg(let bytes): return Frame(number: count, jpeg: bytes)
            }
        }
    }

    /// When each verdict was shown.
    final class ShownTimes: VerdictSink {
        let times = Mutex<[ContinuousClock.Instant]>([])
        func show(_ verdict: ShownVerdict) async { times.withLock { $0.append(.now) } }
    }
}

