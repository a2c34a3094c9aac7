internal import CV4L2
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
public enum System {
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

    /// Opens without waiting: a FIFO opened for reading blocks in open(2) until a writer
    /// comes, where nothing (no stop request, no watchdog) could reach the thread. Opened
    /// non-blocking, then set blocking again; reads wait in `waitReadable` (poll) instead.
    static func openForReading(_ path: String) throws(SystemCallError) -> Int32 {
        while true {
            let fd = path.withCString { Glibc.open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
            if fd >= 0 {
                let flags = fcntl(fd, F_GETFL)
                if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
                return fd
            }
            if errno == EINTR { continue }
            throw SystemCallError(call: "open \(path)", errno: errno)
        }
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Waits until `fd` has input (or its end, or an error to report) or `timeout` passes;
    /// false when the time passed. A read after `true` does not block.
    static func waitReadable(_ fd: Int32, timeout: Duration) throws(SystemCallError) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: max(0, Int(timeout.inMilliseconds.rounded(.up))))
        while true {
            let n = poll(&entry, 1, milliseconds)
            if n > 0 { return true }
            if n == 0 { return false }
            if errno == EINTR { continue }
            throw SystemCallError(call: "poll", errno: errno)
        }
    }

    // MARK: Text

    /// `bytes` converted from one charset to another by glibc's iconv; nil when they are not
    /// valid in `source` or cannot be written in `target` (no transliteration, no guessing).
    static func convert(_ bytes: [UInt8], from source: String, to target: String) -> [UInt8]? {
        let converter = iconv_open(target, source)
        guard let converter, converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 4)
        let produced: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                var outLeft = outBuffer.count
                guard iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1, inLeft == 0 else { return nil }
                return outBuffer.count - outLeft
            }
        }
        return produced.map { output.prefix($0).map { UInt8(bitPattern: $0) } }
    }

    // MARK: Printers

    /// Opens a printer's device or a file to print into: a character device (`/dev/usb/lp0`)
    /// read-write and non-blocking, so its status answers can be read back with a timeout; any
    /// other path is created or appended to.
    static func openPrinter(_ path: String) throws(SystemCallError) -> (fd: Int32, isDevice: Bool) {
        var info = stat()
        let exists = path.withCString { stat($0, &info) } == 0
        let isDevice = exists && (info.st_mode & S_IFMT) == S_IFCHR
        while true {
            let flags = isDevice ? O_RDWR | O_NONBLOCK | O_CLOEXEC : O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK
            let fd = path.withCString { Glibc.open($0, flags, 0o644) }
            if fd >= 0 { return (fd, isDevice) }
            if errno == EINTR { continue }
            throw SystemCallError(call: "open \(path)", errno: errno)
        }
    }

    /// A TCP connection to `host:port` within `timeout` (a printer that is off must not hold
    /// the print queue for the kernel's minutes-long connect timeout). Non-blocking from here on.
    static func connectTCP(host: String, port: Int, timeout: Duration) throws(SystemCallError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, "\(port)", &hints, &list)
        guard status == 0, let first = list else { throw SystemCallError(call: "getaddrinfo \(host)", errno: EHOSTUNREACH) }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { lastError = errno; continue }
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else { lastError = errno; Glibc.close(fd); continue }
            var entryPoll = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&entryPoll, 1, Int32(clamping: Int(timeout.inMilliseconds)))
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if ready > 0 && socketError == 0 { return fd }
            lastError = ready == 0 ? ETIMEDOUT : (socketError != 0 ? socketError : errno)
            Glibc.close(fd)
        }
        throw SystemCallError(call: "connect \(host):\(port)", errno: lastError)
    }

    /// Writes all of `bytes` to a non-blocking descriptor, waiting for room at most `timeout`
    /// in all: a printer that stops reading makes this throw ETIMEDOUT, never hang.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], timeout: Duration) throws(SystemCallError) {
        let deadline = ContinuousClock.now + timeout
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == ENOTSOCK {
                // A device or a file: write(2).
                let w = bytes.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }
                if w > 0 { offset += w; continue }
                if w < 0 && errno != EAGAIN && errno != EINTR { throw SystemCallError(call: "write", errno: errno) }
            } else if n < 0 && errno != EAGAIN && errno != EINTR {
                throw SystemCallError(call: "send", errno: errno)
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw SystemCallError(call: "write (\(offset) of \(bytes.count) bytes)", errno: ETIMEDOUT) }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&entry, 1, Int32(clamping: max(1, Int(left.inMilliseconds))))
        }
    }

    // MARK: Devices (V4L2)

    /// Opens a device for reading and writing, non-blocking: a V4L2 dequeue then answers EAGAIN
    /// instead of blocking, and waits happen in `waitReadable`.
    static func openDevice(_ path: String) throws(SystemCallError) -> Int32 {
        while true {
            let fd = path.withCString { Glibc.open($0, O_RDWR | O_CLOEXEC | O_NONBLOCK) }
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw SystemCallError(call: "open \(path)", errno: errno)
        }
    }

    /// ioctl(2) with a pointer argument; `name` is the request's name for the error
    /// ("VIDIOC_S_FMT").
    static func ioctl<T>(_ fd: Int32, _ request: UInt, _ name: String, _ argument: inout T) throws(SystemCallError) {
        while true {
            let result = withUnsafeMutablePointer(to: &argument) { cv4l2_ioctl(fd, request, $0) }
            if result >= 0 { return }
            if errno == EINTR { continue }
            throw SystemCallError(call: name, errno: errno)
        }
    }

    /// Maps `length` bytes of a device at `offset`, shared (the driver's capture buffers).
    static func mapShared(_ fd: Int32, length: Int, offset: Int) throws(SystemCallError) -> UnsafeMutableRawPointer {
        let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off_t(offset))
        guard let address, address != MAP_FAILED else { throw SystemCallError(call: "mmap", errno: errno) }
        return address
    }

    static func unmap(_ address: UnsafeMutableRawPointer, length: Int) { _ = munmap(address, length) }

    /// The owner (uid, gid) of a file or directory.
    static func owner(of path: String) throws(SystemCallError) -> (uid: uid_t, gid: gid_t) {
        var info = stat()
        guard path.withCString({ stat($0, &info) }) == 0 else { throw SystemCallError(call: "stat \(path)", errno: errno) }
        return (info.st_uid, info.st_gid)
    }

    static func changeOwner(of path: String, to owner: (uid: uid_t, gid: gid_t)) throws(SystemCallError) {
        guard path.withCString({ lchown($0, owner.uid, owner.gid) }) == 0 else {
            throw SystemCallError(call: "chown \(path)", errno: errno)
        }
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// Makes the process's own zone GMT, before anything reads `TimeZone.current`.
    ///
    /// Why: the first `TimeZone.current` (Hummingbird makes one for its HTTP `Date` header, through
    /// a Gregorian calendar) looks the box's zone up in ICU's zone tables, and ICU's code and data
    /// then stay resident — 2.7 MB of the daemon's RSS, measured in `docs/PERFORMANCE.md`. Under
    /// `TZ=GMT` Foundation answers with its built-in fixed zone and never opens ICU. Nothing in the
    /// daemon wants the box's zone: decisions and screens use the store's (`ZoneClock`), log lines
    /// are UTC or journald's. Call it first thing, before any service starts a thread that could read the environment.
    public static func useGMTAsProcessZone() {
        setenv("TZ", "GMT", 1)
        tzset()
    }

    /// Sends one datagram to a Unix socket: a path, or `@name` for the abstract namespace
    /// (as `$NOTIFY_SOCKET` names systemd's). Non-blocking: a full socket queue drops the
    /// message (EAGAIN) rather than stalling the caller.
    public static func sendDatagram(_ bytes: [UInt8], toUnixSocket path: String) throws(SystemCallError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var name = Array(path.utf8)
        let abstract = name.first == UInt8(ascii: "@")
        if abstract { name[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !name.isEmpty, name.count < capacity else { throw SystemCallError(call: "socket address \(path)", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: name)
        }
        // An abstract name is exactly its bytes; a path is NUL-terminated.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count + (abstract ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket", errno: errno) }
        defer { _ = Glibc.close(fd) }
        while true {
            let sent = bytes.withUnsafeBytes { buffer in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, length)
                    }
                }
            }
            if sent >= 0 { return }
            if errno == EINTR { continue }
            throw SystemCallError(call: "sendto \(path)", errno: errno)
        }
    }
}
