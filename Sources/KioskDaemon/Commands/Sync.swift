import ArgumentParser
import CafeProtocol
import Foundation
import KioskCLI
import KioskCore

extension Kioskd {
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Synchronise with cafe-server now: upload queued check-ins, pull changes.",
            discussion: """
                Prints what it did: events pushed (and duplicates the server already had), \
                conflicts (offline decisions the server would have refused: recorded for the \
                owner), tickets pulled, the new cursor and how long it took. Exit status 1 with \
                the reason when the server is unreachable or this device was revoked.
                """)

        @OptionGroup var state: StateOptions

        @Flag(help: "Pull everything from the beginning instead of from the saved cursor.")
        var full = false

        func run() async throws {
            let device = try state.requireDevice()
            let database = try state.openDatabase()
            let client = CentralClient(baseURL: device.serverURL, deviceToken: device.deviceToken, transport: device.transport())
            do {
                let report = try await SyncEngine(database: database, client: client).runOnce(full: full)
                Output.line("pushed \(report.pushed) event(s)" + (report.duplicates > 0 ? " (+\(report.duplicates) the server already had)" : ""))
                for conflict in report.conflicts {
                    Output.line("conflict: event \(conflict.eventID.uuidString.lowercased()): the server says \(conflict.serverVerdict.logName) — \(conflict.message)")
                }
                Output.line("pulled \(report.pulledTickets) ticket(s) in \(report.pages) page(s); cursor \(report.cursor ?? "-")")
                if report.printJobsAcknowledged > 0 { Output.line("told the server \(report.printJobsAcknowledged) pass(es) were printed") }
                if let skew = report.clockSkew {
                    let seconds = Int(skew.rounded())
                    Output.line(abs(seconds) < 2 ? "clock agrees with the server's"
                                : "clock \(abs(seconds)) s \(seconds > 0 ? "ahead of" : "behind") the server's" + (abs(seconds) >= 60 ? ": check NTP (timedatectl)" : ""))
                }
                Output.line("done in \(report.duration.milliseconds) ms")
            } catch let error as SyncError {
                if case .unauthorized? = error.centralError {
                    Output.error("kioskd sync: this device is no longer authorised (revoked?): enrol it again with 'kioskd enroll'")
                } else {
                    Output.error("kioskd sync: \(error)")
                }
                throw ExitCode(1)
            }
        }
    }
}
