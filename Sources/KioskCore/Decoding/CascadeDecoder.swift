import Foundation

/// The kiosk's QR decoder: a cascade of passes (engine × image transform) under a per-frame
/// time budget.
///
/// Most frames hold no code, so what an empty frame costs is what the box pays all day. The
/// first pass (the cheapest that finds the most, by measurement: ZXing on the full frame) runs
/// on every frame; the others take turns on the following frames, as many as fit in the
/// budget, so a code held up for a fraction of a second meets every pass while no frame costs
/// more than the camera's frame interval. `scan` (one image file, no budget) runs them all.
public final class CascadeDecoder: QRDecoder {
    public let name = "cascade"

    /// The default order, from the benchmark (`kioskd-bench decode --passes`, see
    /// docs/PERFORMANCE.md): each later pass finds codes the earlier ones miss.
    public static let defaultPasses: [DecodePass] = [
        .zxingFull,          // fast path: nearly everything, ~1 ms at 480p, ~2.5 ms at 720p
        .zxingInverted,      // dark-mode screens
        .zbarHalf,           // heavy noise, glare, big blurred codes: zbar's strengths
        .zbarSharpenedHalf,  // defocus and motion blur
        .zxingHarder,        // small and distant codes
        .zxingSharpened,     // far codes at 1.5–2.5 px a module, defocus: ~9 ms at 720p, fits after the first pass
        .zbarBinarised,      // uneven light
        .zxingInvertedHalf,  // blurred dark-mode codes
        .zbarFull,           // small codes zxing misses; expensive at 720p, runs when it fits
    ]

    /// How long one frame may spend in the live cascade.
    public enum FrameBudget: Sendable, Equatable {
        /// The same number of milliseconds whatever the frame size.
        case fixed(milliseconds: Double)
        /// A fixed part plus a part proportional to the frame's pixels: passes cost about
        /// that, and a small frame should cost proportionally less.
        case scaled(baseMilliseconds: Double, perMegapixel: Double)

        /// The default: 2 ms + 14 ms a megapixel — 14.9 ms at 1280×720, 6.3 ms at 640×480,
        /// well inside the 33 ms between two frames at 30 fps.
        public static let standard = FrameBudget.scaled(baseMilliseconds: 2, perMegapixel: 14)

        public func milliseconds(width: Int, height: Int) -> Double {
            switch self {
            case .fixed(let ms): ms
            case .scaled(let base, let perMegapixel): base + perMegapixel * Double(width * height) / 1_000_000
            }
        }
    }

    public let passes: [DecodePass]
    public let frameBudget: FrameBudget
    /// Milliseconds for the current frame size.
    private var budget: Double = 0
    private let engines = DecodeEngines()
    /// Running estimate of each pass's cost at the current frame size, in ms.
    private var estimates: [DecodePass: Double] = [:]
    private var estimatedSize = (width: 0, height: 0)
    /// Where the rotation over the secondary passes resumes on the next frame.
    private var nextSecondary = 0

    public init(passes: [DecodePass] = CascadeDecoder.defaultPasses, budget: FrameBudget = .standard) {
        precondition(!passes.isEmpty, "a cascade needs at least one pass")
        self.passes = passes
        self.frameBudget = budget
    }

    /// A fixed budget in milliseconds.
    public convenience init(budget milliseconds: Double) {
        self.init(budget: .fixed(milliseconds: milliseconds))
    }

    /// The live path: the first pass, then secondary passes in rotation while they fit the budget.
    public func decode(_ frame: GrayImage) -> [DecodedSymbol] {
        if (frame.width, frame.height) != estimatedSize {
            estimates = [:]
            estimatedSize = (frame.width, frame.height)
            budget = frameBudget.milliseconds(width: frame.width, height: frame.height)
        }
        engines.beginFrame()
        let start = ContinuousClock.now
        var found = timed(passes[0], frame)
        let afterFirstPass = Self.milliseconds(since: start)
        // One round over the secondary passes at most. A pass that does not fit what is left of
        // the budget is skipped, and the next frame starts with it, so that every pass that can
        // fit a frame at all gets its turn within a round of frames.
        let secondaries = passes.count - 1
        var resumeAt: Int?
        var index = nextSecondary
        for _ in 0..<secondaries where found.isEmpty {
            let pass = passes[1 + index]
            // An unmeasured pass runs when half the budget is left, so that it gets measured.
            let cost = estimates[pass] ?? budget / 2
            if Self.milliseconds(since: start) + cost <= budget {
                found = timed(pass, frame)
            } else if resumeAt == nil, afterFirstPass + cost <= budget {
                resumeAt = index
            }
            index = (index + 1) % secondaries
        }
        nextSecondary = resumeAt ?? index
        return Self.unique(found)
    }

    /// The first pass alone (ZXing on the full frame): for frames the scene gate finds unchanged.
    public func decodeCheaply(_ frame: GrayImage) -> [DecodedSymbol] {
        engines.beginFrame()
        return Self.unique(engines.run(passes[0], on: frame))
    }

    /// The whole cascade on one image, no budget: for `kioskd scan` and one-off checks.
    public func decodeThoroughly(_ frame: GrayImage) -> [DecodedSymbol] {
        engines.beginFrame()
        for pass in passes {
            let found = engines.run(pass, on: frame)
            if !found.isEmpty { return Self.unique(found) }
        }
        return []
    }

    private func timed(_ pass: DecodePass, _ frame: GrayImage) -> [DecodedSymbol] {
        let start = ContinuousClock.now
        let found = engines.run(pass, on: frame)
        let cost = Self.milliseconds(since: start)
        estimates[pass] = estimates[pass].map { 0.8 * $0 + 0.2 * cost } ?? cost
        return found
    }

    public static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).inMilliseconds
    }

    /// One symbol per payload (two passes, or two engines, may find the same code).
    static func unique(_ symbols: [DecodedSymbol]) -> [DecodedSymbol] {
        var seen = Set<[UInt8]>()
        return symbols.filter { seen.insert($0.payload).inserted }
    }
}
