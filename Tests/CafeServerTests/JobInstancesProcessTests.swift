import CafeProtocol
import CafeServer
import CafeServerTesting
import Foundation
import Logging
import SQLKit
import Testing

/// Real `cafe-server` processes on one PostgreSQL, running their scheduled jobs: one is killed
/// with SIGKILL in the middle of a run of auto-exits, two more then run together. Every holder
/// is exited exactly once — nothing twice, nothing skipped.
@Suite("Scheduled jobs in several cafe-server processes on one PostgreSQL")
struct JobInstancesProcessTests {
    static let cafeServer: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cafe-server")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/cafe-server")
    }()

    /// One `cafe-server serve` with its jobs every 0.1 s; its log lines go to a file.
    final class ServerProcess: @unchecked Sendable {   // set up once, then read-only (the Process is thread-safe to signal)
        let process = Process()
        let log: URL
        private(set) var url = ""

        init(database: String, log: URL, extra: [String] = []) throws {
            self.log = log
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = JobInstancesProcessTests.cafeServer
            process.arguments = ["serve", "--port", "0", "--jobs-interval", "0.1", "--log-level", "info"] + extra
            process.environment = ProcessInfo.processInfo.environment.merging(["CAFE_DATABASE": database, "CAFE_BCRYPT_COST": "4"]) { $1 }
            process.standardError = try FileHandle(forWritingTo: log)
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            url = try Self.waitForURL(out)
        }

        /// "cafe-server listening on http://127.0.0.1:PORT", read on a thread of its own.
        private static func waitForURL(_ pipe: Pipe) throws -> String {
            var text = ""
            let deadline = Date().addingTimeInterval(60)
            while !text.contains("\n"), Date() < deadline {
                let chunk = pipe.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            guard let url = text.components(separatedBy: "listening on ").last?.trimmingCharacters(in: .whitespacesAndNewlines), url.hasPrefix("http") else {
                throw TestCafeError("cafe-server did not start: \(text)")
            }
            return url
        }

        /// How many exits this process logged as done.
        var exitsLogged: Int {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains("auto-exit") && $0.contains("exit.reason") }.count
        }

        func kill9() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    static func started(database: String, log: URL, extra: [String] = []) async throws -> ServerProcess {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do { continuation.resume(returning: try ServerProcess(database: database, log: log, extra: extra)) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    static func inside(_ database: ServerDatabase) async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM tickets WHERE inside = 1").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aKilledInstanceAndTwoTogetherExitEachHolderOnce() async throws {
        guard let postgres = TestBackend.postgresURL else {
            // CI always has it (TestBackend.available fails without it there); a laptop may not.
            _ = TestBackend.available
            return
        }
        var logger = Logger(label: "jobs-process-test")
        logger.logLevel = .critical
        let quiet = logger
        let schema = "p_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try await ServerDatabase.open(.postgres(url: postgres), logger: quiet)
        try await admin.withService { try await admin.execute("CREATE SCHEMA \(schema)") }
        let location = postgres + (postgres.contains("?") ? "&" : "?") + "search_path=\(schema)"
        let database = try await ServerDatabase.open(.postgres(url: location), logger: quiet)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cafe-jobs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        try await database.withService {
            try await CafeServerSetup.migrate(database)
            var configuration = ServerConfiguration()
            configuration.bcryptCost = 4
            let tasks = AdminTasks(database: database, configuration: configuration, logger: quiet)
            _ = try await tasks.createOwner(login: "owner", password: "owner-password", displayName: "Owner")
            _ = try await tasks.createStore(StoreSettings(storeID: 1, name: "Chain", timeZone: "Asia/Seoul", closedHours: nil, seats: 400), ownerLogin: "owner")
            let count = 300
            var passes: [UUID] = []
            for _ in 0..<count { passes.append(try await tasks.counterSale(store: 1, productCode: "time-1h", holderName: nil).ticketID) }
            let code = try await tasks.enrollmentCode(store: 1).code

            let first = try await Self.started(database: location, log: folder.appendingPathComponent("a.log"))
            defer { first.stop() }
            let enrolled = try await TestHTTP.call("POST", first.url + KioskAPI.enrollPath, json: ["code": code, "device_name": "door"])
            let device = try #require(enrolled.object["device_token"] as? String, "\(enrolled)")
            // Everyone entered 65 minutes ago (decided offline, uploaded now): their hour is up.
            let entered = Date().addingTimeInterval(-65 * 60)
            let events = passes.map { KioskEvent(eventID: UUID(), passID: $0, verdict: .enter, occurredAt: entered, decidedOffline: true, minutesCharged: nil) }
            let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: events)), as: UTF8.self)
            let upload = try await TestHTTP.call("POST", first.url + KioskAPI.eventsPath, headers: ["Authorization": "Device \(device)"], rawBody: body)
            #expect(upload.status == 200, "\(upload)")

            // Kill the first instance in the middle of its run: once it has exited a few people.
            let start = Date()
            while try await Self.inside(database) > count - 20, Date().timeIntervalSince(start) < 30 { try await Task.sleep(for: .milliseconds(2)) }
            first.kill9()
            let doneByFirst = count - (try await Self.inside(database))
            #expect(doneByFirst > 0 && doneByFirst < count, "the first instance never ran its jobs, or finished before the kill: \(doneByFirst)")

            // Two more instances together finish the rest.
            async let second = Self.started(database: location, log: folder.appendingPathComponent("b.log"))
            async let third = Self.started(database: location, log: folder.appendingPathComponent("c.log"))
            let (b, c) = try await (second, third)
            defer { b.stop(); c.stop() }
            let finish = Date()
            while try await Self.inside(database) > 0, Date().timeIntervalSince(finish) < 60 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(try await Self.inside(database) == 0, "nothing skipped")

            struct Row: Decodable { var ticketId: String; var minutesCharged: Int64? }
            let exits = try await database.read { db in
                try await db.raw("""
                    SELECT ticket_id, minutes_charged FROM check_in_events
                    WHERE verdict = 'exit' AND device_id IN (SELECT id FROM devices WHERE kind = 'server')
                    """).all(decoding: Row.self, keyDecodingStrategy: .convertFromSnakeCase)
            }
            #expect(exits.count == count, "one exit per holder, however the work was split")
            #expect(Set(exits.map(\.ticketId)).count == count)
            #expect(exits.allSatisfy { $0.minutesCharged == 60 }, "each charged the hour it had, once")
            // What the two survivors logged as done is exactly what was left after the kill.
            #expect(b.exitsLogged + c.exitsLogged == count - doneByFirst,
                    "first \(doneByFirst) (killed), then \(b.exitsLogged) + \(c.exitsLogged)")
            print("auto-exit across instances: \(doneByFirst) by the killed one, then \(b.exitsLogged) and \(c.exitsLogged) by two together")
        }
        await database.close()
    }
}
