import ArgumentParser
import CafeProtocol
import Foundation
import KioskCore

/// `--state-dir`, shared by every command that uses the kiosk's cache.
public struct StateOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("Where the cache and the device credentials live.",
                               discussion: "Default: $STATE_DIRECTORY (set by systemd), else /var/lib/kioskd."))
    public var stateDir: String?

    public var directory: StateDirectory { StateDirectory.resolve(option: stateDir) }

    /// Opens the cache, saying so loudly when a damaged file had to be replaced.
    public func openDatabase() throws -> KioskDatabase {
        let directory = directory
        do {
            try directory.prepare()
            let opened = try KioskDatabase.open(path: directory.databasePath)
            try directory.handOverToOwner()
            if let aside = opened.movedAside {
                Output.error("""
                    kioskd: the cache \(directory.databasePath) was damaged (\(aside.reason)).
                    kioskd: it was moved to \(aside.path) and a new, empty cache was made;
                    kioskd: \(opened.salvagedEvents) queued check-in(s) could be read from it and were kept for upload;
                    kioskd: the kiosk decides nothing until 'kioskd sync' has filled it again.
                    """)
            }
            return opened.database
        } catch {
            Output.error("kioskd: cannot open the cache in \(directory.path): \(error)")
            throw ExitCode(1)
        }
    }

    /// The enrolled device, or a clear message and exit status 1.
    public func requireDevice() throws -> DeviceCredentials {
        let directory = directory
        let device: DeviceCredentials?
        do { device = try directory.loadDevice() } catch {
            Output.error("kioskd: cannot read \(directory.devicePath): \(error)")
            throw ExitCode(1)
        }
        guard let device else {
            Output.error("kioskd: this kiosk is not enrolled (no \(directory.devicePath)): run 'kioskd enroll --server URL --code CODE'")
            throw ExitCode(1)
        }
        return device
    }
}

extension Duration {
    public var milliseconds: Int { Int(inMilliseconds.rounded()) }
}

/// "3 min ago", "2 h ago", "5 d ago": ages an admin reads at a glance.
public func describeAge(since date: Date, now: Date = Date()) -> String {
    let seconds = Int(now.timeIntervalSince(date))
    if seconds < 0 { return "in the future (clock skew?)" }
    if seconds < 90 { return "\(seconds) s ago" }
    if seconds < 90 * 60 { return "\(seconds / 60) min ago" }
    if seconds < 48 * 3600 { return "\(seconds / 3600) h ago" }
    return "\(seconds / 86_400) d ago"
}
