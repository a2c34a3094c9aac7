import Foundation
import KioskCore
import Logging
import ServiceLifecycle

/// The door: frames from the camera's mailbox → decode thread → check-in → feedback.
///
/// Decoding has its thread (inside `DoorLoop`); the check-ins — a libcurl call and an fsync'd
/// SQLite commit — run on a thread executor of their own, never on one of the two cooperative
/// threads. On shutdown the decode thread stops after its frame, and the codes already found are
/// decided and committed before the service returns.
public final class DoorService: Service, Sendable {
    public struct Settings: Sendable {
        public var repeatWindowSeconds: Double
        public var debounceFrames: Int
        public var decodingBudgetMilliseconds: Double?
        /// The longest the decode loop waits for a frame before it turns (stop, watchdog).
        public var idleWait: Duration = .milliseconds(250)
        /// Spare frames of an unchanged empty doorway (`SceneGate`); nil decodes every frame in full.
        public var gate: SceneGate.Settings? = .standard
        /// Tried first for a code's text that is neither ECI-tagged nor UTF-8.
        public var legacyCharset = LegacyCharset.eucKR

        public init(repeatWindowSeconds: Double, debounceFrames: Int, decodingBudgetMilliseconds: Double?) {
            self.repeatWindowSeconds = repeatWindowSeconds
            self.debounceFrames = debounceFrames
            self.decodingBudgetMilliseconds = decodingBudgetMilliseconds
        }
    }

    let settings: Settings
    let database: KioskDatabase
    let client: CentralClient?
    let deadline: LiveSetting<Duration>
    let breaker: SharedCircuitBreaker
    let mailbox: FrameMailbox
    let hub: FeedbackHub
    /// The door's "stayed shut" after a grant, from the hook or a sensor: annulled by the loop.
    let reports: DoorReports
    let metrics: KioskMetrics?
    let notifier: SystemdNotifier
    let executor: ThreadExecutor
    let startup: StartupGate
    let clock: ClockGuard
    let logger: Logger
    /// For tests: a decoder other than the live cascade (one that hangs, say).
    let makeDecoder: @Sendable () -> any QRDecoder

    public init(settings: Settings, database: KioskDatabase, client: CentralClient?, deadline: LiveSetting<Duration>,
                breaker: SharedCircuitBreaker, mailbox: FrameMailbox, hub: FeedbackHub, reports: DoorReports = DoorReports(), metrics: KioskMetrics?,
                notifier: SystemdNotifier, executor: ThreadExecutor, startup: StartupGate, clock: ClockGuard, logger: Logger,
                makeDecoder: (@Sendable () -> any QRDecoder)? = nil) {
        self.settings = settings
        self.database = database
        self.client = client
        self.deadline = deadline
        self.breaker = breaker
        self.mailbox = mailbox
        self.hub = hub
        self.reports = reports
        self.metrics = metrics
        self.notifier = notifier
        self.executor = executor
        self.startup = startup
        self.clock = clock
        self.logger = logger
        let budget = settings.decodingBudgetMilliseconds
        self.makeDecoder = makeDecoder ?? { budget.map { CascadeDecoder(budget: $0) } ?? CascadeDecoder() }
    }

    public func run() async {
        let stop = StopSignal()
        let stats = await withGracefulShutdownHandler {
            await withTaskExecutorPreference(executor) {
                // The door's objects are made on its executor and never leave it.
                let clock = self.clock
                let engine = CheckInEngine(store: DatabaseCheckInStore(database: database), repeatWindow: settings.repeatWindowSeconds,
                                           now: { clock.now() })
                let service = CheckInService(engine: engine, client: client, deadline: deadline, breaker: breaker, logger: logger)
                let loop = DoorLoop(service: service, feedback: hub, observer: metrics, logger: logger)
                startup.arrived("door")
                let notifier = self.notifier
                return await loop.run(source: MailboxFrames(mailbox), decoder: makeDecoder(), gate: settings.gate, legacyCharset: settings.legacyCharset,
                                      debouncer: ScanDebouncer(quietFrames: settings.debounceFrames),
                                      idleWait: settings.idleWait, stop: stop, reports: reports, heartbeat: { notifier.watchdog() })
            }
        } onGracefulShutdown: {
            stop.stop()
        }
        logger.info("door stopped", metadata: [
            "camera.frames": "\(stats.frames)", "camera.bad_frames": "\(stats.badFrames)", "camera.dropped": "\(mailbox.dropped)",
            "scan.count": "\(stats.scans)",
            "decode.median_ms": "\(String(format: "%.2f", stats.decodeMedianMilliseconds))",
            "decode.p95_ms": "\(String(format: "%.2f", stats.decodeP95Milliseconds))",
        ])
    }
}
