import ArgumentParser
import CafeProtocol
import Crypto
import Foundation
import KioskCLI
import KioskCore
import KioskRuntime
import Logging

extension KioskdBench {
    struct Soak: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push many frames through the whole door and print its resident memory at the start and the end.",
            discussion: """
                Runs the daemon's services (camera → mailbox → door → check-in → feedback, the \
                sync and status services idle) over --frames small generated frames: blank, with \
                a code shown for a few frames every --code-every frames (each showing a verdict \
                committed to a real SQLite cache). Prints RSS (from /proc/self/statm) after a \
                warm-up and at the end, and the growth: memory must not grow with the frames a \
                box sees in months of running.
                """)

        @Option(help: "Frames to push through the door.")
        var frames = 1_000_000

        @Option(help: "A code is shown (for 3 frames) every this many frames.")
        var codeEvery = 2_000

        @Option(help: "Frames before the first RSS reading (allocations settle).")
        var warmUp = 20_000

        func run() async throws {
            let cache = try SyncedCache(storeName: "Soak")
            defer { cache.remove() }
            let (database, signer) = (cache.database, cache.signer)
            let now = Date()
            let token = try signer.signText(PassToken(keyID: signer.keyID, passID: UUID(), storeID: 1, kind: .period,
                                                      validFrom: now.addingTimeInterval(-60), validUntil: now.addingTimeInterval(86_400), issuedAt: now))
            let blank = GrayImage(width: 96, height: 72, fill: 200)
            var coded = GrayImage(width: 220, height: 220, fill: 230)
            let matrix = try QRMatrix(text: token).image(moduleSize: 2)
            for y in 0..<matrix.height { for x in 0..<matrix.width { coded[x + 10, y + 10] = matrix[x, y] } }
            let readings = RSSReadings(warmUp: warmUp)
            let source = SoakFrames(total: frames, codeEvery: codeEvery, blank: blank, coded: coded, readings: readings)
            let camera = CameraInput(name: "soak", atEnd: .stop, policy: .everyFrame) { source }
            var configuration = KioskConfiguration()
            configuration.metricsEnabled = false
            configuration.repeatWindowSeconds = 0
            configuration.debounceFrames = 2
            configuration.decodingBudgetMilliseconds = 0.1
            let logger = Logger(label: "soak", factory: { _ in SwiftLogNoOpLogHandler() })
            let runtime = KioskDaemonRuntime(configuration: configuration, configurationPath: nil, database: database, device: nil,
                                             camera: camera, sinks: [], notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil),
                                             logLevel: LiveSetting(.critical), logger: logger)
            let start = ContinuousClock.now
            try await runtime.run()
            let elapsed = ContinuousClock.now - start
            let end = RSSReadings.residentBytes()
            let first = readings.atWarmUp.value ?? end
            let verdicts = try database.status().outboxPending
            Output.line("soak: \(frames.formatted()) frames through the door in \(String(format: "%.1f", elapsed.inMilliseconds / 1000)) s, \(verdicts) verdicts committed")
            Output.line(String(format: "RSS after %d frames: %.2f MB; at the end: %.2f MB; growth %.3f MB", warmUp,
                               Double(first) / 1_048_576, Double(end) / 1_048_576, Double(end - first) / 1_048_576))
        }
    }

    /// A cache in a temporary state directory that has synced once: store 1, one signing key
    /// (whose private half the benchmark keeps, to sign the passes it shows), no tickets.
    struct SyncedCache {
        let directory: StateDirectory
        let database: KioskDatabase
        let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())

        init(storeName: String) throws {
            directory = StateDirectory(path: FileManager.default.temporaryDirectory
                .appendingPathComponent("kioskd-bench-\(UUID().uuidString)").path)
            try directory.prepare()
            database = try KioskDatabase.open(path: directory.databasePath).database
            try database.apply(SyncPage(cursor: "c", hasMore: false, tickets: [],
                                        keys: [PublicKeyRecord(keyID: signer.keyID, publicKey: signer.privateKey.publicKey.rawRepresentation, retired: false)],
                                        store: StoreSettings(storeID: 1, name: storeName, timeZone: "UTC", closedHours: nil, seats: 10),
                                        printJobs: [], serverTime: Date()))
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory.path) }
    }

    /// The RSS when the warm-up frame was produced.
    final class RSSReadings: Sendable {
        let warmUp: Int
        let atWarmUp = LiveSetting<Int?>(nil)
        init(warmUp: Int) { self.warmUp = warmUp }

        /// Resident set size from /proc/self/statm (pages × page size).
        static func residentBytes() -> Int {
            guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
            let fields = text.split(separator: " ")
            return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
        }
    }

    /// Blank frames, with the code for 3 frames every `codeEvery`.
    struct SoakFrames: FrameSource {
        let total: Int
        let codeEvery: Int
        let blank: GrayImage
        let coded: GrayImage
        let readings: RSSReadings
        var count = 0

        mutating func nextFrame() throws(FrameSourceError) -> Frame? {
            guard count < total else { return nil }
            count += 1
            if count == readings.warmUp { readings.atWarmUp.value = RSSReadings.residentBytes() }
            return Frame(number: count, image: count % codeEvery < 3 ? coded : blank)
        }
    }
}
