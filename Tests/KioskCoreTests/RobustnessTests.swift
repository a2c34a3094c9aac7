import Foundation
import Testing
@testable import KioskCore
import KioskSimulation

/// Damaged input of every kind gives an error or a result, never a crash or a hang.
@Suite struct RobustnessTests {
    /// Flips, truncates and splices random bytes of valid files; each decode must return.
    @Test func mutatedImageFilesNeverCrash() throws {
        let frame = Fixtures.frame(with: Fixtures.passText(), width: 160, height: 120, moduleSize: 2)
        let originals = [try PNGCodec.encode(frame), try JPEGEncoder.encode(frame, quality: 70), PNMCodec.encode(frame)]
        var generator = SeededGenerator(seed: 77)
        var decodedCount = 0, errorCount = 0
        for original in originals {
            for _ in 0..<300 {
                var bytes = original
                switch Int.random(in: 0..<3, using: &generator) {
                case 0:
                    for _ in 0..<Int.random(in: 1...8, using: &generator) {
                        bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                    }
                case 1:
                    bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
                default:
                    let at = Int.random(in: 0..<bytes.count, using: &generator)
                    bytes.insert(contentsOf: (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: at)
                }
                do {
                    let image = try ImageFile.decode(bytes)
                    #expect(image.pixels.count >= image.width * image.height)
                    _ = CascadeDecoder().decodeThoroughly(image)
                    decodedCount += 1
                } catch {
                    errorCount += 1
                }
            }
        }
        // Both outcomes occur: the mutations reach the codecs' error paths and their success paths.
        #expect(decodedCount > 0 && errorCount > 0)
    }

    @Test func mutatedMJPEGStreamsEndCleanly() throws {
        let jpeg = try JPEGEncoder.encode(Fixtures.frame(with: "M", width: 96, height: 64, moduleSize: 2), quality: 60)
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SeededGenerator(seed: 5)
        for round in 0..<60 {
            var stream = jpeg + jpeg + jpeg
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                stream[Int.random(in: 0..<stream.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let path = folder.appendingPathComponent("\(round).mjpeg").path
            try Data(stream).write(to: URL(fileURLWithPath: path))
            var source = try MJPEGStream(path: path)
            defer { source.close() }
            var steps = 0
            while steps < 100 {
                steps += 1
                do { if try source.nextFrame() == nil { break } } catch { continue }
            }
            #expect(steps < 100, "stream \(round) did not end")
        }
    }

    @Test func pathologicalFramesDecodeToNothing() {
        let cascade = CascadeDecoder()
        // Stripes and checkerboards look like finder patterns to a naive detector.
        var stripes = GrayImage(width: 640, height: 480, fill: 255)
        var checker = stripes
        for y in 0..<480 {
            for x in 0..<640 {
                stripes[x, y] = (x / 3) % 2 == 0 ? 0 : 255
                checker[x, y] = ((x / 7) + (y / 7)) % 2 == 0 ? 0 : 255
            }
        }
        for frame in [stripes, checker, GrayImage(width: 8192, height: 2, fill: 0), GrayImage(width: 2, height: 8192, fill: 255)] {
            #expect(cascade.decodeThoroughly(frame).isEmpty)
            #expect(cascade.decode(frame).isEmpty)
        }
    }
}
