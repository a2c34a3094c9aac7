import CafeProtocol
import Crypto
import Foundation
@testable import KioskCore
import KioskSimulation

/// Generated fixtures: signed pass tokens, rendered codes, frames and files in a temp folder.
enum Fixtures {
    static let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())

    static func passText(kind: PassKind = .time) -> String {
        let now = Date()
        let token = PassToken(keyID: signer.keyID, passID: UUID(), storeID: 3, kind: kind,
                              validFrom: now, validUntil: now.addingTimeInterval(86_400), issuedAt: now)
        return try! signer.signText(token)
    }

    /// A frame with one code, dark on light, on a mid-grey background.
    static func frame(with payload: String, width: Int = 640, height: Int = 480, moduleSize: Double = 4,
                      inverted: Bool = false) -> GrayImage {
        let matrix = try! QRMatrix(text: payload)
        var code = SyntheticScene.PlacedCode(matrix: matrix, centreX: Double(width) / 2, centreY: Double(height) / 2,
                                             moduleSize: moduleSize)
        if inverted { code.darkValue = 230; code.lightValue = 25 }
        return SyntheticScene(width: width, height: height, codes: [code], effects: [.noise(sigma: 3)]).render()
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
