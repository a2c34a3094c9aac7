import ArgumentParser
import KioskCLI
import KioskCore

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
