#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, and errno's name for it.
public struct SystemCallError: Error, Equatable, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Int32

    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// The few libc calls the kiosk makes itself, in one place: each retries on EINTR and turns
/// errno into a `SystemCallError` naming the call.
enum System {
    /// Reads until `count` bytes are in `buffer` or the end of input; returns how many arrived.
    static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, count: Int) throws(SystemCallError) -> Int {
        var total = 0
        while total < count {
            let n = read(fd, buffer.baseAddress! + total, count - total)
            if n > 0 { total += n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            throw SystemCallError(call: "read", errno: errno)
        }
        return total
    }

    /// One read of at most the buffer's size; 0 is the end of input.
    static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SystemCallError(call: "read", errno: errno)
        }
    }

    static func openForReading(_ path: String) throws(SystemCallError) -> Int32 {
        while true {
            let fd = path.withCString { Glibc.open($0, O_RDONLY | O_CLOEXEC) }
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw SystemCallError(call: "open \(path)", errno: errno)
        }
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }
}
