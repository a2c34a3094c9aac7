import ArgumentParser
import KioskCore

/// `--budget`, shared by the commands that decode a live stream.
struct BudgetOption: ParsableArguments {
    @Option(help: "Per-frame decoding budget in milliseconds (default: 2 ms + 14 ms a megapixel: 14.9 ms at 1280x720).")
    var budget: Double?

    func validate() throws {
        if let budget, !(budget > 0 && budget <= 1000) { throw ValidationError("--budget must be between 0 and 1000 ms") }
    }
}

extension CascadeDecoder {
    /// The live decoder: the given budget in milliseconds, or the standard one.
    static func live(budget: Double?) -> CascadeDecoder {
        budget.map { CascadeDecoder(budget: $0) } ?? CascadeDecoder()
    }
}

/// Opens a camera stream (a file, a FIFO, or "-" for stdin) of the given format. `size` has
/// been validated for the raw formats.
func openStream(_ format: Kioskd.Scan.StreamFormat, size: String?, path: String) throws(FrameSourceError) -> any FrameSource {
    switch format {
    case .gray, .yuyv:
        let (width, height) = Kioskd.Scan.parseSize(size ?? "") ?? (0, 0)
        return try RawFrameStream(path: path, format: format == .gray ? .gray : .yuyv, width: width, height: height)
    case .mjpeg:
        return try MJPEGStream(path: path)
    }
}
