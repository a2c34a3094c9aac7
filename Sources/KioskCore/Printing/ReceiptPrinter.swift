import Foundation

/// What a receipt printer says of itself, from ESC/POS's real-time status (`DLE EOT n`, answered
/// even while the printer is busy): `n = 1` printer status (bit 3: off line), `n = 4` paper roll
/// sensor (bits 5–6: paper end, bits 2–3: near end). Every answer byte has bit 4 set and bits 0
/// and 7 clear; anything else is not a status byte.
public struct PrinterStatus: Sendable, Equatable {
    public var online: Bool
    public var paperOut: Bool
    public var paperLow: Bool

    public init(online: Bool, paperOut: Bool, paperLow: Bool) {
        self.online = online
        self.paperOut = paperOut
        self.paperLow = paperLow
    }

    public var canPrint: Bool { online && !paperOut }

    static let requestPrinter: [UInt8] = [0x10, 0x04, 0x01]
    static let requestPaper: [UInt8] = [0x10, 0x04, 0x04]

    static func isStatusByte(_ byte: UInt8) -> Bool { byte & 0x93 == 0x12 }

    /// From the answers to `DLE EOT 1` and `DLE EOT 4`.
    init?(printer: UInt8, paper: UInt8) {
        guard Self.isStatusByte(printer), Self.isStatusByte(paper) else { return nil }
        online = printer & 0x08 == 0
        paperOut = paper & 0x60 != 0
        paperLow = paper & 0x0C != 0
    }

    public var problem: String? {
        if !online { return "the printer is off line (cover open, or an error)" }
        if paperOut { return "the printer is out of paper" }
        return nil
    }
}

public enum PrinterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The printer cannot be reached or written to.
    case unreachable(String)
    /// It did not answer its status within the timeout: off, or a connection that never reads.
    case noAnswer
    /// The job's bytes did not all go out: part of it may be on paper.
    case sendFailed(String)
    /// It answered, and cannot print now.
    case notReady(PrinterStatus)
    /// A print server took the receipt and still holds it unprinted (a CUPS queue stopped).
    case stillQueued(String)

    public var description: String {
        switch self {
        case .unreachable(let reason): "printer unreachable: \(reason)"
        case .noAnswer: "the printer did not answer its status (off, or not reading)"
        case .sendFailed(let reason): "the receipt was cut off while sending: \(reason)"
        case .notReady(let status): status.problem ?? "the printer is not ready"
        case .stillQueued(let reason): "the print server still holds the receipt: \(reason)"
        }
    }
}

/// Where the receipts go. Two outputs: a device or file, and a network printer (raw TCP 9100).
public protocol ReceiptPrinter: Sendable {
    /// A name for logs ("tcp://10.0.0.9:9100", "/dev/usb/lp0").
    var name: String { get }
    /// The status, or nil for an output that has none (a file, a one-way device).
    func status(timeout: Duration) throws(PrinterError) -> PrinterStatus?
    /// Sends one whole job and then, on the same connection (so the printer answers after it has
    /// taken the job), asks its status: nil for an output that has none.
    func send(_ job: [UInt8], timeout: Duration) throws(PrinterError) -> PrinterStatus?
}

/// A printer's device file (`/dev/usb/lp0`), or a plain file that collects the jobs (the demo,
/// the tests). A device is asked its status through the same descriptor; a file has none.
public struct FilePrinter: ReceiptPrinter {
    public let path: String
    public var name: String { path }

    public init(path: String) { self.path = path }

    public func status(timeout: Duration) throws(PrinterError) -> PrinterStatus? {
        let opened: (fd: Int32, isDevice: Bool)
        do { opened = try System.openPrinter(path) } catch { throw .unreachable("\(error)") }
        defer { System.close(opened.fd) }
        guard opened.isDevice else { return nil }
        return try PrinterDialogue(fd: opened.fd).status(timeout: timeout)
    }

    public func send(_ job: [UInt8], timeout: Duration) throws(PrinterError) -> PrinterStatus? {
        let opened: (fd: Int32, isDevice: Bool)
        do { opened = try System.openPrinter(path) } catch { throw .unreachable("\(error)") }
        defer { System.close(opened.fd) }
        do { try System.writeAll(opened.fd, job, timeout: timeout) } catch { throw .sendFailed("\(error)") }
        return opened.isDevice ? try PrinterDialogue(fd: opened.fd).statusAfterJob(timeout: timeout) : nil
    }
}

/// A network receipt printer on raw TCP (port 9100, "JetDirect"), which answers `DLE EOT`.
public struct NetworkPrinter: ReceiptPrinter {
    public let host: String
    public let port: Int
    public var name: String { "tcp://\(host):\(port)" }

    public init(host: String, port: Int = 9100) {
        self.host = host
        self.port = port
    }

    public func status(timeout: Duration) throws(PrinterError) -> PrinterStatus? {
        let fd = try connect(timeout)
        defer { System.close(fd) }
        return try PrinterDialogue(fd: fd).status(timeout: timeout)
    }

    public func send(_ job: [UInt8], timeout: Duration) throws(PrinterError) -> PrinterStatus? {
        let fd = try connect(timeout)
        defer { System.close(fd) }
        do { try System.writeAll(fd, job, timeout: timeout) } catch { throw .sendFailed("\(error)") }
        return try PrinterDialogue(fd: fd).statusAfterJob(timeout: timeout)
    }

    private func connect(_ timeout: Duration) throws(PrinterError) -> Int32 {
        do { return try System.connectTCP(host: host, port: port, timeout: timeout) } catch { throw .unreachable("\(error)") }
    }
}

/// Asks `DLE EOT 1` and `DLE EOT 4` on an open descriptor and reads the two answer bytes.
struct PrinterDialogue {
    let fd: Int32

    /// After a job the printer may hold it: anything short of an answer leaves it unconfirmed,
    /// never "unreachable" (which would send the job again).
    func statusAfterJob(timeout: Duration) throws(PrinterError) -> PrinterStatus {
        do { return try status(timeout: timeout) } catch {
            if case .unreachable(let reason) = error { throw .sendFailed("no status after the receipt: \(reason)") }
            throw error
        }
    }

    func status(timeout: Duration) throws(PrinterError) -> PrinterStatus {
        let deadline = ContinuousClock.now + timeout
        let printer = try ask(PrinterStatus.requestPrinter, until: deadline)
        let paper = try ask(PrinterStatus.requestPaper, until: deadline)
        guard let status = PrinterStatus(printer: printer, paper: paper) else { throw .unreachable("the printer's status answer is not ESC/POS") }
        return status
    }

    private func ask(_ request: [UInt8], until deadline: ContinuousClock.Instant) throws(PrinterError) -> UInt8 {
        do { try System.writeAll(fd, request, timeout: deadline - ContinuousClock.now) } catch { throw .noAnswer }
        var byte: UInt8 = 0
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw .noAnswer }
            let ready: Bool
            do { ready = try System.waitReadable(fd, timeout: left) } catch { throw .unreachable("\(error)") }
            guard ready else { throw .noAnswer }
            let n: Int
            do {
                n = try withUnsafeMutableBytes(of: &byte) { (raw) throws(SystemCallError) -> Int in try System.readSome(fd, into: raw) }
            } catch {
                if error.errno == EAGAIN { continue }
                throw .unreachable("\(error)")
            }
            if n == 0 { throw .unreachable("the printer closed the connection") }
            if PrinterStatus.isStatusByte(byte) { return byte }
        }
    }
}
