import CafeProtocol
import Foundation
import KioskCore

/// One tab-separated line per verdict on stdout, for scripts and a terminal:
/// `TIME  FRAME  VERDICT  PASS  online|offline  EVENT  MESSAGE`.
public struct VerdictLinePrinter: VerdictSink {
    let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }) {
        self.write = write
    }

    public func show(_ shown: ShownVerdict) async {
        write(Self.line(shown))
    }

    public static func line(_ shown: ShownVerdict) -> String {
        let outcome = shown.outcome
        let event = outcome.event
        return [
            CivilTime.rfc3339(shown.at),
            "\(shown.frame)",
            outcome.verdict.logName,
            outcome.decision.token?.passID.uuidString.lowercased() ?? "-",
            event.map { $0.decidedOffline ? "offline" : "online" } ?? "-",
            event?.eventID.uuidString.lowercased() ?? "-",
            outcome.decision.display.title + (outcome.recordError.map { " (NOT YET WRITTEN: \($0))" } ?? ""),
        ].joined(separator: "\t")
    }
}
