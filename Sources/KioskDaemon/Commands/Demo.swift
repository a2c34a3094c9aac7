import ArgumentParser
import CafeProtocol
import Crypto
import Foundation
import KioskCore

extension Kioskd {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the decoding pipeline on a synthetic camera feed and print what it sees.",
            discussion: """
                Makes a store signing key, issues signed passes, and plays a scripted camera \
                feed: a printed pass, a phone in dark mode, a tilted phone, a forged pass, a \
                tampered pass, and empty frames between them. Every frame goes through the live \
                decoding cascade within its time budget; every new code is verified against \
                the store's public key and printed with its verdict so far (signature, key, \
                store). No network, no hardware.

                The check-in rules, the central server and the door come in later versions of \
                this demo.
                """)

        @Option(help: "Camera frame size, WIDTHxHEIGHT.")
        var size = "1280x720"

        @Option(help: "Seed for the synthetic scenes.")
        var seed: UInt64 = 2026

        func validate() throws {
            guard Kioskd.Scan.parseSize(size) != nil else { throw ValidationError("--size must look like 1280x720") }
        }

        func run() async throws {
            let (width, height) = Kioskd.Scan.parseSize(size)!
            let store: UInt32 = 1
            let storeKey = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
            let forger = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
            let verifier = PassVerifier(publicKeys: [storeKey.privateKey.publicKey])
            let now = Date()
            func pass(_ kind: PassKind, days: Double, signer: PassSigner = storeKey, store: UInt32 = store) throws -> String {
                let token = PassToken(keyID: signer.keyID, passID: UUID(), storeID: store, kind: kind,
                                      validFrom: now, validUntil: now.addingTimeInterval(days * 86_400), issuedAt: now)
                return try signer.signText(token)
            }
            var tampered = try Base45.decode(pass(.day, days: 1))
            tampered[33] ^= 0x01  // one second more validity: the signature no longer matches
            let feed: [(label: String, payload: String?, style: Style)] = [
                ("nobody at the door", nil, .paper),
                ("printed 14-day pass", try pass(.period, days: 14), .paper),
                ("nobody", nil, .paper),
                ("10-hour pass on a phone in dark mode", try pass(.time, days: 60), .darkPhone),
                ("nobody", nil, .paper),
                ("day pass on a tilted phone", try pass(.day, days: 1), .tiltedPhone),
                ("nobody", nil, .paper),
                ("pass from another store's key", try pass(.period, days: 7, signer: forger), .paper),
                ("nobody", nil, .paper),
                ("tampered day pass", Base45.encode(tampered), .phone),
                ("nobody", nil, .paper),
            ]
            var shots = [SyntheticCamera.Shot]()
            for (index, item) in feed.enumerated() {
                var scene = SyntheticScene(width: width, height: height, seed: seed &+ UInt64(index) &* 1000)
                if let payload = item.payload {
                    scene.codes = [item.style.place(payload, width: width, height: height)]
                    scene.effects = [.defocus(sigma: 0.6), .noise(sigma: 4)]
                } else {
                    scene.effects = [.noise(sigma: 4)]
                }
                shots.append(.init(frames: item.payload == nil ? 15 : 20, scene: scene))
            }

            Output.line("kioskd demo: \(width)×\(height) synthetic camera, \(shots.reduce(0) { $0 + $1.frames }) frames, store key \(storeKey.keyID)")
            var camera = SyntheticCamera(shots: shots)
            let decoder = CascadeDecoder()
            var debouncer = ScanDebouncer()
            var times = [Double]()
            var shotStart = 0
            var shotIndex = 0
            while let frame = try camera.nextFrame() {
                while shotIndex < shots.count, frame.number > shotStart + shots[shotIndex].frames {
                    shotStart += shots[shotIndex].frames
                    shotIndex += 1
                }
                if frame.number == shotStart + 1 { Output.line(String(format: "frame %3d  ── %@", frame.number, feed[shotIndex].label)) }
                let start = ContinuousClock.now
                let symbols = decoder.decode(frame.image)
                times.append(CascadeDecoder.milliseconds(since: start))
                for payload in debouncer.newPayloads(symbols.map(\.payload), frame: frame.number) {
                    let text = String(decoding: payload, as: UTF8.self)
                    let foundBy = symbols.first { $0.payload == payload }?.foundBy ?? "?"
                    Output.line(String(format: "frame %3d  %@  (%@, %.1f ms)", frame.number, Self.describe(text, verifier: verifier, store: store), foundBy, times.last!))
                }
            }
            times.sort()
            Output.line(String(format: "decoded %d frames: median %.2f ms, p95 %.2f ms, max %.2f ms per frame",
                               times.count, times[times.count / 2], times[times.count * 95 / 100], times.last!))
        }

        /// The verdict as far as this version can give one: the token's signature, key and store.
        static func describe(_ text: String, verifier: PassVerifier, store: UInt32) -> String {
            do {
                let token = try verifier.verify(text: text)
                guard token.storeID == store else { return "DENY  \(DenyReason.wrongStore.rawValue)" }
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withFullDate]
                return "VALID \(token.kind) pass \(token.passID.uuidString.prefix(8)), valid until \(formatter.string(from: token.validUntil))"
            } catch {
                return "DENY  \(error.denyReason.rawValue): \(error)"
            }
        }

        enum Style {
            case paper, phone, darkPhone, tiltedPhone

            func place(_ payload: String, width: Int, height: Int) -> SyntheticScene.PlacedCode {
                let matrix = try! QRMatrix(text: payload)
                let module = Double(height) / 480 * 3.6
                var code = SyntheticScene.PlacedCode(matrix: matrix, centreX: Double(width) * 0.45,
                                                     centreY: Double(height) * 0.5, moduleSize: module)
                code.payload = Array(payload.utf8)
                code.rotation = 0.1
                switch self {
                case .paper: break
                case .phone:
                    code.screenMargin = 3; code.bezel = 4; code.lightValue = 200; code.darkValue = 60
                case .darkPhone:
                    code.screenMargin = 3; code.bezel = 4; code.lightValue = 30; code.darkValue = 210; code.bezelValue = 10
                case .tiltedPhone:
                    code.screenMargin = 3; code.bezel = 4; code.lightValue = 210; code.darkValue = 50
                    code.tiltX = 0.6; code.tiltY = -0.4; code.rotation = -0.5
                }
                return code
            }
        }
    }
}
