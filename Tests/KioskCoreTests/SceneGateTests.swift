import Foundation
import KioskCore
import KioskSimulation
import Testing

/// The scene gate on rendered 640×480 scenes: what it spends on an empty doorway, and that it
/// never spares a frame in which something came into view.
@Suite struct SceneGateTests {
    static let width = 640, height = 480
    /// The doorway (a wall with things on it), rendered once; frames differ by their noise.
    static let wall = SyntheticScene(width: width, height: height, seed: 7).render()
    static let wallWithCode: GrayImage = {
        var scene = SyntheticScene(width: width, height: height, seed: 7)
        scene.codes = [SyntheticScene.PlacedCode(matrix: try! QRMatrix(text: "HELD-STILL-FOR-TWO-SECONDS"), centreX: 320, centreY: 240, moduleSize: 4)]
        return scene.render()
    }()

    /// One frame of the doorway: sensor noise (±6 gray levels, new in every frame), the whole
    /// picture `brightness` brighter, and a dark shape (a person, a bag) at `person`.
    static func doorway(seed: UInt64, brightness: Int = 0, person: (x: Int, value: UInt8)? = nil, code: Bool = false) -> GrayImage {
        var image = code ? wallWithCode : wall
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        image.pixels.withUnsafeMutableBufferPointer { pixels in
            for index in 0..<pixels.count {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                let noise = Int(state % 13) - 6
                pixels[index] = UInt8(clamping: Int(pixels[index]) + noise + brightness)
            }
            if let person {
                for y in 120..<480 {
                    for x in max(0, person.x - 60)..<min(width, person.x + 60) { pixels[y * width + x] = person.value }
                }
            }
        }
        return image
    }

    /// Runs frames through the gate as the door loop does; `codeFound` stands for the decoder.
    static func decisions(_ frames: [GrayImage], gate: inout SceneGate, codeFound: (Int) -> Bool = { _ in false }) -> [SceneGate.Decision] {
        frames.enumerated().map { index, frame in
            let decision = gate.decide(preview: frame.blockAveraged(by: 8))
            gate.decoded(decision, foundCode: decision != .skip && codeFound(index))
            return decision
        }
    }

    /// The gate after it has taken the empty doorway in.
    static func settledGate() -> SceneGate {
        var gate = SceneGate()
        let empty = (0..<40).map { doorway(seed: UInt64($0)) }
        let first = decisions(empty, gate: &gate)
        #expect(first.prefix(31).allSatisfy { $0 == .full }, "no empty scene yet: everything decoded")
        #expect(first.suffix(5).allSatisfy { $0 != .full }, "adopted after 30 still frames: \(first)")
        return gate
    }

    @Test func anEmptyDoorwayCostsNothingButACheapLookNowAndThen() {
        var gate = Self.settledGate()
        let frames = (100..<160).map { Self.doorway(seed: UInt64($0)) }
        let decided = Self.decisions(frames, gate: &gate)
        #expect(!decided.contains(.full))
        let cheap = decided.filter { $0 == .cheap }.count
        #expect(cheap == 10, "one frame in six: \(cheap)")
    }

    @Test func aCodeComingIntoViewIsDecodedFromItsFirstFrameAndWhileHeldStill() {
        var gate = Self.settledGate()
        // In view from frame 5, held perfectly still for 90 frames (3 s at 30 fps), then gone.
        var frames: [GrayImage] = (0..<5).map { Self.doorway(seed: UInt64(200 + $0)) }
        frames += (0..<90).map { Self.doorway(seed: UInt64(300 + $0), code: true) }
        frames += (0..<20).map { Self.doorway(seed: UInt64(400 + $0)) }
        // Even when the decoder misses it (a code too blurred to read), the held code is never
        // adopted as the empty scene within the 3 s: a still code differs from the *empty* one.
        let decided = Self.decisions(frames, gate: &gate)
        #expect(decided[5..<35].allSatisfy { $0 == .full }, "\(decided[5..<35])")
        // Once read, the code keeps every frame it is in fully decoded.
        var reading = Self.settledGate()
        let whileRead = Self.decisions(frames, gate: &reading) { (5..<95).contains($0) }
        #expect(whileRead[5..<95].allSatisfy { $0 == .full })
        #expect(whileRead[100...].allSatisfy { $0 != .full }, "the empty doorway again: \(whileRead[95...])")
    }

