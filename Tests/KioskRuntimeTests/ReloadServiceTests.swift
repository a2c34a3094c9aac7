import Foundation
import KioskCore
import Logging
import Testing
@testable import KioskRuntime

@Suite struct ReloadServiceTests {
    @Test func sighupAppliesTheNewFileAndRefusesABadOne() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-reload-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let deadline = LiveSetting(Duration.milliseconds(300))
        let level = LiveSetting(Logger.Level.info)
        let current = LiveSetting(KioskConfiguration().reloadable)
        let service = ReloadService(path: path, current: current, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })) {
            deadline.value = $0.deadline
            level.value = $0.logLevel
        }
        try "[server]\ndeadline_ms = 150\n[log]\nlevel = \"debug\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        service.reload()
        #expect(deadline.value == .milliseconds(150))
        #expect(level.value == .debug)
        #expect(current.value.deadline == .milliseconds(150))

        try "[server]\ndeadline_ms = \"slow\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        service.reload()
        #expect(deadline.value == .milliseconds(150), "a bad file leaves the running settings")
        #expect(level.value == .debug)
    }
}
