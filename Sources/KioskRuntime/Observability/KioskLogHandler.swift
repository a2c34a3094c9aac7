import KioskCore
import Logging
@_exported import ServiceLogging

/// kioskd logs as every service of ours does (`ServiceLogHandler`), at the daemon's live level.
public typealias KioskLogHandler = ServiceLogHandler

extension ServiceLogHandler {
    /// At `level`, shared by every logger so SIGHUP can change it for all of them.
    public init(label: String, level: LiveSetting<Logger.Level>, form: Form,
                write: @escaping @Sendable (String) -> Void = ServiceLogHandler.standardError) {
        self.init(label: label, level: { level.value }, form: form, write: write)
    }
}
