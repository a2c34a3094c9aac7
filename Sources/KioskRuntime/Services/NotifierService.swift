import Foundation
import KioskCore
import Logging
import ServiceLifecycle

/// The last service: READY=1 once every other one is up (with no camera too — the daemon syncs
/// and prints, degraded, and STATUS= says why), STATUS= kept current, STOPPING=1 as the first
/// thing on the way down (it is first to be told to stop). The watchdog pings come from the
/// decode loop, not from here: a timer would keep pinging while the decoder is stuck.
public final class NotifierService: Service, Sendable {
    let notifier: SystemdNotifier
    let state: DoorState
    let startup: StartupGate
    let logger: Logger
    let interval: Duration

    public init(notifier: SystemdNotifier, state: DoorState, startup: StartupGate, logger: Logger, interval: Duration = .seconds(2)) {
        self.notifier = notifier
        self.state = state
        self.startup = startup
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await startup.allArrived()
        let first = state.snapshot.statusLine
        logger.notice("kioskd ready", metadata: ["status": "\(first)"])
        notifier.ready(status: first)
        try? await cancelWhenGracefulShutdown {
            var line = first
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                let next = self.state.snapshot.statusLine
                if next != line {
                    line = next
                    self.notifier.status(line)
                }
            }
        }
        notifier.stopping(status: "stopping")
        logger.notice("stopping", metadata: ["status": "\(state.snapshot.statusLine)"])
    }
}
