internal import CV4L2
import Foundation

/// The pixel formats the kiosk captures: what UVC cameras give.
public enum CameraPixelFormat: String, Sendable, CaseIterable {
    /// 8-bit luma (V4L2 GREY): industrial and IR cameras.
    case gray
    /// YUYV 4:2:2: every UVC camera, but at 720p only 10 fps or less over USB 2.
    case yuyv
    /// Motion-JPEG: the only format most UVC cameras give at 1280×720 and 30 fps.
    case mjpeg

    var fourcc: UInt32 {
        switch self {
        case .gray: cv4l2_fourcc(0x47, 0x52, 0x45, 0x59)   // GREY
        case .yuyv: cv4l2_fourcc(0x59, 0x55, 0x59, 0x56)   // YUYV
        case .mjpeg: cv4l2_fourcc(0x4D, 0x4A, 0x50, 0x47)  // MJPG
        }
    }

    init?(fourcc: UInt32) {
        guard let format = Self.allCases.first(where: { $0.fourcc == fourcc }) else { return nil }
        self = format
    }
}

/// A capture mode: format, size and frame rate, always set explicitly (a camera left alone opens
/// at whatever it was last told, often its largest size, which costs latency).
public struct CameraMode: Sendable, Equatable, CustomStringConvertible {
    public var format: CameraPixelFormat
    public var width: Int
    public var height: Int
    public var fps: Int

    public init(format: CameraPixelFormat, width: Int, height: Int, fps: Int) {
        self.format = format
        self.width = width
        self.height = height
        self.fps = fps
    }

    public var description: String { "\(format.rawValue) \(width)x\(height) at \(fps) fps" }
}

/// A V4L2 capture device (`/dev/video0`), read through the kernel's ioctls directly.
///
/// Why not zbar's video module: it opens at the camera's largest size unless told, has no call
/// for the frame rate (`VIDIOC_S_PARM`), and its dequeue blocks, so a stop request could wait on
/// an unplugged camera. Here the device is opened non-blocking, every wait is a poll(2) with a
/// timeout, and four memory-mapped buffers circulate: when the door is slower than the camera,
/// each wait takes the *newest* filled buffer and gives the older ones straight back (counted in
/// `framesDropped`), so no frame queue grows and the door never decodes the past.
///
/// Unplugging shows as ENODEV (or EIO) from the dequeue: `.unreadable`, which the camera service
/// logs once and retries with backoff.
public final class V4L2Camera: ClosableFrameSource {
    public let path: String
    /// What the driver agreed to (it may round the size; the rate it could not set stays as asked).
    public private(set) var mode: CameraMode
    /// The device's name for logs ("HD Pro Webcam C920").
    public let card: String
    /// Frames the camera delivered that the door never saw: older buffers replaced by a newer
    /// one, and gaps in the driver's sequence numbers (frames it dropped with no buffer free).
    public private(set) var framesDropped = 0

    private let fd: Int32
    private var buffers: [(address: UnsafeMutableRawPointer, length: Int)] = []
    private var bytesPerLine: Int
    private var lastSequence: UInt32?
    private var count = 0
    private var closed = false

    static let bufferCount: UInt32 = 4

