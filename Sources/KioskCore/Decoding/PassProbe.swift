/// Runs one single pass on a frame: the benchmark's tool for measuring what a pass pays for.
public final class PassProbe {
    private let engines = DecodeEngines()
    public init() {}
    public func run(_ pass: DecodePass, _ frame: GrayImage) -> [DecodedSymbol] {
        engines.beginFrame()
        return engines.run(pass, on: frame)
    }
}
