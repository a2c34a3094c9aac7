import ArgumentParser
import Foundation
import KioskCLI
import KioskCore
import KioskSimulation

extension KioskdBench {
    struct Filters: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What each image transform of the cascade and the scene gate costs on one frame.",
            discussion: "Median of --runs runs on a 1280x720 camera-like frame (override with --size).")

        @Option(help: "Runs per transform.")
        var runs = 50

        @Option(help: "Frame size, WxH.")
        var size = "1280x720"

        func run() throws {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2 else { throw ValidationError("--size must be WxH") }
            let frame = SyntheticScene(width: parts[0], height: parts[1], effects: [.noise(sigma: 4)], seed: 3).render()
            let transforms: [(String, (GrayImage) -> GrayImage)] = [
                ("downscaled by 2", { $0.downscaledByTwo() }),
                ("block average 1/8 (scene gate)", { $0.blockAveraged(by: 8) }),
                ("inverted", { $0.inverted() }),
                ("sharpened r2 ×2", { $0.sharpened() }),
                ("sharpened r1 ×2 (half frame)", { $0.downscaledByTwo().sharpened(radius: 1, amount: 2) }),
                ("adaptively binarised (half frame)", { $0.downscaledByTwo().adaptivelyBinarised(window: 15, offset: 4) }),
            ]
            for (name, transform) in transforms {
                var times = [Double]()
                for _ in 0..<runs {
                    let start = ContinuousClock.now
                    _ = transform(frame)
                    times.append((ContinuousClock.now - start).inMilliseconds)
                }
                times.sort()
                let label = name.padding(toLength: 36, withPad: " ", startingAt: 0)
                Output.line(label + String(format: " median %6.2f ms, p95 %6.2f ms", times[times.count / 2], times[times.count * 95 / 100]))
            }
        }
    }
}
