/// Netpbm binary graymap (P5) and pixmap (P6) with 8-bit samples: the simplest lossless frame
/// dump, and what `ffmpeg -f image2` or `v4l2-ctl` tooling writes without extra libraries.
public enum PNMCodec {
    public static func decode(_ data: [UInt8]) throws(ImageError) -> GrayImage {
        var reader = HeaderReader(data: data)
        guard data.count >= 2, data[0] == UInt8(ascii: "P") else {
            throw .corrupt(format: "PNM", reason: "missing P5/P6 magic")
        }
        let channels: Int
        switch data[1] {
        case UInt8(ascii: "5"): channels = 1
        case UInt8(ascii: "6"): channels = 3
        default: throw .unsupportedFormat("PNM type P\(Character(Unicode.Scalar(data[1])))")
        }
        reader.offset = 2
        let width = try reader.number()
        let height = try reader.number()
        let maxValue = try reader.number()
        guard maxValue > 0, maxValue <= 255 else {
            throw .unsupportedFormat("PNM with maximum value \(maxValue) (only 8-bit is supported)")
        }
        // Exactly one whitespace byte separates the header from the raster.
        guard reader.offset < data.count else { throw .truncated(expected: width * height * channels, actual: 0) }
        reader.offset += 1
        guard width > 0, height > 0 else { throw .invalidSize(width: width, height: height) }
        guard width <= GrayImage.maxDimension, height <= GrayImage.maxDimension else {
            throw .tooLarge(width: width, height: height)
        }
        let needed = width * height * channels
        let available = data.count - reader.offset
        guard available >= needed else { throw .truncated(expected: needed, actual: available) }
        var pixels = [UInt8](repeating: 0, count: width * height)
        let start = reader.offset
        data.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { output in
                for index in 0..<width * height {
                    let value: Int
                    if channels == 1 {
                        value = Int(input[start + index])
                    } else {
                        let at = start + 3 * index
                        value = (77 * Int(input[at]) + 150 * Int(input[at + 1]) + 29 * Int(input[at + 2])) >> 8
                    }
                    output[index] = UInt8(min(255, value * 255 / maxValue))
                }
            }
        }
        return try GrayImage(width: width, height: height, pixels: pixels)
    }

    public static func encode(_ image: GrayImage) -> [UInt8] {
        let packed = image.packed
        return Array("P5\n\(packed.width) \(packed.height)\n255\n".utf8) + packed.pixels
    }

    /// Reads the whitespace- and comment-separated decimal fields of a PNM header.
    struct HeaderReader {
        let data: [UInt8]
        var offset = 0

        mutating func number() throws(ImageError) -> Int {
            while offset < data.count {
                let byte = data[offset]
                if byte == UInt8(ascii: "#") {
                    while offset < data.count, data[offset] != UInt8(ascii: "\n") { offset += 1 }
                } else if byte == 0x20 || (0x09...0x0D).contains(byte) {
                    offset += 1
                } else {
                    break
                }
            }
            var value = 0
            var digits = 0
            while offset < data.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[offset]) {
                value = value * 10 + Int(data[offset] - UInt8(ascii: "0"))
                digits += 1
                offset += 1
                if digits > 6 { throw .corrupt(format: "PNM", reason: "header number too long") }
            }
            guard digits > 0 else { throw .corrupt(format: "PNM", reason: "malformed header") }
            return value
        }
    }
}
