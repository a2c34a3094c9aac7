import CafeProtocol
import Crypto
import Foundation
import KioskCore
import KioskSimulation
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
@testable import KioskRuntime

/// A synced cache with passes, and the runtime around it, for the lifecycle tests.
struct RuntimeFixture {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    let settings = StoreSettings(storeID: 1, name: "Test Cafe", timeZone: "UTC", closedHours: nil, seats: 10)
    let database: KioskDatabase
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    init() throws {
        database = try KioskDatabase.inMemory()
        try database.apply(SyncPage(cursor: "c1", hasMore: false, tickets: [],
                                    keys: [PublicKeyRecord(keyID: signer.keyID, publicKey: signer.privateKey.publicKey.rawRepresentation, retired: false)],
                                    store: settings, printJobs: [], serverTime: Date()))
    }

    /// A period pass valid now: entering is allowed (the cache does not know it, which the rules
    /// allow for a period pass signed by the store).
    func pass() throws -> String {
        let now = Date()
        return try signer.signText(PassToken(keyID: signer.keyID, passID: UUID(), storeID: 1, kind: .period,
                                             validFrom: now.addingTimeInterval(-60), validUntil: now.addingTimeInterval(3600), issuedAt: now))
    }

    static func shot(_ payload: String?, frames: Int, seed: UInt64) -> SyntheticCamera.Shot {
        var scene = SyntheticScene(width: 240, height: 180, effects: [.noise(sigma: 2)], seed: seed)
        if let payload {
            var code = SyntheticScene.PlacedCode(matrix: try! QRMatrix(text: payload), centreX: 120, centreY: 90, moduleSize: 2.5)
            code.payload = Array(payload.utf8)
            scene.codes = [code]
        }
        return .init(frames: frames, scene: scene, drift: 0.3)
    }

    func runtime(camera: CameraInput?, sinks: [any VerdictSink] = [], notifier: SystemdNotifier,
                 metrics: Bool = false, configure: (inout KioskConfiguration) -> Void = { _ in }) -> KioskDaemonRuntime {
        var configuration = KioskConfiguration()
        configuration.metricsEnabled = metrics
        configuration.metricsPort = 0
        configuration.screenPort = 0
        configuration.debounceFrames = 3
        configuration.repeatWindowSeconds = 0
        configure(&configuration)
        var runtime = KioskDaemonRuntime(configuration: configuration, configurationPath: nil, database: database, device: nil,
                                         camera: camera, sinks: sinks, notifier: notifier,
                                         logLevel: LiveSetting(.critical), logger: logger)
        runtime.gracefulShutdownSignals = []
        return runtime
    }
}

/// Collects the verdicts the feedback service shows.
final class VerdictRecorder: VerdictSink {
    let shown = Mutex<[ShownVerdict]>([])
    var verdicts: [Verdict] { shown.withLock { $0.map(\.outcome.verdict) } }
    func show(_ verdict: ShownVerdict) async { shown.withLock { $0.append(verdict) } }
}

/// A decoder that hangs inside its first frame until released: a stuck decoder. Frames after
/// the release pass at once.
final class StallingDecoder: QRDecoder, @unchecked Sendable {
    // @unchecked: the semaphores are thread-safe; `stalled` is touched by the decode thread only.
    let name = "stalling"
    let release = DispatchSemaphore(value: 0)
    let entered = DispatchSemaphore(value: 0)
    private var stalled = false
    func decode(_ frame: GrayImage) -> [DecodedSymbol] {
        if !stalled {
            stalled = true
            entered.signal()
            release.wait()
        }
        return []
    }
}

/// Endless blank frames.
struct BlankCamera: FrameSource {
    var count = 0
    mutating func nextFrame() throws(FrameSourceError) -> Frame? {
        count += 1
        return Frame(number: count, image: GrayImage(width: 64, height: 48, fill: 200))
    }
}

extension KioskDaemonRuntime {
    /// Runs the daemon's services until `condition` holds (polled; the suite's time limit bounds
    /// the wait), then shuts them down by the graceful path and waits for the group to end.
    func run(until condition: @escaping @Sendable () throws -> Bool) async throws {
        let services = makeServices()
        defer { services.shutdownExecutors() }
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.group.run() }
                while try !condition() { try await Task.sleep(for: .milliseconds(20)) }
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
    }
}
