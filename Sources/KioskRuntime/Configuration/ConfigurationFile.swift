import Foundation
import KioskCore
import Logging
import TOMLKit

/// A configuration that cannot be used, said the way an admin finds it: the file, the line and
/// the key. `kioskd` exits with status 78 (EX_CONFIG) on one.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var key: String?
    public var message: String

    public init(path: String, line: Int? = nil, key: String? = nil, message: String) {
        self.path = path
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = path
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + message
    }

    /// sysexits.h: configuration error.
    public static let exitStatus: Int32 = 78
}

/// Reads `kioskd.toml` (TOML, parsed by TOMLKit). Unknown sections and keys, wrong types and
/// values out of range are errors, never ignored: a typo in a key must not silently leave the
/// default in place on a box nobody watches.
public enum ConfigurationFile {
    public static let defaultPath = "/etc/kioskd/kioskd.toml"

    /// The file's configuration; a missing file is the defaults (`nil` path: the defaults).
    public static func load(path: String?, mustExist: Bool = false) throws(ConfigurationError) -> KioskConfiguration {
        guard let path else { return KioskConfiguration() }
        guard FileManager.default.fileExists(atPath: path) else {
            if mustExist { throw ConfigurationError(path: path, message: "no such file") }
            return KioskConfiguration()
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError(path: path, message: "cannot be read: \(error.localizedDescription)")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> KioskConfiguration {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ConfigurationError(path: path, line: error.source.begin.line, message: "not valid TOML: \(error.description)")
        } catch {
            throw ConfigurationError(path: path, message: "not valid TOML: \(error)")
        }
        let locator = KeyLocator(text: text)
        var configuration = KioskConfiguration()
        for section in table.keys.sorted() {
            guard let keys = schema[section] else {
                throw ConfigurationError(path: path, line: locator.line(section: nil, key: section) ?? locator.line(ofSection: section),
                                         key: section, message: "unknown section (known: \(schema.keys.sorted().joined(separator: ", ")))")
            }
            guard let values = table[section]?.table else {
                throw ConfigurationError(path: path, line: locator.line(section: nil, key: section), key: section,
                                         message: "must be a section: [\(section)]")
            }
            for name in values.keys.sorted() {
                let dotted = "\(section).\(name)"
                let line = locator.line(section: section, key: name)
                guard let setting = keys[name] else {
                    throw ConfigurationError(path: path, line: line, key: dotted,
                                             message: "unknown key (known in [\(section)]: \(keys.keys.sorted().joined(separator: ", ")))")
                }
                do {
                    try setting(&configuration, values[name]!)
                } catch let problem {
                    throw ConfigurationError(path: path, line: line, key: dotted, message: problem.message)
                }
            }
        }
        do { try validate(configuration) } catch let problem {
            throw ConfigurationError(path: path, line: locator.line(section: "camera", key: "format"), key: problem.key, message: problem.message)
        }
        return configuration
    }

    /// The checks of several keys at once, for a configuration that flags have changed.
    public static func check(_ configuration: KioskConfiguration, source: String) throws(ConfigurationError) {
        do { try validate(configuration) } catch let problem {
            throw ConfigurationError(path: source, key: problem.key, message: problem.message)
        }
    }

    /// Why `output` names no printer (nil when it does): a device or file path, tcp://HOST:PORT,
    /// or cups:QUEUE. For `printer.output` and `kioskd print --output` alike.
    public static func printerOutputProblem(_ output: String) -> String? {
        if output.hasPrefix("tcp://") {
            return listenAddress(String(output.dropFirst(6))) == nil
                ? "expected tcp://HOST:PORT, e.g. \"tcp://192.168.0.50:9100\", got \"\(output)\"" : nil
        }
        if output.hasPrefix("cups:") {
            return CupsPrinter.isQueueName(String(output.dropFirst(5)))
                ? nil : "expected cups:QUEUE with the queue's name (lpstat -p lists them), got \"\(output)\""
        }
        return output.hasPrefix("/") ? nil : "expected a device or file path (/dev/usb/lp0), tcp://HOST:PORT or cups:QUEUE, got \"\(output)\""
    }

    /// "HOST:PORT" (the host may be an IPv6 address in brackets).
    public static func listenAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), colon > text.startIndex,
              let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        let host = text[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    /// Checks that concern several keys at once.
    static func validate(_ configuration: KioskConfiguration) throws(Problem) {
        if configuration.cameraDevice == nil, configuration.cameraStream != nil, configuration.cameraFormat != .mjpeg, configuration.cameraSize == nil {
            throw Problem("camera.size is required for a \(configuration.cameraFormat.rawValue) stream, e.g. size = \"1280x720\"", key: "camera.size")
        }
    }

    struct Problem: Error {
        var message: String
        var key: String?
        init(_ message: String, key: String? = nil) {
            self.message = message
            self.key = key
        }
    }

    typealias Setting = @Sendable (inout KioskConfiguration, any TOMLValueConvertible) throws(Problem) -> Void

    /// Every section and key the file may hold, and how each is read.
    static let schema: [String: [String: Setting]] = [
        "server": [
            "url": { configuration, value throws(Problem) in
                let url = try string(value)
                guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                    throw Problem("expected an http:// or https:// URL, got \"\(url)\"")
                }
                configuration.serverURL = url
            },
            "deadline_ms": { configuration, value throws(Problem) in
                configuration.deadline = .milliseconds(try integer(value, in: 10...5_000))
            },
            "sync_interval_s": { configuration, value throws(Problem) in
                configuration.syncInterval = .seconds(try integer(value, in: 1...86_400))
            },
        ],
        "camera": [
            "device": { configuration, value throws(Problem) in
                let device = try string(value)
                guard device.hasPrefix("/") else { throw Problem("expected a device path such as \"/dev/video0\" (kioskd cameras lists them)") }
                configuration.cameraDevice = device
            },
            "fps": { configuration, value throws(Problem) in
                configuration.cameraFPS = try integer(value, in: 1...240)
            },
            "stream": { configuration, value throws(Problem) in
                let stream = try string(value)
                guard !stream.isEmpty else { throw Problem("expected a path (or - for standard input)") }
                configuration.cameraStream = stream
            },
            "format": { configuration, value throws(Problem) in
                let name = try string(value)
                guard let format = KioskConfiguration.StreamFormat(rawValue: name) else {
                    throw Problem("expected one of gray, yuyv, mjpeg, got \"\(name)\"")
                }
                configuration.cameraFormat = format
            },
            "size": { configuration, value throws(Problem) in
                let text = try string(value)
                guard let size = KioskConfiguration.FrameSize(parsing: text) else {
                    throw Problem("expected WIDTHxHEIGHT, e.g. \"1280x720\", got \"\(text)\"")
                }
                configuration.cameraSize = size
            },
        ],
        "door": [
            "repeat_window_s": { configuration, value throws(Problem) in
                configuration.repeatWindowSeconds = try number(value, in: 0...600)
            },
            "debounce_frames": { configuration, value throws(Problem) in
                configuration.debounceFrames = try integer(value, in: 1...3_000)
            },
            "budget_ms": { configuration, value throws(Problem) in
                configuration.decodingBudgetMilliseconds = try number(value, in: 0.1...1_000)
            },
            "hook": { configuration, value throws(Problem) in
                let command = try string(value)
                guard !command.trimmingCharacters(in: .whitespaces).isEmpty else { throw Problem("expected a command, e.g. \"/usr/local/bin/open-door\"") }
                configuration.doorHook = command
            },
            "hook_timeout_ms": { configuration, value throws(Problem) in
                configuration.doorHookTimeout = .milliseconds(try integer(value, in: 50...60_000))
            },
            "legacy_charset": { configuration, value throws(Problem) in
                let name = try string(value)
                guard let charset = LegacyCharset(rawValue: name.lowercased()) else {
                    throw Problem("expected euc-kr or shift-jis, got \"\(name)\"")
                }
                configuration.legacyCharset = charset
            },
            "scene_gate": { configuration, value throws(Problem) in
                configuration.gateEnabled = try boolean(value)
            },
            "gpio_chip": { configuration, value throws(Problem) in
                configuration.gpioChip = try string(value)
            },
            "relay_line": { configuration, value throws(Problem) in
                configuration.relayLine = try integer(value, in: 0...1_023)
            },
            "relay_pulse_ms": { configuration, value throws(Problem) in
                configuration.relayPulse = .milliseconds(try integer(value, in: 20...10_000))
            },
            "relay_active_low": { configuration, value throws(Problem) in
                configuration.relayActiveLow = try boolean(value)
            },
            "sensor_line": { configuration, value throws(Problem) in
                configuration.sensorLine = try integer(value, in: 0...1_023)
            },
            "sensor_active_low": { configuration, value throws(Problem) in
                configuration.sensorActiveLow = try boolean(value)
            },
            "sensor_window_ms": { configuration, value throws(Problem) in
                configuration.sensorWindow = .milliseconds(try integer(value, in: 100...30_000))
            },
        ],
        "screen": [
            "enabled": { configuration, value throws(Problem) in
                configuration.screenEnabled = try boolean(value)
            },
            "listen": { configuration, value throws(Problem) in
                (configuration.screenHost, configuration.screenPort) = try listen(value, example: "127.0.0.1:8080")
            },
            "language": { configuration, value throws(Problem) in
                let name = try string(value)
                guard let language = ScreenLanguage(rawValue: name.lowercased()) else {
                    throw Problem("expected \"ko\" or \"en\", got \"\(name)\"")
                }
                configuration.screenLanguage = language
            },
            "show_ms": { configuration, value throws(Problem) in
                configuration.screenShowFor = .milliseconds(try integer(value, in: 500...60_000))
            },
        ],
        "sound": [
            "enabled": { configuration, value throws(Problem) in
                configuration.soundEnabled = try boolean(value)
            },
            "device": { configuration, value throws(Problem) in
                configuration.soundDevice = try string(value)
            },
            "player": { configuration, value throws(Problem) in
                let player = try string(value)
                guard player.hasPrefix("/") else { throw Problem("expected an absolute path, e.g. \"/usr/bin/aplay\"") }
                configuration.soundPlayer = player
            },
        ],
        "printer": [
            "output": { configuration, value throws(Problem) in
                let output = try string(value)
                if let problem = printerOutputProblem(output) { throw Problem(problem) }
                configuration.printerOutput = output
            },
            "paper": { configuration, value throws(Problem) in
                switch try integer(value, in: 58...80) {
                case 58: configuration.printerPaper = .mm58
                case 80: configuration.printerPaper = .mm80
                default: throw Problem("expected 58 or 80 (mm)")
                }
            },
            "qr": { configuration, value throws(Problem) in
                let name = try string(value)
                guard let style = ESCPOS.QRStyle(rawValue: name) else { throw Problem("expected \"raster\" or \"native\", got \"\(name)\"") }
                configuration.printerQR = style
            },
            "timeout_ms": { configuration, value throws(Problem) in
                configuration.printerTimeout = .milliseconds(try integer(value, in: 100...30_000))
            },
        ],
        "log": [
            "level": { configuration, value throws(Problem) in
                let name = try string(value)
                guard let level = Logger.Level(rawValue: name) else {
                    throw Problem("expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(name)\"")
                }
                configuration.logLevel = level
            },
        ],
        "metrics": [
            "enabled": { configuration, value throws(Problem) in
                configuration.metricsEnabled = try boolean(value)
            },
            "listen": { configuration, value throws(Problem) in
                (configuration.metricsHost, configuration.metricsPort) = try listen(value, example: "127.0.0.1:9464")
            },
        ],
    ]

