#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A network receipt printer on 127.0.0.1 speaking raw TCP as port-9100 printers do: it keeps
/// what it is sent and answers ESC/POS real-time status requests (`DLE EOT 1`, `DLE EOT 4`).
public final class FakeReceiptPrinter: @unchecked Sendable {
    // @unchecked: `mode` and `received` are behind a Mutex; the socket is the accept thread's.
    public enum Mode: Sendable {
        case ready
        case paperOut
        /// Accepts connections and never reads or answers (a printer hung in firmware).
        case silent
        /// Answers status until the first job arrives, then goes silent (it jammed printing it).
        case silentAfterJob
    }

    public let port: Int
    private let listener: Int32
    final class Shared: Sendable {
        let state: Mutex<(mode: Mode, received: [UInt8], jobs: Int)>
        init(mode: Mode) { state = Mutex((mode, [], 0)) }
    }
    private let shared: Shared

    public init(mode: Mode) throws {
        shared = Shared(mode: mode)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 8) == 0 else { throw CocoaError(.fileWriteUnknown) }
        port = Int(UInt16(bigEndian: address.sin_port))
        let listener = self.listener
        let shared = self.shared
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }  // closed: the test is over
                Thread.detachNewThread { Self.serve(client, shared: shared) }
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// Job byte runs taken (a run ends at a status request or a read's end).
    public var jobsReceived: Int { shared.state.withLock { $0.jobs } }

    /// A printer that jams, is fixed, runs out of paper: the next connection's answers follow it.
    public func setMode(_ mode: Mode) { shared.state.withLock { $0.mode = mode } }

    public var received: [UInt8] { shared.state.withLock { $0.received } }

    private static func serve(_ client: Int32, shared: Shared) {
        let state = shared
        defer { close(client) }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if state.state.withLock({ $0.mode }) == .silent {
                // Never read: hold the connection until the peer goes.
                var entry = pollfd(fd: client, events: Int16(0x2000), revents: 0)  // POLLRDHUP
                _ = poll(&entry, 1, 10_000)
                return
            }
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { break }
            pending += buffer[0..<n]
            // Status requests are answered at once; everything else is the job.
            var index = 0
            var job = [UInt8]()
            while index < pending.count {
                if pending[index] == 0x10, index + 2 < pending.count, pending[index + 1] == 0x04 {
                    let n = pending[index + 2]
                    // What came before the request is taken before it is answered, as a printer
                    // answers after the job it is processing.
                    if !job.isEmpty { state.state.withLock { $0.received += job; $0.jobs += 1 }; job = [] }
                    let answer: UInt8? = state.state.withLock { state in
                        switch state.mode {
                        case .silent: return nil
                        case .silentAfterJob where state.jobs > 0: return nil
                        case .paperOut: return n == 4 ? 0x72 : 0x12
                        default: return 0x12
                        }
                    }
                    if var answer { _ = write(client, &answer, 1) }
                    index += 3
                } else if pending[index] == 0x10, index + 2 >= pending.count {
                    break  // a request split across reads
                } else {
                    job.append(pending[index])
                    index += 1
                }
            }
            pending.removeFirst(index)
            if !job.isEmpty { state.state.withLock { $0.received += job; $0.jobs += 1 } }
        }
        if !pending.isEmpty { state.state.withLock { $0.received += pending } }
    }
}
