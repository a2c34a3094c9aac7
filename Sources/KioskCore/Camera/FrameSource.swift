/// One frame from a source, numbered from 1 in arrival order.
///
/// A frame holds gray pixels, or the JPEG an MJPEG camera sent: decoding a 720p JPEG costs
/// more than looking at it, so the door develops it only when the scene changed
/// (`FrameDeveloper`, `SceneGate`).
public struct Frame: Sendable {
    public let number: Int
    public let content: Content

    public enum Content: Sendable {
        case pixels(GrayImage)
        /// One complete JPEG image (start to end of image), not yet decoded.
        case jpeg([UInt8])
    }

    public init(number: Int, image: GrayImage) {
        self.number = number
        self.content = .pixels(image)
    }

    public init(number: Int, jpeg: [UInt8]) {
        self.number = number
        self.content = .jpeg(jpeg)
    }

    private init(number: Int, content: Content) {
        self.number = number
        self.content = content
    }

    /// The same picture under another number (the camera service numbers frames across reopenings).
    public func renumbered(_ number: Int) -> Frame { Frame(number: number, content: content) }

    /// The gray image, decoding a JPEG with a handle made for the purpose: for one-off frames
    /// (`kioskd scan`, tests). A loop decodes with a `FrameDeveloper` it keeps.
    public var image: GrayImage {
        get throws(FrameSourceError) { try FrameDeveloper().image(of: self) }
    }
}

/// Turns frames into the gray images the decoders read, and into the small previews the scene
/// gate compares. Owns a TurboJPEG handle: one per loop, used by one thread.
public final class FrameDeveloper {
    private let jpeg = JPEGDecoder()

    public init() {}

    public func image(of frame: Frame) throws(FrameSourceError) -> GrayImage {
        switch frame.content {
        case .pixels(let image): return image
        case .jpeg(let bytes):
            do { return try jpeg.decode(bytes) } catch { throw .badFrame(number: frame.number, reason: "\(error)") }
        }
    }

    /// The frame at 1/8 of its width and height (rounded up): a block average of gray pixels, or
    /// TurboJPEG's DC-only decode of a JPEG, which skips most of a full decode's work.
    public func preview(of frame: Frame) throws(FrameSourceError) -> GrayImage {
        switch frame.content {
        case .pixels(let image): return image.blockAveraged(by: 8)
        case .jpeg(let bytes):
            do { return try jpeg.decode(bytes, scaledDownBy: 8) } catch { throw .badFrame(number: frame.number, reason: "\(error)") }
        }
    }
}

/// Where frames come from: a camera, a raw stream, image files, a synthetic scene. The decode
/// loop pulls one frame at a time; `nil` is the end of the stream.
///
/// A frame that arrives damaged (a corrupt JPEG, a file that cannot be decoded) is thrown as
/// `FrameSourceError.badFrame`: the caller logs it and asks for the next one. Any other error
/// ends the stream.
public protocol FrameSource {
    mutating func nextFrame() throws(FrameSourceError) -> Frame?
    /// The next frame, or `.idle` when none came within `timeout`: a live loop must keep
    /// turning (to stop, to feed the watchdog) while a camera or a FIFO sends nothing. A
    /// source that never waits (files, synthetic scenes) answers like `nextFrame()`.
    mutating func nextFrame(waitingAtMost timeout: Duration) throws(FrameSourceError) -> FrameWait
}

/// A source that holds a file descriptor, closed when the camera service lets it go.
public protocol ClosableFrameSource: FrameSource {
    func close()
}

/// What a bounded wait for a frame gave.
public enum FrameWait: Sendable {
    case frame(Frame)
    /// Nothing arrived in time; the source is still open.
    case idle
    /// The end of the stream.
    case end
}

extension FrameSource {
    public mutating func nextFrame(waitingAtMost timeout: Duration) throws(FrameSourceError) -> FrameWait {
        try nextFrame().map { .frame($0) } ?? .end
    }
}

/// For the streams that implement the bounded wait: the unbounded read waits in slices.
extension FrameSource {
    public mutating func waitForever() throws(FrameSourceError) -> Frame? {
        while true {
            switch try nextFrame(waitingAtMost: .seconds(3_600)) {
            case .frame(let frame): return frame
            case .end: return nil
            case .idle: continue
            }
        }
    }
}

