#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A Server-Sent Events reader over a plain loopback socket: GET the path, then the events one
/// by one as the server writes them (curl's transport reads whole bodies, an event stream never ends).
final class EventStreamClient {
    struct Event: Equatable {
        var name: String
        var data: String
    }

    private let fd: Int32
    private var buffer = [UInt8]()
    private(set) var headers = ""

    init(port: Int, path: String = "/events") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        // Reads give up after 30 s: a test that waits for an event that never comes fails, not hangs.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        headers = try readUntil("\r\n\r\n")
    }

    deinit { close(fd) }

    private func readUntil(_ marker: String) throws -> String {
        let needle = Array(marker.utf8)
        while true {
            if let range = find(needle) {
                let text = String(decoding: buffer[..<range], as: UTF8.self)
                buffer.removeFirst(range + needle.count)
                return text
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw POSIXError(.ETIMEDOUT) }
            buffer += chunk[..<count]
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for start in 0...(buffer.count - needle.count) where buffer[start..<start + needle.count].elementsEqual(needle) { return start }
        return nil
    }

    /// The next named event (chunked-encoding framing and comments skipped).
    func next() throws -> Event {
        while true {
            let block = try readUntil("\n\n")
            var name: String?, data: [String] = []
            // By scalars: "\r\n" (the chunk framing) is one Character in Swift and would not split.
            for line in block.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map({ String(String.UnicodeScalarView($0)) }) {
                let line = line.hasSuffix("\r") ? String(line.dropLast()) : line
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            if let name { return Event(name: name, data: data.joined(separator: "\n")) }
        }
    }

    /// The next event with this name, its data as a JSON object.
    func next(_ name: String) throws -> [String: Any] {
        while true {
            let event = try next()
            if event.name == name {
                return (try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]) ?? [:]
            }
        }
    }
}

extension EventStreamClient {
    /// `next(name)` on a thread of its own: the socket read blocks, and the runtime under test
    /// needs the cooperative threads.
    func event(_ name: String) async throws -> [String: Any] {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<[String: Any], any Error>) in
            let reader = Thread { done.resume(with: Result { try self.next(name) }) }
            reader.start()
        }
    }
}

extension EventStreamClient: @unchecked Sendable {}
// @unchecked: one reader at a time — each test awaits `event` before it calls it again.
