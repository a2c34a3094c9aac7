#if canImport(Glibc)
import Glibc
#endif
import CafeProtocol
import Crypto
import Foundation
import KioskCore
import Synchronization
import Testing

/// `kioskd run` as systemd runs it, stopped with SIGTERM in the states that used to hang it:
/// a camera FIFO whose writer sends nothing, a server that accepts and never answers while a
/// sync or a check-in waits on it. Each must end within 2 s, with status 0, the scan in flight
/// committed.
@Suite(.serialized, .timeLimit(.minutes(2))) struct DaemonShutdownTests {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    static let width = 160, height = 120

    /// A state directory whose cache has synced (store, key), optionally enrolled at `server`.
    func prepareState(server: String?) throws -> String {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-stop-\(UUID().uuidString)").path
        let directory = StateDirectory(path: state)
        try directory.prepare()
        let database = try KioskDatabase.open(path: directory.databasePath).database
        try database.apply(SyncPage(cursor: "c1", hasMore: false, tickets: [],
                                    keys: [PublicKeyRecord(keyID: signer.keyID, publicKey: signer.privateKey.publicKey.rawRepresentation, retired: false)],
                                    store: StoreSettings(storeID: 7, name: "Stop Test", timeZone: "UTC", closedHours: nil, seats: 5),
                                    printJobs: [], serverTime: Date()))
        if let server {
            try directory.saveDevice(DeviceCredentials(serverURL: server, deviceID: UUID(), deviceToken: "token", deviceName: "door",
                                                       storeID: 7, storeName: "Stop Test", enrolledAt: Date()))
        }
        return state
    }

    func codeFrame() throws -> [UInt8] {
        let now = Date()
        let token = try signer.signText(PassToken(keyID: signer.keyID, passID: UUID(), storeID: 7, kind: .period,
                                                  validFrom: now.addingTimeInterval(-60), validUntil: now.addingTimeInterval(3600), issuedAt: now))
        var image = GrayImage(width: Self.width, height: Self.height, fill: 220)
        let code = try QRMatrix(text: token).image(moduleSize: 2)
        for y in 0..<code.height { for x in 0..<code.width { image[x + 8, y + 8] = code[x, y] } }
        return image.pixels
    }

    /// A camera FIFO with a writer that is open and silent until `write` is called.
    final class SilentCamera {
        let path: String
        let writer: Int32
        init() {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-cam-\(UUID().uuidString).fifo").path
            mkfifo(path, 0o600)
            writer = open(path, O_RDWR | O_NONBLOCK)
        }
        func write(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Glibc.write(writer, $0.baseAddress, $0.count) } }
        deinit {
            close(writer)
            unlink(path)
        }
    }

    /// A server that reads every request and never answers one; it says which requests came.
    final class HangingServer: @unchecked Sendable {
        // @unchecked: `requests` is guarded by `condition`.
        let fd: Int32
        let port: Int
        private let condition = NSCondition()
        private var requests: [String] = []
        private var open = true

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            listen(fd, 16)
            var bound = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            port = Int(UInt16(bigEndian: bound.sin_port))
            Thread.detachNewThread { [self] in
                while condition.withLock({ open }) {
                    let client = accept(fd, nil, nil)
                    if client < 0 { return }
                    Thread.detachNewThread { [self] in
                        var buffer = [UInt8](repeating: 0, count: 8192)
                        let n = read(client, &buffer, buffer.count)
                        if n > 0 {
                            let line = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? ""
                            condition.withLock { requests.append(line); condition.broadcast() }
                        }
                        // Hold the connection open, silent, until the client gives up.
                        while read(client, &buffer, buffer.count) > 0 {}
                        close(client)
                    }
                }
            }
        }

        var url: String { "http://127.0.0.1:\(port)" }

        /// Waits (on a thread of its own) until a request line containing `text` has come.
        func waitForRequest(containing text: String) async {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { [self] in
                    condition.lock()
                    while !requests.contains(where: { $0.contains(text) }) { condition.wait() }
                    condition.unlock()
                    continuation.resume()
                }
            }
        }

        deinit {
            condition.withLock { open = false }
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    /// The running daemon: its stderr watched line by line, stopped by a signal.
    final class Daemon: @unchecked Sendable {
        // @unchecked: `lines` and `ended` are guarded by `condition`.
        let process = Process()
        private let condition = NSCondition()
        private var lines: [String] = []
        private var ended = false
        private(set) var stdout = Data()

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            process.executableURL = Kioskd.executable
            process.arguments = arguments
            if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
            let err = Pipe(), out = Pipe()
            process.standardError = err
            process.standardOutput = out
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let handle = err.fileHandleForReading
            Thread.detachNewThread { [self] in
                var buffer = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    buffer += chunk
                    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: buffer[..<newline], as: UTF8.self)
                        buffer = buffer[(newline + 1)...]
                        condition.withLock { lines.append(line); condition.broadcast() }
                    }
                }
                condition.withLock { ended = true; condition.broadcast() }
            }
            let outHandle = out.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let chunk = outHandle.availableData
                    if chunk.isEmpty { break }
                    condition.withLock { stdout += chunk; condition.broadcast() }
                }
            }
        }

        /// Waits (on a thread of its own) until stdout holds `text`; false if the daemon ended first.
        func waitForOutput(containing text: String) async -> Bool {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { [self] in
                    condition.lock()
                    func found() -> Bool { String(decoding: stdout, as: UTF8.self).contains(text) }
                    while !found() && !ended { condition.wait() }
                    let result = found()
                    condition.unlock()
                    continuation.resume(returning: result)
                }
            }
        }

        /// Waits (on a thread of its own) for a stderr line containing `text`.
        func waitForLine(containing text: String) async -> Bool {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { [self] in
                    condition.lock()
                    while !lines.contains(where: { $0.contains(text) }) && !ended { condition.wait() }
                    let found = lines.contains(where: { $0.contains(text) })
                    condition.unlock()
                    continuation.resume(returning: found)
                }
            }
        }

        var stderr: String { condition.withLock { lines.joined(separator: "\n") } }

        /// Sends `signal` and waits for the exit: how long it took, and the exit status.
        func stop(with signal: Int32 = SIGTERM) async -> (Duration, Int32) {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { [self] in
                    let start = ContinuousClock.now
                    kill(process.processIdentifier, signal)
                    process.waitUntilExit()
                    continuation.resume(returning: (ContinuousClock.now - start, process.terminationStatus))
                }
            }
        }
    }

    func arguments(state: String, camera: String, extra: [String] = []) -> [String] {
        ["run", "--state-dir", state, "--config", "/nonexistent/kioskd.toml", "--raw", "gray", "--size", "\(Self.width)x\(Self.height)",
         camera, "--no-metrics", "--log-level", "info"] + extra
    }

    @Test func sigtermWithASilentCameraStopsWithinTwoSeconds() async throws {
        let state = try prepareState(server: nil)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let camera = SilentCamera()
        let daemon = try Daemon(arguments(state: state, camera: camera.path))
        #expect(await daemon.waitForLine(containing: "kioskd ready"), "\(daemon.stderr)")
        let (took, status) = await daemon.stop()
        #expect(status == 0, "\(daemon.stderr)")
        #expect(took < .seconds(2), "stopped in \(took)")
        #expect(daemon.stderr.contains("door stopped"))
    }

    /// A FIFO nobody writes to yet (the capture tool not started): opening it must not hang
    /// the camera thread, and SIGTERM still ends the daemon within 2 s.
    @Test func sigtermWithACameraFIFOThatHasNoWriterStopsWithinTwoSeconds() async throws {
        let state = try prepareState(server: nil)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-nowriter-\(UUID().uuidString).fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let daemon = try Daemon(arguments(state: state, camera: fifo))
        #expect(await daemon.waitForLine(containing: "kioskd ready"), "\(daemon.stderr)")
        let (took, status) = await daemon.stop()
        #expect(status == 0, "\(daemon.stderr)")
        #expect(took < .seconds(2), "stopped in \(took)")
    }

    @Test func sigtermWhileASyncWaitsOnAHangingServerStopsWithinTwoSeconds() async throws {
        let server = try HangingServer()
        let state = try prepareState(server: server.url)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let camera = SilentCamera()
        let daemon = try Daemon(arguments(state: state, camera: camera.path, extra: ["--sync-interval", "1"]))
        #expect(await daemon.waitForLine(containing: "kioskd ready"), "\(daemon.stderr)")
        await server.waitForRequest(containing: "/kiosk/v1/")
        let (took, status) = await daemon.stop()
        #expect(status == 0, "\(daemon.stderr)")
        #expect(took < .seconds(2), "stopped in \(took)")
    }

    /// The customer at the door when SIGTERM comes still gets a committed verdict (offline:
    /// the server hangs), and the daemon is down within 2 s.
    @Test func theScanInFlightIsCommittedBeforeTheDaemonStops() async throws {
        let server = try HangingServer()
        let state = try prepareState(server: server.url)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let camera = SilentCamera()
        let daemon = try Daemon(arguments(state: state, camera: camera.path, extra: ["--deadline-ms", "500", "--sync-interval", "3600"]))
        #expect(await daemon.waitForLine(containing: "kioskd ready"), "\(daemon.stderr)")
        camera.write(try codeFrame())
        // The online attempt is now waiting on the server that never answers.
        await server.waitForRequest(containing: "/kiosk/v1/check-ins")
        let (took, status) = await daemon.stop()
        #expect(status == 0, "\(daemon.stderr)")
        #expect(took < .seconds(2), "stopped in \(took)")
        #expect(daemon.stderr.contains("scan.verdict=enter"), "\(daemon.stderr)")
        let database = try KioskDatabase.open(path: StateDirectory(path: state).databasePath).database
        #expect(try database.status().outboxPending == 1, "the entry was committed and waits for upload")
    }

    /// A free loopback port (bound, read, released: the daemon binds it right after).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func statusShowsTheRunningDaemonsLiveState() async throws {
        let state = try prepareState(server: nil)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let config = state + "/kioskd.toml"
        try "[metrics]\nlisten = \"127.0.0.1:\(Self.freePort())\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let before = try await Kioskd.run(["status", "--state-dir", state, "--config", config])
        #expect(before.stdout.contains("daemon      not running"), "\(before.stdout)")
        let camera = SilentCamera()
        let daemon = try Daemon(["run", "--state-dir", state, "--config", config, "--raw", "gray", "--size", "\(Self.width)x\(Self.height)", camera.path])
        #expect(await daemon.waitForLine(containing: "kioskd ready"), "\(daemon.stderr)")
        let during = try await Kioskd.run(["status", "--state-dir", state, "--config", config])
        #expect(during.stdout.contains("daemon      running since"), "\(during.stdout)")
        #expect(during.stdout.contains("not enrolled (offline only) · 0 tickets · outbox 0 · camera"), "\(during.stdout)")
        let json = try await Kioskd.run(["status", "--json", "--state-dir", state, "--config", config])
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((report?["daemon"] as? [String: Any])?["camera"] as? String == "running", "\(json.stdout)")
        let (_, status) = await daemon.stop()
        #expect(status == 0)
    }

    @Test func aConfigurationMistakeExitsWith78AndSaysWhere() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-bad-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[server]\ndeadline_ms = 300\n\n[camera]\nformat = \"h265\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        let run = try await Kioskd.run(["run", "--config", path, "--state-dir", "/nonexistent"])
        #expect(run.status == 78)
        #expect(run.stderr.contains("\(path):5: camera.format: expected one of gray, yuyv, mjpeg, got \"h265\""), "\(run.stderr)")
        let check = try await Kioskd.run(["config", "check", path])
        #expect(check.status == 78)
        #expect(check.stderr.contains("\(path):5: camera.format"))
        try "[server]\ndeadline_ms = 250\n".write(toFile: path, atomically: true, encoding: .utf8)
        let good = try await Kioskd.run(["config", "check", path])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("server.deadline_ms = 250"))
    }

    /// The drop-in that narrows the unit's devices to what the configuration names.
    @Test func configDevicesAllowsExactlyTheConfiguredDevices() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-devices-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "[camera]\ndevice = \"/dev/video2\"\n[printer]\noutput = \"/dev/usb/lp0\"\n[door]\nrelay_line = 17\ngpio_chip = \"gpiochip1\"\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let devices = try await Kioskd.run(["config", "devices", path])
        #expect(devices.status == 0, "\(devices.stderr)")
        let allowed = devices.lines.filter { $0.hasPrefix("DeviceAllow=") }
        #expect(allowed == ["DeviceAllow=", "DeviceAllow=/dev/video2 rw", "DeviceAllow=/dev/usb/lp0 rw", "DeviceAllow=/dev/gpiochip1 rw",
                            "DeviceAllow=char-alsa rw"], "\(devices.stdout)")
        #expect(devices.lines.first { !$0.hasPrefix("#") } == "[Service]")
        // A network printer, no relay, no sound: the camera alone.
        try "[camera]\ndevice = \"/dev/video0\"\n[printer]\noutput = \"tcp://10.0.0.5:9100\"\n[sound]\nenabled = false\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let camera = try await Kioskd.run(["config", "devices", path])
        #expect(camera.lines.filter { $0.hasPrefix("DeviceAllow=") } == ["DeviceAllow=", "DeviceAllow=/dev/video0 rw"], "\(camera.stdout)")
    }
}
