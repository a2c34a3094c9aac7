import Foundation
import Testing
@testable import KioskCore

@Suite struct ImageFileTests {
    let text = Fixtures.passText()
    var frame: GrayImage { Fixtures.frame(with: text) }

    func write(_ bytes: [UInt8], _ name: String, in folder: URL) -> String {
        let url = folder.appendingPathComponent(name)
        try! Data(bytes).write(to: url)
        return url.path
    }

    @Test func everyFileFormatDecodesToTheSameCode() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = frame
        var rgb = [UInt8]()
        for value in image.pixels { rgb += [value, value, value] }
        let files = [
            write(try PNGCodec.encode(image), "frame.png", in: folder),
            write(try JPEGEncoder.encode(image, quality: 85), "frame.jpg", in: folder),
            write(PNMCodec.encode(image), "frame.pgm", in: folder),
            write(Array("P6\n# a comment\n\(image.width) \(image.height)\n255\n".utf8) + rgb, "frame.ppm", in: folder),
            // The name says PNG but the content is JPEG: content decides.
            write(try JPEGEncoder.encode(image, quality: 85), "misnamed.png", in: folder),
        ]
        let decoder = CascadeDecoder()
        for path in files {
            let decoded = try ImageFile.read(path: path)
            #expect(decoded.width == image.width && decoded.height == image.height, "\(path)")
            #expect(decoder.decodeThoroughly(decoded).map(\.text) == [text], "\(path)")
        }
        // Lossless formats give the very same pixels.
        #expect(try ImageFile.read(path: files[0]).pixels == image.pixels)
        #expect(try ImageFile.read(path: files[2]).pixels == image.pixels)
    }

    @Test func pngRoundTripsTheSmallestImage() throws {
        let tiny = try GrayImage(width: 1, height: 1, pixels: [42])
        #expect(try PNGCodec.decode(PNGCodec.encode(tiny)).pixels == [42])
    }

    @Test func badFilesAreClearErrors() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let png = try PNGCodec.encode(frame)
        let jpeg = try JPEGEncoder.encode(frame, quality: 80)
        let cases: [(String, [UInt8], (ImageError) -> Bool)] = [
            ("empty", [], { $0 == .unsupportedFormat("empty file") }),
            ("text", Array("hello, world".utf8), { if case .unsupportedFormat = $0 { true } else { false } }),
            ("truncated.png", Array(png.prefix(png.count / 2)), { if case .corrupt(format: "PNG", _) = $0 { true } else { false } }),
            ("header-only.png", Array(png.prefix(20)), { if case .corrupt(format: "PNG", _) = $0 { true } else { false } }),
            ("truncated.jpg", Array(jpeg.prefix(jpeg.count / 2)), { if case .corrupt(format: "JPEG", _) = $0 { true } else { false } }),
            ("garbage.jpg", [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0x55, count: 500), { if case .corrupt(format: "JPEG", _) = $0 { true } else { false } }),
            ("truncated.pgm", Array("P5 640 480 255\n".utf8) + [UInt8](repeating: 1, count: 1000), { $0 == .truncated(expected: 640 * 480, actual: 1000) }),
            ("huge.pgm", Array("P5 100000 100000 255\n".utf8), { $0 == .tooLarge(width: 100_000, height: 100_000) }),
            ("sixteen-bit.pgm", Array("P5 2 2 65535\n".utf8) + [UInt8](repeating: 0, count: 8), { if case .unsupportedFormat = $0 { true } else { false } }),
            ("bad-header.pgm", Array("P5 abc\n".utf8), { if case .corrupt(format: "PNM", _) = $0 { true } else { false } }),
        ]
        for (name, bytes, matches) in cases {
            let path = write(bytes, name, in: folder)
            do {
                _ = try ImageFile.read(path: path)
                Issue.record("\(name) was accepted")
            } catch {
                #expect(matches(error), "\(name): \(error)")
                #expect(!error.description.isEmpty)
            }
        }
        #expect(throws: ImageError.self) { try ImageFile.read(path: folder.appendingPathComponent("missing.png").path) }
        #expect(throws: ImageError.self) { try ImageFile.read(path: folder.path) }  // a directory
    }

    @Test func oversizedFilesAreRefusedBeforeReading() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("big.pgm").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(ImageFile.maxFileSize + 1))
        try handle.close()
        #expect(throws: ImageError.fileTooLarge(bytes: ImageFile.maxFileSize + 1, limit: ImageFile.maxFileSize)) {
            try ImageFile.read(path: path)
        }
    }
}

