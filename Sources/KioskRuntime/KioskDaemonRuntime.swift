import Foundation
import KioskCore
import Logging
import ServiceLifecycle
import UnixSignals

/// `kioskd run`: the daemon's services in one ServiceGroup.
///
/// Start order is dependency order, shutdown the reverse:
///   camera → feedback → door → sync → status/metrics → SIGHUP reload → systemd notifier.
/// Feedback starts before the door and stops after it (the scan in flight at shutdown still gets
/// its screen and door); the notifier is last up (READY=1 once all are up) and first down
/// (STOPPING=1). SIGTERM or SIGINT stops it gracefully; every service's I/O waits are bounded,
/// and past `maximumShutdown` the group cancels what is left.
public struct KioskDaemonRuntime: Sendable {
    public var configuration: KioskConfiguration
    /// Re-read on SIGHUP; nil: nothing to re-read.
    public var configurationPath: String?
    public var database: KioskDatabase
    public var device: DeviceCredentials?
    public var camera: CameraInput?
    public var sinks: [any VerdictSink]
    public var notifier: SystemdNotifier
    public var logLevel: LiveSetting<Logger.Level>
    public var logger: Logger
    public var metrics = KioskMetrics()
    public var state = DoorState()
    public var maximumShutdown: Duration = .milliseconds(1_800)
    /// For tests: the decoder the door uses instead of the live cascade.
    public var makeDecoder: (@Sendable () -> any QRDecoder)?
    /// For tests: signals other than SIGTERM/SIGINT, or none.
    public var gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]
    /// Opens the GPIO chip the door relay is on (`door.gpio_chip`); tests give a fake chip.
    public var openGPIOChip: @Sendable (String) throws(GPIOError) -> any GPIOChip = { name throws(GPIOError) in try LibgpiodChip(name) }

    public init(configuration: KioskConfiguration, configurationPath: String?, database: KioskDatabase, device: DeviceCredentials?,
                camera: CameraInput?, sinks: [any VerdictSink], notifier: SystemdNotifier,
                logLevel: LiveSetting<Logger.Level>, logger: Logger) {
        self.configuration = configuration
        self.configurationPath = configurationPath
        self.database = database
        self.device = device
        self.camera = camera
        self.sinks = sinks
        self.notifier = notifier
        self.logLevel = logLevel
        self.logger = logger
    }

    /// The services, in start order, and what they share.
    public struct Services: Sendable {
        public let group: ServiceGroup
        public let status: StatusService
        /// Nil when `screen.enabled` is false.
        public let screen: ScreenService?
        public let startup: StartupGate
        let executors: [ThreadExecutor]

        /// Ends the executors' threads once the group has returned.
        public func shutdownExecutors() { executors.forEach { $0.shutdown() } }
    }

    public func makeServices() -> Services {
        let printer = configuration.receiptPrinter
        let names = Set(["camera", "feedback", "door", "sync", "status"] + (printer == nil ? [] : ["print"])
                        + (configuration.screenEnabled ? ["screen"] : []))
        let startup = StartupGate(expecting: names)
        let breaker = SharedCircuitBreaker()
        let serverURL = configuration.serverURL ?? device?.serverURL
        // Two connections: a transport serves one request at a time, and a check-in must never
        // queue behind a sync upload that is waiting on a slow server.
        let doorClient = device.flatMap { device in serverURL.map { CentralClient(baseURL: $0, deviceToken: device.deviceToken, transport: device.transport()) } }
        let syncClient = device.flatMap { device in serverURL.map { CentralClient(baseURL: $0, deviceToken: device.deviceToken, transport: device.transport()) } }
        state.update { $0.enrolled = doorClient != nil }
        let deadline = LiveSetting(configuration.deadline)
        let syncInterval = LiveSetting(configuration.syncInterval)
        let reloadable = LiveSetting(configuration.reloadable)
        let doorExecutor = ThreadExecutor(name: "kioskd.checkin")
        let databaseExecutor = ThreadExecutor(name: "kioskd.db")
        let mailbox = FrameMailbox(policy: camera?.policy ?? .latest)
        let clock = ClockGuard(floor: try? database.clockFloor(), logger: logger)
        let hub = FeedbackHub()
        let doorReports = DoorReports()

        let cameraService = CameraService(input: camera, mailbox: mailbox, state: state, metrics: metrics, startup: startup,
                                          logger: logger)
        // The door opens after the screen and the line have the verdict: the hook only starts there.
        let doorSinks: [any VerdictSink] = configuration.doorHook.map {
            [DoorHookSink(hook: DoorHook(command: $0, timeout: configuration.doorHookTimeout), reports: doorReports, metrics: metrics, logger: logger)]
        } ?? []
        var relaySinks: [any VerdictSink] = []
        if let relaySettings = configuration.doorRelay {
            do {
                let relay = try DoorRelay(settings: relaySettings, chip: try openGPIOChip(relaySettings.chip))
                relaySinks = [DoorRelaySink(relay: relay, reports: doorReports, metrics: metrics, logger: logger)]
                let sensor = relaySettings.sensorLine.map { ", door sensor on line \($0)" } ?? ", no door sensor"
                logger.info("door relay on \(relaySettings.chip) line \(relaySettings.relayLine)\(sensor)")
            } catch {
                logger.error("door relay disabled: \(error)")
            }
        }
        let soundSinks: [any VerdictSink] = configuration.soundEnabled
            ? [SoundSink.make(player: configuration.soundPlayer, device: configuration.soundDevice, logger: logger)].compactMap { $0 }
            : []
        let screen = configuration.screenEnabled ? ScreenService(settings: configuration.screenSettings, database: database, state: state,
                                                                 executor: databaseExecutor, startup: startup, logger: logger) : nil
        // The screen first: the customer sees the verdict before the door opens.
        let feedback = FeedbackService(hub: hub, sinks: (screen.map { [$0.sink] } ?? []) + sinks + soundSinks + doorSinks + relaySinks,
                                       state: state, startup: startup)
        var doorSettings = DoorService.Settings(repeatWindowSeconds: configuration.repeatWindowSeconds, debounceFrames: configuration.debounceFrames,
                                                decodingBudgetMilliseconds: configuration.decodingBudgetMilliseconds)
        doorSettings.gate = configuration.gateEnabled ? .standard : nil
        doorSettings.legacyCharset = configuration.legacyCharset
        let door = DoorService(
            settings: doorSettings,
            database: database, client: doorClient, deadline: deadline, breaker: breaker, mailbox: mailbox, hub: hub,
            reports: doorReports, metrics: metrics, notifier: notifier, executor: doorExecutor, startup: startup, clock: clock, logger: logger,
            makeDecoder: makeDecoder)
        let sync = SyncService(database: database, client: syncClient, interval: syncInterval, breaker: breaker, state: state,
                               metrics: metrics, executor: databaseExecutor, startup: startup, clock: clock, logger: logger)
        let printExecutor = ThreadExecutor(name: "kioskd.print")
        let print = printer.map { printer in
            PrintService(queue: PrintQueue(database: database, printer: printer, paper: configuration.printerPaper, qr: configuration.printerQR,
                                    timeout: configuration.printerTimeout),
                         interval: .seconds(5), state: state, executor: printExecutor, startup: startup, logger: logger)
        }
        let status = StatusService(database: database, state: state, metrics: metrics, breaker: breaker,
                                   listen: configuration.metricsEnabled ? (configuration.metricsHost, configuration.metricsPort) : nil,
                                   executor: databaseExecutor, startup: startup, logger: logger)
        let logLevel = self.logLevel
        let reload = ReloadService(path: configurationPath, current: reloadable, logger: logger) { reloaded in
            deadline.value = reloaded.deadline
            syncInterval.value = reloaded.syncInterval
            logLevel.value = reloaded.logLevel
        }
        let notifierService = NotifierService(notifier: notifier, state: state, startup: startup, logger: logger)

        // The door ending (a recorded stream is over) ends the daemon; so does any service failing.
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: cameraService, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup),
        ] + (screen.map { [.init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)] } ?? []) + [
            .init(service: feedback, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: door, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: sync, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup),
        ] + (print.map { [.init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)] } ?? []) + [
            .init(service: status, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: reload, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore),
            .init(service: notifierService, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
        var group = ServiceGroupConfiguration(services: services, logger: logger)
        group.gracefulShutdownSignals = gracefulShutdownSignals
        group.maximumGracefulShutdownDuration = maximumShutdown
        return Services(group: ServiceGroup(configuration: group), status: status, screen: screen, startup: startup,
                        executors: [doorExecutor, databaseExecutor, printExecutor])
    }

    /// Runs until SIGTERM/SIGINT, or until a recorded camera stream ends.
    public func run() async throws {
        let services = makeServices()
        defer { services.shutdownExecutors() }
        try await services.group.run()
    }
}
