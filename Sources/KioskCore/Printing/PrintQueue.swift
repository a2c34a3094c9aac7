import CafeProtocol
import Foundation

/// Prints the passes sold at the counter, each once, in order.
///
/// For each waiting job: ask the printer's status (a printer that cannot print — off, out of
/// paper, silent — keeps the job queued), mark the job as being printed, write its bytes, ask
/// again, and only then mark it printed — which the next sync acknowledges to the server. A job
/// whose bytes went out but whose confirmation did not come (the printer went silent, the
/// daemon was killed) stays *uncertain*: never printed twice behind staff's back, never lost;
/// `kioskd status` lists it for staff to decide.
public struct PrintQueue: Sendable {
    public let database: KioskDatabase
    public let printer: any ReceiptPrinter
    public let paper: ESCPOS.PaperWidth
    public let qr: ESCPOS.QRStyle
    public let timeout: Duration

    public init(database: KioskDatabase, printer: any ReceiptPrinter, paper: ESCPOS.PaperWidth = .mm58, qr: ESCPOS.QRStyle = .raster,
                timeout: Duration = .seconds(2)) {
        self.qr = qr
        self.database = database
        self.printer = printer
        self.paper = paper
        self.timeout = timeout
    }

    public struct Report: Sendable, Equatable {
        public var printed: [UUID] = []
        /// Sent, not confirmed: uncertain.
        public var unconfirmed: [UUID] = []
        /// Not printed because the pass was refunded or revoked meanwhile.
        public var dropped: [UUID] = []
        /// Why printing stopped, when it did (the jobs after it wait).
        public var problem: PrinterError?
    }

    /// Prints what waits, until the queue is empty or the printer cannot go on.
    public func printWaiting(now: @Sendable () -> Date = Date.init) throws -> Report {
        var report = Report()
        let jobs = try database.pendingPrintJobs()
        guard !jobs.isEmpty else { return report }
        let settings = try database.storeSettings()
        let storeName = settings?.name ?? ""
        let timeZone = ZoneClock.named(settings?.timeZone ?? StoreSettings.defaultTimeZone)
        for job in jobs {
            // A pass refunded (or revoked) since it was sold is not printed: nobody should walk
            // away with a receipt the door refuses.
            if let ticket = try database.ticket(passID: job.passID), ticket.status != .valid {
                try database.dropPrintJob(job.jobID)
                report.dropped.append(job.jobID)
                continue
            }
            do {
                if let status = try printer.status(timeout: timeout), !status.canPrint { throw PrinterError.notReady(status) }
            } catch {
                report.problem = error as? PrinterError ?? .unreachable("\(error)")
                return report
            }
            let bytes: [UInt8]
            do { bytes = try Receipt.job(for: job, storeName: storeName, timeZone: timeZone, paper: paper, qr: qr) } catch {
                // A token too long for a QR code cannot come from our server; skip it loudly.
                report.problem = .unreachable("job \(job.jobID): \(error)")
                continue
            }
            try database.beginPrinting(job.jobID, at: now())
            do {
                if let status = try printer.send(bytes, timeout: timeout), !status.canPrint { throw PrinterError.notReady(status) }
            } catch {
                // Not reached at all (refused before a byte went out): safe to retry. Cut off, or
                // not confirmed after it: maybe on paper, so uncertain.
                if let error = error as? PrinterError, case .unreachable = error {
                    try database.abandonPrinting(job.jobID)
                } else {
                    report.unconfirmed.append(job.jobID)
                }
                report.problem = error as? PrinterError ?? .unreachable("\(error)")
                return report
            }
            try database.markPrinted(job.jobID, at: now())
            report.printed.append(job.jobID)
        }
        return report
    }
}