    static func listen(_ value: any TOMLValueConvertible, example: String) throws(Problem) -> (host: String, port: Int) {
        let text = try string(value)
        guard let address = listenAddress(text) else { throw Problem("expected HOST:PORT, e.g. \"\(example)\", got \"\(text)\"") }
        return address
    }

    static func string(_ value: any TOMLValueConvertible) throws(Problem) -> String {
        guard value.type == .string, let text = value.string else { throw Problem("expected a string, got \(describe(value))") }
        return text
    }

    static func boolean(_ value: any TOMLValueConvertible) throws(Problem) -> Bool {
        guard value.type == .bool, let flag = value.bool else { throw Problem("expected true or false, got \(describe(value))") }
        return flag
    }

    static func integer(_ value: any TOMLValueConvertible, in range: ClosedRange<Int>) throws(Problem) -> Int {
        guard value.type == .int, let number = value.int else { throw Problem("expected an integer, got \(describe(value))") }
        guard range.contains(number) else { throw Problem("must be \(range.lowerBound)…\(range.upperBound), got \(number)") }
        return number
    }

    static func number(_ value: any TOMLValueConvertible, in range: ClosedRange<Double>) throws(Problem) -> Double {
        let number: Double
        switch value.type {
        case .int: number = Double(value.int ?? 0)
        case .double: number = value.double ?? 0
        default: throw Problem("expected a number, got \(describe(value))")
        }
        guard range.contains(number) else { throw Problem("must be \(range.lowerBound)…\(range.upperBound), got \(number)") }
        return number
    }

