import Foundation
import KioskCore

/// A camera-like frame described by what is in it: a background, QR codes placed in 3-D
/// (size, rotation, tilt, on paper or on a phone screen) and the camera's defects. It renders to
/// a `GrayImage`, for the decoder tests, the benchmark and the demo's synthetic camera.
public struct SyntheticScene: Sendable {
    public var width: Int
    public var height: Int
    public var codes: [PlacedCode]
    public var effects: [Effect]
    /// Seeds the background clutter and the noise.
    public var seed: UInt64

    public init(width: Int, height: Int, codes: [PlacedCode] = [], effects: [Effect] = [], seed: UInt64 = 1) {
        self.width = width
        self.height = height
        self.codes = codes
        self.effects = effects
        self.seed = seed
    }

    /// A QR symbol somewhere in the scene.
    public struct PlacedCode: Sendable {
        public var matrix: QRMatrix
        /// Centre of the symbol in frame pixels.
        public var centreX: Double
        public var centreY: Double
        /// Pixels a module, before tilt.
        public var moduleSize: Double
        /// In-plane rotation, radians.
        public var rotation: Double = 0
        /// Rotation about the horizontal and vertical axes (radians): perspective, one side
        /// farther from the camera than the other.
        public var tiltX: Double = 0
        public var tiltY: Double = 0
        public var darkValue: UInt8 = 20
        public var lightValue: UInt8 = 235
        public var quietZone: Int = 4
        /// A phone: modules of screen around the quiet zone, then a dark bezel.
        public var screenMargin: Int = 0
        public var bezel: Int = 0
        public var bezelValue: UInt8 = 15
        /// What the symbol encodes, kept for scoring a decoder.
        public var payload: [UInt8] = []

        public init(matrix: QRMatrix, centreX: Double, centreY: Double, moduleSize: Double) {
            self.matrix = matrix
            self.centreX = centreX
            self.centreY = centreY
            self.moduleSize = moduleSize
        }
    }

    public enum Effect: Sendable {
        /// Out of focus: a Gaussian blur of this standard deviation, in pixels.
        case defocus(sigma: Double)
        /// A hand moving horizontally during the exposure, over this many pixels.
        case motionBlur(length: Int)
        /// Sensor noise, Gaussian, this standard deviation in gray levels.
        case noise(sigma: Double)
        /// A light reflected by a screen or glossy paper: brightness added around a point.
        case glare(x: Double, y: Double, radius: Double, strength: Double)
        /// Something in front of the code (a thumb): an ellipse of one gray value.
        case occlusion(x: Double, y: Double, radiusX: Double, radiusY: Double, value: UInt8)
        /// The frame went through JPEG at this quality (MJPEG cameras, low light).
        case jpeg(quality: Int)
        /// Output range squeezed into low…high (dim screen, flat light).
        case contrast(low: UInt8, high: UInt8)
    }

    public func render() -> GrayImage {
        var generator = SeededGenerator(seed: seed)
        var image = Self.background(width: width, height: height, using: &generator)
        for code in codes { Self.draw(code, into: &image) }
        for effect in effects { Self.apply(effect, to: &image, using: &generator) }
        return image
    }

    // MARK: Background

    /// A desk or a wall: a soft gradient, a few objects, a little text-like clutter (bars and
    /// blocks, which a decoder must not mistake for a code).
    static func background(width: Int, height: Int, using generator: inout SeededGenerator) -> GrayImage {
        var image = GrayImage(width: width, height: height, fill: 0)
        let base = Double.random(in: 90...170, using: &generator)
        let slopeX = Double.random(in: -40...40, using: &generator) / Double(width)
        let slopeY = Double.random(in: -40...40, using: &generator) / Double(height)
        for y in 0..<height {
            for x in 0..<width {
                image[x, y] = UInt8(clamping: Int(base + slopeX * Double(x) + slopeY * Double(y)))
            }
        }
        let objects = Int.random(in: 3...8, using: &generator)
        for _ in 0..<objects {
            let w = Int.random(in: width / 20...width / 4, using: &generator)
            let h = Int.random(in: height / 20...height / 4, using: &generator)
            let x0 = Int.random(in: 0..<width - w, using: &generator)
            let y0 = Int.random(in: 0..<height - h, using: &generator)
            let value = UInt8.random(in: 30...230, using: &generator)
            for y in y0..<y0 + h { for x in x0..<x0 + w { image[x, y] = value } }
        }
        // Lines of "text": short dark bars in rows.
        let lines = Int.random(in: 2...6, using: &generator)
        for _ in 0..<lines {
            let y0 = Int.random(in: 0..<height - 12, using: &generator)
            var x = Int.random(in: 0..<width / 2, using: &generator)
            let end = min(width - 1, x + Int.random(in: width / 8...width / 2, using: &generator))
            let glyphHeight = Int.random(in: 5...11, using: &generator)
            while x < end {
                let glyphWidth = Int.random(in: 2...7, using: &generator)
                for y in y0..<min(height, y0 + glyphHeight) {
                    for gx in x..<min(width, x + glyphWidth) { image[gx, y] = 35 }
                }
                x += glyphWidth + Int.random(in: 2...6, using: &generator)
            }
        }
        return image
    }

