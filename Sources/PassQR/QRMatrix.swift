internal import CQREncode
import Foundation

/// The module grid of a QR symbol, made by libqrencode. Renderers (PNG, SVG, terminal,
/// ESC/POS) only draw it.
public struct QRMatrix: Sendable, Equatable {
    public enum ErrorCorrection: String, Sendable, CaseIterable {
        /// Recovers about 7 %, 15 %, 25 %, 30 % of the symbol.
        case low = "L", medium = "M", quartile = "Q", high = "H"

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    public enum EncodingError: Error, Equatable, Sendable, CustomStringConvertible {
        case empty
        case tooLong(bytes: Int, level: ErrorCorrection)
        case failed(errno: Int32)

        public var description: String {
            switch self {
            case .empty: "nothing to encode: the payload is empty"
            case .tooLong(let bytes, let level):
                "a payload of \(bytes) bytes does not fit a QR symbol at level \(level.rawValue)"
            case .failed(let code): "libqrencode failed (errno \(code))"
            }
        }
    }

    /// Symbol version, 1…40 (21…177 modules a side).
    public let version: Int
    /// Modules a side, without quiet zone.
    public let size: Int
    /// Row-major, `true` is a dark module.
    public let modules: [Bool]

    public init(version: Int, size: Int, modules: [Bool]) {
        self.version = version
        self.size = size
        self.modules = modules
    }

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// Encodes the smallest symbol for `payload` at `level`. Text without NUL bytes is split into
    /// the most compact modes (a base45 pass token goes in alphanumeric mode); other bytes go
    /// in 8-bit mode.
    public init(payload: [UInt8], level: ErrorCorrection = .medium) throws(EncodingError) {
        guard !payload.isEmpty else { throw .empty }
        errno = 0
        let code: UnsafeMutablePointer<QRcode>?
        if payload.contains(0) {
            code = payload.withUnsafeBufferPointer { QRcode_encodeData(Int32($0.count), $0.baseAddress, 0, level.level) }
        } else {
            code = (payload + [0]).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    QRcode_encodeString($0.baseAddress, 0, level.level, QR_MODE_8, 1)
                }
            }
        }
        guard let code else {
            if errno == ERANGE { throw .tooLong(bytes: payload.count, level: level) }
            throw .failed(errno: errno)
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let data = UnsafeBufferPointer(start: code.pointee.data, count: width * width)
        self.init(version: Int(code.pointee.version), size: width, modules: data.map { $0 & 1 == 1 })
    }

    public init(text: String, level: ErrorCorrection = .medium) throws(EncodingError) {
        try self.init(payload: Array(text.utf8), level: level)
    }
}
