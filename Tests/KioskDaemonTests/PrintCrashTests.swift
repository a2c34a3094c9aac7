#if canImport(Glibc)
import Glibc
#endif
import CafeProtocol
import Crypto
import Foundation
import KioskCore
import KioskTestSupport
import Testing

/// A receipt printer and a daemon killed at the worst moment: after the receipt's bytes went to
/// the printer, before the printer confirmed it. The receipt must be neither printed again behind
/// staff's back nor lost: uncertain, listed by `kioskd status`, and settled by staff with
/// `kioskd print --reprint` or `--came-out`.
@Suite(.serialized, .timeLimit(.minutes(2))) struct PrintCrashTests {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())

    func sale(_ label: String) throws -> PrintJob {
        let now = Date()
        let token = try signer.signText(PassToken(keyID: signer.keyID, passID: UUID(), storeID: 7, kind: .day,
                                                  validFrom: now, validUntil: now.addingTimeInterval(86_400), issuedAt: now))
        let passID = try PassToken.parse(text: token).token.passID
        return PrintJob(jobID: UUID(), passID: passID, token: token, label: label, createdAt: now)
    }

    func sync(_ database: KioskDatabase, jobs: [PrintJob]) throws {
        try database.apply(SyncPage(cursor: "c\(jobs.count)", hasMore: false, tickets: [],
                                    keys: [PublicKeyRecord(keyID: signer.keyID, publicKey: signer.privateKey.publicKey.rawRepresentation, retired: false)],
                                    store: StoreSettings(storeID: 7, name: "Print Test", timeZone: "UTC", closedHours: nil, seats: 5),
                                    printJobs: jobs, serverTime: Date()))
    }

    /// The passes whose receipts reached the printer, in order.
    static func printed(_ bytes: [UInt8]) -> [String] {
        ESCPOS.rasters(in: bytes).compactMap { CascadeDecoder().decodeThoroughly($0).first?.text }
    }

    @Test func aSIGKILLBetweenTheWriteAndTheConfirmationLeavesTheReceiptUncertainNeverPrintedTwice() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-printkill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let directory = StateDirectory(path: state)
        try directory.prepare()
        let database = try KioskDatabase.open(path: directory.databasePath).database
        let first = try sale("1일권 (day pass)"), second = try sale("1일권 (day pass)")
        try sync(database, jobs: [first])

        // A printer that takes the receipt and then says nothing more (jammed printing it).
        let printer = try FakeReceiptPrinter(mode: .silentAfterJob)
        let config = state + "/kioskd.toml"
        try """
            [printer]
            output = "tcp://127.0.0.1:\(printer.port)"
            timeout_ms = 30000
            [screen]
            enabled = false
            [sound]
            enabled = false
            [metrics]
            enabled = false
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonShutdownTests.Daemon(["run", "--state-dir", state, "--config", config])
        // Until the whole receipt is at the printer (the time limit guards the wait).
        while Self.printed(printer.received) != [first.token] { try await Task.sleep(for: .milliseconds(50)) }
        // The daemon now waits for the printer's confirmation: kill it there.
        let (_, killed) = await daemon.stop(with: SIGKILL)
        #expect(killed == SIGKILL)
        #expect(try database.uncertainPrintJobs().map(\.jobID) == [first.jobID])

        // Back up, the printer fixed, another pass sold meanwhile: that one is printed; the
        // uncertain one is not printed again by itself.
        printer.setMode(.ready)
        try sync(database, jobs: [second])
        let restarted = try DaemonShutdownTests.Daemon(["run", "--state-dir", state, "--config", config])
        while Self.printed(printer.received).count < 2 { try await Task.sleep(for: .milliseconds(50)) }
        let (_, status) = await restarted.stop()
        #expect(status == 0, "\(restarted.stderr)")
        #expect(Self.printed(printer.received) == [first.token, second.token], "the first receipt once, then the second")
        #expect(try database.uncertainPrintJobs().map(\.jobID) == [first.jobID])

        let number = Receipt.shortNumber(first.passID)
        let shown = try await Kioskd.run(["status", "--state-dir", state])
        #expect(shown.stdout.contains("not confirmed: 1일권 (day pass) No. \(number)"), "\(shown.stdout)")
        #expect(shown.stdout.contains("kioskd print --came-out \(number) or --reprint \(number)"), "\(shown.stdout)")
        let listed = try await Kioskd.run(["print", "--state-dir", state, "--uncertain"])
        #expect(listed.status == 0 && listed.stdout.contains("uncertain: 1일권 (day pass) No. \(number)"), "\(listed.stdout)")
        let unknown = try await Kioskd.run(["print", "--state-dir", state, "--came-out", "0000-0000"])
        #expect(unknown.status == 2 && unknown.stderr.contains("uncertain: \(number)"), "\(unknown.stderr)")

        // Staff: it did not come out — print it again, once.
        let output = state + "/receipts.escpos"
        let reprinted = try await Kioskd.run(["print", "--state-dir", state, "--config", config, "--output", output, "--reprint", number.lowercased()])
        #expect(reprinted.status == 0, "\(reprinted.stderr)")
        #expect(reprinted.stdout.contains("queued again: 1일권 (day pass) No. \(number)"), "\(reprinted.stdout)")
        #expect(Self.printed(try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))) == [first.token])
        #expect(try database.uncertainPrintJobs().isEmpty)
        #expect(try database.printedUnacknowledged().map(\.jobID).sorted { $0.uuidString < $1.uuidString }
                == [first.jobID, second.jobID].sorted { $0.uuidString < $1.uuidString }, "both to acknowledge at the next sync")
    }

    @Test func staffCanSayAnUncertainReceiptCameOut() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-printcame-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let directory = StateDirectory(path: state)
        try directory.prepare()
        let database = try KioskDatabase.open(path: directory.databasePath).database
        let job = try sale("10시간권 (10 hours)")
        try sync(database, jobs: [job])
        try database.beginPrinting(job.jobID, at: Date())  // sent, never confirmed
        let cameOut = try await Kioskd.run(["print", "--state-dir", state, "--came-out", "all"])
        #expect(cameOut.status == 0 && cameOut.stdout.contains("recorded as printed: 10시간권 (10 hours)"), "\(cameOut.stdout)")
        #expect(try database.uncertainPrintJobs().isEmpty)
        #expect(try database.printedUnacknowledged().map(\.jobID) == [job.jobID])
        let none = try await Kioskd.run(["print", "--state-dir", state, "--uncertain"])
        #expect(none.stdout.contains("no uncertain receipt"), "\(none.stdout)")
    }
}
