#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A CUPS scheduler of the test's own (not the machine's): its own folder, socket and queue,
/// whose device is a small backend that appends every job to a file — the printer hardware is the
/// only thing standing in. Needs root and Debian's cups-daemon; `unavailable` says why not.
public final class PrivateCUPS: @unchecked Sendable {
    // @unchecked: set up once in init; the scheduler process is only stopped in deinit.
    public let folder: String
    public let socket: String
    public let queue = "receipts"
    /// What the "printer" received, all jobs in order.
    public var printed: [UInt8] { (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/device.out")))) ?? [] }
    private let scheduler = Process()

    /// Why a private scheduler cannot run here, or nil.
    public static var unavailable: String? {
        if getuid() != 0 { return "cupsd needs root to run its backends" }
        for tool in ["/usr/sbin/cupsd", "/usr/sbin/lpadmin", "/usr/bin/lp", "/usr/lib/cups/daemon/cups-exec"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) missing (cups-daemon, cups-client)"
        }
        return nil
    }

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cups-\(UUID().uuidString.prefix(8))").path
        socket = folder + "/cups.sock"
        let files = FileManager.default
        for sub in ["spool", "cache", "state", "logs", "tmp", "bin/backend"] {
            try files.createDirectory(atPath: "\(folder)/\(sub)", withIntermediateDirectories: true)
        }
        try files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder)
        try files.createSymbolicLink(atPath: folder + "/bin/daemon", withDestinationPath: "/usr/lib/cups/daemon")
        try """
            Listen \(socket)
            LogLevel warn
            WebInterface No
            <Location />
              Order allow,deny
              Allow all
            </Location>
            <Policy default>
              JobPrivateAccess all
              JobPrivateValues none
              SubscriptionPrivateAccess all
              SubscriptionPrivateValues none
              <Limit All>
                Order allow,deny
                Allow all
              </Limit>
            </Policy>
            """.write(toFile: folder + "/cupsd.conf", atomically: true, encoding: .utf8)
        try """
            ServerRoot \(folder)
            ServerBin \(folder)/bin
            DataDir /usr/share/cups
            RequestRoot \(folder)/spool
            CacheDir \(folder)/cache
            StateDir \(folder)/state
            TempDir \(folder)/tmp
            ErrorLog \(folder)/logs/error_log
            AccessLog \(folder)/logs/access_log
            PageLog \(folder)/logs/page_log
            """.write(toFile: folder + "/cups-files.conf", atomically: true, encoding: .utf8)
        // The printer: a backend (mode 0700: CUPS runs it as root) that appends each job to a file.
        let backend = folder + "/bin/backend/receipt"
        try """
            #!/bin/sh
            [ $# -eq 0 ] && { echo 'direct receipt "Unknown" "Test receipt printer"'; exit 0; }
            if [ -n "$6" ]; then cat "$6" >>"${DEVICE_URI#receipt:}"; else cat >>"${DEVICE_URI#receipt:}"; fi
            """.write(toFile: backend, atomically: true, encoding: .utf8)
        try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: backend)
        scheduler.executableURL = URL(fileURLWithPath: "/usr/sbin/cupsd")
        scheduler.arguments = ["-f", "-c", folder + "/cupsd.conf", "-s", folder + "/cups-files.conf"]
        scheduler.standardOutput = FileHandle.nullDevice
        scheduler.standardError = FileHandle.nullDevice
        try scheduler.run()
        // Up once its socket answers (bounded: a scheduler that never comes up fails the test).
        let deadline = Date().addingTimeInterval(20)
        while !files.fileExists(atPath: socket) {
            guard Date() < deadline, scheduler.isRunning else { throw CUPSError("cupsd did not start: \(log)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try admin("/usr/sbin/lpadmin", ["-p", queue, "-E", "-v", "receipt:\(folder)/device.out", "-m", "raw"])
    }

    deinit {
        // SIGKILL: a scheduler asked politely waits for the jobs it holds; this one's state is thrown away.
        kill(scheduler.processIdentifier, SIGKILL)
        scheduler.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
    }

    public var log: String { (try? String(contentsOfFile: folder + "/logs/error_log", encoding: .utf8)) ?? "" }

    /// The environment that points lp and lpstat at this scheduler.
    public var environment: [String: String] { ["CUPS_SERVER": socket] }

    /// Runs a CUPS admin tool (lpadmin, cupsdisable, cupsenable) against this scheduler.
    public func admin(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-h", socket] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
    }

    public struct CUPSError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