    public init(path: String, mode requested: CameraMode) throws(FrameSourceError) {
        self.path = path
        let fd: Int32
        do { fd = try System.openDevice(path) } catch { throw .unreadable("\(error)") }
        self.fd = fd
        do {
            var capability = v4l2_capability()
            try System.ioctl(fd, cv4l2_querycap(), "VIDIOC_QUERYCAP", &capability)
            card = V4L2Text.string(capability.card)
            let capabilities = capability.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? capability.device_caps : capability.capabilities
            guard capabilities & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 else {
                throw V4L2Problem("\(path) (\(card)) is not a video capture device (a UVC camera's second node carries metadata: try the other one; kioskd cameras lists them)")
            }
            guard capabilities & UInt32(V4L2_CAP_STREAMING) != 0 else {
                throw V4L2Problem("\(path) (\(card)) cannot stream through memory-mapped buffers")
            }

            var format = v4l2_format()
            format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            format.fmt.pix.width = UInt32(requested.width)
            format.fmt.pix.height = UInt32(requested.height)
            format.fmt.pix.pixelformat = requested.format.fourcc
            format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
            try System.ioctl(fd, cv4l2_s_fmt(), "VIDIOC_S_FMT", &format)
            guard format.fmt.pix.pixelformat == requested.format.fourcc else {
                throw V4L2Problem("\(path) (\(card)) does not give \(requested.format.rawValue) (it offered \(V4L2Text.fourcc(format.fmt.pix.pixelformat))); kioskd cameras lists its modes")
            }
            let width = Int(format.fmt.pix.width), height = Int(format.fmt.pix.height)
            guard width > 0, height > 0, width <= GrayImage.maxDimension, height <= GrayImage.maxDimension else {
                throw V4L2Problem("\(path) answered an impossible frame size \(width)x\(height)")
            }
            bytesPerLine = max(Int(format.fmt.pix.bytesperline), width * (requested.format == .yuyv ? 2 : 1))
            var fps = requested.fps
            var parameters = v4l2_streamparm()
            parameters.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            try System.ioctl(fd, cv4l2_g_parm(), "VIDIOC_G_PARM", &parameters)
            if parameters.parm.capture.capability & UInt32(V4L2_CAP_TIMEPERFRAME) != 0 {
                parameters.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(requested.fps))
                try System.ioctl(fd, cv4l2_s_parm(), "VIDIOC_S_PARM", &parameters)
                let frame = parameters.parm.capture.timeperframe
                if frame.numerator > 0 { fps = Int((Double(frame.denominator) / Double(frame.numerator)).rounded()) }
            }
            mode = CameraMode(format: requested.format, width: width, height: height, fps: fps)

            var request = v4l2_requestbuffers()
            request.count = Self.bufferCount
            request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            request.memory = V4L2_MEMORY_MMAP.rawValue
            try System.ioctl(fd, cv4l2_reqbufs(), "VIDIOC_REQBUFS", &request)
            guard request.count >= 2 else { throw V4L2Problem("\(path) gave \(request.count) capture buffer(s); two at least are needed") }
            for index in 0..<request.count {
                var buffer = Self.buffer(index: index)
                try System.ioctl(fd, cv4l2_querybuf(), "VIDIOC_QUERYBUF", &buffer)
                let length = Int(buffer.length)
                let address = try System.mapShared(fd, length: length, offset: Int(buffer.m.offset))
                buffers.append((address, length))
                try System.ioctl(fd, cv4l2_qbuf(), "VIDIOC_QBUF", &buffer)
            }
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            try System.ioctl(fd, cv4l2_streamon(), "VIDIOC_STREAMON", &type)
        } catch let error as V4L2Problem {
            Self.release(fd: fd, buffers: buffers)
            throw .unreadable(error.message)
        } catch {
            Self.release(fd: fd, buffers: buffers)
            throw .unreadable("\(path): \(error)")
        }
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        try? System.ioctl(fd, cv4l2_streamoff(), "VIDIOC_STREAMOFF", &type)
        Self.release(fd: fd, buffers: buffers)
        buffers = []
    }

    public func nextFrame() throws(FrameSourceError) -> Frame? {
        var source = self
        return try source.waitForever()
    }

    public func nextFrame(waitingAtMost timeout: Duration) throws(FrameSourceError) -> FrameWait {
        let deadline = ContinuousClock.now + timeout
        while true {
            let ready: Bool
            do { ready = try System.waitReadable(fd, timeout: deadline - ContinuousClock.now) } catch { throw lost(error) }
            guard ready else { return .idle }
            // Take every filled buffer; keep the newest, give the others back at once.
            var newest: v4l2_buffer?
            while true {
                var buffer = Self.buffer(index: 0)
                do {
                    try System.ioctl(fd, cv4l2_dqbuf(), "VIDIOC_DQBUF", &buffer)
                } catch where error.errno == EAGAIN {
                    break
                } catch {
                    if let newest { requeue(newest) }
                    throw lost(error)
                }
                countGap(buffer.sequence)
                if let older = newest {
                    framesDropped += 1
                    requeue(older)
                }
                newest = buffer
            }
            guard let buffer = newest else { continue }  // woken with nothing filled: wait again
            defer { requeue(buffer) }
            count += 1
            if buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 || buffer.bytesused == 0 {
                throw .badFrame(number: count, reason: "the camera marked the frame damaged")
            }
            return .frame(try frame(from: buffer))
        }
    }

    /// Copies the buffer out (the driver gets it back at once) as the door's frame.
    private func frame(from buffer: v4l2_buffer) throws(FrameSourceError) -> Frame {
        let slot = buffers[Int(buffer.index)]
        let used = min(Int(buffer.bytesused), slot.length)
        let bytes = UnsafeRawBufferPointer(start: slot.address, count: used)
        let width = mode.width, height = mode.height, stride = bytesPerLine
        switch mode.format {
        case .mjpeg:
            return Frame(number: count, jpeg: Array(bytes))
        case .gray:
            guard used >= stride * (height - 1) + width else {
                throw .badFrame(number: count, reason: "short frame: \(used) bytes for \(width)x\(height) gray")
            }
            let image = try? GrayImage(width: width, height: height, stride: stride, pixels: Array(bytes.prefix(stride * (height - 1) + width)))
            guard let image else { throw .badFrame(number: count, reason: "unusable gray frame") }
            return Frame(number: count, image: image)
        case .yuyv:
            guard used >= stride * (height - 1) + 2 * width else {
                throw .badFrame(number: count, reason: "short frame: \(used) bytes for \(width)x\(height) YUYV")
            }
            return Frame(number: count, image: PixelConversion.lumaOfYUYV(bytes, width: width, height: height, stride: stride))
        }
    }

    private func requeue(_ buffer: v4l2_buffer) {
        var buffer = buffer
        try? System.ioctl(fd, cv4l2_qbuf(), "VIDIOC_QBUF", &buffer)
    }

    private func countGap(_ sequence: UInt32) {
        if let last = lastSequence, sequence > last &+ 1 { framesDropped += Int(sequence &- last &- 1) }
        lastSequence = sequence
    }

    private func lost(_ error: SystemCallError) -> FrameSourceError {
        switch error.errno {
        case ENODEV, EIO, ENXIO: .unreadable("camera \(path) is gone (unplugged?): \(error)")
        default: .unreadable("camera \(path): \(error)")
        }
    }

    private static func buffer(index: UInt32) -> v4l2_buffer {
        var buffer = v4l2_buffer()
        buffer.index = index
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        return buffer
    }

    private static func release(fd: Int32, buffers: [(address: UnsafeMutableRawPointer, length: Int)]) {
        for buffer in buffers { System.unmap(buffer.address, length: buffer.length) }
        System.close(fd)
    }
}

/// Conversions from what cameras send to the gray the decoders read.
public enum PixelConversion {
    /// The Y bytes of YUYV 4:2:2 (Y0 U Y1 V): the luma is all a QR decoder needs.
    public static func lumaOfYUYV(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int) -> GrayImage {
        var luma = [UInt8](repeating: 0, count: width * height)
        luma.withUnsafeMutableBufferPointer { target in
            for y in 0..<height {
                let row = y * stride
                let out = y * width
                for x in 0..<width { target[out + x] = bytes[row + 2 * x] }
            }
        }
        return GrayImage(uncheckedWidth: width, height: height, pixels: luma)
    }
}

struct V4L2Problem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// C character arrays and four-character codes as text.
enum V4L2Text {
    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    static func fourcc(_ code: UInt32) -> String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
}
