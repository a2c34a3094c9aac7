/// Motion-JPEG: JPEG frames back to back, as cameras give 720p at 30 fps over USB 2 and as
/// `ffmpeg -f mjpeg` writes. Frames are split by walking the JPEG markers (so a 0xFFD9 inside
/// a segment cannot end a frame early); each comes out undecoded (`Frame.Content.jpeg`), for the
/// door to develop when the scene gate asks for it.
public struct MJPEGStream: ClosableFrameSource {
    /// No camera frame comes near this; more means the stream is not MJPEG.
    public static let maxFrameBytes = 8 << 20

    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private var endOfInput = false
    private var count = 0

    public init(path: String) throws(FrameSourceError) {
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            do { fd = try System.openForReading(path) } catch { throw .unreadable("\(error)") }
            ownsDescriptor = true
        }
    }

    public func close() { if ownsDescriptor { System.close(fd) } }

    public mutating func nextFrame() throws(FrameSourceError) -> Frame? { try waitForever() }

    public mutating func nextFrame(waitingAtMost timeout: Duration) throws(FrameSourceError) -> FrameWait {
        let deadline = ContinuousClock.now + timeout
        while true {
            switch JPEGFrameSplitter.split(buffer) {
            case .frame(let range):
                let bytes = Array(buffer[range])
                buffer.removeSubrange(0..<range.upperBound)
                count += 1
                return .frame(Frame(number: count, jpeg: bytes))
            case .corrupt(let resumeAt, let reason):
                buffer.removeSubrange(0..<resumeAt)
                count += 1
                throw .badFrame(number: count, reason: reason)
            case .needMore:
                if buffer.count > Self.maxFrameBytes {
                    count += 1
                    // Resynchronise on the next start-of-image marker, if any.
                    let next = JPEGFrameSplitter.startOfImage(in: buffer, from: 2) ?? buffer.count
                    buffer.removeSubrange(0..<next)
                    throw .oversizedFrame(number: count, limit: Self.maxFrameBytes)
                }
                if endOfInput {
                    if buffer.contains(where: { $0 != 0 }) {
                        count += 1
                        let size = buffer.count
                        buffer = []
                        throw .truncatedFrame(number: count, expected: size + 2, actual: size)
                    }
                    return .end
                }
                let ready: Bool
                do { ready = try System.waitReadable(fd, timeout: deadline - ContinuousClock.now) } catch {
                    throw .unreadable("\(error)")
                }
                guard ready else { return .idle }
                try fill()
            }
        }
    }

    private mutating func fill() throws(FrameSourceError) {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let descriptor = fd
        let got: Int
        do {
            got = try chunk.withUnsafeMutableBytes { raw in
                try System.readSome(descriptor, into: raw)
            }
        } catch {
            throw .unreadable("\(error)")
        }
        if got == 0 { endOfInput = true } else { buffer += chunk[0..<got] }
    }
}

/// Finds where one complete JPEG ends at the start of a buffer.
enum JPEGFrameSplitter {
    enum Result: Equatable {
        case frame(Range<Int>)
        case needMore
        /// Not a JPEG where one should be: skip to `resumeAt` (the next SOI, or the end).
        case corrupt(resumeAt: Int, reason: String)
    }

    static func startOfImage(in bytes: [UInt8], from: Int) -> Int? {
        var index = from
        while index + 1 < bytes.count {
            if bytes[index] == 0xFF, bytes[index + 1] == 0xD8 { return index }
            index += 1
        }
        return nil
    }

    static func split(_ bytes: [UInt8]) -> Result {
        guard bytes.count >= 2 else { return .needMore }
        guard bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            let next = startOfImage(in: bytes, from: 1)
            return .corrupt(resumeAt: next ?? bytes.count, reason: "data between frames is not JPEG")
        }
        var position = 2
        while true {
            guard position + 1 < bytes.count else { return .needMore }
            guard bytes[position] == 0xFF else {
                let next = startOfImage(in: bytes, from: position)
                return .corrupt(resumeAt: next ?? bytes.count, reason: "JPEG marker expected at byte \(position)")
            }
            let marker = bytes[position + 1]
            switch marker {
            case 0xFF:
                position += 1  // fill byte
            case 0xD9:
                return .frame(0..<position + 2)
            case 0xD8:
                // A new frame started before this one ended: this one is cut short.
                return .corrupt(resumeAt: position, reason: "JPEG frame cut short by the next frame")
            case 0x01, 0xD0...0xD7:
                position += 2
            case 0x00...0xBF:
                // Not a JPEG marker: the frame is damaged; resume at the next start of image.
                let next = startOfImage(in: bytes, from: position)
                return .corrupt(resumeAt: next ?? bytes.count, reason: "invalid JPEG marker 0x\(String(marker, radix: 16)) at byte \(position)")
            default:
                guard position + 3 < bytes.count else { return .needMore }
                let length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
                guard length >= 2 else {
                    let next = startOfImage(in: bytes, from: position)
                    return .corrupt(resumeAt: next ?? bytes.count, reason: "JPEG segment length \(length)")
                }
                position += 2 + length
                if marker == 0xDA {
                    // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00
                    // or a restart marker.
                    while true {
                        guard position + 1 < bytes.count else { return .needMore }
                        if bytes[position] == 0xFF {
                            let next = bytes[position + 1]
                            if next != 0x00 && !(0xD0...0xD7).contains(next) { break }
                        }
                        position += 1
                    }
                }
            }
        }
    }
}
