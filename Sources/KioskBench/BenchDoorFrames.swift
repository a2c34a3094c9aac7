import ArgumentParser
import CafeProtocol
import Foundation
import KioskCLI
import KioskCore
import KioskRuntime
import KioskSimulation

extension KioskdBench {
    /// Frames of customers at the door, for the daemon's memory benchmark: a running daemon that
    /// never scans leaves the verdict path's pages (the check-in, the outbox, the screen) out of
    /// what it measures.
    struct DoorFrames: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "door-frames",
            abstract: "Write raw gray frames of passes held up to the camera, for Benchmarks/daemon.py.",
            discussion: """
                Each frame shows one pass's QR code, a different cached pass per frame, signed \
                with the fixed key `checkin` fills its caches with: fed to `kioskd run --raw gray` \
                over a cache made by `kioskd-bench checkin`, every frame is a real verdict \
                (entries of period passes), committed to the outbox. The frames are written one \
                after the other to --out, width × height bytes each. With --tokens, the frames \
                show passes a server issued instead (`cafe-server bench seed` prints them, one a \
                line; its period passes are taken): for a daemon enrolled with that server, whose \
                verdicts are then online.

                Example:
                  kioskd-bench door-frames --count 20 --size 1280x720 --out /tmp/door.gray
                  kioskd-bench door-frames --count 20 --tokens /tmp/tokens --out /tmp/door.gray
                """)

        @Option(help: "Frames to write, one pass each.")
        var count = 20

        @Option(help: "Frame size, WIDTHxHEIGHT.")
        var size = "1280x720"

        @Option(help: "The file to write.")
        var out: String

        @Option(help: ArgumentHelp("Show these passes (one token a line, as `cafe-server bench seed` prints them) instead of the checkin cache's.", valueName: "file"))
        var tokens: String?

        func validate() throws {
            guard count > 0, count <= 1_000 else { throw ValidationError("--count must be 1 to 1000") }
            guard let size = parsedSize else { throw ValidationError("--size must be WIDTHxHEIGHT, at least 320x240, e.g. 1280x720") }
            guard size.width * size.height * count <= 1 << 30 else {
                throw ValidationError("\(count) frames of \(size) would be over 1 GiB: fewer frames or a smaller --size")
            }
        }

        /// The daemon's own reading of a size (`camera.size`), at least 320x240 for a readable code.
        private var parsedSize: KioskConfiguration.FrameSize? {
            KioskConfiguration.FrameSize(parsing: size).flatMap { $0.width >= 320 && $0.height >= 240 ? $0 : nil }
        }

        func run() throws {
            guard let size = parsedSize else { throw ValidationError("bad --size") }
            let (width, height) = (size.width, size.height)
            let shown = try tokens.map(Self.periodPasses(in:)) ?? Self.cachedPasses(count: count)
            guard shown.count >= count else {
                throw ValidationError("\(tokens ?? "the cache") has \(shown.count) period passes; --count \(count) needs as many")
            }
            var bytes = [UInt8]()
            bytes.reserveCapacity(width * height * count)
            for (index, token) in shown.prefix(count).enumerated() {
                let code = SyntheticScene.PlacedCode(matrix: try QRMatrix(text: token),
                                                     centreX: Double(width) / 2, centreY: Double(height) / 2,
                                                     moduleSize: Double(min(width, height)) / 80)
                bytes += SyntheticScene(width: width, height: height, codes: [code], seed: UInt64(index + 1)).render().pixels
            }
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: out))
            } catch {
                throw ValidationError("cannot write \(out): \((error as NSError).localizedDescription)")
            }
            Output.error("wrote \(count) frames of \(width)x\(height) to \(out)")
        }

        /// Period passes of the `checkin` cache, signed with its fixed key (none refunded: `checkin`
        /// makes every fourth pass a time pass and every 97th refunded).
        static func cachedPasses(count: Int) throws -> [String] {
            let signer = try CheckIn.signer()
            var generator = SeededGenerator(seed: 1)
            let now = Date()
            return try CheckIn.passIDs(count: count * 5, using: &generator).enumerated()
                .filter { $0.offset % 4 != 0 && $0.offset % 97 != 0 }.prefix(count).map { _, passID in
                    try signer.signText(PassToken(keyID: signer.keyID, passID: passID, storeID: 1, kind: .period,
                                                  validFrom: now.addingTimeInterval(-86_400),
                                                  validUntil: now.addingTimeInterval(86_400 * 14), issuedAt: now))
                }
        }

        /// The period passes among a file's tokens, in the file's order (a period pass admits any
        /// number of visits, so each scan is an entry or an exit, never a deny).
        static func periodPasses(in path: String) throws -> [String] {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read \(path): \((error as NSError).localizedDescription)")
            }
            return text.split(whereSeparator: \.isNewline).map(String.init)
                .filter { (try? PassToken.parse(text: $0))?.token.kind == .period }
        }
    }
}
