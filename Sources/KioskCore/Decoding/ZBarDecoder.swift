internal import CZBar

/// libzbar's image scanner, set up for QR codes only and reused across frames.
public final class ZBarDecoder: QRDecoder {
    public let name: String
    private let scanner: OpaquePointer
    private let image: OpaquePointer

    /// - Parameter density: scan every n-th line (1 = every line). Higher is faster and misses
    ///   small codes. Inverted (dark-mode) codes are the cascade's job: it inverts the frame.
    public init(density: Int32 = 1) {
        guard let scanner = zbar_image_scanner_create(), let image = zbar_image_create() else {
            fatalError("zbar: out of memory")
        }
        self.scanner = scanner
        self.image = image
        name = "zbar"
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1)
        // Keep the payload's bytes as they are: a pass is ASCII, anything else is not ours to fix.
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1)
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_X_DENSITY, density)
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_Y_DENSITY, density)
        // The cache debounces video for zbar's own tools; the kiosk debounces itself.
        zbar_image_scanner_enable_cache(scanner, 0)
        zbar_image_set_format(image, czbar_fourcc_y800())
    }

    deinit {
        zbar_image_destroy(image)
        zbar_image_scanner_destroy(scanner)
    }

    public func decode(_ frame: GrayImage) -> [DecodedSymbol] {
        let packed = frame.packed  // zbar's Y800 has no stride
        zbar_image_set_size(image, UInt32(packed.width), UInt32(packed.height))
        return packed.pixels.withUnsafeBytes { raw -> [DecodedSymbol] in
            zbar_image_set_data(image, raw.baseAddress, UInt(raw.count), nil)
            defer { zbar_image_set_data(image, nil, 0, nil) }
            let count = zbar_scan_image(scanner, image)
            guard count > 0 else { return [] }
            var symbols = [DecodedSymbol]()
            var symbol = zbar_image_first_symbol(image)
            while let current = symbol {
                if zbar_symbol_get_type(current) == ZBAR_QRCODE, let data = zbar_symbol_get_data(current) {
                    let length = Int(zbar_symbol_get_data_length(current))
                    let payload = data.withMemoryRebound(to: UInt8.self, capacity: length) {
                        Array(UnsafeBufferPointer(start: $0, count: length))
                    }
                    symbols.append(DecodedSymbol(payload: payload, centre: Self.centre(of: current), foundBy: name))
                }
                symbol = zbar_symbol_next(current)
            }
            return symbols
        }
    }

    private static func centre(of symbol: OpaquePointer) -> (x: Int, y: Int) {
        let points = zbar_symbol_get_loc_size(symbol)
        guard points > 0 else { return (0, 0) }
        var x = 0, y = 0
        for index in 0..<points {
            x += Int(zbar_symbol_get_loc_x(symbol, index))
            y += Int(zbar_symbol_get_loc_y(symbol, index))
        }
        return (x / Int(points), y / Int(points))
    }
}
