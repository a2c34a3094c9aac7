import CafeServerTesting
import Foundation
import Testing

/// What `systemd/cafe-server.service` gives the process, tried on the real binary. The cause of
/// libdispatch's "Failed to set thread priority for worker thread: … errno=13" at start: its
/// timer manager thread (used by every `Task.sleep`) starts at user-interactive QoS, which
/// Dispatch maps to nice -4; an unprivileged process may not lower its nice below what
/// RLIMIT_NICE allows (0 by default), so setpriority() fails with EACCES. Started as `nobody`
/// the line appears; with the unit's `LimitNICE` (RLIMIT_NICE 24: down to -4) it does not.
/// Needs root to drop to `nobody`, and CAP_SYS_RESOURCE to raise the limit (a container without
/// it checks the cause only: systemd sets such a limit as close as it can, and a real box can).
@Suite("cafe-server's systemd unit")
struct ServiceUnitTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The unit's `LimitNICE=-4` as the raw RLIMIT_NICE value prlimit takes (20 − nice).
    static func unitNiceLimit() throws -> Int {
        let unit = try String(contentsOf: root.appendingPathComponent("systemd/cafe-server.service"), encoding: .utf8)
        guard let line = unit.split(separator: "\n").first(where: { $0.hasPrefix("LimitNICE=") }),
              let nice = Int(line.dropFirst("LimitNICE=".count)) else { throw CocoaError(.fileReadCorruptFile) }
        return 20 - nice
    }

    /// Runs `cafe-server serve` as nobody for two seconds; returns its stderr.
    static func serveAsNobody(niceLimit: Int?) async throws -> String {
        var prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        if let niceLimit { prefix = ["prlimit", "--nice=\(niceLimit)"] + prefix }
        return try await serve(prefix: prefix, environment: ["LIBDISPATCH_LOG=stderr"])
    }

    /// `cafe-server serve` on a fresh SQLite file for two seconds, after `prefix` (a wrapper
    /// command) with `environment`; returns its stderr.
    static func serve(prefix: [String] = [], environment: [String]) async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cafe-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(at: folder) }
        let command = ["2"] + prefix + ["env"] + environment + ["CAFE_DATABASE=\(folder.path)/cafe.sqlite",
                       JobInstancesProcessTests.cafeServer.path, "serve", "--port", "0", "--jobs-interval", "0"]
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
                    process.arguments = command
                    let err = Pipe()
                    process.standardError = err
                    process.standardOutput = FileHandle.nullDevice
                    try process.run()
                    let errors = err.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: String(decoding: errors, as: UTF8.self))
                } catch { continuation.resume(throwing: error) }
            }
        }
    }

    @Test func metricsAreServedOnTheirOwnListenerOnly() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cafe-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try await JobInstancesProcessTests.started(database: folder.appendingPathComponent("cafe.sqlite").path,
                                                                 log: folder.appendingPathComponent("serve.log"),
                                                                 extra: ["--metrics-listen", "127.0.0.1:0"])
        defer { server.stop() }
        #expect(try await TestHTTP.call("GET", server.url + "/health").status == 200)
        #expect(try await TestHTTP.call("GET", server.url + "/metrics").status == 404, "not on the API")
        var metricsURL: String?
        for _ in 0..<100 where metricsURL == nil {
            let log = (try? String(contentsOf: server.log, encoding: .utf8)) ?? ""
            metricsURL = log.components(separatedBy: "metrics on ").dropFirst().first?.split(separator: "\n").first.map(String.init)
            if metricsURL == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let url = try #require(metricsURL, "the metrics listener's address is logged")
        let metrics = try await TestHTTP.call("GET", url)
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(String(decoding: metrics.body, as: UTF8.self).contains("hb_requests"), "the API's request count, scraped here")
    }

    @Test func underSystemdItLogsInJournaldsForm() async throws {
        let journal = try await Self.serve(environment: ["JOURNAL_STREAM=8:12345"]).split(separator: "\n").map(String.init)
        #expect(journal.contains { $0.hasPrefix("<6>") && $0.contains("database ready") }, "\(journal)")
        #expect(journal.contains { $0.hasPrefix("<5>") && $0.contains("no payment gateway configured") }, "notice is priority 5: \(journal)")
        #expect(journal.allSatisfy { $0.range(of: #"^<[0-7]>"#, options: .regularExpression) != nil }, "every line has its priority: \(journal)")
        #expect(journal.allSatisfy { !$0.contains("T") || $0.range(of: #"\d{4}-\d{2}-\d{2}T"#, options: .regularExpression) == nil }, "no timestamps of its own")
        let console = try await Self.serve(environment: []).split(separator: "\n").map(String.init)
        #expect(console.contains { $0.range(of: #"^\d{4}-\d{2}-\d{2}T.* info cafe-server: database ready"#, options: .regularExpression) != nil }, "\(console)")
    }

    @Test func theUnitsNiceLimitLetsDispatchSetItsThreadPriorities() async throws {
        guard getuid() == 0 else { return }
        let limit = try Self.unitNiceLimit()
        #expect(limit == 24, "LimitNICE=-4")
        let without = try await Self.serveAsNobody(niceLimit: nil)
        #expect(without.contains("listening on") || without.contains("database ready"), "the server started: \(without)")
        #expect(without.contains("Failed to set thread priority"), "the cause is still there without the limit: \(without)")
        let with = try await Self.serveAsNobody(niceLimit: limit)
        if with.contains("failed to set the NICE resource limit") {
            print("cafe-server unit: this machine cannot raise RLIMIT_NICE (no CAP_SYS_RESOURCE); checked the cause only")
            return
        }
        #expect(with.contains("database ready"), "\(with)")
        #expect(!with.contains("Failed to set thread priority"), "\(with)")
    }
}
