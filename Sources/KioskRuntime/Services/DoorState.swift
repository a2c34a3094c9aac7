import Foundation
import KioskCore
import Synchronization

/// What the daemon is doing right now, shared by its services: the camera service and the door
/// write it, the notifier (STATUS=), the metrics and `/status` (for `kioskd status`) read it.
public final class DoorState: Sendable {
    public struct Snapshot: Sendable, Codable, Equatable {
        public enum Camera: String, Sendable, Codable { case none, starting, running, lost, ended }
        public var camera: Camera = .starting
        /// Why the camera is not running, in words ("no camera: retrying /dev/video0").
        public var cameraProblem: String?
        public var cameraFPS: Double = 0
        public var framesDropped = 0
        public var online = false
        /// Whether the last sync reached the server; nil before the first attempt ends.
        public var serverReachable: Bool?
        public var enrolled = false
        public var ticketsCached = 0
        public var outboxPending = 0
        public var printJobsWaiting = 0
        /// The receipt printer (`printer.output`), when one is configured.
        public var printer: String?
        /// Why printing is paused ("the printer is out of paper"), while it is.
        public var printerProblem: String?
        /// Receipts sent whose printing was never confirmed: for staff to check.
        public var printJobsUncertain = 0
        public var lastSync: Date?
        public var lastSyncError: String?
        /// How far this box's clock is ahead of the server's (seconds; negative: behind), at the last sync.
        public var clockSkewSeconds: Double?
        public var lastVerdict: String?
        public var lastVerdictAt: Date?
        public var startedAt = Date()

        enum CodingKeys: String, CodingKey {
            case camera, cameraProblem = "camera_problem", cameraFPS = "camera_fps", framesDropped = "frames_dropped"
            case online, serverReachable = "server_reachable", enrolled, ticketsCached = "tickets_cached", outboxPending = "outbox_pending"
            case printJobsWaiting = "print_jobs_waiting", lastSync = "last_sync", lastSyncError = "last_sync_error"
            case printer, printerProblem = "printer_problem", printJobsUncertain = "print_jobs_uncertain"
            case clockSkewSeconds = "clock_skew_s"
            case lastVerdict = "last_verdict", lastVerdictAt = "last_verdict_at", startedAt = "started_at"
        }

        /// One line for `systemctl status` (STATUS=): "online · 98,211 tickets · outbox 0 · camera 30 fps".
        public var statusLine: String {
            var parts = [!enrolled ? "not enrolled (offline only)" : serverReachable == nil ? "connecting" : online ? "online" : "offline"]
            parts.append(ticketsCached == 1 ? "1 ticket" : "\(Self.grouped(ticketsCached)) tickets")
            parts.append("outbox \(Self.grouped(outboxPending))")
            switch camera {
            case .running: parts.append(cameraFPS >= 0.5 ? "camera \(Int(cameraFPS.rounded())) fps" : "camera on, no frames")
            case .starting: parts.append("camera starting")
            case .none, .lost, .ended: parts.append(cameraProblem ?? "no camera")
            }
            if printJobsWaiting > 0 { parts.append("\(printJobsWaiting) to print") }
            if let printerProblem { parts.append(printerProblem) }
            if printJobsUncertain > 0 { parts.append("\(printJobsUncertain) receipt(s) to check") }
            if let skew = clockSkewSeconds, abs(skew) >= Self.skewWorthSaying {
                parts.append("clock \(Self.describe(abs(skew))) \(skew > 0 ? "ahead" : "behind")")
            }
            return parts.joined(separator: " · ")
        }

        static var skewWorthSaying: Double { DoorState.skewWorthSaying }

        /// 98211 → "98,211". By hand: Foundation's number formatting loads ICU's locale data,
        /// several MB of resident memory in a daemon that formats one number every few seconds.
        static func grouped(_ value: Int) -> String {
            let digits = String(value.magnitude)
            var out = ""
            for (index, digit) in digits.enumerated() {
                if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
                out.append(digit)
            }
            return value < 0 ? "-" + out : out
        }

        static func describe(_ seconds: Double) -> String {
            seconds < 120 ? "\(Int(seconds)) s" : seconds < 7_200 ? "\(Int(seconds / 60)) min" : "\(Int(seconds / 3_600)) h"
        }
    }

    private let state = Mutex(Snapshot())

    /// Clocks this far apart make offline decisions questionable (a pass's last minutes).
    public static let skewWorthSaying: Double = 60

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func update(_ change: (inout Snapshot) -> Void) {
        state.withLock { change(&$0) }
    }
}
