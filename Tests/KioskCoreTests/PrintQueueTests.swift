import CafeProtocol
import Foundation
import KioskTestSupport
import Testing
@testable import KioskCore

/// Passes sold at the counter, printed once: to a file, and to a network printer on loopback
/// that answers `DLE EOT` (ready, out of paper, silent, jammed mid-job). Each receipt's QR is
/// decoded back out of the ESC/POS raster with our decoder.
@Suite(.timeLimit(.minutes(1))) struct PrintQueueTests {
    let folder = Fixtures.temporaryDirectory()

    /// A cache with `count` print jobs waiting.
    func database(jobs count: Int) throws -> (KioskDatabase, [PrintJob]) {
        let database = try KioskDatabase.open(path: folder.appendingPathComponent("kiosk.sqlite").path).database
        let jobs = (0..<count).map { index in
            PrintJob(jobID: UUID(), passID: UUID(), token: Fixtures.passText(kind: .day), label: index == 0 ? "1일권" : "Day pass",
                     createdAt: Date(timeIntervalSince1970: 1_795_000_000 + Double(index)))
        }
        try database.apply(SyncPage(cursor: "c", hasMore: false, tickets: [], keys: [],
                                    store: StoreSettings(storeID: 3, name: "스터디카페 강남점", timeZone: "Asia/Seoul", closedHours: nil, seats: 9),
                                    printJobs: jobs, serverTime: Date()))
        return (database, jobs)
    }

    /// The tokens of the QR codes in a stream of receipts, in order.
    static func codes(in bytes: [UInt8]) -> [String] {
        ESCPOS.rasters(in: bytes).flatMap { CascadeDecoder().decodeThoroughly($0).map(\.text) }
    }

    /// `printer.qr = "native"`: the printer's own QR command, `GS ( k`, carrying the token
    /// exactly (what the printer encodes), no raster, and the rest of the receipt unchanged.
    @Test func theNativeQRCommandCarriesTheTokenForThePrinterToDraw() throws {
        let (database, jobs) = try database(jobs: 2)
        let output = folder.appendingPathComponent("native.bin").path
        let report = try PrintQueue(database: database, printer: FilePrinter(path: output), paper: .mm80, qr: .native).printWaiting()
        #expect(report.printed == jobs.map(\.jobID))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(ESCPOS.rasters(in: bytes).isEmpty, "no raster image")
        let payloads = ESCPOS.nativeQRPayloads(in: bytes)
        #expect(payloads.map { String(decoding: $0, as: UTF8.self) } == jobs.map(\.token))
        // Drawn as the printer would (its stored data as a symbol), it reads back as the pass.
        let drawn = try payloads.map { try QRMatrix(payload: $0).image(moduleSize: 4, quietZone: 4) }
        #expect(drawn.flatMap { CascadeDecoder().decodeThoroughly($0).map(\.text) } == jobs.map(\.token))
        // Model 2, error correction M, then print: the commands a GS ( k printer needs, in order.
        let job = ESCPOS.nativeQR(Array("HELLO".utf8), dots: 6)
        #expect(job == [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,
                        0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06,
                        0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31,
                        0x1D, 0x28, 0x6B, 0x08, 0x00, 0x31, 0x50, 0x30] + Array("HELLO".utf8)
                        + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30])
        #expect(bytes.firstRange(of: Array("No. \(Receipt.shortNumber(jobs[0].passID))".utf8)) != nil)
    }

    @Test func aFileGetsEachReceiptOnceWithItsCode() throws {
        let (database, jobs) = try database(jobs: 2)
        let output = folder.appendingPathComponent("receipts.bin").path
        let queue = PrintQueue(database: database, printer: FilePrinter(path: output))
        let report = try queue.printWaiting()
        #expect(report.printed == jobs.map(\.jobID))
        #expect(report.problem == nil)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(Self.codes(in: bytes) == jobs.map(\.token))
        // The store's name in EUC-KR, the short number staff read out.
        #expect(bytes.firstRange(of: Receipt.text("스터디카페 강남점")) != nil)
        #expect(bytes.firstRange(of: Array("No. \(Receipt.shortNumber(jobs[0].passID))".utf8)) != nil)
        // Printed once: a second round has nothing to do; the sync acknowledges both.
        #expect(try queue.printWaiting().printed.isEmpty)
        #expect(try database.printedUnacknowledged().map(\.jobID).sorted { $0.uuidString < $1.uuidString }
                == jobs.map(\.jobID).sorted { $0.uuidString < $1.uuidString })
    }

    @Test func aPassRefundedBeforeItsReceiptIsNotPrinted() throws {
        let (database, jobs) = try database(jobs: 2)
        try database.apply(SyncPage(cursor: "c2", hasMore: false, tickets: [
            TicketState(passID: jobs[0].passID, storeID: 3, kind: .day, validFrom: .distantPast, validUntil: .distantFuture,
                        remainingMinutes: nil, status: .refunded, inside: false, lastEnteredAt: nil, holderName: nil, seat: nil, revision: 2),
        ], keys: [], store: StoreSettings(storeID: 3, name: "스터디카페 강남점", timeZone: "Asia/Seoul", closedHours: nil, seats: 9),
           printJobs: [], serverTime: Date()))
        let output = folder.appendingPathComponent("receipts.bin").path
        let report = try PrintQueue(database: database, printer: FilePrinter(path: output)).printWaiting()
        #expect(report.dropped == [jobs[0].jobID])
        #expect(report.printed == [jobs[1].jobID])
        #expect(Self.codes(in: try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))) == [jobs[1].token])
        #expect(try database.printedUnacknowledged().map(\.jobID) == [jobs[1].jobID], "the dropped one is not reported as printed")
        #expect(try database.pendingPrintJobs().isEmpty)
    }

    @Test func aReadyNetworkPrinterPrintsAndIsAskedBeforeAndAfter() throws {
        let (database, jobs) = try database(jobs: 1)
        let printer = try FakeReceiptPrinter(mode: .ready)
        let report = try PrintQueue(database: database, printer: NetworkPrinter(host: "127.0.0.1", port: printer.port)).printWaiting()
        #expect(report.printed == [jobs[0].jobID])
        #expect(Self.codes(in: printer.received) == [jobs[0].token])
    }

    @Test func outOfPaperKeepsTheJobQueued() throws {
        let (database, jobs) = try database(jobs: 1)
        let printer = try FakeReceiptPrinter(mode: .paperOut)
        let report = try PrintQueue(database: database, printer: NetworkPrinter(host: "127.0.0.1", port: printer.port)).printWaiting()
        #expect(report.printed.isEmpty)
        #expect(report.problem == .notReady(PrinterStatus(online: true, paperOut: true, paperLow: false)))
        #expect(printer.received.isEmpty, "nothing sent to a printer without paper")
        #expect(try database.pendingPrintJobs().map(\.jobID) == [jobs[0].jobID])
    }

    @Test func aPrinterThatAcceptsAndNeverReadsKeepsTheJobQueued() throws {
        let (database, jobs) = try database(jobs: 1)
        let printer = try FakeReceiptPrinter(mode: .silent)
        let report = try PrintQueue(database: database, printer: NetworkPrinter(host: "127.0.0.1", port: printer.port),
                                    timeout: .milliseconds(300)).printWaiting()
        #expect(report.problem == .noAnswer)
        #expect(try database.pendingPrintJobs().map(\.jobID) == [jobs[0].jobID])
        #expect(try database.printedUnacknowledged().isEmpty, "not acknowledged")
    }

    @Test func aJobSentButNotConfirmedIsUncertainNeverReprintedSilently() throws {
        let (database, jobs) = try database(jobs: 2)
        let printer = try FakeReceiptPrinter(mode: .silentAfterJob)
        let queue = PrintQueue(database: database, printer: NetworkPrinter(host: "127.0.0.1", port: printer.port), timeout: .milliseconds(300))
        let report = try queue.printWaiting()
        #expect(report.printed.isEmpty)
        #expect(report.unconfirmed == [jobs[0].jobID])
        #expect(try database.uncertainPrintJobs().map(\.jobID) == [jobs[0].jobID])
        // The next round does not print it again; the second job still waits its turn.
        #expect(try database.pendingPrintJobs().map(\.jobID) == [jobs[1].jobID])
        #expect(try database.printedUnacknowledged().isEmpty)
    }

    @Test func aPrinterThatIsOffIsReportedAndTheJobWaits() throws {
        let (database, jobs) = try database(jobs: 1)
        // A port nobody listens on.
        let printer = NetworkPrinter(host: "127.0.0.1", port: 9)
        let report = try PrintQueue(database: database, printer: printer, timeout: .milliseconds(300)).printWaiting()
        guard case .unreachable = report.problem else { Issue.record("\(String(describing: report.problem))"); return }
        #expect(try database.pendingPrintJobs().map(\.jobID) == [jobs[0].jobID])
        #expect(try database.uncertainPrintJobs().isEmpty)
    }

    @Test func statusBytesAreReadAsESCPOSDefinesThem() {
        #expect(PrinterStatus(printer: 0x12, paper: 0x12) == PrinterStatus(online: true, paperOut: false, paperLow: false))
        #expect(PrinterStatus(printer: 0x1A, paper: 0x12)?.online == false)
        #expect(PrinterStatus(printer: 0x12, paper: 0x1E)?.paperLow == true)
        #expect(PrinterStatus(printer: 0x12, paper: 0x72)?.paperOut == true)
        #expect(PrinterStatus(printer: 0x41, paper: 0x12) == nil, "not a status byte")
    }
}

