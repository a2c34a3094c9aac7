import ArgumentParser
import Foundation
import KioskCLI
import KioskCore
import KioskRuntime
import Logging

extension Kioskd {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the door: camera, decoding, check-ins, sync, metrics — the kioskd service.",
            discussion: """
                Reads its settings from --config (default /etc/kioskd/kioskd.toml; a missing file \
                means the defaults, see systemd/kioskd.toml.example); flags given here override \
                the file. Frames come from camera.stream in the file, or from the STREAM argument \
                (a file, a FIFO, or - for a capture tool on stdin), and are decoded on a thread of \
                their own. Each new code is decided online first (at most the deadline), else from \
                the cache, and committed before it is shown. A background loop syncs every sync \
                interval, with backoff when the server is away.

                Under systemd (Type=notify) it sends READY=1 once every service is up, keeps \
                STATUS= current ("online · 98,211 tickets · outbox 0 · camera 30 fps"), pings the \
                watchdog from the decode loop, and logs with journald priorities. SIGTERM or \
                SIGINT stop it within 2 s, after the scan in flight is committed; SIGHUP re-reads \
                the deadline, the sync interval and the log level. Prometheus metrics and the live \
                state are served on http://127.0.0.1:9464/metrics and /status.

                With a STREAM argument it stops at the stream's end; a configured camera.stream \
                that ends or fails is opened again with backoff (the daemon syncs meanwhile). \
                Outside the journal, one line per verdict goes to stdout, tab-separated:
                  TIME  FRAME  VERDICT  PASS  online|offline  EVENT  MESSAGE

                The kiosk must have synced once (kioskd enroll, or kioskd sync). Without an \
                enrolment it decides offline only.

                Examples:
                  systemctl start kioskd                      the installed service
                  kioskd run --camera /dev/video0             MJPEG 1280x720 at 30 fps
                  kioskd run --camera /dev/video0 --raw yuyv --size 640x480 --fps 15
                  kioskd run --config ./kioskd.toml           the same, in a terminal
                  ffmpeg -f v4l2 -input_format mjpeg -video_size 1280x720 -i /dev/video0 \\
                    -c copy -f mjpeg - | kioskd run --raw mjpeg -
                Exit status: 0 stopped, 1 cannot start (no cache, stream unreadable), \
                78 configuration error.
                """)

        @OptionGroup var state: StateOptions

        @Option(help: "The configuration file (TOML).")
        var config = ConfigurationFile.defaultPath

        @Option(help: "Stream or camera format: gray (Y800), yuyv (YUYV 4:2:2) or mjpeg. Default: camera.format, else mjpeg.")
        var raw: Kioskd.Scan.StreamFormat?

        @Option(help: "Frame size of a gray or yuyv stream, or asked of the camera, WIDTHxHEIGHT. Default: camera.size (a camera: 1280x720).")
        var size: String?

        @Argument(help: "The stream: a file, a FIFO, or - for standard input. Default: camera.stream.")
        var input: String?

        @Option(help: ArgumentHelp("A V4L2 camera to capture from directly, e.g. /dev/video0 (kioskd cameras lists them). Default: camera.device.",
                                   valueName: "device"))
        var camera: String?

        @Option(help: "Frames a second asked of the --camera device. Default: camera.fps, else 30.")
        var fps: Int?

        @Option(help: "Longest wait for the server's verdict, in milliseconds. Default: server.deadline_ms, else 300.")
        var deadlineMs: Int?

        @Option(help: "Seconds between two syncs. Default: server.sync_interval_s, else 30.")
        var syncInterval: Int?

        @OptionGroup var decoding: BudgetOption

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Default: log.level, else info.")
        var logLevel: Logger.Level?

        @Option(help: "Where to serve /metrics and /status, HOST:PORT. Default: metrics.listen, else 127.0.0.1:9464.")
        var metricsListen: String?

        @Flag(help: "Serve no metrics and no live status.")
        var noMetrics = false

        func validate() throws {
            if let size, KioskConfiguration.FrameSize(parsing: size) == nil {
                throw ValidationError("--size must be WIDTHxHEIGHT, e.g. --size 640x480")
            }
            if let deadlineMs, !(10...5_000).contains(deadlineMs) { throw ValidationError("--deadline-ms must be 10…5000") }
            if let syncInterval, syncInterval < 1 { throw ValidationError("--sync-interval must be at least 1 second") }
            if camera != nil, input != nil { throw ValidationError("give a --camera device or a STREAM, not both") }
            if let fps, !(1...240).contains(fps) { throw ValidationError("--fps must be 1…240") }
        }

        /// The file's configuration with this command line's flags over it.
        func resolvedConfiguration() throws(ConfigurationError) -> KioskConfiguration {
            var configuration = try ConfigurationFile.load(path: config)
            if let input { configuration.cameraStream = input; configuration.cameraDevice = nil }
            if let camera { configuration.cameraDevice = camera; configuration.cameraStream = nil }
            if let fps { configuration.cameraFPS = fps }
            if let raw { configuration.cameraFormat = KioskConfiguration.StreamFormat(rawValue: raw.rawValue) ?? .mjpeg }
            if let size { configuration.cameraSize = KioskConfiguration.FrameSize(parsing: size) }
            if let deadlineMs { configuration.deadline = .milliseconds(deadlineMs) }
            if let syncInterval { configuration.syncInterval = .seconds(syncInterval) }
            if let budget = decoding.budget { configuration.decodingBudgetMilliseconds = budget }
            if let logLevel { configuration.logLevel = logLevel }
            if noMetrics { configuration.metricsEnabled = false }
            if let metricsListen {
                guard let address = ConfigurationFile.listenAddress(metricsListen) else {
                    throw ConfigurationError(path: "--metrics-listen", message: "expected HOST:PORT, e.g. 127.0.0.1:9464, got \"\(metricsListen)\"")
                }
                (configuration.metricsHost, configuration.metricsPort) = address
            }
            try ConfigurationFile.check(configuration, source: input == nil && camera == nil ? config : "the command line")
            return configuration
        }

        func run() async throws {
            System.useGMTAsProcessZone()
            let configuration: KioskConfiguration
            do { configuration = try resolvedConfiguration() } catch {
                Output.error("kioskd run: \(error)")
                throw ExitCode(ConfigurationError.exitStatus)
            }
            let level = LiveSetting(configuration.logLevel)
            let form = KioskLogHandler.form()
            LoggingSystem.bootstrap { label in KioskLogHandler(label: label, level: level, form: form) }
            let logger = Logger(label: "kioskd")
            let device = try? state.directory.loadDevice()
            let database = try state.openDatabase()
            guard try database.storeSettings() != nil else {
                Output.error("kioskd run: the cache is empty (never synced): run 'kioskd enroll' or 'kioskd sync' first")
                throw ExitCode(1)
            }
            if device == nil { logger.warning("not enrolled: deciding offline only, nothing will be uploaded") }
            let camera = configuration.cameraDevice.map { CameraInput.device(path: $0, mode: configuration.cameraMode) }
                ?? configuration.cameraStream.map { path in
                    CameraInput.stream(path: path, format: configuration.cameraFormat, size: configuration.cameraSize,
                                       atEnd: input == nil ? .reopen : .stop)
                }
            if let path = input, path != "-", !FileManager.default.isReadableFile(atPath: path) {
                // A stream named on the command line must be there: a typo is not a camera to wait for.
                Output.error("kioskd run: cannot read \(path): \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")")
                throw ExitCode(1)
            }
            let sinks: [any VerdictSink] = form == .journal ? [] : [VerdictLinePrinter()]
            let runtime = KioskDaemonRuntime(configuration: configuration, configurationPath: config, database: database, device: device,
                                             camera: camera, sinks: sinks, notifier: .fromEnvironment(), logLevel: level, logger: logger)
            try await runtime.run()
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
