import KioskCore
import Logging

/// Everything `kioskd run` can be told, with the defaults a box gets when `/etc/kioskd/kioskd.toml`
/// is missing. The file's keys are named in each property's comment; `systemd/kioskd.toml.example`
/// is the annotated file.
public struct KioskConfiguration: Sendable, Equatable {
    // [server]
    /// `server.url`: overrides the URL `kioskd enroll` saved (a server that moved).
    public var serverURL: String?
    /// `server.deadline_ms`: the longest a customer waits for the online verdict.
    public var deadline: Duration = .milliseconds(300)
    /// `server.sync_interval_s`: seconds between two syncs.
    public var syncInterval: Duration = .seconds(30)

    // [camera]
    /// `camera.device`: a V4L2 camera to capture from directly ("/dev/video0"); wins over
    /// `camera.stream`. `kioskd cameras` lists the devices and their modes.
    public var cameraDevice: String?
    /// `camera.fps`: the frame rate asked of a camera device.
    public var cameraFPS = 30
    /// `camera.stream`: a raw or MJPEG stream to read (a file, a FIFO, "-" for stdin); nil for
    /// no camera (the daemon still syncs and prints, and says it has no camera).
    public var cameraStream: String?
    /// `camera.format`: gray, yuyv or mjpeg.
    public var cameraFormat: StreamFormat = .mjpeg
    /// `camera.size`: "WIDTHxHEIGHT", required for a gray or yuyv stream; a camera device is
    /// asked for 1280x720 unless told otherwise.
    public var cameraSize: FrameSize?

    /// The mode asked of `camera.device`.
    public var cameraMode: CameraMode {
        CameraMode(format: CameraPixelFormat(rawValue: cameraFormat.rawValue) ?? .mjpeg,
                   width: cameraSize?.width ?? 1280, height: cameraSize?.height ?? 720, fps: cameraFPS)
    }

    // [door]
    /// `door.repeat_window_s`: the same code again within this is the same scan.
    public var repeatWindowSeconds: Double = 5
    /// `door.debounce_frames`: frames a code must be out of view before it counts as new.
    public var debounceFrames = 30
    /// `door.budget_ms`: per-frame decoding budget; nil for the standard one (2 ms + 14 ms a megapixel).
    public var decodingBudgetMilliseconds: Double?
    /// `door.scene_gate`: frames like the last empty doorway get a cheap look now and then
    /// instead of the whole cascade (false: every frame decoded in full).
    public var gateEnabled = true
    /// `door.legacy_charset`: a code's text that is neither ECI-tagged nor UTF-8 is tried in this
    /// charset first, then the other: "euc-kr" (the default, Korean stores) or "shift-jis".
    public var legacyCharset = LegacyCharset.eucKR
    /// `door.hook`: a command run (`/bin/sh -c`) on every grant to open the door, with the
    /// verdict in its environment (`KIOSK_VERDICT`, `KIOSK_PASS`, …); exit 0 means it opened.
    public var doorHook: String?
    /// `door.hook_timeout_ms`: a hook still running after this is stopped (the door's state unknown).
    public var doorHookTimeout: Duration = .seconds(2)

    /// `door.gpio_chip`, `door.relay_line`, …: a relay on a GPIO line pulsed on each grant, and
    /// optionally a door sensor whose silence annuls the grant. Nil without `door.relay_line`.
    public var gpioChip = "gpiochip0"
    public var relayLine: Int?
    public var relayPulse: Duration = .milliseconds(300)
    public var relayActiveLow = false
    public var sensorLine: Int?
    public var sensorActiveLow = false
    public var sensorWindow: Duration = .seconds(3)

    public var doorRelay: DoorRelay.Settings? {
        guard let relayLine else { return nil }
        var settings = DoorRelay.Settings(chip: gpioChip, relayLine: relayLine)
        settings.pulse = relayPulse
        settings.relayActiveLow = relayActiveLow
        settings.sensorLine = sensorLine
        settings.sensorActiveLow = sensorActiveLow
        settings.sensorWindow = sensorWindow
        return settings
    }

