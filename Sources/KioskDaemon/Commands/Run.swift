import ArgumentParser
import CafeProtocol
import Dispatch
import Foundation
import KioskCore
import Logging
import Synchronization

extension Kioskd {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the door on a camera stream: decode, decide, record, sync.",
            discussion: """
                Reads frames from a raw or MJPEG stream (a file, a FIFO, or - for a capture \
                tool on stdin), decodes them on a thread of their own, and decides each new code: \
                online first (at most --deadline-ms), else from the cache. Every decision is \
                committed to the cache before it is printed. A background loop syncs every \
                --sync-interval seconds (uploads the outbox, pulls changes) with backoff when \
                the server is away. Stops at the end of the stream, or on SIGINT/SIGTERM.

                One line per verdict on stdout, tab-separated:
                  TIME  FRAME  VERDICT  PASS  online|offline  EVENT  MESSAGE
                Logs (warnings, sync) go to stderr.

                The kiosk must have synced at least once (kioskd enroll, or kioskd sync). \
                Without an enrolment it decides offline only.

                Example:
                  ffmpeg -f v4l2 -input_format mjpeg -video_size 1280x720 -i /dev/video0 \\
                    -c copy -f mjpeg - | kioskd run --raw mjpeg -
                """)

        @OptionGroup var state: StateOptions

        @Option(help: "Stream format: gray (Y800), yuyv (YUYV 4:2:2) or mjpeg.")
        var raw: Kioskd.Scan.StreamFormat = .mjpeg

        @Option(help: "Frame size of a gray or yuyv stream, WIDTHxHEIGHT.")
        var size: String?

        @Argument(help: "The stream: a file, a FIFO, or - for standard input.")
        var input = "-"

        @Option(help: "Longest wait for the server's verdict, in milliseconds.")
        var deadlineMs = 300

        @Option(help: "Seconds between two syncs.")
        var syncInterval = 30

        @OptionGroup var decoding: BudgetOption

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel: Logger.Level = .info

        func validate() throws {
            if raw != .mjpeg {
                guard let size, Kioskd.Scan.parseSize(size) != nil else {
                    throw ValidationError("--raw \(raw.rawValue) needs --size WIDTHxHEIGHT, e.g. --size 640x480")
                }
            }
            guard (10...5_000).contains(deadlineMs) else { throw ValidationError("--deadline-ms must be 10…5000") }
            guard syncInterval >= 1 else { throw ValidationError("--sync-interval must be at least 1 second") }
        }

        func run() async throws {
            let level = logLevel
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "kioskd")
            let device = try? state.directory.loadDevice()
            let database = try state.openDatabase()
            guard try database.storeSettings() != nil else {
                Output.error("kioskd run: the cache is empty (never synced): run 'kioskd enroll' or 'kioskd sync' first")
                throw ExitCode(1)
            }
            if device == nil { logger.warning("not enrolled: deciding offline only, nothing will be uploaded") }

            let breaker = SharedCircuitBreaker()
            // Two connections: a transport serves one request at a time, and a check-in must
            // never queue behind a sync upload that is waiting on a slow server.
            let client = device.map { CentralClient(baseURL: $0.serverURL, deviceToken: $0.deviceToken, transport: CurlTransport()) }
            let syncClient = device.map { CentralClient(baseURL: $0.serverURL, deviceToken: $0.deviceToken, transport: CurlTransport()) }
            let source: any FrameSource
            do { source = try openStream(raw, size: size, path: input) } catch {
                Output.error("kioskd run: \(error)")
                throw ExitCode(1)
            }
            let deadline = Duration.milliseconds(deadlineMs)
            let budget = decoding.budget
            // The door's objects are made inside its task and never leave it.
            let door = Task { [source] in
                let service = CheckInService(engine: CheckInEngine(store: DatabaseCheckInStore(database: database)),
                                             client: client, deadline: deadline, breaker: breaker, logger: logger)
                let loop = DoorLoop(service: service, feedback: VerdictPrinter(), logger: logger)
                return await loop.run(source: source, decoder: .live(budget: budget))
            }
            let sync = Task {
                guard let syncClient else { return }
                await SyncEngine(database: database, client: syncClient).run(interval: .seconds(syncInterval), logger: logger) { _ in
                    breaker.recordSuccess()
                }
            }
            let signals = Self.onTerminationSignal {
                logger.notice("stopping on signal")
                door.cancel()
            }
            let stats = await door.value
            sync.cancel()
            // A sync in flight may be waiting on a hanging server (up to its 30 s timeout): give
            // it a moment to finish its commit, then stop anyway. Nothing is lost by leaving it:
            // events leave the outbox only once the server has acknowledged them.
            if await !Self.finished(sync, within: .seconds(2)) {
                logger.notice("stopping with a sync still waiting for the server; its events stay queued")
            }
            signals.forEach { $0.cancel() }
            let times = stats.decodeMilliseconds
            let median = times.isEmpty ? 0 : times[times.count / 2]
            let p95 = times.isEmpty ? 0 : times[min(times.count - 1, times.count * 95 / 100)]
            logger.info("door stopped", metadata: [
                "camera.frames": "\(stats.frames)", "camera.bad_frames": "\(stats.badFrames)", "scan.count": "\(stats.scans)",
                "decode.median_ms": "\(String(format: "%.2f", median))", "decode.p95_ms": "\(String(format: "%.2f", p95))",
                "outbox.pending": "\((try? database.status().outboxPending) ?? -1)",
            ])
        }

        /// Whether `task` ends within `limit`. Does not wait longer than `limit` even when the
        /// task ignores cancellation (a request blocked in curl until its timeout).
        static func finished(_ task: Task<Void, Never>, within limit: Duration) async -> Bool {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let once = ResumeOnce(continuation)
                Task { await task.value; once.resume(true) }
                Task { try? await Task.sleep(for: limit); once.resume(false) }
            }
        }

        /// Resumes a continuation with the first answer only.
        final class ResumeOnce: Sendable {
            private let continuation: Mutex<CheckedContinuation<Bool, Never>?>
            init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }
            func resume(_ value: Bool) {
                continuation.withLock { pending in
                    pending?.resume(returning: value)
                    pending = nil
                }
            }
        }

        /// Calls `handler` once on SIGINT or SIGTERM (instead of dying mid-commit).
        static func onTerminationSignal(_ handler: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
            [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler(handler: handler)
                source.resume()
                return source
            }
        }
    }
}

/// One tab-separated line per verdict on stdout.
final class VerdictPrinter: DoorFeedback {
    func verdict(_ outcome: CheckInOutcome, frame: Int) {
        let event = outcome.event
        let fields = [
            (event?.occurredAt ?? Date()).formatted(.iso8601),
            "\(frame)",
            outcome.verdict.logName,
            outcome.decision.token?.passID.uuidString.lowercased() ?? "-",
            event.map { $0.decidedOffline ? "offline" : "online" } ?? "-",
            event?.eventID.uuidString.lowercased() ?? "-",
            outcome.decision.display.title + (outcome.recordError.map { " (NOT YET WRITTEN: \($0))" } ?? ""),
        ]
        Output.line(fields.joined(separator: "\t"))
    }

    func badFrame(_ error: FrameSourceError) {}
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
