/// One way of looking at a frame: an image transform (or none) followed by one engine.
/// The cascade is an ordered list of these.
public enum DecodePass: String, Sendable, CaseIterable {
    /// zbar on the frame halved: fast, finds large and blurred codes.
    case zbarHalf = "zbar/half"
    /// zbar on the full frame: small and mid-size codes.
    case zbarFull = "zbar/full"
    /// zbar on the inverted half frame: dark-mode screens.
    case zbarInvertedHalf = "zbar/inverted-half"
    /// zbar on the contrast-stretched full frame: dim screens.
    case zbarStretched = "zbar/stretched"
    /// zbar on the locally binarised frame: glare and shadows.
    case zbarBinarised = "zbar/binarised"
    /// zbar on the centre of the frame scaled ×2: far, small codes.
    case zbarUpscaledCentre = "zbar/upscaled-centre"
    /// ZXing on the full frame.
    case zxingFull = "zxing/full"
    /// ZXing on the half frame.
    case zxingHalf = "zxing/half"
    /// ZXing on the inverted full frame (1.4 cannot invert by itself).
    case zxingInverted = "zxing/inverted"
    /// ZXing on the inverted half frame.
    case zxingInvertedHalf = "zxing/inverted-half"
    /// ZXing's thorough mode on the full frame.
    case zxingHarder = "zxing/harder"
    /// ZXing on the sharpened (unsharp-masked) frame: defocus and motion blur.
    case zxingSharpened = "zxing/sharpened"
    /// zbar on the sharpened half frame.
    case zbarSharpenedHalf = "zbar/sharpened-half"
}

/// The engines and scratch state the passes share; one per decode loop.
final class DecodeEngines {
    let zbar = ZBarDecoder()
    let zxing = ZXingDecoder()
    let zxingHarder = ZXingDecoder(tryHarder: true)

    /// The half-size frame, made once per frame for every "half" pass that needs it.
    private var halfFrame: (serial: Int, image: GrayImage)?
    private var frameSerial = 0

    /// Call before the passes of a new frame: forgets the previous frame's half-size copy.
    func beginFrame() { frameSerial += 1 }

    func half(of frame: GrayImage) -> GrayImage {
        if let cached = halfFrame, cached.serial == frameSerial { return cached.image }
        let image = frame.downscaledByTwo()
        halfFrame = (frameSerial, image)
        return image
    }

    func run(_ pass: DecodePass, on frame: GrayImage) -> [DecodedSymbol] {
        let found: [DecodedSymbol]
        var factor = 1
        var originX = 0, originY = 0
        var divisor = 1
        switch pass {
        case .zbarHalf:
            found = zbar.decode(half(of: frame)); factor = 2
        case .zbarFull:
            found = zbar.decode(frame)
        case .zbarInvertedHalf:
            found = zbar.decode(half(of: frame).inverted()); factor = 2
        case .zbarStretched:
            found = zbar.decode(frame.contrastStretched())
        case .zbarBinarised:
            found = zbar.decode(half(of: frame).adaptivelyBinarised(window: 15, offset: 4)); factor = 2
        case .zbarUpscaledCentre:
            let region = PixelRect(x: frame.width / 4, y: frame.height / 4, width: frame.width / 2, height: frame.height / 2)
            found = zbar.decode(frame.upscaled(region: region, factor: 2))
            originX = region.x; originY = region.y; divisor = 2
        case .zxingFull:
            found = zxing.decode(frame)
        case .zxingHalf:
            found = zxing.decode(half(of: frame)); factor = 2
        case .zxingInverted:
            found = zxing.decode(frame.inverted())
        case .zxingInvertedHalf:
            found = zxing.decode(half(of: frame).inverted()); factor = 2
        case .zxingHarder:
            found = zxingHarder.decode(frame)
        case .zxingSharpened:
            found = zxing.decode(frame.sharpened())
        case .zbarSharpenedHalf:
            found = zbar.decode(half(of: frame).sharpened(radius: 1, amount: 2)); factor = 2
        }
        return found.map { symbol in
            var symbol = symbol
            symbol.centre = (originX + symbol.centre.x * factor / divisor, originY + symbol.centre.y * factor / divisor)
            symbol.foundBy = pass.rawValue
            return symbol
        }
    }
}
