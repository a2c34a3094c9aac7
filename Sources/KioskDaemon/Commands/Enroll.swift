import ArgumentParser
import CafeProtocol
import Foundation
import KioskCLI
import KioskCore

extension Kioskd {
    struct Enroll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol this kiosk with cafe-server using a one-time code, then sync.",
            discussion: """
                The owner creates the code (cafe-server admin enrollment-code). The device token \
                the server returns is stored in STATE_DIR/device.json with mode 0600. A first \
                sync follows; if it fails, the enrolment stands and 'kioskd sync' retries.

                Example:
                  kioskd enroll --server https://cafe.example.com --code K7Q2-MX4P --name entrance
                """)

        @OptionGroup var state: StateOptions

        @Option(help: "The cafe-server's base URL, e.g. https://cafe.example.com.")
        var server: String

        @Option(help: "The one-time enrolment code.")
        var code: String

        @Option(help: "This kiosk's name, as the owner will see it.")
        var name = "entrance"

        @Option(help: ArgumentHelp("Trust only this CA certificate (PEM) for the server: pinning, or a private CA. Copied into the state directory; every later sync and the service use it.", valueName: "file"))
        var caFile: String?

        func validate() throws {
            guard let url = URL(string: server), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw ValidationError("--server must be an http:// or https:// URL, not '\(server)'")
            }
            guard !code.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--code is empty") }
        }

        func run() async throws {
            let ca: Data?
            do { ca = try caFile.map { path throws(PinnedCAError) in try StateDirectory.readCA(from: path) } } catch {
                Output.error("kioskd enroll: \(error)")
                throw ExitCode(1)
            }
            let client = CentralClient(baseURL: server, deviceToken: nil, transport: CurlTransport(caFile: caFile))
            let response: EnrollResponse
            do {
                response = try await client.enroll(EnrollRequest(code: code.trimmingCharacters(in: .whitespaces), deviceName: name))
            } catch .unauthorized(let reason) {
                // No device yet: a 401 here is about the code, not a revoked device.
                Output.error("kioskd enroll: the server refused the code: \(reason)")
                throw ExitCode(1)
            } catch {
                Output.error("kioskd enroll: \(error)")
                throw ExitCode(1)
            }
            // Enrolled: the CA copy before the credentials that name it (a failed attempt leaves an
            // earlier enrolment's pinned CA as it was).
            let pinned: String?
            do {
                pinned = try ca.map { data throws(PinnedCAError) in try state.directory.savePinnedCA(data) }
            } catch {
                Output.error("kioskd enroll: enrolled, but \(error)")
                throw ExitCode(1)
            }
            let credentials = DeviceCredentials(serverURL: server, deviceID: response.deviceID, deviceToken: response.deviceToken,
                                                deviceName: name, storeID: response.store.storeID, storeName: response.store.name,
                                                enrolledAt: response.serverTime, caFile: pinned)
            do { try state.directory.saveDevice(credentials) } catch {
                Output.error("kioskd enroll: enrolled, but cannot store the credentials in \(state.directory.devicePath): \(error)")
                throw ExitCode(1)
            }
            if pinned == nil { state.directory.removePinnedCA() }
            Output.line("enrolled as '\(name)' (device \(response.deviceID.uuidString.lowercased())) for store #\(response.store.storeID) \(response.store.name)")
            let database = try state.openDatabase()
            let engine = SyncEngine(database: database, client: CentralClient(baseURL: server, deviceToken: response.deviceToken,
                                                                               transport: credentials.transport()))
            do {
                let report = try await engine.runOnce(full: true)
                Output.line("first sync: \(report.pulledTickets) tickets in \(report.pages) page(s), \(report.duration.milliseconds) ms")
            } catch {
                Output.error("kioskd enroll: the first sync failed (\(error)); run 'kioskd sync' once the server is reachable")
                throw ExitCode(1)
            }
        }
    }
}
