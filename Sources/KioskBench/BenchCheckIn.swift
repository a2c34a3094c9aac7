import ArgumentParser
import CafeProtocol
import Crypto
import Foundation
import KioskCLI
import KioskCore
import KioskSimulation

extension KioskdBench {
    struct CheckIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkin",
            abstract: "Measure offline verdicts: payload in, verdict out, event committed.",
            discussion: """
                Fills a cache with --tickets passes (one transaction, like an initial sync), then \
                runs --scans scans of random passes through the check-in engine on the real \
                SQLite store (WAL, synchronous=FULL), each committing its event before the next. \
                Prints the fill time and the median, p99 and max per scan.

                With --print-events each committed event id is printed as it is committed: the \
                crash test kills the process at random points and checks that every printed \
                event is in the outbox after restart, exactly once.
                """)

        @Option(help: "Passes in the cache.")
        var tickets = 100_000

        @Option(help: "Scans to run.")
        var scans = 5_000

        @Option(help: "Cache folder (default: a new temporary folder, removed afterwards). An existing cache is reused, not refilled.")
        var stateDir: String?

        @Flag(help: "Print 'committed <event id>' after each scan's event is committed.")
        var printEvents = false

        func validate() throws {
            guard tickets > 0, scans > 0 else { throw ValidationError("--tickets and --scans must be positive") }
        }

        func run() async throws {
            let temporary = stateDir == nil
            let directory = StateDirectory(path: stateDir ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("kioskd-bench-\(UUID().uuidString)").path)
            try directory.prepare()
            defer { if temporary { try? FileManager.default.removeItem(atPath: directory.path) } }
            let database = try KioskDatabase.open(path: directory.databasePath).database

            let signer = try Self.signer()
            let now = Date()
            var generator = SeededGenerator(seed: 1)
            let passIDs = Self.passIDs(count: tickets, using: &generator)
            if try database.status().ticketsCached == 0 {
                let start = ContinuousClock.now
                let states = passIDs.enumerated().map { index, id in
                    TicketState(passID: id, storeID: 1, kind: index % 4 == 0 ? .time : .period,
                                validFrom: now.addingTimeInterval(-86_400), validUntil: now.addingTimeInterval(86_400 * 14),
                                remainingMinutes: index % 4 == 0 ? 6_000 : nil, status: index % 97 == 0 ? .refunded : .valid,
                                inside: false, lastEnteredAt: nil, holderName: nil, seat: nil, revision: Int64(index + 1))
                }
                try database.apply(SyncPage(
                    cursor: "bench", hasMore: false, tickets: states,
                    keys: [PublicKeyRecord(keyID: signer.keyID, publicKey: signer.privateKey.publicKey.rawRepresentation, retired: false)],
                    store: StoreSettings(storeID: 1, name: "Bench", timeZone: "UTC", closedHours: nil, seats: 100),
                    printJobs: [], serverTime: now))
                let elapsed = ContinuousClock.now - start
                Output.error("filled the cache with \(tickets) tickets in \(elapsed.milliseconds) ms")
            }
            // Signing is the server's work, not the door's: tokens are made before timing.
            let tokens = try (0..<min(2_000, tickets)).map { _ in
                let id = passIDs[Int.random(in: 0..<passIDs.count, using: &generator)]
                return try signer.signText(PassToken(keyID: signer.keyID, passID: id, storeID: 1, kind: .period,
                                                     validFrom: now.addingTimeInterval(-86_400), validUntil: now.addingTimeInterval(86_400 * 14),
                                                     issuedAt: now))
            }
            let engine = CheckInEngine(store: DatabaseCheckInStore(database: database), repeatWindow: 0)
            var times = [Double]()
            times.reserveCapacity(scans)
            var verdicts = [String: Int]()
            for index in 0..<scans {
                let start = ContinuousClock.now
                let outcome = try engine.scan(tokens[index % tokens.count])
                times.append((ContinuousClock.now - start).inMilliseconds)
                verdicts[outcome.verdict.logName, default: 0] += 1
                if printEvents, let event = outcome.event, outcome.recordError == nil {
                    Output.line("committed \(event.eventID.uuidString)")
                }
            }
            times.sort()
            let summary = verdicts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            Output.error(String(format: "%d scans over %d cached tickets: median %.3f ms, p99 %.3f ms, max %.3f ms (%@)",
                                scans, tickets, times[times.count / 2], times[min(times.count - 1, times.count * 99 / 100)], times.last!, summary))
        }

        /// A fixed key, so a reused cache, a new run and `door-frames` agree on signatures.
        static func signer() throws -> PassSigner {
            PassSigner(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 3, count: 32)))
        }

        /// The cache's passes, the same ones every run: the first `count` ids of the seeded sequence.
        static func passIDs(count: Int, using generator: inout SeededGenerator) -> [UUID] {
            (0..<count).map { _ in UUID(uuid: uuid(using: &generator)) }
        }

        static func uuid(using generator: inout SeededGenerator) -> uuid_t {
            var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[6] = bytes[6] & 0x0F | 0x40
            bytes[8] = bytes[8] & 0x3F | 0x80
            return (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])
        }
    }
}
