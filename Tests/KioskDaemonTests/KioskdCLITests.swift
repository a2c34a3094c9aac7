import Foundation
import KioskCore
import Testing

/// Runs the built `kioskd` binary as an admin would, and checks output and exit status.
struct Kioskd {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
    }

    /// `kioskd` sits beside the test bundle in the build folder.
    static let executable: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kioskd")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/kioskd")
    }()

    /// `kioskd-bench`, the benchmarks' executable, in the same build folder.
    static let benchExecutable = executable.deletingLastPathComponent().appendingPathComponent("kioskd-bench")

    /// Runs kioskd and collects its output on threads of its own: waiting for a child process
    /// must not hold one of Swift's few cooperative threads, which other tests need.
    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:]) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        let outputData = ErrorCollector(out.fileHandleForReading)
        let errorData = ErrorCollector(err.fileHandleForReading)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error); return }
            if let stdin {
                // Write from another thread: a large stream would fill the pipe while we wait.
                let writer = input.fileHandleForWriting
                Thread.detachNewThread { writer.write(stdin); try? writer.close() }
            }
        }
        return await Result(status: status, stdout: String(decoding: outputData.value(), as: UTF8.self),
                            stderr: String(decoding: errorData.value(), as: UTF8.self))
    }

    /// Drains a pipe on its own thread.
    final class ErrorCollector: @unchecked Sendable {
        // Safe: `data` is written once by the reader thread before the semaphore is signalled
        // and read only after waiting on it (on a thread of its own, not a cooperative one).
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }
        func value() async -> Data {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { [self] in
                    done.wait()
                    continuation.resume(returning: data)
                }
            }
        }
    }
}

@Suite struct KioskdCLITests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-cli-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func writeCode(_ payload: String, to name: String) throws -> String {
        try Data(QRMatrix(text: payload).png(moduleSize: 4)).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// Codes written in EUC-KR and Shift-JIS (as Korean and Japanese generators write them) come
    /// out as their text; JSON carries the bytes and the charset beside it.
    @Test func scanPrintsLegacyCharsetTextAndJSONKeepsTheBytes() async throws {
        // "환영합니다" in EUC-KR; "モバイル" in Shift-JIS (the bytes, spelled out: the fixture's encoder is the standard).
        let korean: [UInt8] = [0xC8, 0xAF, 0xBF, 0xB5, 0xC7, 0xD5, 0xB4, 0xCF, 0xB4, 0xD9]
        let japanese: [UInt8] = Array("Google ".utf8) + [0x83, 0x82, 0x83, 0x6F, 0x83, 0x43, 0x83, 0x8B]
        try Data(QRMatrix(payload: korean).png(moduleSize: 4)).write(to: URL(fileURLWithPath: path("ko.png")))
        try Data(QRMatrix(payload: japanese).png(moduleSize: 4)).write(to: URL(fileURLWithPath: path("ja.png")))
        let text = try await Kioskd.run(["scan", path("ko.png"), path("ja.png")])
        #expect(text.lines == ["\(path("ko.png")): 환영합니다", "\(path("ja.png")): Google モバイル"], "\(text.stdout)")
        let json = try await Kioskd.run(["scan", "--format", "json", path("ko.png")])
        let records = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        let code = (records?.first?["codes"] as? [[String: Any]])?.first
        #expect(code?["payload"] as? String == "환영합니다")
        #expect(code?["charset"] as? String == "euc-kr")
        #expect(code?["bytes"] as? String == Data(korean).base64EncodedString())
        // Told the store is Japanese, the same Korean bytes read as Shift-JIS katakana.
        let japaneseStore = try await Kioskd.run(["scan", "--charset", "shift-jis", path("ko.png")])
        #expect(japaneseStore.stdout.contains("ﾈｯｿｵ"), "\(japaneseStore.stdout)")
    }

