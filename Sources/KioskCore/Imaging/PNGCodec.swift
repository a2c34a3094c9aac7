internal import CPNG

/// PNG through libpng's simplified API, which contains libpng's longjmp error handling
/// inside the library and reports failures as a message.
public enum PNGCodec {
    /// Decodes any PNG (gray, RGB, palette, with or without alpha: alpha is composed onto
    /// white, as a code printed on paper would be) to 8-bit gray.
    public static func decode(_ data: [UInt8]) throws(ImageError) -> GrayImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let began = data.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count)
        }
        guard began != 0 else { throw .corrupt(format: "PNG", reason: message(of: &image)) }
        let width = Int(image.width), height = Int(image.height)
        guard width <= GrayImage.maxDimension, height <= GrayImage.maxDimension else {
            png_image_free(&image)
            throw .tooLarge(width: width, height: height)
        }
        image.format = UInt32(PNG_FORMAT_GRAY)
        var pixels = [UInt8](repeating: 0, count: width * height)
        var white = png_color(red: 255, green: 255, blue: 255)
        let finished = pixels.withUnsafeMutableBytes { raw in
            png_image_finish_read(&image, &white, raw.baseAddress, Int32(width), nil)
        }
        guard finished != 0 else {
            let reason = message(of: &image)
            png_image_free(&image)
            throw .corrupt(format: "PNG", reason: reason)
        }
        return try GrayImage(width: width, height: height, pixels: pixels)
    }

    /// Encodes 8-bit gray as PNG.
    public static func encode(_ gray: GrayImage) throws(ImageError) -> [UInt8] {
        let source = gray.packed
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(source.width)
        image.height = UInt32(source.height)
        image.format = UInt32(PNG_FORMAT_GRAY)
        var size = 0
        let sized = source.pixels.withUnsafeBytes { raw in
            png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, Int32(source.width), nil)
        }
        guard sized != 0, size > 0 else { throw .corrupt(format: "PNG", reason: message(of: &image)) }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { target in
            source.pixels.withUnsafeBytes { raw in
                png_image_write_to_memory(&image, target.baseAddress, &size, 0, raw.baseAddress, Int32(source.width), nil)
            }
        }
        guard written != 0 else { throw .corrupt(format: "PNG", reason: message(of: &image)) }
        return Array(output.prefix(size))
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