    // MARK: Codes

    /// Draws a code through a homography from module space to the frame, 2×2 supersampled
    /// so edges are grey like a camera's.
    static func draw(_ code: PlacedCode, into image: inout GrayImage) {
        let outer = Double(code.matrix.size + 2 * (code.quietZone + code.screenMargin + code.bezel))
        let offset = Double(code.quietZone + code.screenMargin + code.bezel)
        let half = outer / 2 * code.moduleSize
        // Corners of the outer square in 3-D, rotated, tilted, then projected.
        let focal = 3.0 * max(Double(image.width), Double(image.height))
        func project(_ u: Double, _ v: Double) -> (Double, Double) {
            var x = u * half, y = v * half, z = 0.0
            // tilt about the horizontal axis
            (y, z) = (y * cos(code.tiltX) - z * sin(code.tiltX), y * sin(code.tiltX) + z * cos(code.tiltX))
            // tilt about the vertical axis
            (x, z) = (x * cos(code.tiltY) + z * sin(code.tiltY), -x * sin(code.tiltY) + z * cos(code.tiltY))
            // in-plane rotation
            (x, y) = (x * cos(code.rotation) - y * sin(code.rotation), x * sin(code.rotation) + y * cos(code.rotation))
            let scale = focal / (focal + z)
            return (code.centreX + x * scale, code.centreY + y * scale)
        }
        let corners = [project(-1, -1), project(1, -1), project(1, 1), project(-1, 1)]
        let toFrame = Homography.squareToQuad(corners)
        guard let toModules = toFrame.inverse else { return }
        let minX = max(0, Int(corners.map(\.0).min()!.rounded(.down)))
        let maxX = min(image.width - 1, Int(corners.map(\.0).max()!.rounded(.up)))
        let minY = max(0, Int(corners.map(\.1).min()!.rounded(.down)))
        let maxY = min(image.height - 1, Int(corners.map(\.1).max()!.rounded(.up)))
        guard minX <= maxX, minY <= maxY else { return }
        let size = code.matrix.size
        let screenStart = Double(code.bezel), screenEnd = outer - Double(code.bezel)
        for y in minY...maxY {
            for x in minX...maxX {
                var sum = 0, samples = 0
                for sy in 0..<2 {
                    for sx in 0..<2 {
                        let (u, v) = toModules.apply(Double(x) + 0.25 + 0.5 * Double(sx), Double(y) + 0.25 + 0.5 * Double(sy))
                        guard u >= 0, v >= 0, u < 1, v < 1 else { continue }
                        let mu = u * outer, mv = v * outer
                        samples += 1
                        if mu < screenStart || mv < screenStart || mu >= screenEnd || mv >= screenEnd {
                            sum += Int(code.bezelValue)
                            continue
                        }
                        let mx = Int((mu - offset).rounded(.down)), my = Int((mv - offset).rounded(.down))
                        let dark = mx >= 0 && my >= 0 && mx < size && my < size && code.matrix[mx, my]
                        sum += Int(dark ? code.darkValue : code.lightValue)
                    }
                }
                guard samples > 0 else { continue }
                let background = Int(image[x, y]) * (4 - samples)
                image[x, y] = UInt8(clamping: (sum + background) / 4)
            }
        }
    }

    // MARK: Camera defects

