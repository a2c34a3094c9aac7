import Foundation

/// A CUPS queue (`printer.output = "cups:QUEUE"`, e.g. a USB receipt printer CUPS already
/// drives). The receipt goes through `lp -d QUEUE -o raw`; a queue answers no `DLE EOT`, so CUPS's
/// own view stands in for it: the queue must be enabled before a receipt is sent (a disabled,
/// "paused" queue keeps the pass waiting here), and the receipt counts as printed once its job
/// has left CUPS's list of jobs not completed. A job CUPS still holds after `jobWait` (the queue
/// stopped on a printer error) is not confirmed: uncertain, for staff, never sent twice.
/// `CUPS_SERVER` in the environment picks another server, as for `lp` itself.
public struct CupsPrinter: ReceiptPrinter {
    public let queue: String
    /// The scheduler (`-h`, a host or socket path); nil: CUPS_SERVER, else the system's.
    public var server: String?
    public var jobWait: Duration = .seconds(30)
    var lp = "/usr/bin/lp"
    var lpstat = "/usr/bin/lpstat"

    public init(queue: String, server: String? = nil) {
        self.queue = queue
        self.server = server
    }

    private var serverArguments: [String] { server.map { ["-h", $0] } ?? [] }

    public var name: String { "cups:\(queue)" }

    /// Queue names CUPS accepts: letters, digits, `-`, `_` (no spaces, slashes or `#`).
    public static func isQueueName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 127 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    func run(_ command: Command, input: [UInt8] = [], timeout: Duration) throws(PrinterError) -> Command.Result {
        do { return try command.run(input: input, timeout: timeout) } catch {
            throw .unreachable("cannot run \(command.path): \(error) (install cups-client)")
        }
    }

    public func status(timeout: Duration) throws(PrinterError) -> PrinterStatus? {
        let answer = try run(Command(lpstat, serverArguments + ["-p", queue]), timeout: timeout)
        guard answer.succeeded else {
            throw .unreachable(answer.timedOut ? "lpstat -p \(queue) did not answer" : Self.firstLine(answer.errors, or: "lpstat -p \(queue) failed"))
        }
        // "printer kiosk is idle.  enabled since …" or "printer kiosk disabled since … Paused".
        let enabled = !answer.output.contains(" disabled")
        return PrinterStatus(online: enabled, paperOut: false, paperLow: false)
    }

    public func send(_ job: [UInt8], timeout: Duration) throws(PrinterError) -> PrinterStatus? {
        let submitted = try run(Command(lp, serverArguments + ["-d", queue, "-o", "raw", "-t", "kioskd receipt"]), input: job, timeout: timeout)
        guard submitted.succeeded else {
            // Nothing queued: safe to try again later.
            throw .unreachable(submitted.timedOut ? "lp -d \(queue) did not answer" : Self.firstLine(submitted.errors, or: "lp -d \(queue) failed"))
        }
        // "request id is kiosk-12 (0 file(s))"
        guard let id = submitted.output.split(separator: " ").first(where: { $0.hasPrefix(queue + "-") }).map(String.init) else {
            throw .stillQueued("lp said \(Self.firstLine(submitted.output, or: "nothing")) (no job id)")
        }
        let deadline = ContinuousClock.now + jobWait
        while true {
            let pending = try run(Command(lpstat, serverArguments + ["-o", queue]), timeout: timeout)
            if pending.succeeded, !pending.output.split(separator: "\n").contains(where: { $0.split(separator: " ").first.map(String.init) == id }) {
                return PrinterStatus(online: true, paperOut: false, paperLow: false)
            }
            guard ContinuousClock.now < deadline else {
                throw .stillQueued("job \(id) not printed after \(Int(jobWait.inSeconds)) s (lpstat -o \(queue))")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    static func firstLine(_ text: String, or fallback: String) -> String {
        text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? fallback
    }
}
