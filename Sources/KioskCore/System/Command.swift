import Foundation

/// A short-lived helper program (`lp`, `lpstat`): run with its input, its output collected, and
/// stopped at a deadline — a print server that hangs must not hang the caller.
public struct Command: Sendable {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: String
        public var timedOut: Bool
        public var succeeded: Bool { status == 0 && !timedOut }
    }

    public let path: String
    public let arguments: [String]

    public init(_ path: String, _ arguments: [String]) {
        self.path = path
        self.arguments = arguments
    }

    /// Runs it; throws only when it cannot be started at all.
    public func run(input: [UInt8] = [], timeout: Duration) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        // Output is read while it runs (a full pipe would stall it), input written and closed.
        let collected = OutputCollector()
        let readers = DispatchGroup()
        for (pipe, isError) in [(stdout, false), (stderr, true)] {
            readers.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.add(data, isError: isError)
                readers.leave()
            }
        }
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
        try? stdin.fileHandleForWriting.close()
        var timedOut = false
        if finished.wait(timeout: .now() + timeout.inSeconds) == .timedOut {
            timedOut = true
            process.terminate()
            finished.wait()
        }
        readers.wait()
        return Result(status: process.terminationStatus, output: collected.output, errors: collected.errors, timedOut: timedOut)
    }

    private final class OutputCollector: @unchecked Sendable {
        // @unchecked: each field is written by one reader, read after both have left the group.
        var output = "", errors = ""
        private let lock = NSLock()
        func add(_ data: Data, isError: Bool) {
            lock.withLock {
                if isError { errors = String(decoding: data, as: UTF8.self) } else { output = String(decoding: data, as: UTF8.self) }
            }
        }
    }
}
