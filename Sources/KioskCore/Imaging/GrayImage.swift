/// An 8-bit grayscale image (luma), the one pixel format the decoders work on. Rows may be
/// padded: `stride` bytes from one row to the next, as camera drivers deliver them.
public struct GrayImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let stride: Int
    public var pixels: [UInt8]

    /// The largest image any part of the kiosk accepts: 8192×8192. Bigger input is refused
    /// before any buffer is allocated, so a forged header cannot exhaust memory.
    public static let maxDimension = 8192

    public init(width: Int, height: Int, stride: Int? = nil, pixels: [UInt8]) throws(ImageError) {
        let stride = stride ?? width
        guard width > 0, height > 0 else { throw .invalidSize(width: width, height: height) }
        guard width <= Self.maxDimension, height <= Self.maxDimension else {
            throw .tooLarge(width: width, height: height)
        }
        guard stride >= width else { throw .invalidStride(stride: stride, width: width) }
        let needed = stride * (height - 1) + width
        guard pixels.count >= needed else {
            throw .truncated(expected: needed, actual: pixels.count)
        }
        self.width = width
        self.height = height
        self.stride = stride
        self.pixels = pixels
    }

    /// A blank image of one colour (255 is white).
    public init(width: Int, height: Int, fill: UInt8) {
        precondition(width > 0 && height > 0 && width <= Self.maxDimension && height <= Self.maxDimension)
        self.width = width
        self.height = height
        self.stride = width
        self.pixels = [UInt8](repeating: fill, count: width * height)
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * stride + x] }
        set { pixels[y * stride + x] = newValue }
    }

    /// The same pixels with `stride == width`, copying only when rows are padded.
    public var packed: GrayImage {
        if stride == width { return self }
        var out = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<height {
                    let from = source.baseAddress! + y * stride
                    (target.baseAddress! + y * width).update(from: from, count: width)
                }
            }
        }
        return GrayImage(uncheckedWidth: width, height: height, pixels: out)
    }

    /// For internal producers that have already sized `pixels` as `width * height`.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.stride = width
        self.pixels = pixels
    }
}

public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSize(width: Int, height: Int)
    case tooLarge(width: Int, height: Int)
    case invalidStride(stride: Int, width: Int)
    case truncated(expected: Int, actual: Int)
    case unsupportedFormat(String)
    case corrupt(format: String, reason: String)
    case fileTooLarge(bytes: Int, limit: Int)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSize(let width, let height): "invalid image size \(width)×\(height)"
        case .tooLarge(let width, let height):
            "image \(width)×\(height) is larger than \(GrayImage.maxDimension)×\(GrayImage.maxDimension)"
        case .invalidStride(let stride, let width): "row stride \(stride) is smaller than width \(width)"
        case .truncated(let expected, let actual): "image data truncated: \(actual) of \(expected) bytes"
        case .unsupportedFormat(let what): "unsupported image format: \(what)"
        case .corrupt(let format, let reason): "corrupt \(format) image: \(reason)"
        case .fileTooLarge(let bytes, let limit): "file of \(bytes) bytes exceeds the \(limit)-byte limit"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        }
    }
}
