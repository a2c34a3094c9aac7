internal import CZXing
import Foundation

/// ZXing-C++ (Debian's libzxing 1.4) behind a one-function C shim. It reads many real-photo
/// codes that zbar misses (blur, perspective, low resolution). Version 1.4 has no option for
/// inverted codes: the cascade inverts the frame itself.
public final class ZXingDecoder: QRDecoder {
    public let name = "zxing"
    private let tryHarder: Bool
    private let maxSymbols: Int32
    private let binarizer: Binarizer

    /// How ZXing turns gray into black and white.
    public enum Binarizer: Int32, Sendable {
        /// Threshold from the neighbourhood: uneven light (ZXing's default).
        case localAverage = 0
        /// One threshold from the histogram's valley: soft, blurred edges.
        case globalHistogram = 1
        case fixedThreshold = 2
    }

    /// - Parameter tryHarder: ZXing's thorough mode (rotations, downscaling): slower.
    public init(tryHarder: Bool = false, binarizer: Binarizer = .localAverage, maxSymbols: Int = 4) {
        self.tryHarder = tryHarder
        self.binarizer = binarizer
        self.maxSymbols = Int32(maxSymbols)
    }

    public func decode(_ frame: GrayImage) -> [DecodedSymbol] {
        var symbols: UnsafeMutablePointer<czxing_symbol>? = nil
        var message = [CChar](repeating: 0, count: 256)
        let count = frame.pixels.withUnsafeBufferPointer { pixels in
            czxing_read_qr(pixels.baseAddress, Int32(frame.width), Int32(frame.height), Int32(frame.stride),
                           tryHarder ? 1 : 0, binarizer.rawValue, maxSymbols, &symbols, &message, message.count)
        }
        // A ZXing exception on one frame is a frame without a code, not a failure of the loop.
        guard count > 0, let symbols else { return [] }
        defer { czxing_free(symbols, count) }
        return (0..<Int(count)).map { index in
            let symbol = symbols[index]
            let payload = Array(UnsafeBufferPointer(start: symbol.bytes, count: symbol.length))
            var decoded = DecodedSymbol(payload: payload, centre: (Int(symbol.centre_x), Int(symbol.centre_y)), foundBy: name)
            if let text = symbol.eci_text {
                decoded.eciText = String(decoding: UnsafeRawBufferPointer(start: text, count: symbol.eci_text_length), as: UTF8.self)
            }
            return decoded
        }
    }
}

extension QRMatrix {
    /// `text` encoded in `charset` with an ECI designator saying so, by ZXing's writer: for test
    /// fixtures of ECI-tagged codes (libqrencode writes none). `charset` as ZXing names it:
    /// "Shift_JIS", "EUC-KR", "UTF-8", "ISO-8859-5", …
    public static func eciTagged(_ text: String, charset: String) throws(EncodingError) -> QRMatrix {
        var modules: UnsafeMutablePointer<UInt8>? = nil
        var message = [CChar](repeating: 0, count: 256)  // ZXing's reason, for a debugger
        let size = czxing_write_qr_eci(text, charset, &modules, &message, message.count)
        guard size > 0, let modules else { throw .failed(errno: EINVAL) }
        defer { free(modules) }
        let dark = (0..<Int(size * size)).map { modules[$0] != 0 }
        return QRMatrix(version: (Int(size) - 17) / 4, size: Int(size), modules: dark)
    }
}