    static func describe(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .string: "the string \"\(value.string ?? "")\""
        case .int: "the integer \(value.int ?? 0)"
        case .double: "the number \(value.double ?? 0)"
        case .bool: "\(value.bool ?? false)"
        case .table: "a table"
        case .array: "an array"
        default: "a date or time"
        }
    }
}

/// Finds the line of a key in the file's text: TOMLKit gives lines for syntax errors only, and
/// a wrong value must be shown where it is.
struct KeyLocator {
    private let lines: [Substring]

    init(text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    /// The 1-based line of `key` inside `[section]` (nil: before any section), or of
    /// `section.key = …` written dotted at the top.
    func line(section: String?, key: String) -> Int? {
        var current: String?
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let name = Self.assignedKey(line) else { continue }
            if current == section, name == key { return index + 1 }
            if current == nil, let section, name == "\(section).\(key)" { return index + 1 }
        }
        return nil
    }

    func line(ofSection section: String) -> Int? {
        lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("[\(section)]") }.map { $0 + 1 }
    }

    /// "key" of a `key = value` line (quotes and spaces around dots removed).
    static func assignedKey(_ line: String) -> String? {
        guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { return nil }
        let key = line[..<equals].split(separator: ".").map {
            $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }.joined(separator: ".")
        return key.isEmpty ? nil : key
    }
}
