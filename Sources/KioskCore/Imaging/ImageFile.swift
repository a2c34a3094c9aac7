import Foundation

/// Reads an image file of any supported format (PNG, JPEG, PGM/PPM), recognised by its
/// first bytes rather than its name.
public enum ImageFile {
    /// Files above this size are refused before reading: no camera frame or photo is larger.
    public static let maxFileSize = 64 << 20

    public enum Format: String, Sendable {
        case png, jpeg, pnm
    }

    public static func sniff(_ data: [UInt8]) -> Format? {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return .png }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if data.count >= 2, data[0] == UInt8(ascii: "P"), data[1] == UInt8(ascii: "5") || data[1] == UInt8(ascii: "6") {
            return .pnm
        }
        return nil
    }

    public static func decode(_ data: [UInt8]) throws(ImageError) -> GrayImage {
        switch sniff(data) {
        case .png: return try PNGCodec.decode(data)
        case .jpeg: return try JPEGDecoder().decode(data)
        case .pnm: return try PNMCodec.decode(data)
        case nil:
            if data.isEmpty { throw .unsupportedFormat("empty file") }
            throw .unsupportedFormat("not a PNG, JPEG, PGM or PPM file")
        }
    }

    public static func read(path: String) throws(ImageError) -> GrayImage {
        try decode(readBytes(path: path, limit: maxFileSize))
    }

    /// The whole file, refusing it when it is larger than `limit` bytes.
    static func readBytes(path: String, limit: Int) throws(ImageError) -> [UInt8] {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: Self.reason(error))
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: limit + 1) ?? Data()
            if data.count > limit { throw ImageError.fileTooLarge(bytes: data.count, limit: limit) }
            return [UInt8](data)
        } catch let error as ImageError {
            throw error
        } catch {
            throw .unreadable(path: path, reason: Self.reason(error))
        }
    }

    static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError || nsError.code == NSFileNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}
