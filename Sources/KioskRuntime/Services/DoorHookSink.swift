import CafeProtocol
import Foundation
import KioskCore
import Logging

/// The door as a feedback device: on each grant the owner's hook (`door.hook`) opens it. The
/// verdict is committed before this runs; the hook's answer is logged and counted. (A door that
/// reports it stayed shut will annul the entry with issue 11's annul event; until then it is a
/// warning for staff.)
public struct DoorHookSink: VerdictSink {
    let hook: DoorHook
    let metrics: KioskMetrics?
    let logger: Logger

    public init(hook: DoorHook, metrics: KioskMetrics?, logger: Logger) {
        self.hook = hook
        self.metrics = metrics
        self.logger = logger
    }

    public func show(_ shown: ShownVerdict) async {
        let outcome = shown.outcome
        guard DoorHook.environment(for: outcome, frame: shown.frame) != nil else { return }
        let pass = outcome.decision.token?.passID.uuidString.lowercased() ?? "-"
        let (logger, metrics) = (self.logger, self.metrics)
        let started = hook.open(for: outcome, frame: shown.frame) { result in
            metrics?.doorHook(result)
            var metadata: Logger.Metadata = ["door.pass": "\(pass)", "camera.frame": "\(shown.frame)"]
            switch result {
            case .opened:
                logger.debug("door opened", metadata: metadata)
            case .stayedShut(let status):
                metadata["door.status"] = "\(status)"
                logger.warning("the door hook says the door stayed shut: the customer may scan again", metadata: metadata)
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
