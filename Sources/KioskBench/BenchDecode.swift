import ArgumentParser
import CafeProtocol
import Crypto
import Foundation
import KioskCLI
import KioskCore
import KioskSimulation

extension KioskdBench {
    struct Decode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode a generated set of camera-like frames and print detection and timing.",
            discussion: """
                Generates the frames (seeded, the same every run) of every category at 640×480 \
                and 1280×720, decodes each and prints, per category: codes detected, wrong \
                payloads, false positives, median and p95 milliseconds per frame.

                With --out DIR the frames are also written there as PNG (JPEG for the jpeg \
                category) with manifest.tsv, for Benchmarks/decode_peers.py to run zbarimg and \
                zxing-cpp on the very same frames.
                """)

        @Option(help: "Frames per category and resolution.")
        var frames = 20

        @Option(help: "Seed of the frame generator.")
        var seed: UInt64 = 42

        @Option(help: "Write the frames and manifest.tsv to this folder.")
        var out: String?

        @Flag(help: "Also run every single pass on every frame and print what each finds and costs.")
        var passes = false

        @Flag(help: "Only the live (budgeted) cascade: for sweeping --budget.")
        var liveOnly = false

        @Option(help: "Per-frame time budget of the live cascade in milliseconds (default: 2 ms + 14 ms a megapixel).")
        var budget: Double?

        @Option(help: "Frames a code stays in view in the live simulation (30 fps: 10 frames = 1/3 s).")
        var framesInView = 10

        @Option(help: "Resolutions, comma-separated WxH.")
        var sizes = "640x480,1280x720"

        func run() async throws {
            let signer = PassSigner(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)))
            let issued = Date(timeIntervalSince1970: 1_790_000_000)
            let payload: @Sendable (Int) -> String = { serial in
                var uuid = UUID().uuid
                withUnsafeMutableBytes(of: &uuid) { raw in
                    for index in 0..<16 { raw[index] = UInt8(truncatingIfNeeded: (serial &* 2_654_435_761) >> (index % 4 * 8) &+ index) }
                }
                let token = PassToken(keyID: signer.keyID, passID: UUID(uuid: uuid), storeID: 1, kind: .period,
                                      validFrom: issued, validUntil: issued.addingTimeInterval(7 * 86_400), issuedAt: issued)
                return try! signer.signText(token)
            }
            for size in sizes.split(separator: ",") {
                let parts = size.split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2 else { throw ValidationError("bad size \(size)") }
                let corpus = CameraLikeCorpus(width: parts[0], height: parts[1], framesPerCategory: frames, seed: seed, payload: payload)
                let frames = corpus.frames.map { ($0, $0.scene.render()) }
                if let out {
                    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                    var manifest = ""
                    for (frame, image) in frames {
                        let file = "\(frame.name).png"
                        try Data(PNGCodec.encode(image)).write(to: URL(fileURLWithPath: out).appendingPathComponent(file))
                        manifest += "\(file)\t\(frame.category.rawValue)\t\(size)\t\(frame.expected.sorted().joined(separator: "|"))\n"
                    }
                    let manifestURL = URL(fileURLWithPath: out).appendingPathComponent("manifest.tsv")
                    if let handle = try? FileHandle(forWritingTo: manifestURL) {
                        handle.seekToEndOfFile(); handle.write(Data(manifest.utf8)); try handle.close()
                    } else {
                        try Data(manifest.utf8).write(to: manifestURL)
                    }
                }
                if !liveOnly {
                    let zbar = ZBarDecoder()
                    DecodeReport.print(title: "zbar alone (in-process, one pass), \(size)", frames: frames) { image in
                        [.init { zbar.decode(image) }]
                    }
                    let thorough = CascadeDecoder()
                    DecodeReport.print(title: "kioskd scan (whole cascade, one frame), \(size)", frames: frames) { image in
                        [.init { thorough.decodeThoroughly(image) }]
                    }
                }
                let live = CascadeDecoder.live(budget: budget)
                let budgetText = String(format: "%.1f ms", budget ?? CascadeDecoder.FrameBudget.standard.milliseconds(width: parts[0], height: parts[1]))
                DecodeReport.print(title: "kioskd live (\(budgetText) budget, code in view \(framesInView) frames), \(size)", frames: frames) { image in
                    // The same scene on consecutive frames until found: each frame is timed.
                    var looks = [DecodeReport.Look]()
                    for _ in 0..<framesInView {
                        let look = DecodeReport.Look { live.decode(image) }
                        looks.append(look)
                        if !look.symbols.isEmpty { break }
                    }
                    return looks
                }
                if passes {
                    PassReport.run(frames: frames, title: "\(size)")
                }
            }
        }
    }
}

