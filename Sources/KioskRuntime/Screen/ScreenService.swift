import CafeProtocol
import Foundation
import Hummingbird
import KioskCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Serves the customer's screen on loopback — the page at `/`, its verdicts and state as
/// Server-Sent Events at `/events`, `/health` for the display's autostart to wait on — and keeps
/// the page's standing state current (store, language, staff notes, a counter sale's QR when no
/// receipt can be printed). A port that cannot be bound is logged and the door runs on without
/// a screen.
public final class ScreenService: Service, Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var language = ScreenLanguage.ko
        /// How long a verdict stays before the idle screen comes back.
        public var showFor: Duration = .seconds(4)
        /// A pass sold at the counter is offered on the screen this long when it cannot be printed.
        public var saleShownFor: Duration = .seconds(600)
        /// How often the standing state is read (cache, printer, online).
        public var refresh: Duration = .seconds(1)
        /// Heartbeat to open pages: a page gone without a word is noticed and let go.
        public var keepAlive: Duration = .seconds(15)

        public init() {}
    }

    let settings: Settings
    let database: KioskDatabase
    let state: DoorState
    let executor: ThreadExecutor
    let startup: StartupGate
    let logger: Logger
    let broadcaster = ScreenBroadcaster()
    /// The store as last read from the cache: its name and zone for the words.
    private let store = Mutex<(name: String, timeZone: ZoneClock)>(("", ZoneClock.named(StoreSettings.defaultTimeZone)))
    /// The counter sale on screen and its drawing, kept so the QR is drawn once, not every refresh.
    private let saleShown = Mutex<(jobID: UUID, sale: ScreenState.Sale)?>(nil)
    /// Where the server listens once bound (port 0 picks one), for tests and the log.
    public let boundPort = LiveSetting<Int?>(nil)

    public init(settings: Settings, database: KioskDatabase, state: DoorState, executor: ThreadExecutor, startup: StartupGate, logger: Logger) {
        self.settings = settings
        self.database = database
        self.state = state
        self.executor = executor
        self.startup = startup
        self.logger = logger
    }

    var words: ScreenWords { ScreenWords(language: settings.language, timeZone: store.withLock { $0.timeZone }) }

    /// The feedback sink that puts verdicts on this screen.
    public var sink: any VerdictSink { ScreenSink(screen: self) }

    /// Puts a verdict on every open page now (the sink's work; `kioskd demo` calls it directly).
    public func show(_ outcome: CheckInOutcome, committedAt: Date = Date()) {
        broadcaster.publish(ScreenVerdict(outcome, committedAt: committedAt, words: words, show: settings.showFor))
    }

    /// Puts "the door did not open — please scan again" on every open page now.
    public func show(_ annul: AnnulOutcome, committedAt: Date = Date()) {
        broadcaster.publish(ScreenVerdict(annul: annul, committedAt: committedAt, words: words, show: settings.showFor))
    }

    public func run() async {
        await withTaskExecutorPreference(executor) { self.refreshNow() }
        // Open pages end their streams on the way down, so the server can close their connections.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    group.addTask { await self.refreshLoop() }
                    group.addTask { await self.serve() }
                }
            } onGracefulShutdown: {
                self.broadcaster.finish()
            }
        } onCancel: {
            self.broadcaster.finish()
        }
    }

    // MARK: The standing state

    func refreshNow() {
        let now = Date()
        let snapshot = state.snapshot
        do {
            if let settings = try database.storeSettings() {
                let zone = ZoneClock.named(settings.timeZone)
                store.withLock { $0 = (settings.name, zone) }
            }
        } catch {
            logger.debug("screen: cannot read the store's settings", metadata: ["db.error": "\(error)"])
        }
        let words = self.words
        var staff: [String] = []
        if snapshot.enrolled && !snapshot.online { staff.append(words.offline) }
        if let problem = snapshot.printerProblem { staff.append(words.printerProblem(problem)) }
        if snapshot.printJobsUncertain > 0 { staff.append(words.uncertainPrints(snapshot.printJobsUncertain)) }
        let (name, zone) = store.withLock { $0 }
        broadcaster.update(ScreenState(language: settings.language, store: name, timeZone: zone.identifier, hint: words.idleHint,
                                       staff: staff, connectionLost: words.connectionLost,
                                       sale: sale(printable: snapshot.printer != nil && snapshot.printerProblem == nil, now: now, words: words)))
    }

    /// The newest pass sold at the counter in the last minutes, when no receipt can come out
    /// for it (no printer, or one out of paper or off): shown on the screen instead.
    func sale(printable: Bool, now: Date, words: ScreenWords) -> ScreenState.Sale? {
        guard !printable else {
            saleShown.withLock { $0 = nil }
            return nil
        }
        // Recent, and still a pass: one refunded since the sale is not offered.
        guard let job = (try? database.pendingPrintJobs())?.last(where: { job in
            now.timeIntervalSince(job.createdAt) < settings.saleShownFor.inSeconds
                && ((try? database.ticket(passID: job.passID))??.status ?? .valid) == .valid
        }) else {
            saleShown.withLock { $0 = nil }
            return nil
        }
        if let shown = saleShown.withLock({ $0 }), shown.jobID == job.jobID { return shown.sale }
        guard let matrix = try? QRMatrix(text: job.token) else { return nil }
        let sale = ScreenState.Sale(svg: matrix.svg(moduleSize: 8, quietZone: 4), caption: words.newPass, label: job.label,
                                    number: words.passNumber(Receipt.shortNumber(job.passID)))
        saleShown.withLock { $0 = (job.jobID, sale) }
        return sale
    }

    func refreshLoop() async {
        try? await cancelWhenGracefulShutdown {
            var sinceKeepAlive = Duration.zero
            while !Task.isCancelled {
                try await Task.sleep(for: self.settings.refresh)
                await withTaskExecutorPreference(self.executor) { self.refreshNow() }
                sinceKeepAlive += self.settings.refresh
                if sinceKeepAlive >= self.settings.keepAlive {
                    sinceKeepAlive = .zero
                    self.broadcaster.ping()
                }
            }
        }
    }

    // MARK: Serving

    static func eventText(_ message: ScreenBroadcaster.Message) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch message {
        case .verdict(let verdict):
            return "event: verdict\ndata: \(String(decoding: (try? encoder.encode(verdict)) ?? Data("{}".utf8), as: UTF8.self))\n\n"
        case .state(let state):
            return "event: state\ndata: \(String(decoding: (try? encoder.encode(state)) ?? Data("{}".utf8), as: UTF8.self))\n\n"
        case .ping:
            return ": ping\n\n"
        }
    }

    static func page(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func serve() async {
        let router = Router()
        router.get("/") { _, _ in Self.page(ScreenPage.html, type: "text/html; charset=utf-8") }
        router.get("screen.css") { _, _ in Self.page(ScreenPage.css, type: "text/css; charset=utf-8") }
        router.get("screen.js") { _, _ in Self.page(ScreenPage.script, type: "text/javascript; charset=utf-8") }
        router.get("health") { _, _ in Self.page("ok\n", type: "text/plain; charset=utf-8") }
        let broadcaster = self.broadcaster
        router.get("events") { _, _ -> Response in
            guard let messages = broadcaster.subscribe() else {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "too many screens open\n")))
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                // A page that lost its connection tries again after a second.
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                for await message in messages {
                    try await writer.write(ByteBuffer(string: Self.eventText(message)))
                }
                try await writer.finish(nil)
            })
        }
        let startup = self.startup, boundPort = self.boundPort, logger = self.logger, settings = self.settings
        let app = Application(router: router, configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "kioskd"),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? settings.port
                                  boundPort.value = port
                                  logger.info("customer screen on http://\(settings.host):\(port)/ (chromium --kiosk that address)")
                                  startup.arrived("screen")
                              },
                              logger: Logger(label: "kioskd.screen", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            try await app.run()
        } catch {
            logger.error("customer screen disabled: cannot listen on \(settings.host):\(settings.port)", metadata: ["screen.error": "\(error)"])
            startup.arrived("screen")
            try? await gracefulShutdown()
        }
    }
}