    @Test func autoExposureSteppingIsNotAChange() {
        var gate = Self.settledGate()
        let brighter = (0..<12).map { Self.doorway(seed: UInt64(500 + $0), brightness: 18) }
        #expect(!Self.decisions(brighter, gate: &gate).contains(.full))
    }

    @Test func aPersonWalkingByIsDecodedThenTheDoorwayIsEmptyAgain() {
        var gate = Self.settledGate()
        let walk = stride(from: 40, through: 600, by: 20).enumerated().map { index, x in
            Self.doorway(seed: UInt64(600 + index), person: (x, 50))
        }
        let after = (0..<12).map { Self.doorway(seed: UInt64(700 + $0)) }
        let decided = Self.decisions(walk + after, gate: &gate)
        #expect(decided[..<walk.count].allSatisfy { $0 == .full }, "\(decided)")
        #expect(decided[walk.count...].allSatisfy { $0 != .full }, "no adoption needed: the empty scene is the same")
    }

    @Test func aChangeThatStaysWithoutACodeBecomesTheEmptyScene() {
        var gate = Self.settledGate()
        // A bag left by the door.
        let frames = (0..<45).map { Self.doorway(seed: UInt64(800 + $0), person: (100, 30)) }
        let decided = Self.decisions(frames, gate: &gate)
        #expect(decided.prefix(31).allSatisfy { $0 == .full })
        #expect(decided.suffix(10).allSatisfy { $0 != .full }, "\(decided)")
    }

    @Test func aCodeFoundByTheCheapLookUndoesTheEmptyScene() {
        var gate = Self.settledGate()
        let frames = (0..<12).map { Self.doorway(seed: UInt64(900 + $0)) }
        var seenCheap = false
        var afterCode = [SceneGate.Decision]()
        for frame in frames {
            let decision = gate.decide(preview: frame.blockAveraged(by: 8))
            if seenCheap { afterCode.append(decision) }
            gate.decoded(decision, foundCode: decision == .cheap && !seenCheap)
            if decision == .cheap { seenCheap = true }
        }
        #expect(seenCheap)
        #expect(afterCode.first == .full, "the scene with a code in it was not empty")
    }

    @Test func previewsOfPixelsAndOfJPEGAgree() throws {
        let image = Self.doorway(seed: 1)
        let jpeg = try JPEGEncoder.encode(image, quality: 85)
        let developer = FrameDeveloper()
        let fromPixels = try developer.preview(of: Frame(number: 1, image: image))
        let fromJPEG = try developer.preview(of: Frame(number: 1, jpeg: jpeg))
        #expect((fromPixels.width, fromPixels.height) == (80, 60))
        #expect((fromJPEG.width, fromJPEG.height) == (80, 60))
        let gate = SceneGate()
        #expect(!gate.differs(fromPixels, fromJPEG), "a JPEG's DC decode is the same scene")
        let full = try developer.image(of: Frame(number: 1, jpeg: jpeg))
        #expect((full.width, full.height) == (640, 480))
    }

    @Test func blockAveragesHandlePartialBlocks() throws {
        let image = try GrayImage(width: 10, height: 9, pixels: (0..<90).map { UInt8($0) })
        let preview = image.blockAveraged(by: 8)
        #expect((preview.width, preview.height) == (2, 2))
        // Block (1, 1): columns 8–9 of row 8: 88, 89.
        #expect(preview[1, 1] == 89)
        // Block (0, 0): mean of x 0…7, y 0…7 = 3.5 + 10 × 3.5.
        #expect(preview[0, 0] == 39)
    }
}
