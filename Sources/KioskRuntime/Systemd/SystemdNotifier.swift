import Foundation
import KioskCore
import Synchronization

/// systemd's notify protocol (sd_notify(3)): newline-separated `KEY=VALUE` datagrams to the
/// `AF_UNIX` socket named by `$NOTIFY_SOCKET` (`@` for the abstract namespace). READY=1 once the
/// daemon is up, STATUS= for `systemctl status`, WATCHDOG=1 as a sign of life, STOPPING=1 on the
/// way down. Without `$NOTIFY_SOCKET` (not under systemd) every call does nothing.
public final class SystemdNotifier: Sendable {
    public let socketPath: String?
    /// Half the unit's `WatchdogSec=` (systemd's advice: ping at least twice per period);
    /// nil when the watchdog is off.
    public let watchdogInterval: Duration?
    private let lastPing = Mutex<ContinuousClock.Instant?>(nil)
    private let failures = Mutex(0)

    public init(socketPath: String?, watchdogInterval: Duration?) {
        self.socketPath = socketPath.flatMap { $0.isEmpty ? nil : $0 }
        self.watchdogInterval = watchdogInterval
    }

    /// From the environment systemd gives a `Type=notify` service. `WATCHDOG_PID`, when set,
    /// must be this process (otherwise the pings are meant for another one).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       pid: Int32 = getpid()) -> SystemdNotifier {
        var interval: Duration?
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == pid }) ?? true {
            interval = .microseconds(Int64(usec / 2))
        }
        return SystemdNotifier(socketPath: environment["NOTIFY_SOCKET"], watchdogInterval: interval)
    }

    public var isActive: Bool { socketPath != nil }

    public func ready(status: String) { send(["READY=1", "STATUS=\(status)"]) }
    public func status(_ text: String) { send(["STATUS=\(text)"]) }
    public func stopping(status: String) { send(["STOPPING=1", "STATUS=\(status)"]) }
    public func reloading() { send(["RELOADING=1"]) }

    /// A sign of life, from the loop whose hang systemd must notice: sends WATCHDOG=1 when half
    /// the interval has passed since the last one, so calling it every frame costs nothing.
    public func watchdog(now: ContinuousClock.Instant = .now) {
        guard let watchdogInterval, socketPath != nil else { return }
        let due = lastPing.withLock { last in
            if let previous = last, now - previous < watchdogInterval / 2 { return false }
            last = now
            return true
        }
        if due { send(["WATCHDOG=1"]) }
    }

    /// A failed send is counted, never thrown: the door must not stop because systemd's
    /// socket is gone.
    public var failedSends: Int { failures.withLock { $0 } }

    func send(_ assignments: [String]) {
        guard let socketPath else { return }
        // One line per assignment; a value must not smuggle in another key.
        let message = assignments.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n")
        do { try System.sendDatagram(Array(message.utf8), toUnixSocket: socketPath) } catch {
            failures.withLock { $0 += 1 }
        }
    }
}