/// A CUPS queue, on a scheduler of the test's own whose "printer" is a file: the job's state in
/// CUPS stands in for DLE EOT.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: PrivateCUPS.unavailable == nil, "\(PrivateCUPS.unavailable ?? "")"))
struct CupsPrinterTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-cups-\(UUID().uuidString)")

    func database(jobs count: Int) throws -> (KioskDatabase, [PrintJob]) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = try KioskDatabase.open(path: folder.appendingPathComponent("kiosk.sqlite").path).database
        let jobs = (0..<count).map { index in
            PrintJob(jobID: UUID(), passID: UUID(), token: Fixtures.passText(kind: .day), label: "1일권",
                     createdAt: Date(timeIntervalSince1970: 1_795_000_000 + Double(index)))
        }
        try database.apply(SyncPage(cursor: "c", hasMore: false, tickets: [], keys: [],
                                    store: StoreSettings(storeID: 3, name: "스터디카페", timeZone: "Asia/Seoul", closedHours: nil, seats: 9),
                                    printJobs: jobs, serverTime: Date()))
        return (database, jobs)
    }

    @Test func anEnabledQueuePrintsEachReceiptOnceAndItCountsWhenCUPSIsDone() throws {
        let cups = try PrivateCUPS()
        let (database, jobs) = try database(jobs: 2)
        let printer = CupsPrinter(queue: cups.queue, server: cups.socket)
        let report = try PrintQueue(database: database, printer: printer, timeout: .seconds(5)).printWaiting()
        #expect(report.problem == nil, "\(report.problem.map { "\($0)" } ?? "") \(cups.log)")
        #expect(report.printed == jobs.map(\.jobID))
        #expect(PrintQueueTests.codes(in: cups.printed) == jobs.map(\.token), "each receipt reached the printer once, its QR readable")
        #expect(try database.pendingPrintJobs().isEmpty && database.uncertainPrintJobs().isEmpty)
    }

    @Test func aPausedQueueKeepsThePassWaitingHere() throws {
        let cups = try PrivateCUPS()
        try cups.admin("/usr/sbin/cupsdisable", [cups.queue])
        let (database, jobs) = try database(jobs: 1)
        let report = try PrintQueue(database: database, printer: CupsPrinter(queue: cups.queue, server: cups.socket), timeout: .seconds(5)).printWaiting()
        #expect(report.printed.isEmpty)
        #expect(report.problem != nil)
        #expect(try database.pendingPrintJobs().map(\.jobID) == [jobs[0].jobID], "not sent: waiting, not uncertain")
        #expect(cups.printed.isEmpty)
    }

    @Test func aQueueThatDoesNotExistIsUnreachable() throws {
        let cups = try PrivateCUPS()
        let printer = CupsPrinter(queue: "no-such-queue", server: cups.socket)
        #expect(throws: PrinterError.self) { try printer.status(timeout: .seconds(5)) }
        do { _ = try printer.status(timeout: .seconds(5)) } catch {
            guard case .unreachable = error else { Issue.record("\(error)"); return }
        }
    }
}