@Suite struct FrameStreamTests {
    @Test func grayAndYUYVStreamsGiveEveryFrame() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let texts = (0..<3).map { _ in Fixtures.passText() }
        let frames = texts.map { Fixtures.frame(with: $0, width: 320, height: 240, moduleSize: 3) }
        var gray = [UInt8](), yuyv = [UInt8]()
        for frame in frames {
            gray += frame.pixels
            for value in frame.pixels { yuyv += [value, 128] }  // Y, then U or V
        }
        let grayPath = folder.appendingPathComponent("gray.raw").path
        let yuyvPath = folder.appendingPathComponent("yuyv.raw").path
        try Data(gray).write(to: URL(fileURLWithPath: grayPath))
        try Data(yuyv).write(to: URL(fileURLWithPath: yuyvPath))
        for (path, format) in [(grayPath, RawPixelFormat.gray), (yuyvPath, .yuyv)] {
            var stream = try RawFrameStream(path: path, format: format, width: 320, height: 240)
            defer { stream.close() }
            var read = [Frame]()
            while let frame = try stream.nextFrame() { read.append(frame) }
            #expect(read.map(\.number) == [1, 2, 3])
            #expect(try read.map { try $0.image.pixels } == frames.map(\.pixels), "\(format)")
            let decoder = CascadeDecoder()
            #expect(try read.map { decoder.decodeThoroughly(try $0.image).first?.text } == texts)
        }
    }

    /// A YUYV buffer as a driver fills it: rows padded past 2 × width (bytesperline).
    @Test func yuyvRowsWithPaddingGiveTheirLuma() {
        let width = 6, height = 3, stride = 16
        var buffer = [UInt8](repeating: 0xEE, count: stride * height)
        for y in 0..<height {
            for x in 0..<width {
                buffer[y * stride + 2 * x] = UInt8(10 * y + x)   // Y
                buffer[y * stride + 2 * x + 1] = 128            // U or V
            }
        }
        let image = buffer.withUnsafeBytes { PixelConversion.lumaOfYUYV($0, width: width, height: height, stride: stride) }
        #expect(image.pixels == (0..<height).flatMap { y in (0..<width).map { UInt8(10 * y + $0) } })
    }

    @Test func aFIFOFedByAnotherWriterIsReadFrameByFrame() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("camera.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let frames = (0..<4).map { index in GrayImage(width: 64, height: 48, fill: UInt8(index * 50)) }
        // The writer sends each frame in two uneven writes, as a capture tool may.
        let payload = frames.flatMap(\.pixels)
        Thread.detachNewThread {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            var offset = 0
            while offset < payload.count {
                let chunk = min(1000, payload.count - offset)
                handle.write(Data(payload[offset..<offset + chunk]))
                offset += chunk
            }
            try? handle.close()
        }
        var stream = try RawFrameStream(path: fifo, format: .gray, width: 64, height: 48)
        defer { stream.close() }
        var read = [GrayImage]()
        while let frame = try stream.nextFrame() { read.append(try frame.image) }
        #expect(read == frames)
    }

    @Test func aTruncatedLastFrameIsReported() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("short.raw").path
        try Data([UInt8](repeating: 7, count: 100 * 50 + 1234)).write(to: URL(fileURLWithPath: path))
        var stream = try RawFrameStream(path: path, format: .gray, width: 100, height: 50)
        #expect(try stream.nextFrame()?.number == 1)
        #expect(throws: FrameSourceError.truncatedFrame(number: 2, expected: 5000, actual: 1234)) { try stream.nextFrame() }
        #expect(try stream.nextFrame() == nil)
    }

    @Test func badStreamArgumentsAreErrors() {
        #expect(throws: FrameSourceError.self) { try RawFrameStream(path: "/nonexistent/stream", format: .gray, width: 10, height: 10) }
        #expect(throws: FrameSourceError.self) { try RawFrameStream(path: "-", format: .yuyv, width: 11, height: 10) }
        #expect(throws: FrameSourceError.self) { try RawFrameStream(path: "-", format: .gray, width: 0, height: 10) }
    }

    @Test func mjpegStreamSkipsADamagedFrameAndGoesOn() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let texts = (0..<3).map { _ in Fixtures.passText() }
        let jpegs = try texts.map { try JPEGEncoder.encode(Fixtures.frame(with: $0, width: 320, height: 240, moduleSize: 3), quality: 80) }
        // Frame 2 loses its middle (a USB glitch); garbage sits between frames 3 and 4.
        var damaged = jpegs[1]
        damaged.replaceSubrange(damaged.count / 3..<damaged.count * 2 / 3, with: [UInt8](repeating: 0xFF, count: 3) + [0x12])
        let stream = jpegs[0] + damaged + jpegs[2] + Array("noise".utf8) + jpegs[0]
        let path = folder.appendingPathComponent("camera.mjpeg").path
        try Data(stream).write(to: URL(fileURLWithPath: path))

        var source = try MJPEGStream(path: path)
        defer { source.close() }
        var decoded = [String?]()
        var errors = [FrameSourceError]()
        let decoder = CascadeDecoder()
        while true {
            do {
                guard let frame = try source.nextFrame() else { break }
                decoded.append(decoder.decodeThoroughly(try frame.image).first?.text)
            } catch {
                errors.append(error)
                #expect(errors.count < 10, "no progress")
                if errors.count >= 10 { break }
            }
        }
        #expect(decoded == [texts[0], texts[2], texts[0]])
        #expect(errors.count == 2)
        for error in errors { if case .badFrame = error {} else { Issue.record("unexpected \(error)") } }
    }

    @Test func mjpegEndingInsideAFrameIsTruncated() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let jpeg = try JPEGEncoder.encode(Fixtures.frame(with: "A", width: 160, height: 120, moduleSize: 3), quality: 80)
        let path = folder.appendingPathComponent("cut.mjpeg").path
        try Data(jpeg + jpeg.prefix(jpeg.count - 10)).write(to: URL(fileURLWithPath: path))
        var source = try MJPEGStream(path: path)
        #expect(try source.nextFrame()?.number == 1)
        #expect(throws: FrameSourceError.self) { try source.nextFrame() }
        #expect(try source.nextFrame() == nil)
    }

    @Test func imageFileSourceReportsBadFilesAndContinues() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good.png").path
        try Data(PNGCodec.encode(Fixtures.frame(with: "A"))).write(to: URL(fileURLWithPath: good))
        var source = ImageFileSource(paths: [good, folder.appendingPathComponent("none.png").path, good])
        #expect(try source.nextFrame()?.number == 1)
        #expect(throws: FrameSourceError.self) { try source.nextFrame() }
        #expect(try source.nextFrame()?.number == 3)
        #expect(try source.nextFrame() == nil)
    }
}
