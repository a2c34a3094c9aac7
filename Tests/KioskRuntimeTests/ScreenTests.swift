import CafeProtocol
import Foundation
import KioskCore
import KioskSimulation
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing
@testable import KioskRuntime

/// The customer's screen without a browser: the words in both languages, the messages the page
/// gets, and the page's event stream from a running daemon. (The page itself is tested in a real
/// Chromium by Tests/Screen/screen_test.py.)
@Suite(.timeLimit(.minutes(2))) struct ScreenTests {
    let seoul = ZoneClock.named("Asia/Seoul")

    @Test(arguments: ScreenLanguage.allCases)
    func everyDenialSaysWhatToDoNext(language: ScreenLanguage) {
        let words = ScreenWords(language: language, timeZone: seoul)
        var titles = Set<String>()
        for reason in DenyReason.allCases {
            let (title, next) = words.denial(reason)
            #expect(!title.isEmpty && !next.isEmpty, "\(reason)")
            titles.insert(title)
            if language == .en { #expect(title == CheckInRules.message(for: reason), "the reason code's own words") }
            if language == .ko { #expect(title.unicodeScalars.contains { (0xAC00...0xD7A3).contains($0.value) }, "Hangul: \(title)") }
        }
        #expect(titles.count == DenyReason.allCases.count, "each reason in words of its own")
        #expect(words.denial(.refunded).next == (language == .ko ? "카운터에 문의해 주세요" : "Please see the counter"))
    }

    @Test func timesAndDatesReadNaturally() {
        let ko = ScreenWords(language: .ko, timeZone: seoul), en = ScreenWords(language: .en, timeZone: seoul)
        #expect(ko.timeLeft(minutes: 599) == "남은 시간 9시간 59분")
        #expect(en.timeLeft(minutes: 599) == "9 h 59 min left")
        #expect(ko.duration(45) == "45분" && en.duration(120) == "2 h")
        // 2026-12-01 15:00 UTC is midnight in Seoul.
        let date = Date(timeIntervalSince1970: 1_796_137_200)
        #expect(ko.validUntil(date) == "12월 2일 00:00까지")
        #expect(en.validUntil(date) == "Valid until 2 Dec 00:00")
    }

    @Test func aVerdictBecomesTheScreensWords() throws {
        let words = ScreenWords(language: .ko, timeZone: seoul)
        let id = UUID()
        let ticket = TicketState(passID: id, storeID: 1, kind: .time, validFrom: .distantPast, validUntil: .distantFuture,
                                 remainingMinutes: 75, status: .valid, inside: false, lastEnteredAt: nil, holderName: "Lee", seat: "12", revision: 1)
        let display = VerdictDisplay(title: "Goodbye", holderName: "Lee", remainingMinutes: 75)
        let outcome = CheckInOutcome(decision: .init(verdict: .exit, token: nil, updatedTicket: ticket, minutesCharged: 45, overstayMinutes: nil,
                                                     display: display),
                                     event: KioskEvent(eventID: id, passID: id, verdict: .exit, occurredAt: Date(), decidedOffline: true, minutesCharged: 45),
                                     isRepeat: false, recordError: nil)
        let committed = Date(timeIntervalSince1970: 1_796_137_200.25)
        let shown = ScreenVerdict(outcome, committedAt: committed, words: words, show: .seconds(4))
        #expect(shown.kind == .goodbye && shown.title == "안녕히 가세요" && shown.name == "Lee 님")
        #expect(shown.lines == ["이용 시간 45분", "남은 시간 1시간 15분"])
        #expect(shown.committedAt == 1_796_137_200_250 && shown.showMilliseconds == 4_000)
        #expect(shown.event == String(id.uuidString.prefix(8)).lowercased())
        let json = String(decoding: try JSONEncoder().encode(shown), as: UTF8.self)
        #expect(json.contains("\"committed_at\"") && json.contains("\"show_ms\""))
    }

    @Test func aPageThatStopsReadingLosesOldMessagesNotTheDaemonsMemory() async {
        let broadcaster = ScreenBroadcaster()
        let state = ScreenState(language: .ko, store: "S", timeZone: "UTC", hint: "h", staff: [], connectionLost: "x", sale: nil)
        broadcaster.update(state)
        let page = broadcaster.subscribe()!
        for n in 0..<1_000 {
            broadcaster.publish(ScreenVerdict(kind: .welcome, title: "\(n)", event: nil, committedAt: Date(), show: .seconds(1)))
        }
        broadcaster.finish()
        var titles: [String] = []
        for await message in page {
            if case .verdict(let verdict) = message { titles.append(verdict.title) }
        }
        #expect(titles.count == ScreenBroadcaster.bufferPerPage, "the newest ones only")
        #expect(titles.last == "999")
        #expect(broadcaster.subscribe() == nil, "a screen shutting down takes no new page")
    }

    /// A running daemon serves the page, its script and style, and the event stream: the state
    /// on connect, then each verdict — in the store's language — as it is committed.
    @Test func theDaemonServesThePageAndStreamsItsVerdicts() async throws {
        let fixture = try RuntimeFixture()
        let a = try fixture.pass()
        let shots = [RuntimeFixture.shot(nil, frames: 2, seed: 1), RuntimeFixture.shot(a, frames: 4, seed: 2), RuntimeFixture.shot(nil, frames: 4, seed: 3)]
        let gate = ShotGate()
        let camera = CameraInput(name: "synthetic", atEnd: .stop, policy: .everyFrame) { GatedCamera(ThenIdle(SyntheticCamera(shots: shots)), gate: gate) }
        let runtime = fixture.runtime(camera: camera, notifier: SystemdNotifier(socketPath: nil, watchdogInterval: nil)) {
            $0.screenLanguage = .en
        }
        let services = runtime.makeServices()
        defer { services.shutdownExecutors() }
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await services.group.run() }
                await services.startup.allArrived()
                let port = try #require(services.screen?.boundPort.value)
                let transport = CurlTransport()
                let page = try await transport.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/"))
                #expect(page.status == 200 && String(decoding: page.body, as: UTF8.self).contains("<script src=\"/screen.js\""))
                let script = try await transport.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/screen.js"))
                #expect(String(decoding: script.body, as: UTF8.self).contains("new EventSource(\"/events\")"))
                let events = try EventStreamClient(port: port)
                #expect(events.headers.contains("text/event-stream"))
                let state = try await events.event("state")
                #expect(state["store"] as? String == "Test Cafe" && state["language"] as? String == "en")
                #expect(state["hint"] as? String == "Hold your QR code up to the camera below")
                gate.open()  // the customer steps up only once the page is watching
                let verdict = try await events.event("verdict")
                #expect(verdict["kind"] as? String == "welcome" && verdict["title"] as? String == "Welcome", "\(verdict)")
                let committed = try #require(verdict["committed_at"] as? Double)
                #expect(abs(committed / 1_000 - Date().timeIntervalSince1970) < 60)
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
    }
}

/// Lets frames through only once the test opens it (idle before): a doorway nobody steps into yet.
final class ShotGate: Sendable {
    private let opened = Mutex(false)
    func open() { opened.withLock { $0 = true } }
    var isOpen: Bool { opened.withLock { $0 } }
}

struct GatedCamera: FrameSource {
    var inner: ThenIdle
    let gate: ShotGate
    init(_ inner: ThenIdle, gate: ShotGate) {
        self.inner = inner
        self.gate = gate
    }

    mutating func nextFrame() throws(FrameSourceError) -> Frame? { try inner.nextFrame() }

    mutating func nextFrame(waitingAtMost timeout: Duration) throws(FrameSourceError) -> FrameWait {
        guard gate.isOpen else {
            Thread.sleep(forTimeInterval: min(timeout.inSeconds, 0.05))
            return .idle
        }
        return try inner.nextFrame(waitingAtMost: timeout)
    }
}