/// The benchmark's table: per category, codes in the frames, codes found, wrong payloads (a
/// code read as something it does not hold), false positives (a code found where there is none),
/// and the median and 95th percentile of the time each frame took.
enum DecodeReport {
    /// One frame's decode: what it found and how long it took.
    struct Look {
        var symbols: [DecodedSymbol]
        var milliseconds: Double

        init(_ work: () -> [DecodedSymbol]) {
            let start = ContinuousClock.now
            symbols = work()
            milliseconds = (ContinuousClock.now - start).inMilliseconds
        }
    }

    /// `decode` returns the symbols of each frame it looked at (several in the live simulation);
    /// each look is timed as one frame.
    static func print(title: String, frames: [(CameraLikeCorpus.Frame, GrayImage)],
                      decode: (GrayImage) -> [Look]) {
        Swift.print("== \(title) ==")
        Swift.print("category".padding(toLength: 11, withPad: " ", startingAt: 0)
            + ["codes", "found", "wrong", "false+", "med ms", "p95 ms"].map { pad($0, 7) }.joined())
        var totals = (codes: 0, found: 0, wrong: 0, falsePositives: 0)
        var allTimes = [Double]()
        for category in CameraLikeCorpus.Category.allCases {
            var codes = 0, found = 0, wrong = 0, falsePositives = 0
            var times = [Double]()
            for (frame, image) in frames where frame.category == category {
                let looks = decode(image)
                times += looks.map(\.milliseconds)
                let texts = Set(looks.flatMap { $0.symbols.map(\.text) })
                codes += frame.expected.count
                found += texts.intersection(frame.expected).count
                if frame.expected.isEmpty { falsePositives += texts.count } else { wrong += texts.subtracting(frame.expected).count }
            }
            totals.codes += codes; totals.found += found; totals.wrong += wrong; totals.falsePositives += falsePositives
            allTimes += times
            row(category.rawValue, codes, found, wrong, falsePositives, times)
        }
        row("total", totals.codes, totals.found, totals.wrong, totals.falsePositives, allTimes)
    }

    private static func row(_ name: String, _ codes: Int, _ found: Int, _ wrong: Int, _ falsePositives: Int, _ times: [Double]) {
        let sorted = times.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let p95 = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * 95 / 100)]
        Swift.print(name.padding(toLength: 11, withPad: " ", startingAt: 0)
            + [String(codes), String(found), String(wrong), String(falsePositives)].map { pad($0, 7) }.joined()
            + pad(String(format: "%.2f", median), 7) + pad(String(format: "%.2f", p95), 7))
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

/// What each single pass finds and costs, by category: the measurement that picks the cascade.
enum PassReport {
    static func run(frames: [(CameraLikeCorpus.Frame, GrayImage)], title: String) {
        print("== single passes, \(title) ==")
        var header = "pass".padding(toLength: 22, withPad: " ", startingAt: 0)
        let categories = CameraLikeCorpus.Category.allCases
        for category in categories { header += category.rawValue.prefix(6).padding(toLength: 7, withPad: " ", startingAt: 0) }
        print(header + " wrong  med ms  p95 ms")
        for pass in DecodePass.allCases {
            let probe = PassProbe()
            var line = pass.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)
            var wrong = 0
            var times = [Double]()
            for category in categories {
                var hits = 0
                for (frame, image) in frames where frame.category == category {
                    let start = ContinuousClock.now
                    let found = probe.run(pass, image)
                    times.append((ContinuousClock.now - start).inMilliseconds)
                    let texts = Set(found.map(\.text))
                    hits += texts.intersection(frame.expected).count
                    wrong += texts.subtracting(frame.expected).count
                }
                line += String(hits).padding(toLength: 7, withPad: " ", startingAt: 0)
            }
            times.sort()
            let median = times[times.count / 2], p95 = times[min(times.count - 1, times.count * 95 / 100)]
            print(line + String(wrong).padding(toLength: 7, withPad: " ", startingAt: 0) + String(format: "%6.2f  %6.2f", median, p95))
        }
    }
}
