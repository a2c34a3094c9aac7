import ArgumentParser
import Foundation
import KioskCLI
import KioskCore

extension Kioskd {
    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a payload (a pass token) as a QR code: PNG, SVG, terminal text or ESC/POS.",
            discussion: """
                Writes to -o FILE, or to standard output. PNG and ESC/POS are binary: they are \
                not written to a terminal without -o. The symbol's version and size are reported \
                on stderr.

                Examples:
                  kioskd render "$TOKEN" --format png -o pass.png --module-size 10
                  kioskd render "$TOKEN" --format text
                  kioskd render "$TOKEN" --format escpos --paper 80 > /dev/usb/lp0
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case png, svg, text, escpos
        }

        @Argument(help: "The text to encode.")
        var payload: String

        @Option(help: "Output format: png, svg, text or escpos.")
        var format: Format = .png

        @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.")
        var output: String?

        @Option(help: "Pixels per module (png, svg).")
        var moduleSize = 8

        @Option(help: "Light modules around the symbol; the standard asks for 4.")
        var quietZone = 4

        @Option(help: "Error correction level: L, M, Q or H (7, 15, 25, 30 % recoverable).")
        var level: String = "M"

        @Option(help: "Receipt paper width in mm for escpos: 58 or 80.")
        var paper = 58

        @Flag(help: "For text: dark modules as blocks (terminals with dark text on a light background).")
        var darkOnLight = false

        func validate() throws {
            guard !payload.isEmpty else { throw ValidationError("the payload is empty: nothing to encode") }
            guard (1...64).contains(moduleSize) else { throw ValidationError("--module-size must be 1…64") }
            guard (0...16).contains(quietZone) else { throw ValidationError("--quiet-zone must be 0…16") }
            guard QRMatrix.ErrorCorrection(rawValue: level.uppercased()) != nil else {
                throw ValidationError("--level must be L, M, Q or H")
            }
            guard paper == 58 || paper == 80 else { throw ValidationError("--paper must be 58 or 80") }
        }

        func run() async throws {
            let level = QRMatrix.ErrorCorrection(rawValue: level.uppercased())!
            let matrix: QRMatrix
            do {
                matrix = try QRMatrix(text: payload, level: level)
            } catch {
                Output.error("kioskd render: \(error)")
                throw ExitCode(1)
            }
            let bytes: [UInt8]
            switch format {
            case .png: bytes = try matrix.png(moduleSize: moduleSize, quietZone: quietZone)
            case .svg: bytes = Array(matrix.svg(moduleSize: moduleSize, quietZone: quietZone).utf8)
            case .text: bytes = Array(matrix.text(quietZone: min(quietZone, 2), darkOnLight: darkOnLight).utf8)
            case .escpos:
                bytes = ESCPOS.job(for: matrix, paper: paper == 80 ? .mm80 : .mm58, quietZone: quietZone)
            }
            Output.error("QR version \(matrix.version) (\(matrix.size)×\(matrix.size) modules), level \(level.rawValue), \(payload.utf8.count) bytes")
            if let output {
                do {
                    try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    Output.error("kioskd render: cannot write \(output): \(error.localizedDescription)")
                    throw ExitCode(1)
                }
            } else {
                if (format == .png || format == .escpos) && isatty(1) != 0 {
                    Output.error("kioskd render: \(format.rawValue) is binary; use -o FILE or redirect standard output")
                    throw ExitCode(64)
                }
                Output.bytes(bytes)
            }
        }
    }
}