    // [screen]
    /// `screen.enabled`: serve the customer's screen (the page Chromium shows in kiosk mode).
    public var screenEnabled = true
    /// `screen.listen`: "HOST:PORT", loopback by default (the display is on the box).
    public var screenHost = "127.0.0.1"
    public var screenPort = 8080
    /// `screen.language`: "ko" (the default) or "en".
    public var screenLanguage = ScreenLanguage.ko
    /// `screen.show_ms`: how long a verdict stays on the screen.
    public var screenShowFor: Duration = .seconds(4)

    var screenSettings: ScreenService.Settings {
        var settings = ScreenService.Settings()
        settings.host = screenHost
        settings.port = screenPort
        settings.language = screenLanguage
        settings.showFor = screenShowFor
        return settings
    }

    // [sound]
    /// `sound.enabled`: a tone for every verdict through ALSA (silent, said once, without a card).
    public var soundEnabled = true
    /// `sound.device`: the ALSA device ("default" when unset; `aplay -L` lists them).
    public var soundDevice: String?
    /// `sound.player`: the program that plays a WAV file (ALSA's aplay).
    public var soundPlayer = "/usr/bin/aplay"

    // [printer]
    /// `printer.output`: where receipts go — a device (`/dev/usb/lp0`), a file, a network
    /// printer `tcp://HOST:PORT` (raw, port 9100), or a CUPS queue `cups:QUEUE`; nil for no
    /// printer (jobs wait in the cache).
    public var printerOutput: String?
    /// `printer.paper`: 58 or 80 (mm).
    public var printerPaper = ESCPOS.PaperWidth.mm58
    /// `printer.qr`: "raster" (our renderer's image, every printer) or "native" (the printer's own
    /// `GS ( k` QR command).
    public var printerQR = ESCPOS.QRStyle.raster
    /// `printer.timeout_ms`: the longest a status read or a write waits.
    public var printerTimeout: Duration = .seconds(2)

    /// The printer `printer.output` names.
    public var receiptPrinter: (any ReceiptPrinter)? {
        guard let output = printerOutput else { return nil }
        if output.hasPrefix("cups:") { return CupsPrinter(queue: String(output.dropFirst(5))) }
        if output.hasPrefix("tcp://"), let address = ConfigurationFile.listenAddress(String(output.dropFirst(6))) {
            return NetworkPrinter(host: address.host, port: address.port)
        }
        return FilePrinter(path: output)
    }

    // [log]
    /// `log.level`: trace, debug, info, notice, warning, error or critical.
    public var logLevel: Logger.Level = .info

    // [metrics]
    /// `metrics.enabled`: serve Prometheus text and the live status.
    public var metricsEnabled = true
    /// `metrics.listen`: "HOST:PORT"; loopback by default (port 0: any free port, logged).
    public var metricsHost = "127.0.0.1"
    public var metricsPort = 9464

    public init() {}

    public enum StreamFormat: String, Sendable, CaseIterable {
        case gray, yuyv, mjpeg
    }

    public struct FrameSize: Sendable, Equatable, CustomStringConvertible {
        public var width: Int
        public var height: Int

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }

        /// "1280x720" (or with ×); nil for anything else.
        public init?(parsing text: String) {
            let parts = text.lowercased().split(whereSeparator: { $0 == "x" || $0 == "×" })
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
                  width > 0, height > 0, width <= GrayImage.maxDimension, height <= GrayImage.maxDimension else { return nil }
            self.init(width: width, height: height)
        }

        public var description: String { "\(width)x\(height)" }
    }

    /// The settings SIGHUP may change while the daemon runs (the rest needs a restart: the
    /// camera, the metrics address).
    public var reloadable: Reloadable {
        Reloadable(deadline: deadline, syncInterval: syncInterval, logLevel: logLevel)
    }

    public struct Reloadable: Sendable, Equatable {
        public var deadline: Duration
        public var syncInterval: Duration
        public var logLevel: Logger.Level
    }
}