public enum FrameSourceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// This frame is unusable; the stream goes on.
    case badFrame(number: Int, reason: String)
    /// The stream ended in the middle of a frame.
    case truncatedFrame(number: Int, expected: Int, actual: Int)
    /// A frame larger than any camera sends: the stream is not what it was said to be.
    case oversizedFrame(number: Int, limit: Int)
    /// The source cannot be read at all.
    case unreadable(String)

    public var description: String {
        switch self {
        case .badFrame(let number, let reason): "frame \(number): \(reason)"
        case .truncatedFrame(let number, let expected, let actual):
            "frame \(number) is truncated: \(actual) of \(expected) bytes (wrong --size or --raw format?)"
        case .oversizedFrame(let number, let limit): "frame \(number) exceeds \(limit) bytes: not an MJPEG stream?"
        case .unreadable(let reason): reason
        }
    }
}

/// Raw pixel formats that USB (UVC) cameras deliver uncompressed.
public enum RawPixelFormat: String, Sendable, CaseIterable {
    /// 8-bit luma only (V4L2 GREY, zbar's Y800): one byte a pixel.
    case gray
    /// YUYV 4:2:2 (V4L2 YUYV): Y0 U Y1 V, two bytes a pixel; the decoders need only Y.
    case yuyv

    public var bytesPerPixel: Int { self == .gray ? 1 : 2 }
}

/// Fixed-size frames back to back on a file descriptor: a dump file, a FIFO fed by a capture
/// tool, or standard input.
public struct RawFrameStream: ClosableFrameSource {
    public let format: RawPixelFormat
    public let width: Int
    public let height: Int
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]
    private var filled = 0
    private var count = 0

    public var frameBytes: Int { width * height * format.bytesPerPixel }

    /// Reads from `path`, or standard input for "-".
    public init(path: String, format: RawPixelFormat, width: Int, height: Int) throws(FrameSourceError) {
        guard width > 0, height > 0, width <= GrayImage.maxDimension, height <= GrayImage.maxDimension,
              format != .yuyv || width % 2 == 0 else {
            throw .unreadable("invalid frame size \(width)x\(height) for \(format.rawValue)")
        }
        if path == "-" {
            fd = 0
            ownsDescriptor = false
        } else {
            do { fd = try System.openForReading(path) } catch {
                throw .unreadable("\(error)")
            }
            ownsDescriptor = true
        }
        self.format = format
        self.width = width
        self.height = height
        buffer = [UInt8](repeating: 0, count: width * height * format.bytesPerPixel)
    }

    public mutating func nextFrame() throws(FrameSourceError) -> Frame? { try waitForever() }

    public mutating func nextFrame(waitingAtMost timeout: Duration) throws(FrameSourceError) -> FrameWait {
        let expected = frameBytes
        let descriptor = fd
        let deadline = ContinuousClock.now + timeout
        // A frame may arrive in pieces across several waits: `filled` keeps what came so far.
        while filled < expected {
            let got: Int
            do {
                guard try System.waitReadable(descriptor, timeout: deadline - ContinuousClock.now) else { return .idle }
                let start = filled
                got = try buffer.withUnsafeMutableBytes { raw in
                    try System.readSome(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<expected]))
                }
            } catch {
                throw .unreadable("\(error)")
            }
            if got == 0 {
                if filled == 0 { return .end }
                count += 1
                let partial = filled
                filled = 0
                throw .truncatedFrame(number: count, expected: expected, actual: partial)
            }
            filled += got
        }
        filled = 0
        count += 1
        switch format {
        case .gray:
            return .frame(Frame(number: count, image: GrayImage(uncheckedWidth: width, height: height, pixels: buffer)))
        case .yuyv:
            let (width, height) = (width, height)
            let image = buffer.withUnsafeBytes { PixelConversion.lumaOfYUYV($0, width: width, height: height, stride: 2 * width) }
            return .frame(Frame(number: count, image: image))
        }
    }

    public func close() { if ownsDescriptor { System.close(fd) } }
}

/// Image files, one frame each: `kioskd scan FILE...` and recorded test frames.
public struct ImageFileSource: FrameSource {
    private let paths: [String]
    private var index = 0

    public init(paths: [String]) { self.paths = paths }

    public mutating func nextFrame() throws(FrameSourceError) -> Frame? {
        guard index < paths.count else { return nil }
        index += 1
        do {
            return Frame(number: index, image: try ImageFile.read(path: paths[index - 1]))
        } catch {
            throw .badFrame(number: index, reason: "\(paths[index - 1]): \(error)")
        }
    }
}
