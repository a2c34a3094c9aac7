internal import CTurboJPEG

/// JPEG through libjpeg-turbo's TurboJPEG API. One instance owns one TurboJPEG handle and is
/// reused across frames (an MJPEG camera gives 30 a second); it is not thread-safe.
public final class JPEGDecoder {
    private let handle: tjhandle

    public init() {
        // tjInitDecompress only fails when out of memory.
        guard let handle = tjInitDecompress() else { fatalError("tjInitDecompress failed: out of memory") }
        self.handle = handle
    }

    deinit { tjDestroy(handle) }

    /// Decodes to 8-bit gray. A truncated or damaged stream is an error, not a half-grey frame.
    public func decode(_ data: [UInt8]) throws(ImageError) -> GrayImage { try decode(data, scaledDownBy: 1) }

    /// Decodes at 1/`factor` of the size (1, 2, 4 or 8, rounded up), which libjpeg-turbo does
    /// inside the inverse DCT: at 1/8 only each block's DC coefficient is used, several times
    /// cheaper than a full decode. (UVC cameras' MJPEG frames often omit the Huffman tables;
    /// libjpeg-turbo supplies the standard ones, as the MJPEG convention expects.)
    public func decode(_ data: [UInt8], scaledDownBy factor: Int) throws(ImageError) -> GrayImage {
        precondition([1, 2, 4, 8].contains(factor), "TurboJPEG scales by 1/2, 1/4 or 1/8")
        guard data.count >= 4, data[0] == 0xFF, data[1] == 0xD8 else {
            throw .corrupt(format: "JPEG", reason: "missing start-of-image marker")
        }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let headerStatus = data.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        guard headerStatus == 0 else { throw .corrupt(format: "JPEG", reason: lastError()) }
        guard width > 0, height > 0 else { throw .invalidSize(width: Int(width), height: Int(height)) }
        guard width <= GrayImage.maxDimension, height <= GrayImage.maxDimension else {
            throw .tooLarge(width: Int(width), height: Int(height))
        }
        let fullWidth = width, fullHeight = height
        width = (fullWidth + Int32(factor) - 1) / Int32(factor)
        height = (fullHeight + Int32(factor) - 1) / Int32(factor)
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height))
        let status = data.withUnsafeBufferPointer { buffer in
            pixels.withUnsafeMutableBufferPointer { target in
                tjDecompress2(handle, buffer.baseAddress, UInt(buffer.count), target.baseAddress,
                              width, width, height, Int32(TJPF_GRAY.rawValue), 0)
            }
        }
        // Even a warning (e.g. "premature end of data") means the frame is incomplete.
        guard status == 0 else { throw .corrupt(format: "JPEG", reason: lastError()) }
        return try GrayImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    private func lastError() -> String {
        guard let message = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: message)
    }
}

/// Encodes gray frames as JPEG: used to make MJPEG test streams and JPEG-artifacted fixtures.
public enum JPEGEncoder {
    public static func encode(_ image: GrayImage, quality: Int) throws(ImageError) -> [UInt8] {
        guard let handle = tjInitCompress() else { fatalError("tjInitCompress failed: out of memory") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(handle, pixels.baseAddress, Int32(image.width), Int32(image.stride), Int32(image.height),
                        Int32(TJPF_GRAY.rawValue), &buffer, &size, Int32(TJSAMP_GRAY.rawValue),
                        Int32(min(max(quality, 1), 100)), 0)
        }
        defer { if let buffer { tjFree(buffer) } }
        guard status == 0, let buffer else {
            let reason = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
            throw .corrupt(format: "JPEG", reason: reason)
        }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}
