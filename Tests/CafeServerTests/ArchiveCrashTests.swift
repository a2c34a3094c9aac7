import CafeProtocol
@testable import CafeServer
import CafeServerTesting
import Foundation
import Logging
import SQLKit
import Testing

/// The nightly archive killed with SIGKILL part-way: a real `cafe-server admin run-jobs --archive`
/// over thousands of finished passes, killed once some batches have committed. Every pass is then
/// in exactly one of the hot table and the archive, with its registry mark and its tombstone when
/// archived; the next run moves exactly the rest.
@Suite("Archive: a run killed part-way loses and doubles nothing")
struct ArchiveCrashTests {
    static let count = ArchiveJob.batchSize * 30

    /// What the archive's tables hold, and whether they agree with each other.
    struct Tally: Equatable, CustomStringConvertible {
        var hot: Int, archived: Int, inBoth: Int, marked: Int, tombstones: Int, revisions: Int
        var description: String {
            "hot \(hot), archived \(archived), in both \(inBoth), marked \(marked), tombstones \(tombstones) (\(revisions) revisions)"
        }
    }

    static func tally(_ database: ServerDatabase) async throws -> Tally {
        try await database.read { db in
            func count(_ sql: String) async throws -> Int {
                try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: sql)").first()?.decode(column: "n", as: Int.self) ?? -1
            }
            return Tally(hot: try await count("tickets"), archived: try await count("ticket_archive"),
                         inBoth: try await count("tickets t JOIN ticket_archive a ON a.id = t.id"),
                         marked: try await count("ticket_ids WHERE archived_at IS NOT NULL"),
                         tombstones: try await count("ticket_tombstones"),
                         revisions: try await count("(SELECT DISTINCT revision FROM ticket_tombstones) r"))
        }
    }

    /// Whether a batch has committed: the cheapest read, so the kill comes soon after it.
    static func anyArchived(_ database: ServerDatabase) async throws -> Bool {
        try await database.read { db in try await db.raw("SELECT id FROM ticket_archive LIMIT 1").first() != nil }
    }

    /// `cafe-server admin run-jobs --archive` on that database, its output collected.
    static func archiveRun(_ location: DatabaseLocation) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = JobInstancesProcessTests.cafeServer
        process.arguments = ["admin", "run-jobs", "--archive", "--log-level", "error"]
        let database: String
        switch location {
        case .sqlite(let path): database = path
        case .postgres(let url): database = url
        case .sqliteInMemory: throw TestCafeError("a process cannot share an in-memory database")
        }
        process.environment = ProcessInfo.processInfo.environment.merging(["CAFE_DATABASE": database]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }

    @Test(.timeLimit(.minutes(3)), arguments: TestBackend.available)
    func aKilledRunLeavesWholeBatchesAndTheNextMovesTheRest(backend: TestBackend) async throws {
        var logger = Logger(label: "archive-crash-test")
        logger.logLevel = .critical
        let quiet = logger
        let location = try await backend.freshLocation(logger: quiet)
        defer { location.removeFiles() }
        let database = try await ServerDatabase.open(location, logger: quiet)
        try await database.withService {
            try await CafeServerSetup.migrate(database)
            let tasks = AdminTasks(database: database, configuration: ServerConfiguration(), logger: quiet)
            _ = try await tasks.createStore(StoreSettings(storeID: 1, name: "Night", timeZone: "Asia/Seoul", closedHours: nil, seats: 40), ownerLogin: nil)
            // Sold 40 days ago: the day passes ended 39 days ago, the others 12 — all finished.
            _ = try await BenchmarkData(database: database).seedTickets(store: 1, count: Self.count, now: Date().addingTimeInterval(-40 * 86_400))
            #expect(try await Self.tally(database) == Tally(hot: Self.count, archived: 0, inBoth: 0, marked: 0, tombstones: 0, revisions: 0))

            // Killed as soon as its first batch is seen committed.
            let run = try Self.archiveRun(location)
            let start = Date()
            while try await !Self.anyArchived(database), run.process.isRunning, Date().timeIntervalSince(start) < 60 {
                try await Task.sleep(for: .milliseconds(1))
            }
            kill(run.process.processIdentifier, SIGKILL)
            run.process.waitUntilExit()
            #expect(run.process.terminationReason == .uncaughtSignal, "the run finished before the kill: the test proves nothing")

            let killed = try await Self.tally(database)
            #expect(killed.archived > 0 && killed.archived < Self.count, "\(killed)")
            #expect(killed.archived % ArchiveJob.batchSize == 0, "whole batches or nothing: \(killed)")
            #expect(killed == Tally(hot: Self.count - killed.archived, archived: killed.archived, inBoth: 0,
                                    marked: killed.archived, tombstones: killed.archived, revisions: killed.archived),
                    "each pass in one table, each archived one marked and tombstoned: \(killed)")

            // The next run moves exactly what was left.
            let again = try Self.archiveRun(location)
            let printed = String(decoding: again.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            again.process.waitUntilExit()
            #expect(again.process.terminationStatus == 0)
            #expect(printed.contains("\(Self.count - killed.archived) pass(es) archived"), "\(printed)")
            #expect(try await Self.tally(database) == Tally(hot: 0, archived: Self.count, inBoth: 0, marked: Self.count,
                                                            tombstones: Self.count, revisions: Self.count))
            print("archive killed after \(killed.archived) of \(Self.count) passes (\(backend)); the next run moved the other \(Self.count - killed.archived)")
        }
        await database.close()
    }
}