extension KioskConfiguration {
    /// The device nodes (or systemd device classes) these settings open, with why: what the
    /// service's `DeviceAllow=` needs and no more.
    public var devices: [(device: String, why: String)] {
        var devices: [(String, String)] = []
        if let camera = cameraDevice { devices.append((camera, "camera.device")) }
        if let output = printerOutput, output.hasPrefix("/dev/") { devices.append((output, "printer.output")) }
        if doorRelay != nil {
            let chip = gpioChip.hasPrefix("/dev/") ? gpioChip : (gpioChip.allSatisfy(\.isNumber) ? "/dev/gpiochip\(gpioChip)" : "/dev/\(gpioChip)")
            devices.append((chip, "door.gpio_chip"))
        }
        // ALSA's nodes (controlC0, pcmC0D0p, …) depend on the card: the class, only when sound is on.
        if soundEnabled { devices.append(("char-alsa", "sound.enabled")) }
        return devices
    }

    /// Every setting as the file names it, for `kioskd config check`.
    public var summary: [(key: String, value: String)] {
        [
            ("server.url", serverURL ?? "(the enrolled server)"),
            ("server.deadline_ms", "\(deadline.components.seconds * 1_000 + deadline.components.attoseconds / 1_000_000_000_000_000)"),
            ("server.sync_interval_s", "\(syncInterval.components.seconds)"),
            ("camera.device", cameraDevice ?? "(none)"),
            ("camera.stream", cameraStream ?? (cameraDevice == nil ? "(none: no camera)" : "(none)")),
            ("camera.fps", "\(cameraFPS)"),
            ("camera.format", cameraFormat.rawValue),
            ("camera.size", cameraSize?.description ?? (cameraDevice == nil ? "(from the stream)" : "1280x720")),
            ("door.repeat_window_s", "\(repeatWindowSeconds)"),
            ("door.debounce_frames", "\(debounceFrames)"),
            ("door.budget_ms", decodingBudgetMilliseconds.map { "\($0)" } ?? "(standard)"),
            ("door.scene_gate", "\(gateEnabled)"),
            ("door.legacy_charset", legacyCharset.rawValue),
            ("door.hook", doorHook ?? "(none: the door is not opened by kioskd)"),
            ("door.hook_timeout_ms", "\(Int(doorHookTimeout.inMilliseconds))"),
            ("door.gpio_chip", gpioChip),
            ("door.relay_line", relayLine.map { "\($0)" } ?? "(none: no relay)"),
            ("door.relay_pulse_ms", "\(Int(relayPulse.inMilliseconds))"),
            ("door.relay_active_low", "\(relayActiveLow)"),
            ("door.sensor_line", sensorLine.map { "\($0)" } ?? "(none: no door sensor)"),
            ("door.sensor_active_low", "\(sensorActiveLow)"),
            ("door.sensor_window_ms", "\(Int(sensorWindow.inMilliseconds))"),
            ("screen.enabled", "\(screenEnabled)"),
            ("screen.listen", "\(screenHost):\(screenPort)"),
            ("screen.language", screenLanguage.rawValue),
            ("screen.show_ms", "\(Int(screenShowFor.inMilliseconds))"),
            ("sound.enabled", "\(soundEnabled)"),
            ("sound.device", soundDevice ?? "(ALSA's default)"),
            ("sound.player", soundPlayer),
            ("printer.output", printerOutput ?? "(none: passes sold at the counter wait in the cache)"),
            ("printer.paper", printerPaper == .mm58 ? "58" : "80"),
            ("printer.qr", printerQR.rawValue),
            ("printer.timeout_ms", "\(Int(printerTimeout.inMilliseconds))"),
            ("log.level", logLevel.rawValue),
            ("metrics.enabled", "\(metricsEnabled)"),
            ("metrics.listen", "\(metricsHost):\(metricsPort)"),
        ]
    }
}
