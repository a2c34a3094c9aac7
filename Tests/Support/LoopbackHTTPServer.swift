import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scriptable HTTP/1.1 server on 127.0.0.1 for the transport's tests: it answers what the
/// test says, hangs, or drops the connection, and counts connections (keep-alive). Not a
/// stand-in for `cafe-server`: the integration tests run the real one.
public final class LoopbackHTTPServer: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `lock`.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: [UInt8]
    }

    public enum Action: Sendable {
        case respond(status: Int, body: [UInt8], headers: [String: String] = [:])
        /// Read the request, then never answer (until the server stops).
        case hang
        /// Close the connection without a response.
        case close
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Action
    private let lock = NSLock()
    private var _requests: [Request] = []
    private var _connections = 0
    private var stopped = false
    private var openSockets: Set<Int32> = []
    private let stopSignal = DispatchSemaphore(value: 0)

    public var requests: [Request] { lock.withLock { _requests } }
    public var connections: Int { lock.withLock { _connections } }

    public init(handler: @escaping @Sendable (Request) -> Action) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func stop() {
        // Shut sockets down while holding the lock: a serving thread closes its socket only
        // after removing it under the lock, so no descriptor here can have been reused by
        // another socket of the process. The accept thread closes the listener itself.
        lock.withLock {
            stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            for socket in openSockets { shutdown(socket, Int32(SHUT_RDWR)) }
        }
        // Release every hanging handler.
        for _ in 0..<64 { stopSignal.signal() }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let proceed: Bool = lock.withLock {
                if stopped { return false }
                _connections += 1
                openSockets.insert(client)
                return true
            }
            if !proceed { close(client); return }
            Thread.detachNewThread { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer {
            lock.withLock { _ = openSockets.remove(client) }
            close(client)
        }
        var buffer = [UInt8]()
        while let request = readRequest(client, buffer: &buffer) {
            lock.withLock { _requests.append(request) }
            switch handler(request) {
            case .respond(let status, let body, let headers):
                var head = "HTTP/1.1 \(status) Status\r\nContent-Length: \(body.count)\r\nContent-Type: application/json\r\n"
                for (name, value) in headers { head += "\(name): \(value)\r\n" }
                let bytes = Array((head + "\r\n").utf8) + body
                var sent = 0
                while sent < bytes.count {
                    let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { return }
                    sent += n
                }
            case .hang:
                stopSignal.wait()
                return
            case .close:
                return
            }
        }
    }

    /// One request: head up to the blank line, then Content-Length bytes of body.
    private func readRequest(_ client: Int32, buffer: inout [UInt8]) -> Request? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return false }
            buffer += chunk[0..<n]
            return true
        }
        var headEnd: Int?
        while headEnd == nil {
            if let range = buffer.firstRange(of: separator) { headEnd = range.lowerBound; break }
            if !fill() { return nil }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head[0].split(separator: " ")
        var headers = [String: String]()
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = headEnd! + 4
        while buffer.count < bodyStart + length { if !fill() { return nil } }
        let body = Array(buffer[bodyStart..<bodyStart + length])
        buffer.removeSubrange(0..<bodyStart + length)
        return Request(method: String(requestLine.first ?? ""), path: String(requestLine.dropFirst().first ?? ""),
                       headers: headers, body: body)
    }
}
