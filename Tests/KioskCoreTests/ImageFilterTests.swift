import Testing
@testable import KioskCore

@Suite struct ImageFilterTests {
    let ramp: GrayImage = {
        var image = GrayImage(width: 8, height: 4, fill: 0)
        for y in 0..<4 { for x in 0..<8 { image[x, y] = UInt8(x * 30 + y) } }
        return image
    }()

    @Test func invertingTwiceIsIdentity() {
        #expect(ramp.inverted().inverted() == ramp)
        #expect(ramp.inverted()[0, 0] == 255)
    }

    @Test func downscalingAveragesTwoByTwoBlocks() throws {
        let image = try GrayImage(width: 4, height: 2, pixels: [0, 10, 100, 200, 20, 30, 100, 201])
        let half = image.downscaledByTwo()
        #expect(half.width == 2 && half.height == 1)
        #expect(half.pixels == [15, 150])  // (0+10+20+30)/4, (100+200+100+201+2)/4 rounded
    }

    @Test func contrastStretchUsesTheWholeRange() {
        var dim = GrayImage(width: 100, height: 1, fill: 0)
        for x in 0..<100 { dim[x, 0] = UInt8(100 + x / 2) }  // 100…149
        let stretched = dim.contrastStretched()
        #expect(stretched.pixels.min()! <= 5 && stretched.pixels.max()! >= 250)
    }

    @Test func sharpeningKeepsFlatAreasAndSteepensEdges() {
        #expect(GrayImage(width: 9, height: 9, fill: 77).sharpened() == GrayImage(width: 9, height: 9, fill: 77))
        var edge = GrayImage(width: 10, height: 5, fill: 100)
        for y in 0..<5 { for x in 5..<10 { edge[x, y] = 150 } }
        let sharp = edge.sharpened(radius: 1, amount: 2)
        #expect(sharp[4, 2] < 100 && sharp[5, 2] > 150)
        #expect(sharp[0, 2] == 100 && sharp[9, 2] == 150)
    }

    /// The running-sum sharpening against the definition, pixel by pixel: the mean of the
    /// clipped (2r+1)² window, on noise, at sizes that put every pixel near some edge or not.
    @Test(arguments: [(1, 7, 5), (2, 37, 23), (3, 64, 9), (2, 3, 3)])
    func sharpeningMatchesTheDefinition(radius: Int, width: Int, height: Int) throws {
        var state: UInt64 = 0x1234_5678
        let pixels = (0..<width * height).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let image = try GrayImage(width: width, height: height, pixels: pixels)
        let sharp = image.sharpened(radius: radius, amount: 2)
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0, count = 0
                for wy in max(0, y - radius)...min(height - 1, y + radius) {
                    for wx in max(0, x - radius)...min(width - 1, x + radius) { sum += Int(image[wx, wy]); count += 1 }
                }
                let mean = (Double(sum) / Double(count)).rounded()
                let pixel = Double(image[x, y])
                let expected = min(255, max(0, pixel + 2 * (pixel - mean)))
                // The fixed-point reciprocal may round the mean differently by one level.
                #expect(abs(Double(sharp[x, y]) - expected) <= 2, "(\(x), \(y)) r\(radius)")
            }
        }
    }

    @Test func binarisationFollowsTheLocalMean() {
        // A dark square on a bright-to-dim gradient: black inside, white around, wherever it is.
        var image = GrayImage(width: 64, height: 16, fill: 0)
        for y in 0..<16 { for x in 0..<64 { image[x, y] = UInt8(220 - x * 2) } }
        for y in 4..<12 { for x in 40..<48 { image[x, y] = UInt8(100 - x) } }
        let binary = image.adaptivelyBinarised(window: 15, offset: 4)
        #expect(Set(binary.pixels) == [0, 255])
        #expect(binary[44, 8] == 0)
        #expect(binary[20, 8] == 255)
    }

    @Test func upscaleAndCropStayInsideTheImage() {
        let up = ramp.upscaled(region: PixelRect(x: 6, y: 2, width: 100, height: 100), factor: 3)
        #expect(up.width == 6 && up.height == 6)  // clamped to the 2×2 left at (6, 2)
        #expect(up[0, 0] == ramp[6, 2] && up[5, 5] == ramp[7, 3])
        let crop = ramp.cropped(to: PixelRect(x: -5, y: 1, width: 3, height: 2))
        #expect(crop.width == 1 && crop.height == 2 && crop[0, 0] == ramp[0, 1])
    }
}
