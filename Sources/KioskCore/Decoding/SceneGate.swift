/// How much decoding a frame deserves. Most frames show the same empty doorway; decoding each
/// at full cost is what made an idle box spend 40 % of a core. The gate compares each frame's
/// preview (1/8 size: `FrameDeveloper.preview`) with the last **empty scene** — not merely the
/// previous frame, so a code held perfectly still keeps differing from it and keeps the cascade's
/// passes turning — and:
///
/// - a frame that differs from the empty scene gets the whole live cascade (`.full`);
/// - a frame like it gets nothing (`.skip`), except every `cheapEvery`-th, which gets the cheap
///   first pass (`.cheap`): a code the empty scene somehow absorbed is still found;
/// - a changed scene that stays still for `adoptAfterFrames` with no code found becomes the new
///   empty scene (a chair moved, the lights changed); so does every cheap frame that finds
///   nothing, which lets the empty scene follow the daylight.
///
/// Differences are measured after taking out the change in mean brightness, so a camera's
/// auto-exposure stepping does not count as a change.
public struct SceneGate: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Gray levels a preview pixel must move by to count as changed.
        public var pixelThreshold: Int
        /// Changed preview pixels that make a changed scene. At 1/8 size a code 50 pixels wide
        /// (2 px a module, far away) covers about 36 preview pixels; noise, after 64-pixel
        /// averaging, almost never crosses the threshold.
        public var changedPixels: Int
        /// An unchanged scene still gets the cheap pass once in this many frames.
        public var cheapEvery: Int
        /// Still frames with no code after which a changed scene becomes the empty scene.
        public var adoptAfterFrames: Int

        public init(pixelThreshold: Int = 12, changedPixels: Int = 10, cheapEvery: Int = 6, adoptAfterFrames: Int = 30) {
            self.pixelThreshold = pixelThreshold
            self.changedPixels = changedPixels
            self.cheapEvery = max(1, cheapEvery)
            self.adoptAfterFrames = max(1, adoptAfterFrames)
        }

        public static let standard = Settings()
    }

    public enum Decision: Sendable, Equatable {
        case full, cheap, skip
    }

    public let settings: Settings
    /// The last scene with no code in it.
    private var emptyScene: GrayImage?
    private var previous: GrayImage?
    /// Consecutive frames like the one before, with no code found.
    private var stillFrames = 0
    private var unchangedFrames = 0

    public init(settings: Settings = .standard) { self.settings = settings }

    /// What to do with the frame whose preview this is.
    public mutating func decide(preview: GrayImage) -> Decision {
        let movedSincePrevious = previous.map { differs(preview, $0) } ?? true
        previous = preview
        stillFrames = movedSincePrevious ? 0 : stillFrames + 1
        guard let emptyScene, !differs(preview, emptyScene) else {
            unchangedFrames = 0
            return .full
        }
        unchangedFrames += 1
        return unchangedFrames % settings.cheapEvery == 0 ? .cheap : .skip
    }

    /// What the decoding of that frame found.
    public mutating func decoded(_ decision: Decision, foundCode: Bool) {
        guard let preview = previous else { return }
        if foundCode {
            stillFrames = 0
            // A code in a scene taken for empty: that scene was not empty.
            if decision != .full { emptyScene = nil }
            return
        }
        switch decision {
        case .full where stillFrames >= settings.adoptAfterFrames, .cheap:
            emptyScene = preview
            stillFrames = 0
        case .full, .skip:
            break
        }
    }

    /// Whether two previews show different scenes.
    public func differs(_ a: GrayImage, _ b: GrayImage) -> Bool {
        guard a.width == b.width, a.height == b.height else { return true }
        let count = a.width * a.height
        return a.pixels.withUnsafeBufferPointer { pa in
            b.pixels.withUnsafeBufferPointer { pb in
                var sumA = 0, sumB = 0
                for index in 0..<count {
                    sumA &+= Int(pa[index])
                    sumB &+= Int(pb[index])
                }
                let shift = (sumA - sumB) / count
                let threshold = settings.pixelThreshold
                var changed = 0
                for index in 0..<count where abs(Int(pa[index]) - Int(pb[index]) - shift) > threshold {
                    changed += 1
                    if changed >= settings.changedPixels { return true }
                }
                return false
            }
        }
    }
}
