/// Drawing a `QRMatrix` for the kiosk's places a pass is shown: a PNG for the screen and
/// e-mail, ESC/POS raster for a receipt printer (SVG and terminal text are in PassQR, which
/// the server shares).
extension QRMatrix {
    /// The symbol as a gray image: `moduleSize` pixels a module, `quietZone` light modules around
    /// it (the standard asks for 4).
    public func image(moduleSize: Int = 8, quietZone: Int = 4) -> GrayImage {
        let side = (size + 2 * quietZone) * moduleSize
        var image = GrayImage(width: side, height: side, fill: 255)
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for y in 0..<size {
                for x in 0..<size where self[x, y] {
                    let left = (x + quietZone) * moduleSize
                    let top = (y + quietZone) * moduleSize
                    for row in top..<top + moduleSize {
                        let start = row * side + left
                        for index in start..<start + moduleSize { pixels[index] = 0 }
                    }
                }
            }
        }
        return image
    }

    public func png(moduleSize: Int = 8, quietZone: Int = 4) throws(ImageError) -> [UInt8] {
        try PNGCodec.encode(image(moduleSize: moduleSize, quietZone: quietZone))
    }

}

/// Thermal receipt printer raster output (ESC/POS `GS v 0`), the command Epson-compatible
/// 58 mm and 80 mm printers share for bitmaps.
public enum ESCPOS {
    public enum PaperWidth: Int, Sendable, CaseIterable {
        /// Printable dots a line at 203 dpi.
        case mm58 = 384
        case mm80 = 576
    }

    /// How a receipt carries its QR code: a `GS v 0` raster drawn by our renderer (every ESC/POS
    /// printer prints it), or the printer's own QR command `GS ( k` (sharper and far fewer bytes,
    /// on printers that have it: most Epson-compatible ones since the TM-T20).
    public enum QRStyle: String, Sendable, CaseIterable {
        case raster, native
    }

    /// `GS ( k`, function 165/167/169/180/181 of model 2: select the model, the module size
    /// (`dots`, 1…16), error correction M, store `payload`, print it.
    public static func nativeQR(_ payload: [UInt8], dots: Int) -> [UInt8] {
        func command(_ function: UInt8, _ parameters: [UInt8]) -> [UInt8] {
            let length = parameters.count + 2
            return [0x1D, 0x28, 0x6B, UInt8(length & 0xFF), UInt8(length >> 8), 0x31, function] + parameters
        }
        return command(0x41, [0x32, 0x00])                      // model 2
            + command(0x43, [UInt8(max(1, min(16, dots)))])     // module size
            + command(0x45, [0x31])                             // error correction M
            + command(0x50, [0x30] + payload)                   // store the data
            + command(0x51, [0x30])                             // print the stored symbol
    }

    /// The payloads stored by `GS ( k` commands in a stream of jobs, in order: what a printer
    /// with native QR would encode (for tests and `kioskd print --verify`).
    public static func nativeQRPayloads(in bytes: [UInt8]) -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        var index = 0
        while index + 7 <= bytes.count {
            guard bytes[index] == 0x1D, bytes[index + 1] == 0x28, bytes[index + 2] == 0x6B else { index += 1; continue }
            let length = Int(bytes[index + 3]) | Int(bytes[index + 4]) << 8
            let end = index + 5 + length
            guard length >= 2, end <= bytes.count else { break }
            if bytes[index + 5] == 0x31, bytes[index + 6] == 0x50, length >= 3 { payloads.append(Array(bytes[(index + 8)..<end])) }
            index = end
        }
        return payloads
    }

    /// `ESC @`: reset the printer to its defaults.
    static let initialize: [UInt8] = [0x1B, 0x40]
    /// `ESC a 1`: centre what follows.
    static let centre: [UInt8] = [0x1B, 0x61, 0x01]
    /// `ESC d 4`: print and feed four lines, so the code clears the tear bar.
    static let feed: [UInt8] = [0x1B, 0x64, 0x04]
    /// `GS V 1`: partial cut, ignored by printers without a cutter.
    static let partialCut: [UInt8] = [0x1D, 0x56, 0x01]

    /// A `GS v 0` raster of `image` (dark pixels print), rows padded to whole bytes.
    public static func raster(_ image: GrayImage, threshold: UInt8 = 128) -> [UInt8] {
        let bytesPerRow = (image.width + 7) / 8
        var out: [UInt8] = [0x1D, 0x76, 0x30, 0x00,
                            UInt8(bytesPerRow & 0xFF), UInt8(bytesPerRow >> 8),
                            UInt8(image.height & 0xFF), UInt8(image.height >> 8)]
        out.reserveCapacity(out.count + bytesPerRow * image.height)
        for y in 0..<image.height {
            for byteIndex in 0..<bytesPerRow {
                var byte: UInt8 = 0
                for bit in 0..<8 {
                    let x = byteIndex * 8 + bit
                    if x < image.width, image[x, y] < threshold { byte |= 0x80 >> UInt8(bit) }
                }
                out.append(byte)
            }
        }
        return out
    }

    /// A whole print job for one code: reset, centre, the raster (modules as large as the paper
    /// allows, at most `maxModuleDots`), feed and, when asked, cut.
    public static func job(for matrix: QRMatrix, paper: PaperWidth = .mm58, maxModuleDots: Int = 8,
                           quietZone: Int = 4, cut: Bool = false) -> [UInt8] {
        let modulesWide = matrix.size + 2 * quietZone
        let dots = max(1, min(maxModuleDots, paper.rawValue / modulesWide))
        var job = initialize + centre
        job += raster(matrix.image(moduleSize: dots, quietZone: quietZone))
        job += feed
        if cut { job += partialCut }
        return job
    }

    /// Every `GS v 0` raster in a stream of jobs, in order.
    public static func rasters(in bytes: [UInt8]) -> [GrayImage] {
        var images = [GrayImage]()
        var offset = 0
        while offset + 8 <= bytes.count {
            guard let start = (offset..<(bytes.count - 2)).first(where: { bytes[$0] == 0x1D && bytes[$0 + 1] == 0x76 && bytes[$0 + 2] == 0x30 }),
                  let image = decodeRaster(Array(bytes[start...])) else { break }
            images.append(image)
            offset = start + 8 + ((image.width + 7) / 8) * image.height
        }
        return images
    }

    /// Reads the first `GS v 0` raster of a job back into an image (printed dots are black):
    /// how the tests check a job without a printer.
    public static func decodeRaster(_ job: [UInt8]) -> GrayImage? {
        guard let start = job.indices.first(where: { index in
            index + 8 <= job.count && job[index] == 0x1D && job[index + 1] == 0x76 && job[index + 2] == 0x30
        }) else { return nil }
        let bytesPerRow = Int(job[start + 4]) | Int(job[start + 5]) << 8
        let height = Int(job[start + 6]) | Int(job[start + 7]) << 8
        let data = start + 8
        guard bytesPerRow > 0, height > 0, data + bytesPerRow * height <= job.count else { return nil }
        var image = GrayImage(width: bytesPerRow * 8, height: height, fill: 255)
        for y in 0..<height {
            for x in 0..<bytesPerRow * 8 where job[data + y * bytesPerRow + x / 8] & (0x80 >> UInt8(x % 8)) != 0 {
                image[x, y] = 0
            }
        }
        return image
    }
}