    static func apply(_ effect: Effect, to image: inout GrayImage, using generator: inout SeededGenerator) {
        switch effect {
        case .defocus(let sigma):
            // Three box blurs approximate a Gaussian (box width from the variance); below
            // σ ≈ 1 one [1 2 1] pass (σ ≈ 0.7) is closer than any box.
            let radius = Int(((sqrt(12 * sigma * sigma / 3 + 1) - 1) / 2).rounded())
            if radius == 0 {
                image = binomialBlur(image)
            } else {
                for _ in 0..<3 { image = boxBlur(image, radiusX: radius, radiusY: radius) }
            }
        case .motionBlur(let length):
            image = boxBlur(image, radiusX: max(1, length / 2), radiusY: 0)
        case .noise(let sigma):
            for index in image.pixels.indices {
                let noisy = Double(image.pixels[index]) + generator.gaussian(deviation: sigma)
                image.pixels[index] = UInt8(clamping: Int(noisy.rounded()))
            }
        case .glare(let cx, let cy, let radius, let strength):
            let r2 = radius * radius
            let x0 = max(0, Int(cx - 3 * radius)), x1 = min(image.width - 1, Int(cx + 3 * radius))
            let y0 = max(0, Int(cy - 3 * radius)), y1 = min(image.height - 1, Int(cy + 3 * radius))
            guard x0 <= x1, y0 <= y1 else { return }
            for y in y0...y1 {
                for x in x0...x1 {
                    let d2 = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)
                    let added = strength * exp(-d2 / r2)
                    image[x, y] = UInt8(clamping: Int(Double(image[x, y]) + added))
                }
            }
        case .occlusion(let cx, let cy, let rx, let ry, let value):
            let x0 = max(0, Int(cx - rx)), x1 = min(image.width - 1, Int(cx + rx))
            let y0 = max(0, Int(cy - ry)), y1 = min(image.height - 1, Int(cy + ry))
            guard x0 <= x1, y0 <= y1 else { return }
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = (Double(x) - cx) / rx, dy = (Double(y) - cy) / ry
                    if dx * dx + dy * dy <= 1 { image[x, y] = value }
                }
            }
        case .jpeg(let quality):
            if let bytes = try? JPEGEncoder.encode(image, quality: quality),
               let decoded = try? JPEGDecoder().decode(bytes) {
                image = decoded
            }
        case .contrast(let low, let high):
            let range = Int(high) - Int(low)
            for index in image.pixels.indices {
                image.pixels[index] = UInt8(clamping: Int(low) + Int(image.pixels[index]) * range / 255)
            }
        }
    }

    /// The separable [1 2 1]/4 kernel in both directions, edges clamped.
    static func binomialBlur(_ image: GrayImage) -> GrayImage {
        let w = image.width, h = image.height
        let source = image.packed.pixels
        var horizontal = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let left = Int(source[y * w + max(x - 1, 0)]), right = Int(source[y * w + min(x + 1, w - 1)])
                horizontal[y * w + x] = UInt8((left + 2 * Int(source[y * w + x]) + right + 2) / 4)
            }
        }
        var out = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let up = Int(horizontal[max(y - 1, 0) * w + x]), down = Int(horizontal[min(y + 1, h - 1) * w + x])
                out[y * w + x] = UInt8((up + 2 * Int(horizontal[y * w + x]) + down + 2) / 4)
            }
        }
        return try! GrayImage(width: w, height: h, pixels: out)  // w×h matches the buffer by construction
    }

    /// A separable box blur (running sums), edges clamped.
    static func boxBlur(_ image: GrayImage, radiusX: Int, radiusY: Int) -> GrayImage {
        let w = image.width, h = image.height
        var pixels = image.packed.pixels
        // Rows are lines of `w` pixels one apart; columns are lines of `h` pixels `w` apart.
        if radiusX > 0 { for y in 0..<h { blurLine(&pixels, start: y * w, count: w, step: 1, radius: radiusX) } }
        if radiusY > 0 { for x in 0..<w { blurLine(&pixels, start: x, count: h, step: w, radius: radiusY) } }
        return try! GrayImage(width: w, height: h, pixels: pixels)  // w×h matches the buffer by construction
    }

    /// A running-sum box blur along one line of `count` pixels, `step` apart, edges clamped.
    static func blurLine(_ pixels: inout [UInt8], start: Int, count: Int, step: Int, radius: Int) {
        let line = (0..<count).map { Int(pixels[start + $0 * step]) }
        let span = 2 * radius + 1
        var sum = 0
        for k in -radius...radius { sum += line[min(max(k, 0), count - 1)] }
        for i in 0..<count {
            pixels[start + i * step] = UInt8(sum / span)
            sum += line[min(i + radius + 1, count - 1)] - line[max(i - radius, 0)]
        }
    }
}

/// A plane projective transform (3×3, row-major, h[8] = 1).
struct Homography {
    var h: [Double]

    func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        let w = h[6] * x + h[7] * y + h[8]
        return ((h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w)
    }

    /// Maps the unit square (0,0) (1,0) (1,1) (0,1) onto a quadrilateral (Heckbert's formula).
    static func squareToQuad(_ q: [(Double, Double)]) -> Homography {
        let (x0, y0) = q[0], (x1, y1) = q[1], (x2, y2) = q[2], (x3, y3) = q[3]
        let dx1 = x1 - x2, dx2 = x3 - x2, dy1 = y1 - y2, dy2 = y3 - y2
        let sx = x0 - x1 + x2 - x3, sy = y0 - y1 + y2 - y3
        let denominator = dx1 * dy2 - dx2 * dy1
        let g = (sx * dy2 - dx2 * sy) / denominator
        let hh = (dx1 * sy - sx * dy1) / denominator
        return Homography(h: [
            x1 - x0 + g * x1, x3 - x0 + hh * x3, x0,
            y1 - y0 + g * y1, y3 - y0 + hh * y3, y0,
            g, hh, 1,
        ])
    }

    var inverse: Homography? {
        let a = h
        let c00 = a[4] * a[8] - a[5] * a[7], c01 = a[5] * a[6] - a[3] * a[8], c02 = a[3] * a[7] - a[4] * a[6]
        let det = a[0] * c00 + a[1] * c01 + a[2] * c02
        guard abs(det) > 1e-12 else { return nil }
        let inv = [
            c00, a[2] * a[7] - a[1] * a[8], a[1] * a[5] - a[2] * a[4],
            c01, a[0] * a[8] - a[2] * a[6], a[2] * a[3] - a[0] * a[5],
            c02, a[1] * a[6] - a[0] * a[7], a[0] * a[4] - a[1] * a[3],
        ].map { $0 / det }
        return Homography(h: inv)
    }
}
