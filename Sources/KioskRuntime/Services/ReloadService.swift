import Foundation
import KioskCore
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP re-reads the configuration file and applies what can change while running (the
/// deadline, the sync interval, the log level) without closing the cache or the camera. A file
/// with a mistake is refused with its line and key, and the running settings stay.
public final class ReloadService: Service, Sendable {
    let path: String?
    let apply: @Sendable (KioskConfiguration) -> Void
    let current: LiveSetting<KioskConfiguration.Reloadable>
    let logger: Logger

    public init(path: String?, current: LiveSetting<KioskConfiguration.Reloadable>, logger: Logger,
                apply: @escaping @Sendable (KioskConfiguration) -> Void) {
        self.path = path
        self.current = current
        self.logger = logger
        self.apply = apply
    }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            reload()
        }
    }

    func reload() {
        do {
            let configuration = try ConfigurationFile.load(path: path)
            let before = current.value
            let after = configuration.reloadable
            apply(configuration)
            current.value = after
            var changes = [String]()
            if before.deadline != after.deadline { changes.append("deadline \(before.deadline.milliseconds) → \(after.deadline.milliseconds) ms") }
            if before.syncInterval != after.syncInterval {
                changes.append("sync interval \(before.syncInterval.components.seconds) → \(after.syncInterval.components.seconds) s")
            }
            if before.logLevel != after.logLevel { changes.append("log level \(before.logLevel) → \(after.logLevel)") }
            logger.notice("configuration reloaded", metadata: ["config.path": "\(path ?? "-")",
                                                                "config.changes": "\(changes.isEmpty ? "none" : changes.joined(separator: ", "))"])
        } catch {
            logger.error("configuration NOT reloaded, the running settings stay: \(error)")
        }
    }
}

extension Duration {
    var milliseconds: Int { Int((Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15).rounded()) }
}
