import CafeProtocol
import Foundation
import KioskCore
import Logging

/// The door as a feedback device: on each grant the owner's hook (`door.hook`) opens it. The
/// verdict is committed before this runs; the hook's answer is logged and counted, and a door
/// that reports it stayed shut (a non-zero exit) has its grant annulled by the door loop — the
/// customer simply scans again. A hook that runs out of time says nothing either way: logged,
/// no annul.
public struct DoorHookSink: VerdictSink {
    let hook: DoorHook
    let reports: DoorReports
    let metrics: KioskMetrics?
    let logger: Logger

    public init(hook: DoorHook, reports: DoorReports, metrics: KioskMetrics?, logger: Logger) {
        self.hook = hook
        self.reports = reports
        self.metrics = metrics
        self.logger = logger
    }

    public func show(_ shown: ShownVerdict) async {
        let outcome = shown.outcome
        // A deny opens nothing.
        if case .deny = outcome.verdict { return }
        let pass = outcome.decision.token?.passID.uuidString.lowercased() ?? "-"
        let (logger, metrics, reports) = (self.logger, self.metrics, self.reports)
        let eventID = outcome.event?.eventID
        let started = hook.open(for: outcome, frame: shown.frame) { result in
            metrics?.doorHook(result)
            var metadata: Logger.Metadata = ["door.pass": "\(pass)", "camera.frame": "\(shown.frame)"]
            switch result {
            case .opened:
                logger.debug("door opened", metadata: metadata)
            case .stayedShut(let status):
                metadata["door.status"] = "\(status)"
                reports.doorStayedShut(after: eventID, said: "the door hook says the door stayed shut", logger: logger, metadata: metadata)
            case .timedOut:
                logger.warning("the door hook ran out of time and was stopped: whether the door opened is unknown", metadata: metadata)
            case .failedToStart(let reason):
                metadata["door.error"] = "\(reason)"
                logger.error("the door hook could not be started (door.hook)", metadata: metadata)
            }
        }
        if !started {
            metrics?.doorHookSkipped()
            logger.warning("door hooks still running from earlier grants: this grant's hook was skipped", metadata: ["door.pass": "\(pass)"])
        }
    }
}

extension DoorReports {
    /// The door (hook or sensor) says it stayed shut after the grant `eventID`: asks the door loop
    /// to annul it, and says in the log which happened.
    func doorStayedShut(after eventID: UUID?, said what: String, logger: Logger, metadata: Logger.Metadata) {
        if let eventID, doorStayedShut(after: eventID) {
            logger.warning("\(what): annulling the grant", metadata: metadata)
        } else {
            logger.warning("\(what), but the door has stopped: the grant stands", metadata: metadata)
        }
    }
}
