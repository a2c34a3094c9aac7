#if canImport(Glibc)
import Glibc
#endif
import CafeProtocol
import Foundation
import KioskCore
import KioskSimulation
import KioskTestSupport
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
@testable import KioskRuntime

@Suite(.timeLimit(.minutes(2))) struct RuntimeLifecycleTests {
    @Test func aRecordedStreamIsDecidedCommittedShownAndTheDaemonStopsAtItsEnd() async throws {
        let fixture = try RuntimeFixture()
        let a = try fixture.pass(), b = try fixture.pass()
        let shots = [RuntimeFixture.shot(nil, frames: 3, seed: 1), RuntimeFixture.shot(a, frames: 5, seed: 2),
                     RuntimeFixture.shot(nil, frames: 6, seed: 3), RuntimeFixture.shot(b, frames: 5, seed: 4),
                     RuntimeFixture.shot(nil, frames: 6, seed: 5), RuntimeFixture.shot(a, frames: 5, seed: 6)]
        let camera = CameraInput(name: "synthetic", atEnd: .stop, policy: .everyFrame) { SyntheticCamera(shots: shots) }
        let socket = try NotifySocket.open()
        defer { socket.stop() }
        let recorder = VerdictRecorder()
        let runtime = fixture.runtime(camera: camera, sinks: [recorder],
                                      notifier: SystemdNotifier(socketPath: socket.address, watchdogInterval: nil))
        try await runtime.run()

        #expect(recorder.verdicts == [.enter, .enter, .exit], "A in, B in, A out, each shown once")
        #expect(try fixture.database.status().outboxPending == 3, "every verdict committed before it was shown")
        var iterator = socket.messages.makeAsyncIterator()
        let messages = await socket.wait(for: "STOPPING=1", in: &iterator).map(\.text)
        #expect(messages.first?.hasPrefix("READY=1\nSTATUS=") == true, "\(messages)")
        #expect(messages.last?.hasPrefix("STOPPING=1") == true)
        #expect(runtime.state.snapshot.camera == .ended)
        #expect(runtime.state.snapshot.lastVerdict == "exit")
    }

    /// Graceful shutdown while the camera is a FIFO whose writer sends nothing: no service is
    /// blocked on a read, the watchdog keeps being fed while the door waits, and the group comes
    /// down by the graceful path alone (its escalation to cancellation is pushed out of reach).
    /// The 2 s target is measured on a real process (DaemonShutdownTests): in here the test
    /// runner's other suites share the two cooperative threads, so wall-clock time is no measure.
    @Test func gracefulShutdownWithASilentCameraNeedsNoCancellation() async throws {
        let fixture = try RuntimeFixture()
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-silent-\(UUID().uuidString).fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        // The writer: open and silent for the whole test.
        let writer = open(fifo, O_RDWR | O_NONBLOCK)
        #expect(writer >= 0)
        defer { close(writer) }
        let socket = try NotifySocket.open()
        defer { socket.stop() }
        let camera = CameraInput.stream(path: fifo, format: .gray, size: .init(width: 64, height: 48), atEnd: .reopen)
        var runtime = fixture.runtime(camera: camera, notifier: SystemdNotifier(socketPath: socket.address, watchdogInterval: .milliseconds(200)))
        runtime.maximumShutdown = .seconds(600)
        let services = runtime.makeServices()
        defer { services.shutdownExecutors() }
        var iterator = socket.messages.makeAsyncIterator()

        let stopped: Duration = try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Duration?.self) { group in
                group.addTask {
                    try await services.group.run()
                    return nil
                }
                let beforeReady = await socket.wait(for: "READY=1", in: &iterator)
                #expect(beforeReady.last?.text.contains("camera") == true)
                // Fed from the decode loop while it waits for frames: three pings, ~250 ms apart.
                for _ in 0..<3 { _ = await socket.wait(for: "WATCHDOG=1", in: &iterator) }
                let start = ContinuousClock.now
                trigger.triggerGracefulShutdown()
                _ = try await group.next()
                return ContinuousClock.now - start
            }
        }
        #expect(stopped < .seconds(60), "stopped in \(stopped): a service waits on something")
        let after = await socket.wait(for: "STOPPING=1", in: &iterator)
        #expect(after.last?.text.hasPrefix("STOPPING=1") == true)
    }

    /// A camera that is not there does not stop the pings (systemd must not restart a box for
    /// an unplugged camera); the daemon is READY, degraded, and says why.
    @Test func aMissingCameraIsReadyDegradedAndStillPings() async throws {
        let fixture = try RuntimeFixture()
        let socket = try NotifySocket.open()
        defer { socket.stop() }
        let camera = CameraInput.stream(path: "/nonexistent/video.mjpeg", format: .mjpeg, size: nil, atEnd: .reopen)
        let runtime = fixture.runtime(camera: camera, notifier: SystemdNotifier(socketPath: socket.address, watchdogInterval: .milliseconds(200)))
        let services = runtime.makeServices()
        defer { services.shutdownExecutors() }
        var iterator = socket.messages.makeAsyncIterator()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.group.run() }
                let ready = await socket.wait(for: "READY=1", in: &iterator)
                #expect(ready.last?.text.contains("no camera: retrying /nonexistent/video.mjpeg") == true, "\(ready.map(\.text))")
                for _ in 0..<3 { _ = await socket.wait(for: "WATCHDOG=1", in: &iterator) }
                #expect(runtime.state.snapshot.camera == .lost)
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
    }

    /// A decoder stuck inside a frame stops the pings, so systemd's watchdog restarts the daemon.
    @Test func aStuckDecoderStopsThePings() async throws {
        let fixture = try RuntimeFixture()
        let socket = try NotifySocket.open()
        defer { socket.stop() }
        let decoder = StallingDecoder()
        let camera = CameraInput(name: "blank", atEnd: .reopen, policy: .latest) { BlankCamera() }
        var runtime = fixture.runtime(camera: camera, notifier: SystemdNotifier(socketPath: socket.address, watchdogInterval: .milliseconds(200)))
        runtime.makeDecoder = { decoder }
        let services = runtime.makeServices()
        defer { services.shutdownExecutors() }
        var iterator = socket.messages.makeAsyncIterator()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.group.run() }
                _ = await socket.wait(for: "READY=1", in: &iterator)
                // Stuck now. Whatever pings were sent before, none comes for a whole second
                // (five watchdog intervals of this test).
                await withCheckedContinuation { (entered: CheckedContinuation<Void, Never>) in
                    DispatchQueue.global().async { decoder.entered.wait(); entered.resume() }
                }
                // Datagrams queue in the order they were sent: whatever comes between these two
                // markers was sent while the decoder was stuck.
                runtime.notifier.status("stuck from here")
                _ = await socket.wait(for: "stuck from here", in: &iterator)
                try await Task.sleep(for: .seconds(1))
                runtime.notifier.status("end of observation")
                let seen = await socket.wait(for: "end of observation", in: &iterator)
                let pings = seen.filter { $0.text.contains("WATCHDOG=1") }
                #expect(pings.isEmpty, "no ping while the decoder is stuck: \(pings.count)")
                decoder.release.signal()
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
    }

    @Test func metricsAndTheLiveStateAreServedOnLoopback() async throws {
        let fixture = try RuntimeFixture()
        let a = try fixture.pass()
        let shots = [RuntimeFixture.shot(nil, frames: 2, seed: 1), RuntimeFixture.shot(a, frames: 4, seed: 2)]
        let camera = CameraInput(name: "synthetic", atEnd: .reopen, policy: .everyFrame) { SyntheticCamera(shots: shots) }
        let recorder = VerdictRecorder()
        let runtime = fixture.runtime(camera: camera, sinks: [recorder], notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil),
                                      metrics: true)
        let services = runtime.makeServices()
        defer { services.shutdownExecutors() }
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.group.run() }
                await services.startup.allArrived()
                let port = try #require(services.status.boundPort.value)
                let transport = CurlTransport()
                // The counters move before the feedback shows the verdict: once it is shown, the
                // page must count it. (Waits as long as the runner takes; the time limit guards.)
                while recorder.verdicts.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                let text = String(decoding: try await transport.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/metrics")).body, as: UTF8.self)
                #expect(text.contains("kioskd_verdicts_total{verdict=\"enter\",reason=\"\"} 1"), "\(text.prefix(3000))")
                #expect(text.contains("kioskd_verdicts_total{verdict=\"deny\",reason=\"refunded\"} 0"), "every series exists from the start")
                #expect(text.contains("kioskd_decode_seconds_bucket"))
                #expect(text.contains("# HELP kioskd_outbox_events"))
                // The cache's counts are refreshed every two seconds: the pass decided offline is in
                // the cache from its check-in on, so the live state comes to count it.
                var json: [String: Any]?
                repeat {
                    let status = try await transport.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/status"))
                    json = try JSONSerialization.jsonObject(with: Data(status.body)) as? [String: Any]
                    if json?["tickets_cached"] as? Int == 1 { break }
                    try await Task.sleep(for: .milliseconds(100))
                } while true
                #expect(json?["enrolled"] as? Bool == false)
                #expect(json?["online"] as? Bool == false)
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
        #expect(recorder.verdicts == [.enter])
    }

    /// `door.hook` from the configuration runs on the grant, after the verdict is shown, and its
    /// answer is counted.
    @Test func theConfiguredDoorHookRunsOnAGrant() async throws {
        let fixture = try RuntimeFixture()
        let a = try fixture.pass()
        let record = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-hook-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: record) }
        let shots = [RuntimeFixture.shot(nil, frames: 2, seed: 1), RuntimeFixture.shot(a, frames: 4, seed: 2), RuntimeFixture.shot(nil, frames: 4, seed: 3)]
        let camera = CameraInput(name: "synthetic", atEnd: .stop, policy: .everyFrame) { SyntheticCamera(shots: shots) }
        let recorder = VerdictRecorder()
        let runtime = fixture.runtime(camera: camera, sinks: [recorder], notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil)) {
            $0.doorHook = "echo \"$KIOSK_VERDICT $KIOSK_DECIDED\" >> '\(record)'"
        }
        try await runtime.run()
        #expect(recorder.verdicts == [.enter])
        // The hook runs beside the door: wait for its line (the suite's time limit bounds it).
        while !(FileManager.default.contents(atPath: record).map { !$0.isEmpty } ?? false) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try String(contentsOfFile: record, encoding: .utf8) == "enter offline\n")
        while !runtime.metrics.text().contains("kioskd_door_hook_total{result=\"opened\"} 1") {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A hook that exits non-zero says the door stayed shut: the grant is annulled — an annul
    /// event in the outbox under the same pass, the cache says outside again — while the daemon runs.
    @Test func aDoorThatStayedShutAnnulsTheEntry() async throws {
        let fixture = try RuntimeFixture()
        let a = try fixture.pass()
        let shots = [RuntimeFixture.shot(nil, frames: 2, seed: 1), RuntimeFixture.shot(a, frames: 4, seed: 2), RuntimeFixture.shot(nil, frames: 4, seed: 3)]
        // After the shots the doorway stays empty (the daemon keeps running until the test stops it).
        let camera = CameraInput(name: "synthetic", atEnd: .stop, policy: .everyFrame) { ThenIdle(SyntheticCamera(shots: shots)) }
        let recorder = VerdictRecorder()
        let runtime = fixture.runtime(camera: camera, sinks: [recorder], notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil)) {
            $0.doorHook = "exit 3"
        }
        // The door's answer comes beside the door; the annul follows it.
        try await runtime.run(until: { try !fixture.database.pendingEvents(limit: 10).filter(\.isAnnul).isEmpty })
        let events = try fixture.database.pendingEvents(limit: 10)
        #expect(recorder.verdicts == [.enter])
        #expect(events.count == 2)
        let (entry, annul) = (events[0], events[1])
        #expect(entry.verdict == .enter && annul.annuls == entry.eventID && annul.passID == entry.passID && annul.verdict == .enter)
        #expect(try fixture.database.ticket(passID: try #require(entry.passID))?.inside == false)
        #expect(runtime.metrics.text().contains("kioskd_door_hook_total{result=\"stayed_shut\"} 1"))
        #expect(runtime.metrics.text().contains("kioskd_annuls_total 1"))
    }

    /// A relay on GPIO with a door sensor that never sees the door open: pulsed on the grant,
    /// and the grant annulled (the fake chip stands in for the box's GPIO).
    @Test func aDoorSensorThatNeverSeesTheDoorOpenAnnulsTheEntry() async throws {
        let fixture = try RuntimeFixture()
        let a = try fixture.pass()
        let shots = [RuntimeFixture.shot(nil, frames: 2, seed: 1), RuntimeFixture.shot(a, frames: 4, seed: 2), RuntimeFixture.shot(nil, frames: 4, seed: 3)]
        let camera = CameraInput(name: "synthetic", atEnd: .stop, policy: .everyFrame) { ThenIdle(SyntheticCamera(shots: shots)) }
        let chip = FakeGPIOChip(doorOpensAfter: nil)
        var runtime = fixture.runtime(camera: camera, notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil)) {
            $0.gpioChip = "fakechip0"
            $0.relayLine = 17
            $0.relayPulse = .milliseconds(50)
            $0.sensorLine = 27
            $0.sensorWindow = .milliseconds(300)
        }
        runtime.openGPIOChip = { _ throws(GPIOError) in chip }
        // The door's answer comes beside the door; the annul follows it.
        try await runtime.run(until: { try !fixture.database.pendingEvents(limit: 10).filter(\.isAnnul).isEmpty })
        let events = try fixture.database.pendingEvents(limit: 10)
        #expect(events.map(\.verdict) == [.enter, .enter] && events[1].annuls == events[0].eventID)
        #expect(chip.relayValues == [true, false])
        #expect(runtime.metrics.text().contains("kioskd_door_relay_total{result=\"stayed_shut\"} 1"))
    }

    /// A relay whose chip is not there: said once at start, and the door goes on deciding.
    @Test func aMissingGPIOChipDisablesTheRelayNotTheDoor() async throws {
        let fixture = try RuntimeFixture()
        let a = try fixture.pass()
        let shots = [RuntimeFixture.shot(nil, frames: 2, seed: 1), RuntimeFixture.shot(a, frames: 4, seed: 2)]
        let camera = CameraInput(name: "synthetic", atEnd: .stop, policy: .everyFrame) { SyntheticCamera(shots: shots) }
        let recorder = VerdictRecorder()
        let runtime = fixture.runtime(camera: camera, sinks: [recorder], notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil)) {
            $0.gpioChip = "gpiochip-that-is-not-here"
            $0.relayLine = 17
        }
        try await runtime.run()
        #expect(recorder.verdicts == [.enter])
    }

    /// A pass sold at the counter comes down with a sync and the print service prints it once to
    /// `printer.output`; the receipt's QR decodes back to the pass.
    @Test func aCounterSaleIsPrintedOnce() async throws {
        let fixture = try RuntimeFixture()
        let token = try fixture.pass()
        let job = PrintJob(jobID: UUID(), passID: UUID(), token: token, label: "Day pass", createdAt: Date())
        try fixture.database.apply(SyncPage(cursor: "c2", hasMore: false, tickets: [], keys: [], store: fixture.settings, printJobs: [job], serverTime: Date()))
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-receipts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let runtime = fixture.runtime(camera: nil, notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil)) {
            $0.printerOutput = output
        }
        let services = runtime.makeServices()
        defer { services.shutdownExecutors() }
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.group.run() }
                await services.startup.allArrived()
                while try !fixture.database.pendingPrintJobs().isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        let image = try #require(ESCPOS.decodeRaster(bytes))
        #expect(CascadeDecoder().decodeThoroughly(image).map(\.text) == [token])
        #expect(try fixture.database.printedUnacknowledged().map(\.jobID) == [job.jobID], "for the next sync to acknowledge")
        #expect(runtime.state.snapshot.printer == output)
    }
}

/// A recorded scene, then an empty doorway for as long as the daemon runs: like a live camera
/// after the customer left.
struct ThenIdle: FrameSource {
    var inner: SyntheticCamera
    init(_ inner: SyntheticCamera) { self.inner = inner }

    mutating func nextFrame() throws(FrameSourceError) -> Frame? { try inner.nextFrame() }

    mutating func nextFrame(waitingAtMost timeout: Duration) throws(FrameSourceError) -> FrameWait {
        if let frame = try inner.nextFrame() { return .frame(frame) }
        // A camera that sends nothing: the wait it was given, then idle.
        Thread.sleep(forTimeInterval: min(timeout.inSeconds, 0.05))
        return .idle
    }
}
