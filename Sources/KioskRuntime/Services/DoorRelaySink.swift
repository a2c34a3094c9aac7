import CafeProtocol
import Foundation
import KioskCore
import Logging

/// The door as a GPIO relay: pulsed on each grant, after the verdict is committed and shown. With
/// a door sensor, a door that never opened within the window has its grant annulled by the door
/// loop, as the hook's non-zero exit does.
public struct DoorRelaySink: VerdictSink {
    let relay: DoorRelay
    let reports: DoorReports
    let metrics: KioskMetrics?
    let logger: Logger

    public init(relay: DoorRelay, reports: DoorReports, metrics: KioskMetrics?, logger: Logger) {
        self.relay = relay
        self.reports = reports
        self.metrics = metrics
        self.logger = logger
    }

    public func show(_ shown: ShownVerdict) async {
        let outcome = shown.outcome
        if case .deny = outcome.verdict { return }
        let eventID = outcome.event?.eventID
        let pass = outcome.decision.token?.passID.uuidString.lowercased() ?? "-"
        let (logger, metrics, reports) = (self.logger, self.metrics, self.reports)
        let started = relay.open { result in
            metrics?.doorRelay(result)
            var metadata: Logger.Metadata = ["door.pass": "\(pass)", "camera.frame": "\(shown.frame)"]
            switch result {
            case .opened, .pulsed:
                logger.debug("door relay pulsed", metadata: metadata)
            case .stayedShut:
                reports.doorStayedShut(after: eventID, said: "the door sensor never saw the door open", logger: logger, metadata: metadata)
            case .failed(let error):
                metadata["door.error"] = "\(error)"
                logger.error("the door relay failed", metadata: metadata)
            }
        }
        if !started { logger.debug("door relay still pulsing from the previous grant: the door is open", metadata: ["door.pass": "\(pass)"]) }
    }
}
