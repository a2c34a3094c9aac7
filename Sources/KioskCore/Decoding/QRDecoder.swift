/// One QR symbol found in a frame.
public struct DecodedSymbol: Equatable, Sendable {
    /// The payload as the symbol carries it.
    public var payload: [UInt8]
    /// Where the symbol's centre is, in the coordinates of the frame given to the decoder.
    public var centre: (x: Int, y: Int)
    /// Which engine and pass found it ("zbar/full", "zxing/inverted", …): for logs and the benchmark.
    public var foundBy: String
    /// The text as the symbol's ECI designators say, when it has them (ZXing reads them; zbar,
    /// in binary mode, gives the bytes only).
    public var eciText: String?

    public init(payload: [UInt8], centre: (x: Int, y: Int), foundBy: String) {
        self.payload = payload
        self.centre = centre
        self.foundBy = foundBy
    }

    /// The payload as text, as the symbol says (ECI) or else in the charset its bytes are in
    /// (`SymbolText`), with EUC-KR preferred among the legacy ones. Pass tokens are ASCII.
    public var text: String { text(preferring: .eucKR) }

    public func text(preferring legacy: LegacyCharset) -> String {
        SymbolText.decode(payload, eciText: eciText, preferring: legacy).text
    }

    public static func == (lhs: DecodedSymbol, rhs: DecodedSymbol) -> Bool {
        lhs.payload == rhs.payload && lhs.centre == rhs.centre && lhs.foundBy == rhs.foundBy
    }
}

/// Finds every QR code in a grayscale frame. Implementations own C decoder state that is
/// reused across frames, so one instance serves one task at a time (the decode loop).
public protocol QRDecoder: AnyObject {
    /// A short name for logs and benchmarks.
    var name: String { get }
    /// Every QR payload in the frame, each once; empty when there is none.
    func decode(_ frame: GrayImage) -> [DecodedSymbol]
    /// The cheapest look that still finds a plain code: what the scene gate spends on a frame
    /// that looks like the empty doorway. By default the same as `decode`.
    func decodeCheaply(_ frame: GrayImage) -> [DecodedSymbol]
}

extension QRDecoder {
    public func decodeCheaply(_ frame: GrayImage) -> [DecodedSymbol] { decode(frame) }
}
