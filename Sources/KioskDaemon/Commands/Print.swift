import ArgumentParser
import CafeProtocol
import Foundation
import KioskCLI
import KioskCore
import KioskRuntime

extension Kioskd {
    struct Print: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the passes sold at the counter that wait in the cache, now.",
            discussion: """
                What the running daemon does every few seconds with printer.output, once, from a \
                terminal: each waiting pass as an ESC/POS receipt with its QR code, the printer's \
                status (DLE EOT) asked before and after. The next sync tells the server what was \
                printed. --verify reads a file output back and decodes every receipt's QR code, \
                to check a printer setup without paper.

                A receipt whose bytes went out but whose printing was never confirmed (the \
                printer went silent, or the daemon was killed in between) is *uncertain*: it is \
                never printed again by itself. Staff look at the printer and say which it was, by \
                the number on the receipt (kioskd status lists them): --came-out NUMBER (it is on \
                paper: the server is told it was printed) or --reprint NUMBER (it is not: print it \
                again); "all" for every uncertain one.

                Examples:
                  kioskd print                                   to printer.output
                  kioskd print --output tcp://192.168.0.50:9100  a network printer
                  kioskd print --output /tmp/receipts.bin --verify
                  kioskd print --uncertain                       list the uncertain receipts
                  kioskd print --reprint 3F2A-91C0               it did not come out: print it again
                  kioskd print --came-out all                    they all came out
                Exit status: 0 printed (or nothing to print), 1 the printer could not print, \
                2 no uncertain receipt has that number.
                """)

        @OptionGroup var state: StateOptions

        @Option(help: "The configuration file (TOML).")
        var config = ConfigurationFile.defaultPath

        @Option(help: "Where to print: a device (/dev/usb/lp0), a file, or tcp://HOST:PORT. Default: printer.output.")
        var output: String?

        @Option(help: "Paper width in mm, 58 or 80. Default: printer.paper, else 58.")
        var paper: Int?

        @Flag(help: "Read a file output back and decode the QR code of each receipt.")
        var verify = false

        @Flag(help: "List the uncertain receipts (sent, never confirmed) and stop.")
        var uncertain = false

        @Option(name: .customLong("reprint"), help: ArgumentHelp("An uncertain receipt that did not come out: queue it again, then print.", valueName: "number|all"))
        var reprint: [String] = []

        @Option(name: .customLong("came-out"), help: ArgumentHelp("An uncertain receipt that did come out: recorded as printed.", valueName: "number|all"))
        var cameOut: [String] = []

        func validate() throws {
            if let paper, paper != 58, paper != 80 { throw ValidationError("--paper must be 58 or 80") }
            if let output, let problem = ConfigurationFile.printerOutputProblem(output) { throw ValidationError("--output: \(problem)") }
        }

        /// The uncertain jobs that `selectors` name (receipt numbers, "all"); exits 2 for a number that is none of them.
        static func select(_ selectors: [String], from jobs: [PrintJob]) throws -> [PrintJob] {
            if selectors.contains(where: { $0.lowercased() == "all" }) { return jobs }
            return try selectors.map { selector in
                let wanted = selector.uppercased().filter { $0.isHexDigit }
                guard let job = jobs.first(where: { Receipt.shortNumber($0.passID).filter(\.isHexDigit) == wanted }) else {
                    Output.error("kioskd print: no uncertain receipt has the number \(selector)" +
                                 (jobs.isEmpty ? " (there are none)" : "; uncertain: " + jobs.map { Receipt.shortNumber($0.passID) }.joined(separator: ", ")))
                    throw ExitCode(2)
                }
                return job
            }
        }

        /// Staff's word on uncertain receipts: listed, came out, or to print again.
        func resolveUncertain(_ database: KioskDatabase) throws {
            let jobs = try database.uncertainPrintJobs()
            if uncertain {
                if jobs.isEmpty { Output.line("no uncertain receipt: every receipt sent was confirmed by the printer") }
                for job in jobs {
                    Output.line("uncertain: \(job.label) No. \(Receipt.shortNumber(job.passID)) (sold \(CivilTime.rfc3339(job.createdAt, milliseconds: false)))")
                }
            }
            for job in try Self.select(cameOut, from: jobs) {
                try database.markPrinted(job.jobID, at: Date())
                Output.line("recorded as printed: \(job.label) No. \(Receipt.shortNumber(job.passID)) (the next sync tells the server)")
            }
            for job in try Self.select(reprint, from: jobs) {
                try database.abandonPrinting(job.jobID)
                Output.line("queued again: \(job.label) No. \(Receipt.shortNumber(job.passID))")
            }
        }

        func run() throws {
            if uncertain || !cameOut.isEmpty || !reprint.isEmpty {
                try resolveUncertain(try state.openDatabase())
                // Listing and "came out" touch no printer; a reprint goes on to print.
                if reprint.isEmpty { return }
            }
            var configuration: KioskConfiguration
            do { configuration = try ConfigurationFile.load(path: config) } catch {
                Output.error("kioskd print: \(error)")
                throw ExitCode(ConfigurationError.exitStatus)
            }
            if let output { configuration.printerOutput = output }
            if let paper { configuration.printerPaper = paper == 80 ? .mm80 : .mm58 }
            guard let printer = configuration.receiptPrinter else {
                Output.error("kioskd print: no printer: give --output, or set printer.output in \(config)")
                throw ExitCode(1)
            }
            let database = try state.openDatabase()
            let before = (try? Data(contentsOf: URL(fileURLWithPath: printer.name)).count) ?? 0
            let waiting = try database.pendingPrintJobs()
            let report = try PrintQueue(database: database, printer: printer, paper: configuration.printerPaper, qr: configuration.printerQR,
                                        timeout: configuration.printerTimeout).printWaiting()
            let labels = Dictionary(uniqueKeysWithValues: waiting.map { ($0.jobID, $0) })
            for id in report.printed {
                let job = labels[id]
                Output.line("printed \(job?.label ?? "a pass") No. \(job.map { Receipt.shortNumber($0.passID) } ?? "?") to \(printer.name)")
            }
            for id in report.dropped {
                Output.line("not printed: \(labels[id]?.label ?? "a pass") No. \(labels[id].map { Receipt.shortNumber($0.passID) } ?? "?") was refunded or revoked since it was sold")
            }
            for id in report.unconfirmed {
                Output.line("sent, not confirmed by the printer: \(labels[id]?.label ?? "a pass") — check it came out (kioskd status lists it)")
            }
            if waiting.isEmpty { Output.line("nothing to print: no pass sold at the counter is waiting") }
            if verify {
                let written = (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: printer.name)))) ?? []
                let output = Array(written.dropFirst(before))
                // A raster is decoded as the camera would; a native QR command is drawn as the printer
                // would (the symbol for its stored data, by our renderer) and decoded the same way.
                let images = ESCPOS.rasters(in: output) + ESCPOS.nativeQRPayloads(in: output).compactMap { payload in
                    (try? QRMatrix(payload: payload)).map { $0.image(moduleSize: 4, quietZone: 4) }
                }
                for (index, image) in images.enumerated() {
                    let tokens = CascadeDecoder().decodeThoroughly(image).map(\.text)
                    let pass = tokens.first.flatMap { try? PassToken.parse(text: $0).token.passID.uuidString.lowercased() }
                    Output.line("receipt \(index + 1): its QR code reads back as " + (pass.map { "pass \($0)" } ?? "nothing: NOT READABLE"))
                }
            }
            if let problem = report.problem {
                Output.error("kioskd print: \(problem); \(try database.pendingPrintJobs().count) pass(es) still waiting")
                throw ExitCode(1)
            }
        }
    }
}
