import KioskCore
/// The camera-like frame set of the decoding benchmark and tests: for each category of real-life
/// trouble at the door, scenes with random but seeded parameters.
public struct CameraLikeCorpus: Sendable {
    public enum Category: String, Sendable, CaseIterable {
        case clean, phone, dark, small, far, tilted, rotated, blurred, noisy, glare, jpeg, covered
        case twoCodes = "two-codes"
        case noCode = "no-code"
    }

    public struct Frame: Sendable {
        public let name: String
        public let category: Category
        public let scene: SyntheticScene
        /// What a perfect decoder returns, as text.
        public let expected: Set<String>
    }

    public let width: Int
    public let height: Int
    public let framesPerCategory: Int
    public let seed: UInt64
    /// Yields the payload of the n-th code (pass tokens in the benchmark).
    let payload: @Sendable (Int) -> String

    public init(width: Int, height: Int, framesPerCategory: Int, seed: UInt64 = 42,
                payload: @escaping @Sendable (Int) -> String) {
        self.width = width
        self.height = height
        self.framesPerCategory = framesPerCategory
        self.seed = seed
        self.payload = payload
    }

    public var frames: [Frame] {
        var frames = [Frame]()
        var counter = 0
        for category in Category.allCases {
            for index in 0..<framesPerCategory {
                var generator = SeededGenerator(seed: seed &+ UInt64(counter) &* 7919)
                let frame = makeFrame(category, index: index, serial: &counter, using: &generator)
                frames.append(frame)
            }
        }
        return frames
    }

    private func makeFrame(_ category: Category, index: Int, serial: inout Int,
                           using g: inout SeededGenerator) -> Frame {
        let w = Double(width), h = Double(height)
        // Module size scales with the frame: a 720p camera sees the same code with 2× the pixels
        // of a 480p one at the same distance... in width; we scale by height.
        let scale = h / 480
        func code(moduleSize: ClosedRange<Double>) -> SyntheticScene.PlacedCode {
            let text = payload(serial)
            serial += 1
            let matrix = try! QRMatrix(text: text, level: .medium)
            let module = Double.random(in: moduleSize, using: &g) * scale
            // Room for the quiet zone and a phone's screen margin and bezel: the whole code in view.
            let half = Double(matrix.size + 22) * module / 2
            let cx = Double.random(in: min(half, w / 2)...max(w / 2, w - half), using: &g)
            let cy = Double.random(in: min(half, h / 2)...max(h / 2, h - half), using: &g)
            var placed = SyntheticScene.PlacedCode(matrix: matrix, centreX: cx, centreY: cy, moduleSize: module)
            placed.payload = Array(text.utf8)
            placed.rotation = Double.random(in: -0.08...0.08, using: &g)
            placed.tiltX = Double.random(in: -0.15...0.15, using: &g)
            placed.tiltY = Double.random(in: -0.15...0.15, using: &g)
            return placed
        }
        var codes = [SyntheticScene.PlacedCode]()
        var effects = [SyntheticScene.Effect]()
        let lightNoise = SyntheticScene.Effect.noise(sigma: Double.random(in: 2...5, using: &g))
        switch category {
        case .clean:
            codes = [code(moduleSize: 3.5...6)]
            effects = [lightNoise]
        case .phone:
            var c = code(moduleSize: 3...5)
            c.screenMargin = 3; c.bezel = 4
            c.lightValue = UInt8.random(in: 170...215, using: &g)
            c.darkValue = UInt8.random(in: 45...80, using: &g)
            codes = [c]
            effects = [.defocus(sigma: 0.7), lightNoise]
        case .dark:
            var c = code(moduleSize: 3...5)
            c.screenMargin = 2; c.bezel = 4
            c.lightValue = UInt8.random(in: 20...45, using: &g)   // screen background
            c.darkValue = UInt8.random(in: 180...230, using: &g)  // modules drawn light
            c.bezelValue = 10
            codes = [c]
            effects = [.defocus(sigma: 0.6), lightNoise]
        case .small:
            codes = [code(moduleSize: 2.0...2.6)]
            effects = [.defocus(sigma: 0.5), lightNoise]
        case .far:
            // Across the room: 1.5–2.5 px a module whatever the resolution (so not scaled).
            codes = [code(moduleSize: (1.5 / scale)...(2.5 / scale))]
            effects = [.defocus(sigma: 0.5), lightNoise]
        case .tilted:
            var c = code(moduleSize: 3.5...5)
            c.tiltX = Double.random(in: 0.5...0.8, using: &g) * (Bool.random(using: &g) ? 1 : -1)
            c.tiltY = Double.random(in: 0.3...0.7, using: &g) * (Bool.random(using: &g) ? 1 : -1)
            codes = [c]
            effects = [lightNoise]
        case .rotated:
            var c = code(moduleSize: 3.5...5)
            c.rotation = Double.random(in: 0.3...(2 * .pi - 0.3), using: &g)
            codes = [c]
            effects = [lightNoise]
        case .blurred:
            codes = [code(moduleSize: 4...6)]
            effects = Bool.random(using: &g)
                ? [.defocus(sigma: Double.random(in: 1.6...2.4, using: &g) * scale), lightNoise]
                : [.motionBlur(length: Int(Double.random(in: 6...9, using: &g) * scale)), lightNoise]
        case .noisy:
            codes = [code(moduleSize: 3.5...5)]
            effects = [.noise(sigma: Double.random(in: 22...32, using: &g))]
        case .glare:
            let c = code(moduleSize: 3.5...5)
            codes = [c]
            let radius = Double(c.matrix.size) * c.moduleSize * Double.random(in: 0.25...0.4, using: &g)
            effects = [.glare(x: c.centreX + Double.random(in: -radius...radius, using: &g),
                              y: c.centreY + Double.random(in: -radius...radius, using: &g),
                              radius: radius, strength: Double.random(in: 120...190, using: &g)), lightNoise]
        case .jpeg:
            codes = [code(moduleSize: 3...4.5)]
            effects = [lightNoise, .jpeg(quality: Int.random(in: 12...25, using: &g))]
        case .covered:
            let c = code(moduleSize: 3.5...5)
            codes = [c]
            let side = Double(c.matrix.size) * c.moduleSize
            // A thumb over the middle of the lower edge: about 6 % of the symbol, no finder hit.
            effects = [.occlusion(x: c.centreX + Double.random(in: -0.1...0.1, using: &g) * side,
                                  y: c.centreY + side * 0.5,
                                  radiusX: side * 0.2, radiusY: side * 0.16,
                                  value: UInt8.random(in: 120...170, using: &g)), lightNoise]
        case .twoCodes:
            var a = code(moduleSize: 3...4)
            var b = code(moduleSize: 3...4)
            let half = Double(a.matrix.size + 8) * a.moduleSize / 2
            a.centreX = w * 0.27; b.centreX = w * 0.73
            a.centreY = max(half, min(h - half, a.centreY))
            b.centreY = max(half, min(h - half, b.centreY))
            codes = [a, b]
            effects = [lightNoise]
        case .noCode:
            effects = [lightNoise]
        }
        let scene = SyntheticScene(width: width, height: height, codes: codes, effects: effects,
                                   seed: g.next())
        let expected = Set(codes.map { String(decoding: $0.payload, as: UTF8.self) })
        return Frame(name: "\(width)x\(height)-\(category.rawValue)-\(index)", category: category,
                     scene: scene, expected: expected)
    }
}

