import CafeProtocol
import Testing
@testable import KioskCore
import KioskSimulation

@Suite struct DecodingTests {
    @Test func everyEngineReadsAPassToken() {
        let text = Fixtures.passText()
        let frame = Fixtures.frame(with: text)
        let decoders: [any QRDecoder] = [ZBarDecoder(), ZXingDecoder(), CascadeDecoder()]
        for decoder in decoders {
            let found = decoder.decode(frame)
            #expect(found.map(\.text) == [text], "\(decoder.name)")
            // The centre is where the code was drawn (320, 240), within a few modules.
            if let symbol = found.first {
                #expect(abs(symbol.centre.x - 320) < 20 && abs(symbol.centre.y - 240) < 20, "\(decoder.name) centre \(symbol.centre)")
            }
        }
    }

    @Test func scannerIsReusedAcrossFramesWithoutStaleResults() {
        let zbar = ZBarDecoder()
        let a = Fixtures.passText(), b = Fixtures.passText()
        #expect(zbar.decode(Fixtures.frame(with: a)).map(\.text) == [a])
        #expect(zbar.decode(GrayImage(width: 640, height: 480, fill: 128)).isEmpty)
        #expect(zbar.decode(Fixtures.frame(with: b)).map(\.text) == [b])
    }

    @Test func darkModeCodesAreFound() {
        let text = Fixtures.passText()
        let frame = Fixtures.frame(with: text, inverted: true)
        #expect(ZBarDecoder().decode(frame).isEmpty, "the plain engine should not read an inverted code; if it does, the test proves nothing")
        #expect(CascadeDecoder().decodeThoroughly(frame).map(\.text) == [text])
        // Live: within a few frames of the budgeted cascade.
        let live = CascadeDecoder()
        let found = (0..<10).lazy.map { _ in live.decode(frame) }.first { !$0.isEmpty }
        #expect(found?.map(\.text) == [text])
    }

    @Test func twoCodesInOneFrameAreBothFound() {
        let a = Fixtures.passText(), b = Fixtures.passText()
        var left = SyntheticScene.PlacedCode(matrix: try! QRMatrix(text: a), centreX: 170, centreY: 240, moduleSize: 4)
        left.payload = Array(a.utf8)
        var right = SyntheticScene.PlacedCode(matrix: try! QRMatrix(text: b), centreX: 470, centreY: 240, moduleSize: 4)
        right.payload = Array(b.utf8)
        let frame = SyntheticScene(width: 640, height: 480, codes: [left, right]).render()
        for decoder in [ZBarDecoder(), ZXingDecoder()] as [any QRDecoder] {
            #expect(Set(decoder.decode(frame).map(\.text)) == [a, b], "\(decoder.name)")
        }
        #expect(Set(CascadeDecoder().decode(frame).map(\.text)) == [a, b])
    }

    @Test func framesWithoutCodesGiveNothing() {
        var generator = SeededGenerator(seed: 9)
        let noise = GrayImage(width: 320, height: 240, fill: 0)
        var random = noise
        for index in random.pixels.indices { random.pixels[index] = UInt8.random(in: 0...255, using: &generator) }
        let cascade = CascadeDecoder()
        for frame in [GrayImage(width: 320, height: 240, fill: 255), GrayImage(width: 1, height: 1, fill: 0), random,
                      SyntheticScene(width: 640, height: 480, seed: 3).render()] {
            #expect(cascade.decode(frame).isEmpty)
            #expect(cascade.decodeThoroughly(frame).isEmpty)
        }
    }

    @Test func paddedRowsAreHandled() throws {
        let text = Fixtures.passText()
        let frame = Fixtures.frame(with: text)
        // The same pixels with 64 bytes of garbage at the end of every row.
        var padded = [UInt8]()
        for y in 0..<frame.height {
            padded += frame.pixels[y * frame.width..<(y + 1) * frame.width]
            padded += [UInt8](repeating: 0, count: 64)
        }
        let strided = try GrayImage(width: frame.width, height: frame.height, stride: frame.width + 64, pixels: padded)
        #expect(ZBarDecoder().decode(strided).map(\.text) == [text])
        #expect(ZXingDecoder().decode(strided).map(\.text) == [text])
    }

    @Test func invalidFrameGeometryIsAnError() {
        #expect(throws: ImageError.truncated(expected: 100, actual: 99)) { try GrayImage(width: 10, height: 10, pixels: [UInt8](repeating: 0, count: 99)) }
        #expect(throws: ImageError.invalidStride(stride: 5, width: 10)) { try GrayImage(width: 10, height: 10, stride: 5, pixels: []) }
        #expect(throws: ImageError.invalidSize(width: 0, height: 10)) { try GrayImage(width: 0, height: 10, pixels: []) }
        #expect(throws: ImageError.tooLarge(width: 9000, height: 10)) { try GrayImage(width: 9000, height: 10, pixels: []) }
    }

    @Test func aSpentBudgetRunsOnlyTheFirstPass() {
        // The first pass (ZXing, not inverting) cannot read a dark-mode code; with no budget
        // left for the others, the live path must not run them, however many frames come.
        let frame = Fixtures.frame(with: "X", inverted: true)
        let tight = CascadeDecoder(budget: 0.000_001)
        for _ in 0..<20 { #expect(tight.decode(frame).isEmpty) }
        let roomy = CascadeDecoder(budget: 1_000)
        #expect(roomy.decode(frame).map(\.text) == ["X"])
    }

    @Test func debouncerReportsACodeOncePerAppearance() {
        var debouncer = ScanDebouncer(quietFrames: 5)
        let a: [UInt8] = Array("A".utf8), b: [UInt8] = Array("B".utf8)
        #expect(debouncer.newPayloads([a], frame: 1) == [a])
        #expect(debouncer.newPayloads([a], frame: 2) == [])
        #expect(debouncer.newPayloads([a, b], frame: 3) == [b])
        #expect(debouncer.newPayloads([], frame: 6) == [])
        #expect(debouncer.newPayloads([a], frame: 7) == [])   // gone 4 frames: the same showing
        #expect(debouncer.newPayloads([a], frame: 13) == [a]) // gone 6 frames: shown again
    }
}
