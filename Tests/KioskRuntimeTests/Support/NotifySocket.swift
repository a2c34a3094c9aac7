#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// What systemd's side of the notify protocol sees: a datagram socket the test binds (a path,
/// or an abstract name when `abstract`), read on a thread of its own; each datagram arrives on
/// `messages` with the time it came.
final class NotifySocket: Sendable {
    let address: String
    let messages: AsyncStream<(at: ContinuousClock.Instant, text: String)>
    private let continuation: AsyncStream<(at: ContinuousClock.Instant, text: String)>.Continuation
    private let fd: Int32
    private let stopped = Mutex(false)
    private let path: String?

    private init(abstract: Bool) throws {
        let name = "kioskd-test-\(UUID().uuidString.prefix(8))"
        path = abstract ? nil : FileManager.default.temporaryDirectory.appendingPathComponent("\(name).sock").path
        address = abstract ? "@\(name)" : path!
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        fd = descriptor
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array((abstract ? name : path!).utf8)
        if abstract { bytes.insert(0, at: 0) }
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let (stream, continuation) = AsyncStream<(at: ContinuousClock.Instant, text: String)>.makeStream()
        messages = stream
        self.continuation = continuation
    }

    /// Bound and reading.
    static func open(abstract: Bool = false) throws -> NotifySocket {
        let socket = try NotifySocket(abstract: abstract)
        let thread = Thread { socket.receive() }
        thread.start()
        return socket
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.withLock({ $0 }) {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { continuation.yield((ContinuousClock.now, String(decoding: buffer[0..<n], as: UTF8.self))) }
        }
        continuation.finish()
        close(fd)
        if let path { unlink(path) }
    }

    func stop() { stopped.withLock { $0 = true } }

    /// The first message containing `text`, with every message before it.
    func wait(for text: String, in iterator: inout AsyncStream<(at: ContinuousClock.Instant, text: String)>.Iterator) async
        -> [(at: ContinuousClock.Instant, text: String)] {
        var seen: [(at: ContinuousClock.Instant, text: String)] = []
        while let message = await iterator.next() {
            seen.append(message)
            if message.text.contains(text) { break }
        }
        return seen
    }
}
