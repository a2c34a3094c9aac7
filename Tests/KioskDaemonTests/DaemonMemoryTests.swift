#if canImport(Glibc)
import Glibc
#endif
import CafeProtocol
import Foundation
import KioskCore
import Testing

/// The 40 MB bound on the box depends on ICU staying out of the running daemon: its zone tables
/// and locale data cost 2–4 MB of RSS the first time anything asks Foundation for a time zone, a
/// calendar or a date format (measured in `docs/PERFORMANCE.md`). The daemon does its dates with
/// `CivilTime` and `ZoneClock` and runs under TZ=GMT; this shows it, from the outside, through the
/// pages of Foundation's ICU library the process has touched.
@Suite(.serialized, .timeLimit(.minutes(2))) struct DaemonMemoryTests {
    typealias Harness = DaemonShutdownTests

    /// Resident kB of each mapped file whose path contains `name`, from /proc/PID/smaps.
    static func residentKilobytes(pid: Int32, of name: String) throws -> Int {
        // Read to the end, not by the file's size: procfs says 0.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(pid)/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inside = false
        var total = 0
        for line in smaps.split(separator: "\n") {
            // A mapping's header starts with its range ("7f59ab200000-7f59ad771000"); the
            // fields under it ("Rss:   960 kB") start with their name.
            let range = line.prefix { $0 != " " }
            if range.contains("-"), range.allSatisfy({ "0123456789abcdef-".contains($0) }) {
                inside = line.contains(name)
            } else if inside, line.hasPrefix("Rss:") {
                total += Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
            }
        }
        return total
    }

    /// Started, serving its screen and metrics, answering `kioskd status`, and after a check-in
    /// written to the cache and its outbox. (That check-in took ICU from 1.1 to 5.4 MB while the
    /// records' date strategies were spelt GRDB 6's way and GRDB formatted their dates itself.)
    @Test func aRunningDaemonLeavesICUsTablesUntouched() async throws {
        let harness = Harness()
        let state = try harness.prepareState(server: nil)
        defer { try? FileManager.default.removeItem(atPath: state) }
        // A store in Seoul with closed hours: the cache's settings the screen reads at start.
        let database = try KioskDatabase.open(path: StateDirectory(path: state).databasePath).database
        try database.apply(SyncPage(cursor: "c2", hasMore: false, tickets: [], keys: [],
                                    store: StoreSettings(storeID: 7, name: "Gangnam", timeZone: "Asia/Seoul",
                                                        closedHours: LocalTimeRange(startMinute: 0, endMinute: 1), seats: 5),
                                    printJobs: [], serverTime: Date()))
        let config = state + "/kioskd.toml"
        try "[metrics]\nlisten = \"127.0.0.1:\(Harness.freePort())\"\n[screen]\nlisten = \"127.0.0.1:\(Harness.freePort())\"\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let camera = Harness.SilentCamera()
        let daemon = try Harness.Daemon(["run", "--state-dir", state, "--config", config, "--raw", "gray",
                                         "--size", "\(Harness.width)x\(Harness.height)", camera.path, "--log-level", "info"])
        #expect(await daemon.waitForLine(containing: "kioskd ready"), "\(daemon.stderr)")
        let status = try await Kioskd.run(["status", "--state-dir", state, "--config", config])
        #expect(status.stdout.contains("daemon      running since"), "\(status.stdout)")
        camera.write(try harness.codeFrame())
        #expect(await daemon.waitForLine(containing: "scan.verdict="), "\(daemon.stderr)")
        let outbox = try KioskDatabase.open(path: StateDirectory(path: state).databasePath).database.status().outboxPending
        #expect(outbox == 1, "the check-in is not in the outbox: this test measured no check-in")

        let icu = try Self.residentKilobytes(pid: daemon.process.processIdentifier, of: "lib_FoundationICU")
        let (_, exit) = await daemon.stop()
        #expect(exit == 0)
        // Loading the library and its relocations leave about 1.1 MB resident; the zone lookup
        // Hummingbird's Date header made before TZ=GMT added 1.8 MB (2.9 MB).
        #expect(icu > 0, "lib_FoundationICU is not mapped: a static build? This test needs the dynamic one")
        #expect(icu < 2_000, "ICU holds \(icu) kB resident: something in the daemon asked Foundation for a zone, calendar or format")
    }
}
