import CafeProtocol
import Foundation

/// The receipt for a pass sold at the counter, as ESC/POS bytes: the store's name, the product,
/// the pass's validity, its short number, and the QR code as a `GS v 0` raster from our renderer
/// (every ESC/POS printer prints rasters). Text is sent in EUC-KR, the code page Korean receipt
/// printers use for Hangul; ASCII is the same in it.
public enum Receipt {
    public static func job(for job: PrintJob, storeName: String, timeZone: ZoneClock, paper: ESCPOS.PaperWidth = .mm58,
                           qr: ESCPOS.QRStyle = .raster, cut: Bool = true) throws(QRMatrix.EncodingError) -> [UInt8] {
        let matrix = try QRMatrix(text: job.token)
        var bytes = ESCPOS.initialize + ESCPOS.centre
        bytes += [0x1B, 0x45, 0x01] + text(storeName) + [0x0A] + [0x1B, 0x45, 0x00]  // ESC E: bold on, off
        bytes += text(job.label) + [0x0A]
        if let token = try? PassToken.parse(text: job.token).token {
            bytes += text(validity(of: token, in: timeZone)) + [0x0A]
        }
        bytes += text("No. \(shortNumber(job.passID))") + [0x0A, 0x0A]
        let modulesWide = matrix.size + 8
        let dots = max(1, min(8, paper.rawValue / modulesWide))
        switch qr {
        case .raster: bytes += ESCPOS.raster(matrix.image(moduleSize: dots, quietZone: 4))
        case .native: bytes += ESCPOS.nativeQR(Array(job.token.utf8), dots: dots)
        }
        bytes += [0x0A] + text("입구 카메라에 이 코드를 보여 주세요") + [0x0A]
        bytes += text("Show this code to the camera at the door") + [0x0A]
        bytes += ESCPOS.feed
        if cut { bytes += ESCPOS.partialCut }
        return bytes
    }

    /// The pass id's first eight hex digits, grouped: what staff read out ("1A2B-3C4D").
    public static func shortNumber(_ passID: UUID) -> String {
        let hex = passID.uuidString.replacingOccurrences(of: "-", with: "").prefix(8)
        return "\(hex.prefix(4))-\(hex.suffix(4))"
    }

    static func validity(of token: PassToken, in timeZone: ZoneClock) -> String {
        switch token.kind {
        case .time: "Time pass · use by \(dateTime(token.validUntil, timeZone))"
        case .day: "Day pass · \(dateTime(token.validFrom, timeZone)) – \(dateTime(token.validUntil, timeZone))"
        case .period: "Valid until \(dateTime(token.validUntil, timeZone))"
        }
    }

    /// "2026-12-02 14:05", the store's wall clock.
    static func dateTime(_ date: Date, _ timeZone: ZoneClock) -> String {
        String(timeZone.wallTime(at: date).text(separator: " ", milliseconds: false, zone: "").dropLast(3))
    }

    /// Text in EUC-KR (ASCII unchanged); what the printer's code page cannot show becomes "?".
    static func text(_ string: String) -> [UInt8] {
        if string.utf8.allSatisfy({ $0 < 0x80 }) { return Array(string.utf8) }
        return string.unicodeScalars.flatMap { scalar -> [UInt8] in
            if scalar.isASCII { return [UInt8(scalar.value)] }
            return eucKR(String(scalar)) ?? [UInt8(ascii: "?")]
        }
    }

    private static func eucKR(_ string: String) -> [UInt8]? {
        System.convert(Array(string.utf8), from: "UTF-8", to: "EUC-KR")
    }
}
