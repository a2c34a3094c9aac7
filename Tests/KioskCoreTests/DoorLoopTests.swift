import CafeProtocol
import Crypto
import Foundation
import Logging
import Testing
@testable import KioskCore
import KioskSimulation

@Suite struct DoorLoopTests {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    let settings = StoreSettings(storeID: 1, name: "Test", timeZone: "UTC", closedHours: nil, seats: 10)
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    final class Recorder: DoorFeedback {
        var verdicts: [(Verdict, Int)] = []
        var badFrames = 0
        func verdict(_ outcome: CheckInOutcome, frame: Int) { verdicts.append((outcome.verdict, frame)) }
        func badFrame(_ error: FrameSourceError) { badFrames += 1 }
    }

    final class Counter: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var count = 0
        private var waiter: (target: Int, continuation: CheckedContinuation<Void, Never>)?
        var value: Int { lock.withLock { count } }

        func increment() {
            let ready: CheckedContinuation<Void, Never>? = lock.withLock {
                count += 1
                guard let waiter, count >= waiter.target else { return nil }
                self.waiter = nil
                return waiter.continuation
            }
            ready?.resume()
        }

        func wait(until target: Int) async {
            await withCheckedContinuation { continuation in
                let now: Bool = lock.withLock {
                    if count >= target { return true }
                    waiter = (target, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    func service(_ store: InMemoryCheckInStore) -> CheckInService {
        CheckInService(engine: CheckInEngine(store: store, repeatWindow: 0), client: nil, logger: logger)
    }

    func shot(_ payload: String?, frames: Int) -> SyntheticCamera.Shot {
        var scene = SyntheticScene(width: 320, height: 240, effects: [.noise(sigma: 2)], seed: UInt64(frames))
        if let payload {
            var code = SyntheticScene.PlacedCode(matrix: try! QRMatrix(text: payload), centreX: 160, centreY: 120, moduleSize: 3)
            code.payload = Array(payload.utf8)
            scene.codes = [code]
        }
        return .init(frames: frames, scene: scene, drift: 0.5)
    }

    @Test func framesBecomeVerdictsOncePerShowing() async throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: settings)
        let now = Date()
        func pass() throws -> String {
            try signer.signText(PassToken(keyID: signer.keyID, passID: UUID(), storeID: 1, kind: .period,
                                          validFrom: now.addingTimeInterval(-60), validUntil: now.addingTimeInterval(3600), issuedAt: now))
        }
        let a = try pass(), b = try pass()
        let camera = SyntheticCamera(shots: [shot(nil, frames: 3), shot(a, frames: 6), shot(nil, frames: 8), shot(b, frames: 6),
                                             shot(nil, frames: 8), shot(a, frames: 6)])
        let recorder = Recorder()
        let heartbeats = Counter()
        let stats = await DoorLoop(service: service(store), feedback: recorder, logger: logger)
            .run(source: camera, decoder: CascadeDecoder(budget: 1_000), debouncer: ScanDebouncer(quietFrames: 5),
                 heartbeat: { heartbeats.increment() })
        #expect(stats.frames == 37)
        #expect(heartbeats.value == 37, "one heartbeat per decoded frame")
        #expect(recorder.verdicts.map(\.0) == [.enter, .enter, .exit], "A in, B in, A out: each showing once")
        #expect(recorder.verdicts.map(\.1) == [4, 18, 32], "decided on the first frame each code is in")
        #expect(store.events.count == 3)
        #expect(stats.scans == 3)
    }

    /// A camera that never ends: blank frames.
    struct EndlessCamera: FrameSource {
        var count = 0
        mutating func nextFrame() throws(FrameSourceError) -> Frame? {
            count += 1
            return Frame(number: count, image: GrayImage(width: 64, height: 48, fill: 200))
        }
    }

    /// A camera that breaks every other frame.
    struct FlakyCamera: FrameSource {
        var count = 0
        mutating func nextFrame() throws(FrameSourceError) -> Frame? {
            count += 1
            if count > 10 { return nil }
            if count % 2 == 0 { throw .badFrame(number: count, reason: "USB glitch") }
            return Frame(number: count, image: GrayImage(width: 64, height: 48, fill: 200))
        }
    }

    @Test func cancellingStopsTheDecodeThread() async throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(), settings: settings)
        let heartbeats = Counter()
        let loop = DoorLoop(service: service(store), feedback: Recorder(), logger: logger)
        let task = Task { await loop.run(source: EndlessCamera(), heartbeat: { heartbeats.increment() }) }
        await heartbeats.wait(until: 20)
        task.cancel()
        let stats = await task.value
        #expect(stats.frames >= 20)
        let after = heartbeats.value
        #expect(after == stats.frames, "no frame decoded after the loop returned")
    }

    @Test func badFramesAreReportedAndTheLoopGoesOn() async throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(), settings: settings)
        let recorder = Recorder()
        let stats = await DoorLoop(service: service(store), feedback: recorder, logger: logger).run(source: FlakyCamera())
        #expect(stats.frames == 5 && stats.badFrames == 5)
        #expect(recorder.badFrames == 5)
    }
}
