import Foundation
import KioskCore
import Logging
import Synchronization
import Testing
@testable import KioskRuntime

@Suite struct KioskLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    func logger(_ form: KioskLogHandler.Form, level: LiveSetting<Logger.Level>, into lines: Lines) -> Logger {
        Logger(label: "kioskd") { label in
            KioskLogHandler(label: label, level: level, form: form) { line in lines.lines.withLock { $0.append(line) } }
        }
    }

    @Test func journalLinesCarryTheirPriorityAndNoTimestamp() {
        let lines = Lines()
        let log = logger(.journal, level: LiveSetting(.info), into: lines)
        log.info("check-in", metadata: ["scan.verdict": "enter", "scan.ms": "3.1"])
        log.warning("sync failed, retrying", metadata: ["sync.error": "server unreachable: refused"])
        log.error("two\nlines")
        log.critical("x")
        log.debug("not shown at info")
        #expect(lines.all == [
            "<6>check-in scan.ms=3.1 scan.verdict=enter\n",
            "<4>sync failed, retrying sync.error=\"server unreachable: refused\"\n",
            "<3>two ⏎ lines\n",
            "<2>x\n",
        ])
    }

    @Test func consoleLinesHaveATimeAndTheLevel() throws {
        let lines = Lines()
        logger(.console, level: LiveSetting(.info), into: lines).notice("kioskd ready")
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix(" notice kioskd: kioskd ready\n"))
        #expect(line.hasPrefix("20"), "starts with an ISO 8601 time")
    }

    @Test func theLiveLevelChangesEveryLogger() {
        let lines = Lines()
        let level = LiveSetting(Logger.Level.warning)
        let log = logger(.journal, level: level, into: lines)
        log.info("hidden")
        level.value = .debug
        log.debug("shown")
        #expect(lines.all == ["<7>shown\n"])
    }

    @Test func journalFormOnlyUnderJournald() {
        #expect(KioskLogHandler.form(environment: ["JOURNAL_STREAM": "8:12345"]) == .journal)
        #expect(KioskLogHandler.form(environment: [:]) == .console)
    }
}
