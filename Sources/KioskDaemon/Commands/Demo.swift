import ArgumentParser
import CafeProtocol
import Crypto
import Foundation
import KioskCLI
import KioskCore
import KioskRuntime
import KioskSimulation
import Logging
import Synchronization

extension Kioskd {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the door on a synthetic camera feed and print its verdicts.",
            discussion: """
                Makes a store with a signing key and a cache synced with its passes (one of \
                them refunded), then plays a scripted camera feed through the live decoding \
                cascade and the check-in engine: customers entering and leaving with printed \
                passes and phones (dark mode, tilted), a time pass charged on exit, a refunded \
                pass, a forged pass, a tampered pass, and empty frames between them. Each \
                verdict is printed with its reason and the event recorded for it. No network, \
                no hardware: the store's server is simulated by the cache it would have synced.

                With --script FILE (what scripts/demo does) the door is an enrolled kiosk \
                (--state-dir) talking to a real cafe-server: each line of FILE is \
                LABEL<TAB>STYLE<TAB>TOKEN (STYLE: paper, phone, dark-phone, tilted-phone; TOKEN \
                may be "forged" or "tampered:TOKEN"), verdicts are online first, time runs for \
                real, and the queued events are synced at the end. With --door-hook the door \
                opens through that command on each grant (as door.hook does in 'kioskd run'); a \
                non-zero exit means the door stayed shut, and the grant is annulled. With \
                --screen HOST:PORT the customer's screen is served there while the door runs: \
                open it in a browser (it reconnects by itself to the next run).
                """)

        @Option(help: "Camera frame size, WIDTHxHEIGHT.")
        var size = "1280x720"

        @Option(help: "Seed for the synthetic scenes.")
        var seed: UInt64 = 2026

        @OptionGroup var decoding: BudgetOption

        @Option(help: "Frames each customer holds a code up (30 = one second).")
        var shotFrames = 15

        @Option(help: "Empty frames between two customers (a code gone that long is a new scan when shown again).")
        var gapFrames = 35

        @Option(help: "Play these customers (LABEL<TAB>STYLE<TAB>TOKEN lines) against the enrolled server instead.")
        var script: String?

        @Option(help: "With --script: the cafe-server process that '#server stop|start' lines freeze and thaw.")
        var serverPid: Int32?

        @Option(help: "With --script: the door hook run on each grant (see door.hook); a non-zero exit annuls the grant.")
        var doorHook: String?

        @Option(help: "With --script: serve the customer's screen on HOST:PORT while the door runs (e.g. 127.0.0.1:8080).")
        var screen: String?

        @Option(help: ArgumentHelp("With --script: how long the door waits for the server's verdict before deciding from its cache.",
                                   valueName: "milliseconds"))
        var deadline = 300

        @OptionGroup var state: StateOptions

        func validate() throws {
            guard (50...10_000).contains(deadline) else { throw ValidationError("--deadline is 50 to 10000 milliseconds") }
            guard Kioskd.Scan.parseSize(size) != nil else { throw ValidationError("--size must look like 1280x720") }
            guard shotFrames > 0, gapFrames >= 0 else { throw ValidationError("--shot-frames must be positive, --gap-frames not negative") }
        }

        /// The demo's clock: the camera's frames at 30 fps, plus jumps between customers. The
        /// feed (on the decode thread) moves it; the check-in engine reads it.
        final class DemoClock: @unchecked Sendable {
            // @unchecked: `current` is guarded by `lock`.
            private let lock = NSLock()
            private var current: Date
            init(_ start: Date) { current = start }
            var now: Date { lock.withLock { current } }
            func advance(by seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
        }

        /// The synthetic camera, announcing each customer as their first frame comes and moving
        /// the clock with the frames.
        struct ScriptedFeed: FrameSource {
            var camera: SyntheticCamera
            let shotFrames: [Int]
            /// The label and the time since the previous customer, for shots that start a customer.
            let announcements: [(label: String, laterBy: TimeInterval)?]
            let clock: DemoClock
            var shotIndex = -1
            var shotEnd = 0

            mutating func nextFrame() throws(FrameSourceError) -> Frame? {
                guard let frame = try camera.nextFrame() else { return nil }
                if frame.number > shotEnd {
                    shotIndex += 1
                    shotEnd += shotFrames[shotIndex]
                    if let announcement = announcements[shotIndex] {
                        clock.advance(by: announcement.laterBy)
                        Output.line("\(Demo.time(clock.now))  ── \(announcement.label)")
                    }
                }
                clock.advance(by: 1.0 / 30)
                return frame
            }
        }

        /// Prints each verdict as the door would show it.
        final class ConsoleFeedback: DoorFeedback {
            let clock: DemoClock
            let showOrigin: Bool
            var offline = 0
            /// Frames shown before this part of the feed (the demo's frame numbers run on).
            let frameOffset: Int
            init(clock: DemoClock, showOrigin: Bool = false, frameOffset: Int = 0) {
                self.clock = clock
                self.showOrigin = showOrigin
                self.frameOffset = frameOffset
            }
            /// The door: its hook, and the door's own service to annul a grant it did not let through.
            var door: (hook: DoorHook, service: CheckInService)?
            /// The customer's screen, when served (--screen).
            var screen: ScreenService?

            func verdict(_ outcome: CheckInOutcome, frame: Int) {
                if outcome.event?.decidedOffline == true { offline += 1 }
                let origin = showOrigin ? (outcome.event.map { $0.decidedOffline ? " (offline)" : " (server)" } ?? "") : ""
                Output.line("\(Demo.time(clock.now))  frame \(frame + frameOffset): \(Demo.describe(outcome))\(origin)")
                screen?.show(outcome)
                if let door, let event = outcome.event { open(door, for: outcome, event: event, frame: frame) }
            }

            /// Runs the hook and waits for its answer. The daemon never waits (its hook runs beside
            /// the door, `DoorHookSink`); the demo does, so each line follows its customer.
            private func open(_ door: (hook: DoorHook, service: CheckInService), for outcome: CheckInOutcome, event: KioskEvent, frame: Int) {
                let answer = Mutex<DoorHook.Result?>(nil)
                let done = DispatchSemaphore(value: 0)
                guard door.hook.open(for: outcome, frame: frame, completion: { result in
                    answer.withLock { $0 = result }
                    done.signal()
                }) else { return }
                done.wait()
                switch answer.withLock({ $0 }) {
                case .opened?:
                    Output.line("          door opened (door hook exit 0)")
                case .stayedShut(let status)?:
                    if let annul = try? door.service.annul(event.eventID) {
                        screen?.show(annul)
                        Output.line("          the door stayed shut (door hook exit \(status)): \(annul.annulled.verdict.logName) annulled " +
                                    "[event \(annul.event.eventID.uuidString.prefix(8).lowercased())], the customer can scan again")
                    }
                case .timedOut?:
                    Output.line("          the door hook ran out of time: whether the door opened is unknown, nothing annulled")
                case .failedToStart(let reason)?:
                    Output.error("kioskd demo: the door hook could not be started: \(reason)")
                case nil:
                    break
                }
            }
            func badFrame(_ error: FrameSourceError) { Output.error("kioskd demo: \(error)") }
        }

        func run() async throws {
            if let script { return try await runAgainstServer(script: script) }
            let (width, height) = Kioskd.Scan.parseSize(size)!
            let clock = DemoClock(Self.openingTime())
            let storeKey = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
            let forger = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
            let settings = StoreSettings(storeID: 1, name: "Demo Study Cafe", timeZone: TimeZone.current.identifier,
                                         closedHours: LocalTimeRange(startMinute: 2 * 60, endMinute: 5 * 60), seats: 40)

            // What the server would have issued and the kiosk synced.
            var tickets = [TicketState]()
            func issue(_ kind: PassKind, days: Double, minutes: Int? = nil, status: TicketStatus = .valid,
                       holder: String, signer: PassSigner = storeKey) throws -> String {
                let from = clock.now.addingTimeInterval(-3600)
                let token = PassToken(keyID: signer.keyID, passID: UUID(), storeID: 1, kind: kind,
                                      validFrom: from, validUntil: from.addingTimeInterval(days * 86_400), issuedAt: from)
                if signer.keyID == storeKey.keyID {
                    tickets.append(TicketState(passID: token.passID, storeID: 1, kind: kind, validFrom: token.validFrom,
                                               validUntil: token.validUntil, remainingMinutes: minutes, status: status,
                                               inside: false, lastEnteredAt: nil, holderName: holder, seat: nil,
                                               revision: Int64(tickets.count + 1)))
                }
                return try signer.signText(token)
            }
            let period = try issue(.period, days: 14, holder: "Kim")
            let hours = try issue(.time, days: 60, minutes: 600, holder: "Lee")
            let day = try issue(.day, days: 1, holder: "Park")
            let refunded = try issue(.period, days: 7, status: .refunded, holder: "Choi")
            let forged = try issue(.period, days: 7, holder: "Mallory", signer: forger)
            var tampered = try Base45.decode(issue(.day, days: 1, holder: "Jung"))
            tampered[33] ^= 0x01  // one second more validity: the signature no longer matches

            let database = try KioskDatabase.inMemory()
            try database.apply(SyncPage(
                cursor: "demo", hasMore: false, tickets: tickets,
                keys: [PublicKeyRecord(keyID: storeKey.keyID, publicKey: storeKey.privateKey.publicKey.rawRepresentation, retired: false)],
                store: settings, printJobs: [], serverTime: clock.now))
            let engine = CheckInEngine(store: DatabaseCheckInStore(database: database), now: { clock.now })
            let service = CheckInService(engine: engine, client: nil,
                                         logger: Logger(label: "kioskd.demo", factory: { _ in SwiftLogNoOpLogHandler() }))

            let feed: [(label: String, payload: String?, style: Style, laterBy: TimeInterval)] = [
                ("nobody at the door", nil, .paper, 0),
                ("Kim, printed 14-day pass", period, .paper, 0),
                ("Lee, 10-hour pass on a phone in dark mode", hours, .darkPhone, 60),
                ("Park, day pass on a tilted phone", day, .tiltedPhone, 60),
                ("Kim again: leaving", period, .paper, 3 * 3600),
                ("Lee leaving, 3 h 4 min later", hours, .darkPhone, 4 * 60),
                ("Choi, refunded pass", refunded, .phone, 60),
                ("a pass signed with another store's key", forged, .paper, 60),
                ("a tampered day pass", Base45.encode(tampered), .phone, 60),
                ("Park leaving", day, .tiltedPhone, 600),
                ("Park back in the afternoon", day, .tiltedPhone, 3600),
            ]
            let (shots, announcements) = makeShots(feed, width: width, height: height)
            Output.line("kioskd demo: \(settings.name), store key \(storeKey.keyID), \(tickets.count) passes cached; \(width)×\(height) synthetic camera, \(shots.reduce(0) { $0 + $1.frames }) frames")
            let feedSource = ScriptedFeed(camera: SyntheticCamera(shots: shots), shotFrames: shots.map(\.frames),
                                          announcements: announcements, clock: clock)
            let decoder = CascadeDecoder.live(budget: decoding.budget)
            // A code out of view for a second is a new showing; a shorter gap (for quick runs)
            // shortens that second with it.
            let debouncer = ScanDebouncer(quietFrames: min(30, max(1, gapFrames - 1)))
            let loop = DoorLoop(service: service, feedback: ConsoleFeedback(clock: clock),
                                logger: Logger(label: "kioskd.demo", factory: { _ in SwiftLogNoOpLogHandler() }))
            let stats = await loop.run(source: feedSource, decoder: decoder, debouncer: debouncer)
            let status = try database.status()
            Output.line(String(format: "decoded %d frames: median %.2f ms, p95 %.2f ms per frame; %d events recorded in the outbox",
                               stats.frames, stats.decodeMedianMilliseconds, stats.decodeP95Milliseconds, status.outboxPending))
        }

        /// The camera's shots for a list of customers, with an empty door between two of them.
        func makeShots(_ feed: [(label: String, payload: String?, style: Style, laterBy: TimeInterval)], width: Int, height: Int)
            -> ([SyntheticCamera.Shot], [(label: String, laterBy: TimeInterval)?]) {
            var shots = [SyntheticCamera.Shot]()
            var announcements = [(label: String, laterBy: TimeInterval)?]()
            for (index, item) in feed.enumerated() {
                if index > 0 {
                    // The door is empty for a moment between two customers.
                    shots.append(.init(frames: gapFrames, scene: SyntheticScene(width: width, height: height, effects: [.noise(sigma: 4)],
                                                                                seed: seed &+ UInt64(index) &* 1000 &+ 1)))
                    announcements.append(nil)
                }
                announcements.append((item.label, item.laterBy))
                var scene = SyntheticScene(width: width, height: height, seed: seed &+ UInt64(index) &* 1000)
                if let payload = item.payload {
                    scene.codes = [item.style.place(payload, width: width, height: height)]
                    scene.effects = [.defocus(sigma: 0.6), .noise(sigma: 4)]
                } else {
                    scene.effects = [.noise(sigma: 4)]
                }
                shots.append(.init(frames: item.payload == nil ? 10 : shotFrames, scene: scene))
            }
            return (shots, announcements)
        }

        /// The door of an enrolled kiosk, online first against its server, on a scripted feed.
        /// A line `#server<TAB>stop` freezes the server (SIGSTOP to --server-pid) and
        /// `#server<TAB>start` thaws it and syncs: the customers between get offline verdicts
        /// within the deadline, and the backlog is uploaded once the server is back.
        func runAgainstServer(script: String) async throws {
            let database = try state.openDatabase()
            guard let screen else { return try await play(script: script, database: database, screen: nil) }
            guard let (host, port) = ConfigurationFile.listenAddress(screen) else {
                throw ValidationError("--screen must look like 127.0.0.1:8080, got \(screen)")
            }
            var settings = ScreenService.Settings()
            (settings.host, settings.port) = (host, port)
            let startup = StartupGate(expecting: ["screen"])
            let executor = ThreadExecutor(name: "kioskd.screen")
            defer { executor.shutdown() }
            var logger = Logger(label: "kioskd.demo", factory: { label in StreamLogHandler.standardError(label: label) })
            logger.logLevel = .error
            let service = ScreenService(settings: settings, database: database, state: DoorState(), executor: executor,
                                        startup: startup, logger: logger)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await service.run() }
                await startup.allArrived()
                if let bound = service.boundPort.value {
                    Output.line("kioskd demo: the customer's screen is on http://\(host):\(bound)/ — open it in a browser to watch the door")
                }
                try await play(script: script, database: database, screen: service)
                group.cancelAll()
            }
        }

        func play(script: String, database: KioskDatabase, screen: ScreenService?) async throws {
            let (width, height) = Kioskd.Scan.parseSize(size)!
            let device = try state.requireDevice()
            let lines = try String(contentsOfFile: script, encoding: .utf8).split(separator: "\n").filter { !$0.isEmpty }
            let forger = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
            typealias Customer = (label: String, payload: String?, style: Style, laterBy: TimeInterval)
            // Customers in segments; between two segments the server is frozen or thawed.
            var segments: [(customers: [Customer], then: String?)] = [([("nobody at the door", nil, .paper, 0)], nil)]
            for line in lines {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                if fields.first == "#server", fields.count == 2, ["stop", "start"].contains(fields[1]) {
                    guard serverPid != nil else { throw ValidationError("\(script): '#server \(fields[1])' needs --server-pid") }
                    segments[segments.count - 1].then = fields[1]
                    segments.append(([], nil))
                    continue
                }
                guard fields.count == 3, let style = Style(name: fields[1]) else {
                    throw ValidationError("\(script): expected LABEL<TAB>STYLE<TAB>TOKEN or #server<TAB>stop|start, got: \(line)")
                }
                var token = fields[2]
                if token == "forged" {
                    // Right store, right format, a key the store never had.
                    let now = Date()
                    token = try forger.signText(PassToken(keyID: forger.keyID, passID: UUID(), storeID: try database.storeSettings()?.storeID ?? 1,
                                                          kind: .period, validFrom: now, validUntil: now.addingTimeInterval(7 * 86_400), issuedAt: now))
                } else if token.hasPrefix("tampered:") {
                    var bytes = try Base45.decode(String(token.dropFirst("tampered:".count)))
                    bytes[33] ^= 0x01  // one second more validity: the signature no longer matches
                    token = Base45.encode(bytes)
                }
                segments[segments.count - 1].customers.append((fields[0], token, style, 0))
            }
            let clock = DemoClock(Date())
            let client = CentralClient(baseURL: device.serverURL, deviceToken: device.deviceToken, transport: device.transport())
            // Customers follow each other within a second here, not hours apart: each scripted
            // customer is a new scan. The debouncer still merges the frames of one showing (the
            // empty frames between customers end a showing).
            let engine = CheckInEngine(store: DatabaseCheckInStore(database: database), repeatWindow: 0)
            let breaker = SharedCircuitBreaker()
            let service = CheckInService(engine: engine, client: client, deadline: .milliseconds(deadline), breaker: breaker,
                                         logger: Logger(label: "kioskd.demo", factory: { _ in SwiftLogNoOpLogHandler() }))
            let settings = try database.storeSettings()
            let totalFrames = segments.reduce(0) { $0 + makeShots($1.customers, width: width, height: height).0.reduce(0) { $0 + $1.frames } }
            Output.line("kioskd demo: kiosk '\(device.deviceName)' of \(settings?.name ?? "?") at \(device.serverURL), \(try database.status().ticketsCached) passes cached; \(width)×\(height) synthetic camera, \(totalFrames) frames")
            var stats = DoorLoopStats()
            var offlineDecided = 0
            for segment in segments {
                let (shots, announcements) = makeShots(segment.customers, width: width, height: height)
                let feedSource = ScriptedFeed(camera: SyntheticCamera(shots: shots), shotFrames: shots.map(\.frames),
                                              announcements: announcements, clock: clock)
                let feedback = ConsoleFeedback(clock: clock, showOrigin: true, frameOffset: stats.frames)
                feedback.door = doorHook.map { (DoorHook(command: $0, timeout: .seconds(2)), service) }
                feedback.screen = screen
                let loop = DoorLoop(service: service, feedback: feedback,
                                    logger: Logger(label: "kioskd.demo", factory: { _ in SwiftLogNoOpLogHandler() }))
                let part = await loop.run(source: feedSource, decoder: CascadeDecoder.live(budget: decoding.budget),
                                          debouncer: ScanDebouncer(quietFrames: min(30, max(1, gapFrames - 1))))
                stats.merge(part)
                offlineDecided += feedback.offline
                switch segment.then {
                case "stop":
                    kill(pid_t(serverPid!), SIGSTOP)
                    Output.line("\(Demo.time(clock.now))  ══ the server stops answering (SIGSTOP): the door decides from its cache, within the \(deadline) ms deadline")
                case "start":
                    kill(pid_t(serverPid!), SIGCONT)
                    let report = try await SyncEngine(database: database, client: client).runOnce()
                    breaker.recordSuccess()
                    // Requests sent while it was frozen waited in its socket: it answers them now, too
                    // late for the door, and keeps each decision once (the same event id).
                    let delivered = report.pushed + report.duplicates
                    Output.line("\(Demo.time(clock.now))  ══ the server is back (SIGCONT): it has all \(delivered) offline decision(s) after one sync" +
                                (report.duplicates > 0 ? " (\(report.duplicates) had reached it while frozen, counted once)" : "") +
                                ", outbox now \(try database.status().outboxPending)")
                default: break
                }
            }
            let report = try await SyncEngine(database: database, client: client).runOnce()
            Output.line(String(format: "decoded %d frames: median %.2f ms, p95 %.2f ms per frame", stats.frames, stats.decodeMedianMilliseconds, stats.decodeP95Milliseconds))
            Output.line("\(offlineDecided) verdict(s) decided offline; sync: pushed \(report.pushed) event(s), \(report.conflicts.count) conflict(s); pulled \(report.pulledTickets) change(s); outbox now \(try database.status().outboxPending)")
        }

        /// 10:00 today, local time: the store is open.
        static func openingTime() -> Date {
            Calendar.current.date(bySettingHour: 10, minute: 0, second: 0, of: Date()) ?? Date()
        }

        static func time(_ date: Date) -> String {
            let parts = Calendar.current.dateComponents([.hour, .minute, .second], from: date)
            return String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        }

        static func describe(_ outcome: CheckInOutcome) -> String {
            let display = outcome.decision.display
            var text: String
            switch outcome.verdict {
            case .enter: text = "ENTER  \(display.title)"
            case .exit: text = "EXIT   \(display.title)"
            case .deny(let reason): text = "DENY   \(reason.rawValue): \(display.title)"
            }
            if let name = display.holderName { text += ", \(name)" }
            if let charged = outcome.decision.minutesCharged { text += "; \(charged) min charged" }
            if let minutes = display.remainingMinutes, outcome.verdict != .deny(.unknownKey) { text += ", \(minutes) min left" }
            if let event = outcome.event { text += "  [event \(event.eventID.uuidString.prefix(8).lowercased())]" }
            return text
        }

        enum Style {
            case paper, phone, darkPhone, tiltedPhone

            init?(name: String) {
                switch name {
                case "paper": self = .paper
                case "phone": self = .phone
                case "dark-phone": self = .darkPhone
                case "tilted-phone": self = .tiltedPhone
                default: return nil
                }
            }

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
