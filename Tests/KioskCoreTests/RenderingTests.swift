import CafeProtocol
import Foundation
import Testing
@testable import KioskCore
import KioskSimulation

@Suite struct RenderingTests {
    /// Payloads of many lengths and character sets: a pass, digits, text with spaces and
    /// non-ASCII, URLs, and bytes up to the size of a version-10 symbol.
    static let payloads: [String] = {
        var generator = SeededGenerator(seed: 11)
        var list = [Fixtures.passText(kind: .day), Fixtures.passText(kind: .period), "0", "12345678901234567890",
                    "HELLO WORLD", "https://cafe.example/p?x=1&y=2", "스터디카페 1일권 ☕", "tab\tand\nnewline"]
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.:/")
        for length in [1, 7, 17, 40, 77, 120, 180, 230] {
            list.append(String((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        return list
    }()

    /// A fresh decoder per call: tests run in parallel and a decoder serves one task.
    func decodes(_ image: GrayImage, to payload: String) -> Bool {
        CascadeDecoder().decodeThoroughly(image).map(\.text) == [payload]
    }

    @Test func passTokenFitsASmallSymbol() throws {
        let matrix = try QRMatrix(text: Fixtures.passText(), level: .medium)
        // Measured: 153 base45 characters in alphanumeric mode → version 6 at level M (41×41).
        #expect(matrix.version <= 8)
        #expect(matrix.version == 6)
        #expect(matrix.size == 41)
    }

    @Test(arguments: QRMatrix.ErrorCorrection.allCases)
    func pngRoundTrips(level: QRMatrix.ErrorCorrection) throws {
        for payload in Self.payloads {
            for moduleSize in [2, 3, 8] {
                guard let matrix = try? QRMatrix(text: payload, level: level) else { continue }
                let png = try matrix.png(moduleSize: moduleSize)
                #expect(decodes(try PNGCodec.decode(png), to: payload), "\(level) module \(moduleSize): \(payload)")
            }
        }
    }

    @Test func svgRoundTrips() throws {
        for payload in Self.payloads {
            let matrix = try QRMatrix(text: payload)
            let svg = matrix.svg()
            #expect(svg.hasPrefix("<?xml"))
            let redrawn = try Self.parseSVG(svg, quietZone: 4)
            #expect(redrawn == matrix, "svg path does not give back the modules: \(payload)")
            #expect(decodes(redrawn.image(moduleSize: 4), to: payload), "\(payload)")
        }
    }

    @Test func terminalTextRoundTrips() throws {
        for payload in Self.payloads {
            let matrix = try QRMatrix(text: payload)
            for darkOnLight in [false, true] {
                let image = Self.rasterise(text: matrix.text(darkOnLight: darkOnLight), darkOnLight: darkOnLight)
                #expect(decodes(image, to: payload), "darkOnLight \(darkOnLight): \(payload)")
            }
        }
    }

    @Test(arguments: ESCPOS.PaperWidth.allCases)
    func escposRasterRoundTripsAndFitsThePaper(paper: ESCPOS.PaperWidth) throws {
        for payload in Self.payloads {
            let matrix = try QRMatrix(text: payload)
            let job = ESCPOS.job(for: matrix, paper: paper, cut: true)
            #expect(job.starts(with: [0x1B, 0x40]))
            #expect(job.suffix(3) == [0x1D, 0x56, 0x01])
            let raster = try #require(ESCPOS.decodeRaster(job))
            #expect(raster.width <= paper.rawValue + 7, "wider than the paper")
            #expect(decodes(raster, to: payload), "\(paper): \(payload)")
        }
    }

    @Test func zbarimgReadsOurPNGs() throws {
        let folder = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // zbarimg prints text lines: payloads without newlines only.
        for (index, payload) in Self.payloads.enumerated() where !payload.contains("\n") {
            let path = folder.appendingPathComponent("\(index).png").path
            try Data(QRMatrix(text: payload).png(moduleSize: 4)).write(to: URL(fileURLWithPath: path))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
            process.arguments = ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(String(decoding: output, as: UTF8.self) == payload + "\n", "zbarimg on \(payload)")
        }
    }

    @Test func emptyAndOversizedPayloadsAreErrors() {
        #expect(throws: QRMatrix.EncodingError.empty) { try QRMatrix(text: "") }
        let tooLong = String(repeating: "x", count: 3_000)
        #expect(throws: QRMatrix.EncodingError.tooLong(bytes: 3_000, level: .high)) { try QRMatrix(text: tooLong, level: .high) }
    }

    @Test func binaryPayloadsWithNULRoundTrip() throws {
        let bytes: [UInt8] = [0, 1, 2, 0, 255, 65, 0]
        let matrix = try QRMatrix(payload: bytes)
        #expect(ZXingDecoder().decode(matrix.image(moduleSize: 4)).first?.payload == bytes)
    }

    // MARK: Readers of our own output formats

    /// Module grid from our SVG path (`M x y h w v1 h-w z` runs, in module units).
    static func parseSVG(_ svg: String, quietZone: Int) throws -> QRMatrix {
        let viewBox = try #require(svg.range(of: #"viewBox="0 0 (\d+) (\d+)""#, options: .regularExpression))
        let side = Int(svg[viewBox].split(separator: " ")[3].dropLast())!
        let size = side - 2 * quietZone
        var modules = [Bool](repeating: false, count: size * size)
        let pathStart = try #require(svg.range(of: " d=\""))
        let path = svg[pathStart.upperBound...].prefix { $0 != "\"" }
        for run in path.split(separator: "z") {
            let numbers = run.split(whereSeparator: { "Mhv ".contains($0) }).compactMap { Int($0) }
            let (x, y, width) = (numbers[0] - quietZone, numbers[1] - quietZone, numbers[2])
            for dx in 0..<width { modules[y * size + x + dx] = true }
        }
        let version = (size - 17) / 4
        return QRMatrix(version: version, size: size, modules: modules)
    }

    /// A terminal's rendering of half blocks: each character is 1×2 pixels, scaled by 4.
    static func rasterise(text: String, darkOnLight: Bool) -> GrayImage {
        let lines = text.split(separator: "\n").map(Array.init)
        let width = lines.map(\.count).max()!, height = lines.count * 2
        var image = GrayImage(width: width * 4 + 32, height: height * 4 + 32, fill: darkOnLight ? 255 : 0)
        let on: UInt8 = darkOnLight ? 0 : 255
        for (row, line) in lines.enumerated() {
            for (column, character) in line.enumerated() {
                let (top, bottom): (Bool, Bool) = switch character {
                case "█": (true, true)
                case "▀": (true, false)
                case "▄": (false, true)
                default: (false, false)
                }
                for (half, lit) in [(0, top), (1, bottom)] where lit {
                    for dy in 0..<4 { for dx in 0..<4 { image[16 + column * 4 + dx, 16 + (row * 2 + half) * 4 + dy] = on } }
                }
            }
        }
        return image
    }
}
