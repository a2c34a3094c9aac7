import CafeProtocol
import Foundation
import Logging

/// How `kioskd` and `cafe-server` log: to standard error, one line per message. Under systemd (`$JOURNAL_STREAM` set) each line
/// starts with its syslog priority (`<6>`, sd-daemon(3)) and carries no timestamp of its own:
/// journald stamps it and `journalctl -p warning` filters on it. Elsewhere lines start with a
/// timestamp and the level, for a terminal.
public struct ServiceLogHandler: LogHandler {
    public enum Form: Sendable { case journal, console }

    public let label: String
    public let form: Form
    /// The process's level, read at each message (kioskd changes it on SIGHUP).
    private let level: @Sendable () -> Logger.Level
    private let write: @Sendable (String) -> Void
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, level: @escaping @Sendable () -> Logger.Level, form: Form,
                write: @escaping @Sendable (String) -> Void = ServiceLogHandler.standardError) {
        self.label = label
        self.level = level
        self.form = form
        self.write = write
    }

    /// Journal form when stderr is connected to journald (systemd sets `JOURNAL_STREAM`).
    public static func form(environment: [String: String] = ProcessInfo.processInfo.environment) -> Form {
        environment["JOURNAL_STREAM"].map { !$0.isEmpty } == true ? .journal : .console
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// The process's live level, unless this logger was given one of its own.
    public var logLevel: Logger.Level {
        get { ownLevel ?? level() }
        set { ownLevel = newValue }
    }
    private var ownLevel: Logger.Level?

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        // One line per message, always: a newline inside would split an entry in the journal.
        var text = "\(event.message)".replacingOccurrences(of: "\n", with: " ⏎ ")
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote("\($0.value)"))" }.joined(separator: " ")
        }
        switch form {
        case .journal:
            write("<\(Self.priority(event.level))>\(text)\n")
        case .console:
            write("\(CivilTime.rfc3339(Date())) \(event.level.rawValue) \(label): \(text)\n")
        }
    }

    /// syslog priorities, as journald reads them.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func quote(_ value: String) -> String {
        guard value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || value.isEmpty else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: " ") + "\""
    }
}
