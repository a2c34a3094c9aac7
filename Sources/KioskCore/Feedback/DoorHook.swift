import CafeProtocol
import Foundation
import Synchronization

/// Opens the door by running the owner's command on every grant: `/bin/sh -c COMMAND`, with the
/// verdict in its environment (the values are never put into the command line, so a pass cannot
/// inject anything). It runs beside the door, never in its way: `open` starts it and returns,
/// the result arrives later, and a hook that hangs is killed at its timeout.
///
/// The exit status is the door's answer: 0 it opened, anything else it stayed shut; a hook that
/// ran out of time leaves it unknown. At most `maxInFlight` hooks run at once: a door whose hooks
/// all hang gets the next grant logged and skipped rather than a pile of processes.
///
/// Environment: `KIOSK_VERDICT` (enter, exit), `KIOSK_PASS` (the pass id), `KIOSK_EVENT` (the
/// event id; empty for a repeat of the previous scan), `KIOSK_PASS_KIND` (day, period, time),
/// `KIOSK_DECIDED` (online, offline), `KIOSK_REPEAT` (1 for the same code again within the
/// repeat window), `KIOSK_MINUTES_CHARGED` (time passes, on exit), `KIOSK_FRAME`, `KIOSK_MESSAGE`
/// (what the screen says).
public final class DoorHook: Sendable {
    public enum Result: Sendable, Equatable {
        case opened
        case stayedShut(status: Int32)
        case timedOut
        case failedToStart(String)
    }

    public let command: String
    public let timeout: Duration
    public let maxInFlight: Int
    private let running = Mutex(0)

    public init(command: String, timeout: Duration = .seconds(2), maxInFlight: Int = 4) {
        self.command = command
        self.timeout = timeout
        self.maxInFlight = maxInFlight
    }

    /// The hook's environment for a verdict: nil when it is not a grant (the door stays shut).
    public static func environment(for outcome: CheckInOutcome, frame: Int) -> [String: String]? {
        let verdict: String
        switch outcome.verdict {
        case .enter: verdict = "enter"
        case .exit: verdict = "exit"
        case .deny: return nil
        }
        let token = outcome.decision.token
        return [
            "KIOSK_VERDICT": verdict,
            "KIOSK_PASS": token?.passID.uuidString.lowercased() ?? "",
            "KIOSK_EVENT": outcome.event?.eventID.uuidString.lowercased() ?? "",
            "KIOSK_PASS_KIND": token.map { "\($0.kind)" } ?? "",
            "KIOSK_DECIDED": outcome.event.map { $0.decidedOffline ? "offline" : "online" } ?? "",
            "KIOSK_REPEAT": outcome.isRepeat ? "1" : "0",
            "KIOSK_MINUTES_CHARGED": outcome.decision.minutesCharged.map { "\($0)" } ?? "",
            "KIOSK_FRAME": "\(frame)",
            "KIOSK_MESSAGE": outcome.decision.display.title,
        ]
    }

    /// Starts the hook for a grant and returns at once; `completion` gets the door's answer (on
    /// another thread). False, and no completion, when the verdict is not a grant or too many
    /// hooks are still running.
    @discardableResult
    public func open(for outcome: CheckInOutcome, frame: Int, completion: @escaping @Sendable (Result) -> Void) -> Bool {
        guard let variables = Self.environment(for: outcome, frame: frame) else { return false }
        let admitted = running.withLock { count in
            guard count < maxInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else { return false }
        let once = Once(completion) { [self] in running.withLock { $0 -= 1 } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ProcessInfo.processInfo.environment.merging(variables) { $1 }
        process.standardInput = FileHandle.nullDevice
        // Its output goes to the journal with the daemon's, never into stdout's verdict lines.
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        process.terminationHandler = { finished in
            once.report(finished.terminationReason == .exit && finished.terminationStatus == 0
                        ? .opened : .stayedShut(status: finished.terminationStatus))
        }
        do { try process.run() } catch {
            once.report(.failedToStart("\(error)"))
            return true
        }
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.inSeconds) {
            guard once.report(.timedOut) else { return }
            kill(pid, SIGTERM)
            DispatchQueue.global().asyncAfter(deadline: .now() + 1) { if process.isRunning { kill(pid, SIGKILL) } }
        }
        return true
    }

    /// Reports a hook's result exactly once: the exit and the timeout race.
    final class Once: Sendable {
        private let reported = Mutex(false)
        private let completion: @Sendable (Result) -> Void
        private let done: @Sendable () -> Void

        init(_ completion: @escaping @Sendable (Result) -> Void, done: @escaping @Sendable () -> Void) {
            self.completion = completion
            self.done = done
        }

        /// False when a result was reported already.
        @discardableResult
        func report(_ result: Result) -> Bool {
            let first = reported.withLock { already in
                defer { already = true }
                return !already
            }
            guard first else { return false }
            done()
            completion(result)
            return true
        }
    }
}
