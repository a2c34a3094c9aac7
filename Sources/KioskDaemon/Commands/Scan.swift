import ArgumentParser
import Foundation
import KioskCLI
import KioskCore

extension Kioskd {
    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode the QR codes in image files or in a raw camera stream.",
            discussion: """
                Image files (PNG, JPEG, PGM/PPM, recognised by content) get the whole decoding \
                cascade, with no time limit. A file that cannot be read is reported on stderr \
                and the others go on; the exit status is 0 when every file could be read, 1 \
                otherwise.

                Output formats:
                  text  FILE: PAYLOAD, or FILE: no QR code
                  tsv   FILE<TAB>PAYLOAD, one line per code; FILE<TAB>- for a file without one.
                        Tabs, newlines and backslashes in a payload are written \\t \\n \\\\.
                  json  one JSON array: {"file", "codes": [{"payload", "bytes", "charset", "found_by",
                        "x", "y"}], "error"}; bytes is the payload as the symbol holds it (base64)

                Text is decoded as the symbol says (ECI), else as UTF-8, else in the legacy \
                charset its bytes are valid in — EUC-KR first, or Shift-JIS first with \
                --charset shift-jis — else ISO-8859-1. The live door decodes the same way \
                (door.legacy_charset).

                With --raw, decodes a stream of fixed-size frames (FILE, a FIFO, or - for stdin) \
                as the live kiosk does, within a per-frame time budget, and prints each new code \
                once with its frame number (FRAME<TAB>PAYLOAD in tsv).

                Examples:
                  kioskd scan pass.png
                  kioskd scan --format tsv photos/*.jpg
                  ffmpeg -f v4l2 -i /dev/video0 -f rawvideo -pix_fmt gray - | \\
                    kioskd scan --raw gray --size 640x480 -
                  kioskd scan --raw mjpeg capture.mjpeg
                """)

        enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
            case text, tsv, json
        }

        enum StreamFormat: String, ExpressibleByArgument, CaseIterable {
            case gray, yuyv, mjpeg
        }

        @Option(help: "Output format: text, tsv or json.")
        var format: OutputFormat = .text

        @Option(help: "Decode a raw frame stream instead of image files: gray (Y800), yuyv (YUYV 4:2:2) or mjpeg.")
        var raw: StreamFormat?

        @Option(help: "Frame size of a gray or yuyv stream, WIDTHxHEIGHT (e.g. 640x480).")
        var size: String?

        @OptionGroup var decoding: BudgetOption

        @Option(help: "The legacy charset tried first for text that is not UTF-8 and has no ECI: euc-kr or shift-jis.")
        var charset: LegacyCharset = .eucKR

        @Argument(help: "Image files; with --raw, one stream file or - for standard input.")
        var inputs: [String] = []

        func validate() throws {
            if let raw {
                guard inputs.count <= 1 else { throw ValidationError("--raw reads one stream: a file, a FIFO, or - for stdin") }
                if raw != .mjpeg {
                    guard let size else { throw ValidationError("--raw \(raw.rawValue) needs --size WIDTHxHEIGHT") }
                    guard Self.parseSize(size) != nil else { throw ValidationError("--size must look like 640x480, not '\(size)'") }
                }
            } else {
                guard !inputs.isEmpty else { throw ValidationError("give at least one image file to scan") }
                guard size == nil else { throw ValidationError("--size applies to --raw streams only") }
            }
        }

        static func parseSize(_ text: String) -> (width: Int, height: Int)? {
            let parts = text.lowercased().split(separator: "x")
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
                  width > 0, height > 0, width <= GrayImage.maxDimension, height <= GrayImage.maxDimension
            else { return nil }
            return (width, height)
        }

        func run() async throws {
            if let raw {
                try scanStream(raw)
            } else {
                try scanFiles()
            }
        }

        // MARK: Files

        private func scanFiles() throws {
            let decoder = CascadeDecoder()
            var failures = 0
            var records = [FileRecord]()
            for path in inputs {
                do {
                    let image = try ImageFile.read(path: path)
                    let symbols = decoder.decodeThoroughly(image)
                    let record = FileRecord(file: path, codes: symbols.map { CodeRecord($0, preferring: charset) }, error: nil)
                    if format == .json { records.append(record) } else { Output.line(render(record)) }
                } catch {
                    failures += 1
                    Output.error("kioskd scan: \(path): \(error)")
                    if format == .json { records.append(FileRecord(file: path, codes: [], error: "\(error)")) }
                }
            }
            if format == .json { Output.line(try Output.json(records)) }
            if failures > 0 { throw ExitCode(1) }
        }

        private func render(_ record: FileRecord) -> String {
            switch format {
            case .tsv:
                if record.codes.isEmpty { return "\(record.file)\t-" }
                return record.codes.map { "\(record.file)\t\(Output.escapeTSV($0.payload))" }.joined(separator: "\n")
            case .text, .json:
                if record.codes.isEmpty { return "\(record.file): no QR code" }
                return record.codes.map { "\(record.file): \($0.payload)" }.joined(separator: "\n")
            }
        }

        // MARK: Streams

        private func scanStream(_ raw: StreamFormat) throws {
            let path = inputs.first ?? "-"
            var source: any FrameSource
            do { source = try openStream(raw, size: size, path: path) } catch {
                Output.error("kioskd scan: \(error)")
                throw ExitCode(1)
            }
            let decoder = CascadeDecoder.live(budget: decoding.budget)
            let developer = FrameDeveloper()
            var debouncer = ScanDebouncer()
            var badFrames = 0
            var frames = 0
            reading: while true {
                let frame: Frame?
                do {
                    frame = try source.nextFrame()
                } catch {
                    Output.error("kioskd scan: \(error)")
                    switch error {
                    case .badFrame, .oversizedFrame:
                        badFrames += 1
                        continue reading  // one damaged frame; the stream goes on
                    case .truncatedFrame:
                        badFrames += 1
                        break reading     // the stream ended inside a frame
                    case .unreadable:
                        throw ExitCode(1)
                    }
                }
                guard let frame else { break reading }
                let image: GrayImage
                do { image = try developer.image(of: frame) } catch {
                    Output.error("kioskd scan: \(error)")
                    badFrames += 1
                    continue reading
                }
                frames += 1
                let symbols = decoder.decode(image)
                for payload in debouncer.newPayloads(symbols.map(\.payload), frame: frame.number) {
                    let symbol = symbols.first { $0.payload == payload }!
                    let text = symbol.text(preferring: charset)
                    switch format {
                    case .tsv: Output.line("\(frame.number)\t\(Output.escapeTSV(text))")
                    case .text: Output.line("frame \(frame.number): \(text)")
                    case .json:
                        Output.line(try Output.json(StreamRecord(frame: frame.number, code: CodeRecord(symbol, preferring: charset))))
                    }
                }
            }
            Output.error("kioskd scan: \(frames) frames decoded, \(badFrames) unusable")
            if badFrames > 0 && frames == 0 { throw ExitCode(1) }
        }
    }
}

struct CodeRecord: Encodable {
    let payload: String
    let bytes: String
    let charset: String
    let foundBy: String
    let x: Int
    let y: Int

    init(_ symbol: DecodedSymbol, preferring legacy: LegacyCharset) {
        (payload, charset) = SymbolText.decode(symbol.payload, eciText: symbol.eciText, preferring: legacy)
        bytes = Data(symbol.payload).base64EncodedString()
        foundBy = symbol.foundBy
        x = symbol.centre.x
        y = symbol.centre.y
    }

    enum CodingKeys: String, CodingKey {
        case payload, bytes, charset, foundBy = "found_by", x, y
    }
}

extension LegacyCharset: ExpressibleByArgument {}

struct FileRecord: Encodable {
    let file: String
    let codes: [CodeRecord]
    let error: String?
}

struct StreamRecord: Encodable {
    let frame: Int
    let code: CodeRecord
}
