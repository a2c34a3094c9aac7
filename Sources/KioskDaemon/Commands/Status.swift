import ArgumentParser
import CafeProtocol
import Foundation
import KioskCLI
import KioskCore
import KioskRuntime

extension Kioskd {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the kiosk's enrolment, cache and outbox.",
            discussion: """
                Device and server, the store, the last successful sync and its age, tickets \
                cached, events waiting for upload (and the oldest), signing keys, print jobs. \
                When the daemon runs, also its live state, asked from its status endpoint \
                (metrics.listen in --config): online or offline, the camera, the last verdict, \
                the clock against the server's. --json prints the same as one JSON object.
                """)

        @OptionGroup var state: StateOptions

        @Option(help: "The daemon's configuration, to find its status endpoint.")
        var config = ConfigurationFile.defaultPath

        @Flag(help: "Print JSON instead of text.")
        var json = false

        struct Report: Encodable {
            var stateDirectory: String
            var enrolled: Bool
            var deviceName: String?
            var deviceID: UUID?
            var server: String?
            /// The only CA trusted for the server (`enroll --ca-file`), nil: the system's store.
            var serverCA: String?
            var storeID: UInt32?
            var storeName: String?
            var lastSyncAt: Date?
            /// The stored last sync time when it cannot be read (then `lastSyncAt` is nil).
            var lastSyncUnreadable: String?
            var ticketsCached: Int
            var outboxPending: Int
            var oldestPendingAt: Date?
            var keys: [String]
            var cursor: String?
            var printJobsWaiting: Int
            /// The running daemon's own view (`/status`), nil when it does not answer.
            var daemon: DoorState.Snapshot?

            enum CodingKeys: String, CodingKey {
                case stateDirectory = "state_directory", enrolled, deviceName = "device_name", deviceID = "device_id"
                case server, serverCA = "server_ca", storeID = "store_id", storeName = "store_name", lastSyncAt = "last_sync_at", lastSyncUnreadable = "last_sync_unreadable"
                case ticketsCached = "tickets_cached", outboxPending = "outbox_pending", oldestPendingAt = "oldest_pending_at"
                case keys, cursor, printJobsWaiting = "print_jobs_waiting", daemon
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
                server: device?.serverURL, serverCA: device?.caFile, storeID: settings?.storeID ?? device?.storeID, storeName: settings?.name ?? device?.storeName,
                lastSyncAt: try database.lastSyncAt(), lastSyncUnreadable: try database.unreadableLastSync(), ticketsCached: status.ticketsCached, outboxPending: status.outboxPending,
                oldestPendingAt: status.oldestPendingAt, keys: status.keys.map(\.description), cursor: status.cursor,
                printJobsWaiting: status.printJobsWaiting, daemon: await Self.liveState(config: config))
            if json {
                Output.line(String(decoding: try WireCoding.encoder().encode(report), as: UTF8.self))
                return
            }
            func row(_ label: String, _ value: String) { Output.line(label.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
            row("state", directory.path)
            if let device {
                row("device", "\(device.deviceName) (\(device.deviceID.uuidString.lowercased()))")
                row("server", device.serverURL + (device.caFile.map { " (trusting only the CA in \($0))" } ?? ""))
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
                row("last sync", "\(CivilTime.rfc3339(last, milliseconds: false)) (\(describeAge(since: last)))")
            } else if let stored = report.lastSyncUnreadable {
                row("last sync", "unreadable in the cache (\"\(stored.prefix(40))\"): the next sync writes it again")
            } else {
                row("last sync", "never: the kiosk cannot decide until it has synced")
            }
            row("tickets", "\(status.ticketsCached) cached")
            var outbox = "\(status.outboxPending) event(s) waiting for upload"
            if let oldest = status.oldestPendingAt { outbox += ", oldest \(describeAge(since: oldest))" }
            row("outbox", outbox)
            row("keys", status.keys.isEmpty ? "none" : status.keys.map(\.description).joined(separator: ", "))
            let uncertain = try database.uncertainPrintJobs()
            var printing = "\(status.printJobsWaiting - uncertain.count) waiting"
            if let live = report.daemon {
                printing += live.printer.map { " for \($0)" } ?? " (no printer.output configured)"
                if let problem = live.printerProblem { printing += "; paused: \(problem)" }
            }
            row("print jobs", printing)
            for job in uncertain {
                row("", "not confirmed: \(job.label) No. \(Receipt.shortNumber(job.passID)), sold \(describeAge(since: job.createdAt)) — check the printer: kioskd print --came-out \(Receipt.shortNumber(job.passID)) or --reprint \(Receipt.shortNumber(job.passID))")
            }
            if let live = report.daemon {
                row("daemon", "running since \(CivilTime.rfc3339(live.startedAt, milliseconds: false)) (\(describeAge(since: live.startedAt).replacingOccurrences(of: " ago", with: "")))")
                row("now", live.statusLine)
                if let verdict = live.lastVerdict, let at = live.lastVerdictAt { row("last scan", "\(verdict), \(describeAge(since: at))") }
                if let error = live.lastSyncError { row("sync", "failing: \(error)") }
            } else {
                row("daemon", "not running (or its status endpoint is off)")
            }
        }

        /// Asks the running daemon for its live state; nil when nothing answers within 300 ms.
        static func liveState(config: String) async -> DoorState.Snapshot? {
            guard let configuration = try? ConfigurationFile.load(path: config), configuration.metricsEnabled else { return nil }
            let host = configuration.metricsHost.contains(":") ? "[\(configuration.metricsHost)]" : configuration.metricsHost
            let request = HTTPRequest(method: "GET", url: "http://\(host):\(configuration.metricsPort)/status",
                                      timeout: .milliseconds(300), connectTimeout: .milliseconds(200))
            guard let response = try? await CurlTransport().send(request), response.status == 200 else { return nil }
            return try? WireCoding.decoder().decode(DoorState.Snapshot.self, from: Data(response.body))
        }

        static func clock(_ minute: Int) -> String {
            String(format: "%02d:%02d", minute / 60, minute % 60)
        }
    }
}