    @Test func scanTSVHasOneLinePerCodeAndADashForNone() async throws {
        let a = try writeCode("PASS-A", to: "a.png")
        let blank = path("blank.png")
        try Data(PNGCodec.encode(GrayImage(width: 200, height: 200, fill: 255))).write(to: URL(fileURLWithPath: blank))
        // Two codes in one file.
        var two = GrayImage(width: 400, height: 200, fill: 255)
        for (index, payload) in ["LEFT", "RIGHT"].enumerated() {
            let code = try QRMatrix(text: payload).image(moduleSize: 4)
            for y in 0..<code.height { for x in 0..<code.width { two[x + index * 200 + 10, y + 10] = code[x, y] } }
        }
        let twoPath = path("two.png")
        try Data(PNGCodec.encode(two)).write(to: URL(fileURLWithPath: twoPath))

        let result = try await Kioskd.run(["scan", "--format", "tsv", a, blank, twoPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.count == 4)
        #expect(result.lines[0] == "\(a)\tPASS-A")
        #expect(result.lines[1] == "\(blank)\t-")
        #expect(Set(result.lines[2...]) == ["\(twoPath)\tLEFT", "\(twoPath)\tRIGHT"])
    }

    @Test func anUnreadableFileIsReportedAndTheOthersGoOn() async throws {
        let a = try writeCode("PASS-A", to: "a.png")
        let garbage = path("garbage.png")
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: garbage))
        let result = try await Kioskd.run(["scan", "--format", "tsv", path("missing.png"), a, garbage])
        #expect(result.status == 1)
        #expect(result.lines == ["\(a)\tPASS-A"])
        #expect(result.stderr.contains("missing.png"))
        #expect(result.stderr.contains("garbage.png: unsupported image format"))
    }

    @Test func tsvEscapesPayloadsThatWouldBreakLines() async throws {
        let file = try writeCode("a\tb\nc\\d", to: "escape.png")
        let result = try await Kioskd.run(["scan", "--format", "tsv", file])
        #expect(result.lines == ["\(file)\ta\\tb\\nc\\\\d"])
    }

    @Test func jsonAndTextFormats() async throws {
        let a = try writeCode("PASS-J", to: "j.png")
        let json = try await Kioskd.run(["scan", "--format", "json", a, path("missing.png")])
        #expect(json.status == 1)
        let records = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [[String: Any]]
        #expect(records.count == 2)
        let codes = records[0]["codes"] as! [[String: Any]]
        #expect(codes.first?["payload"] as? String == "PASS-J")
        #expect(codes.first?["found_by"] as? String == "zxing/full")
        #expect(records[1]["error"] is String)

        let text = try await Kioskd.run(["scan", a])
        #expect(text.status == 0)
        #expect(text.lines == ["\(a): PASS-J"])
    }

    @Test func rawStreamPrintsEachNewCodeOnceWithItsFrameNumber() async throws {
        // Frames: 1-3 code A, 4-5 nothing, 6 code B, 7 code A again (within a second: same showing).
        let width = 320, height = 240
        func frame(_ payload: String?) throws -> [UInt8] {
            var image = GrayImage(width: width, height: height, fill: 200)
            if let payload {
                let code = try QRMatrix(text: payload).image(moduleSize: 3)
                for y in 0..<code.height { for x in 0..<code.width { image[x + 60, y + 30] = code[x, y] } }
            }
            return image.pixels
        }
        let sequence: [String?] = ["A1", "A1", "A1", nil, nil, "B2", "A1"]
        var gray = [UInt8](), yuyv = [UInt8]()
        for payload in sequence {
            let pixels = try frame(payload)
            gray += pixels
            for value in pixels { yuyv += [value, 0x80] }
        }
        let grayResult = try await Kioskd.run(["scan", "--raw", "gray", "--size", "\(width)x\(height)", "--format", "tsv", "-"], stdin: Data(gray))
        #expect(grayResult.status == 0, "\(grayResult.stderr)")
        #expect(grayResult.lines == ["1\tA1", "6\tB2"])
        #expect(grayResult.stderr.contains("7 frames decoded, 0 unusable"))

        let yuyvPath = path("stream.yuyv")
        try Data(yuyv).write(to: URL(fileURLWithPath: yuyvPath))
        let yuyvResult = try await Kioskd.run(["scan", "--raw", "yuyv", "--size", "\(width)x\(height)", yuyvPath])
        #expect(yuyvResult.lines == ["frame 1: A1", "frame 6: B2"])

        // The wrong size: the stream does not divide into frames; said clearly, not a crash.
        let wrong = try await Kioskd.run(["scan", "--raw", "gray", "--size", "300x200", "-"], stdin: Data(gray))
        #expect(wrong.stderr.contains("truncated"))
    }

    @Test func mjpegStream() async throws {
        var stream = [UInt8]()
        for payload in ["M1", "M1", "M2"] {
            var image = GrayImage(width: 320, height: 240, fill: 220)
            let code = try QRMatrix(text: payload).image(moduleSize: 3)
            for y in 0..<code.height { for x in 0..<code.width { image[x + 20, y + 20] = code[x, y] } }
            stream += try JPEGEncoder.encode(image, quality: 85)
        }
        let result = try await Kioskd.run(["scan", "--raw", "mjpeg", "--format", "tsv", "-"], stdin: Data(stream))
        #expect(result.status == 0)
        #expect(result.lines == ["1\tM1", "3\tM2"])
    }

    @Test func usageErrorsExplainThemselves() async throws {
        let noFiles = try await Kioskd.run(["scan"])
        #expect(noFiles.status == 64)
        #expect(noFiles.stderr.contains("give at least one image file"))
        let noSize = try await Kioskd.run(["scan", "--raw", "gray", "-"])
        #expect(noSize.status == 64)
        #expect(noSize.stderr.contains("--size"))
        let badLevel = try await Kioskd.run(["render", "X", "--level", "Z"])
        #expect(badLevel.status == 64)
        let help = try await Kioskd.run(["scan", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("FILE<TAB>PAYLOAD"))
    }

    @Test(arguments: ["png", "svg", "text", "escpos"])
    func renderWritesEachFormat(format: String) async throws {
        let out = path("code.\(format)")
        let result = try await Kioskd.run(["render", "RENDER-ME", "--format", format, "-o", out, "--level", "q"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("level Q"))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
        switch format {
        case "png":
            let scan = try await Kioskd.run(["scan", "--format", "tsv", out])
            #expect(scan.lines == ["\(out)\tRENDER-ME"])
        case "svg":
            #expect(String(decoding: bytes, as: UTF8.self).contains("<svg"))
        case "text":
            #expect(String(decoding: bytes, as: UTF8.self).contains("█"))
        default:
            let raster = try #require(ESCPOS.decodeRaster(bytes))
            #expect(CascadeDecoder().decodeThoroughly(raster).map(\.text) == ["RENDER-ME"])
        }
    }

    @Test func renderToStdoutAndEmptyPayload() async throws {
        let svg = try await Kioskd.run(["render", "OUT", "--format", "svg"])
        #expect(svg.status == 0)
        #expect(svg.stdout.hasPrefix("<?xml"))
        let empty = try await Kioskd.run(["render", ""])
        #expect(empty.status == 64)
        #expect(empty.stderr.contains("empty"))
    }
}

/// The README's first command: the demo must keep showing every kind of verdict.
@Suite struct DemoTests {
    @Test func theDemoPrintsRealVerdicts() async throws {
        let result = try await Kioskd.run(["demo", "--size", "480x360", "--shot-frames", "4", "--gap-frames", "3",
                                              // No time budget: what is found must not depend on the test machine's load.
                                              "--budget", "1000"])
        #expect(result.status == 0, "\(result.stderr)")
        let verdicts = result.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: #"frame \d+: "#, options: .regularExpression) else { return nil }
            return line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        #expect(verdicts == ["ENTER", "ENTER", "ENTER", "EXIT", "EXIT", "DENY", "DENY", "DENY", "EXIT", "DENY"], "\(result.stdout)")
        for reason in ["refunded", "unknown_key", "invalid_signature", "expired", "min charged"] {
            #expect(result.stdout.contains(reason), "\(reason) missing")
        }
        #expect(result.stdout.contains("10 events recorded in the outbox"))
    }
}
