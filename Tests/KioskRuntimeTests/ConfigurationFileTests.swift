import Foundation
import KioskCore
import Logging
import Testing
@testable import KioskRuntime

@Suite struct ConfigurationFileTests {
    @Test func aFullFileIsRead() throws {
        let text = """
            # the entrance box
            [server]
            url = "https://cafe.example.com"
            deadline_ms = 250
            sync_interval_s = 15

            [camera]
            stream = "/run/kioskd/camera.fifo"
            format = "gray"
            size = "640x480"

            [door]
            repeat_window_s = 3
            debounce_frames = 20
            budget_ms = 9.5

            [log]
            level = "debug"

            [metrics]
            listen = "127.0.0.1:9500"
            """
        let configuration = try ConfigurationFile.parse(text, path: "kioskd.toml")
        #expect(configuration.serverURL == "https://cafe.example.com")
        #expect(configuration.deadline == .milliseconds(250))
        #expect(configuration.syncInterval == .seconds(15))
        #expect(configuration.cameraStream == "/run/kioskd/camera.fifo")
        #expect(configuration.cameraFormat == .gray)
        #expect(configuration.cameraSize == .init(width: 640, height: 480))
        #expect(configuration.repeatWindowSeconds == 3)
        #expect(configuration.debounceFrames == 20)
        #expect(configuration.decodingBudgetMilliseconds == 9.5)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.metricsEnabled && configuration.metricsHost == "127.0.0.1" && configuration.metricsPort == 9500)
    }

    @Test func anEmptyOrMissingFileIsTheDefaults() throws {
        #expect(try ConfigurationFile.parse("", path: "k.toml") == KioskConfiguration())
        #expect(try ConfigurationFile.load(path: "/nonexistent/kioskd.toml") == KioskConfiguration())
        #expect(throws: ConfigurationError.self) { try ConfigurationFile.load(path: "/nonexistent/kioskd.toml", mustExist: true) }
    }

    /// Each mistake names the file, the line and the key, and says what was expected.
    @Test(arguments: [
        ("[server]\ndeadline_ms = \"fast\"\n", 2, "server.deadline_ms", "expected an integer, got the string \"fast\""),
        ("[server]\n\ndeadline_ms = 9\n", 3, "server.deadline_ms", "must be 10…5000, got 9"),
        ("[server]\ndeadline = 300\n", 2, "server.deadline", "unknown key"),
        ("[log]\nlevel = \"loud\"\n", 2, "log.level", "expected one of trace"),
        ("# comment\n[camra]\nformat = \"gray\"\n", 2, "camra", "unknown section"),
        ("[camera]\nformat = \"h264\"\n", 2, "camera.format", "expected one of gray, yuyv, mjpeg"),
        ("[camera]\nstream = \"/dev/fifo\"\nformat = \"gray\"\n", 3, "camera.size", "required for a gray stream"),
        ("[metrics]\nenabled = \"yes\"\n", 2, "metrics.enabled", "expected true or false"),
        ("[metrics]\nlisten = \"9464\"\n", 2, "metrics.listen", "expected HOST:PORT"),
        ("[server]\nurl = \"ftp://x\"\n", 2, "server.url", "expected an http:// or https:// URL"),
        ("[door]\nrepeat_window_s = -1\n", 2, "door.repeat_window_s", "must be 0.0…600.0"),
        ("server.deadline_ms = true\n", 1, "server.deadline_ms", "expected an integer, got true"),
        ("[screen]\nlanguage = \"jp\"\n", 2, "screen.language", "expected \"ko\" or \"en\""),
        ("[screen]\nlisten = \"8080\"\n", 2, "screen.listen", "expected HOST:PORT"),
        ("[screen]\nshow_ms = 100\n", 2, "screen.show_ms", "must be 500…60000"),
    ] as [(String, Int, String, String)])
    func mistakesSayWhereAndWhat(text: String, line: Int, key: String, message: String) {
        do {
            _ = try ConfigurationFile.parse(text, path: "/etc/kioskd/kioskd.toml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.key == key, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.description.hasPrefix("/etc/kioskd/kioskd.toml:\(line): \(key): "), "\(error)")
        }
    }

    @Test func syntaxErrorsCarryTheParsersLine() {
        do {
            _ = try ConfigurationFile.parse("[server]\nurl = \"https://a\"\ndeadline_ms = = 3\n", path: "k.toml")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 3, "\(error)")
            #expect(error.message.hasPrefix("not valid TOML"), "\(error)")
        }
    }

    /// The annotated example shipped with the package is itself a valid file.
    @Test func theShippedExampleIsValid() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd/kioskd.toml.example").path
        let configuration = try ConfigurationFile.load(path: example, mustExist: true)
        #expect(configuration.cameraDevice == "/dev/video0")
        #expect(configuration.cameraMode == CameraMode(format: .mjpeg, width: 1280, height: 720, fps: 30))
        #expect(configuration.cameraStream == nil)
    }

    @Test func theCameraDeviceAndTheDoorsNewKeysAreRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("""
            [camera]
            device = "/dev/video2"
            format = "yuyv"
            size = "640x480"
            fps = 15
            [door]
            scene_gate = false
            legacy_charset = "shift-jis"
            hook = "/usr/local/bin/open-door --pulse 300"
            hook_timeout_ms = 500
            """.utf8).write(to: URL(fileURLWithPath: path))
        let configuration = try ConfigurationFile.load(path: path, mustExist: true)
        #expect(configuration.cameraMode == CameraMode(format: .yuyv, width: 640, height: 480, fps: 15))
        #expect(configuration.cameraDevice == "/dev/video2")
        #expect(configuration.gateEnabled == false)
        #expect(configuration.legacyCharset == .shiftJIS)
        #expect(configuration.doorHook == "/usr/local/bin/open-door --pulse 300")
        #expect(configuration.doorHookTimeout == .milliseconds(500))
        try Data("[door]\nlegacy_charset = \"big5\"\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try ConfigurationFile.load(path: path, mustExist: true)
        } throws: { error in
            "\(error)".contains(":2: door.legacy_charset: expected euc-kr or shift-jis, got \"big5\"")
        }
    }
}
