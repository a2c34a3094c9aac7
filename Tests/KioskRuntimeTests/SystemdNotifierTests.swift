import Foundation
import Testing
@testable import KioskRuntime

@Suite(.timeLimit(.minutes(1))) struct SystemdNotifierTests {
    @Test(arguments: [false, true]) func messagesReachThePathOrAbstractSocket(abstract: Bool) async throws {
        let socket = try NotifySocket.open(abstract: abstract)
        defer { socket.stop() }
        let notifier = SystemdNotifier(socketPath: socket.address, watchdogInterval: nil)
        notifier.ready(status: "online · 3 tickets")
        notifier.status("offline\nREADY=0")
        notifier.stopping(status: "stopping")
        var iterator = socket.messages.makeAsyncIterator()
        let seen = await socket.wait(for: "STOPPING=1", in: &iterator)
        #expect(seen.map(\.text) == ["READY=1\nSTATUS=online · 3 tickets", "STATUS=offline READY=0", "STOPPING=1\nSTATUS=stopping"],
                "one datagram each, a value never smuggles in a second key")
        #expect(notifier.failedSends == 0)
    }

    @Test func theWatchdogPingsAtMostTwicePerInterval() async throws {
        let socket = try NotifySocket.open()
        defer { socket.stop() }
        let notifier = SystemdNotifier(socketPath: socket.address, watchdogInterval: .seconds(10))
        let start = ContinuousClock.now
        // A thousand frames within the same few milliseconds: one ping.
        for _ in 0..<1_000 { notifier.watchdog(now: start) }
        notifier.watchdog(now: start + .seconds(4))
        notifier.watchdog(now: start + .seconds(5))
        notifier.status("end")
        var iterator = socket.messages.makeAsyncIterator()
        let seen = await socket.wait(for: "STATUS=end", in: &iterator)
        #expect(seen.map(\.text) == ["WATCHDOG=1", "WATCHDOG=1", "STATUS=end"])
    }

    @Test func theEnvironmentSaysWhetherAndHowOften() {
        let pid = getpid()
        let on = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "\(pid)"], pid: pid)
        #expect(on.isActive && on.watchdogInterval == .seconds(5))
        let otherProcess = SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"], pid: pid)
        #expect(otherProcess.watchdogInterval == nil, "WATCHDOG_PID names another process")
        let off = SystemdNotifier.fromEnvironment([:], pid: pid)
        #expect(!off.isActive && off.watchdogInterval == nil)
        off.ready(status: "nothing happens")
        #expect(off.failedSends == 0)
    }

    @Test func aMissingSocketIsCountedNotThrown() {
        let notifier = SystemdNotifier(socketPath: "/nonexistent/notify", watchdogInterval: nil)
        notifier.ready(status: "x")
        #expect(notifier.failedSends == 1)
    }
}
