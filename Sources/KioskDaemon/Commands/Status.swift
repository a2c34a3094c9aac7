import ArgumentParser
import CafeProtocol
import Foundation
import KioskCLI
import KioskCore

extension Kioskd {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the kiosk's enrolment, cache and outbox.",
            discussion: """
                Device and server, the store, the last successful sync and its age, tickets \
                cached, events waiting for upload (and the oldest), signing keys, print jobs. \
                --json prints the same as one JSON object.
                """)

        @OptionGroup var state: StateOptions

        @Flag(help: "Print JSON instead of text.")
        var json = false

        struct Report: Encodable {
            var stateDirectory: String
            var enrolled: Bool
            var deviceName: String?
            var deviceID: UUID?
            var server: String?
            var storeID: UInt32?
            var storeName: String?
            var lastSyncAt: Date?
            var ticketsCached: Int
            var outboxPending: Int
            var oldestPendingAt: Date?
            var keys: [String]
            var cursor: String?
            var printJobsWaiting: Int

            enum CodingKeys: String, CodingKey {
                case stateDirectory = "state_directory", enrolled, deviceName = "device_name", deviceID = "device_id"
                case server, storeID = "store_id", storeName = "store_name", lastSyncAt = "last_sync_at"
                case ticketsCached = "tickets_cached", outboxPending = "outbox_pending", oldestPendingAt = "oldest_pending_at"
                case keys, cursor, printJobsWaiting = "print_jobs_waiting"
            }
        }

        func run() async throws {
            let directory = state.directory
            let device = try? directory.loadDevice()
            let database = try state.openDatabase()
            let status = try database.status()
            let settings = try database.storeSettings()
            let report = Report(
                stateDirectory: directory.path, enrolled: device != nil, deviceName: device?.deviceName, deviceID: device?.deviceID,
                server: device?.serverURL, storeID: settings?.storeID ?? device?.storeID, storeName: settings?.name ?? device?.storeName,
                lastSyncAt: try database.lastSyncAt(), ticketsCached: status.ticketsCached, outboxPending: status.outboxPending,
                oldestPendingAt: status.oldestPendingAt, keys: status.keys.map(\.description), cursor: status.cursor,
                printJobsWaiting: status.printJobsWaiting)
            if json {
                Output.line(String(decoding: try WireCoding.encoder().encode(report), as: UTF8.self))
                return
            }
            func row(_ label: String, _ value: String) { Output.line(label.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
            row("state", directory.path)
            if let device {
                row("device", "\(device.deviceName) (\(device.deviceID.uuidString.lowercased()))")
                row("server", device.serverURL)
            } else {
                row("device", "not enrolled: run 'kioskd enroll --server URL --code CODE'")
            }
            if let settings {
                var line = "#\(settings.storeID) \(settings.name) (\(settings.timeZone)), \(settings.seats) seats"
                if let closed = settings.closedHours {
                    line += ", closed \(Self.clock(closed.startMinute))–\(Self.clock(closed.endMinute))"
                }
                row("store", line)
            }
            if let last = report.lastSyncAt {
                row("last sync", "\(last.formatted(.iso8601)) (\(describeAge(since: last)))")
            } else {
                row("last sync", "never: the kiosk cannot decide until it has synced")
            }
            row("tickets", "\(status.ticketsCached) cached")
            var outbox = "\(status.outboxPending) event(s) waiting for upload"
            if let oldest = status.oldestPendingAt { outbox += ", oldest \(describeAge(since: oldest))" }
            row("outbox", outbox)
            row("keys", status.keys.isEmpty ? "none" : status.keys.map(\.description).joined(separator: ", "))
            row("print jobs", "\(status.printJobsWaiting) waiting")
        }

        static func clock(_ minute: Int) -> String {
            String(format: "%02d:%02d", minute / 60, minute % 60)
        }
    }
}
