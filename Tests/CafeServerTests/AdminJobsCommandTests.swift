import CafeProtocol
import CafeServer
import CafeServerTesting
import Foundation
import Testing

/// `cafe-server admin run-jobs` and `admin refund-quote`, the binary on a live server's SQLite file.
@Suite("cafe-server admin run-jobs and refund-quote")
struct AdminJobsCommandTests {
    static func admin(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let process = Process()
                    process.executableURL = JobInstancesProcessTests.cafeServer
                    process.arguments = ["admin"] + arguments
                    let out = Pipe(), err = Pipe()
                    process.standardOutput = out
                    process.standardError = err
                    try process.run()
                    let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self)))
                } catch { continuation.resume(throwing: error) }
            }
        }
    }

    @Test func runJobsPrintsTheExitsAndRefundQuoteTheTerms() async throws {
        try await TestCafe.run { cafe in
            guard case .sqlite(let path) = cafe.location else { throw TestCafeError("expected SQLite") }
            let device = try await KioskContractTests.enroll(cafe)
            let hour = try await cafe.counterSale("time-1h", holder: "Yoon")
            try await AutoExitTests.enter(cafe, device: device.token, token: hour.token)
            let later = cafe.clock.now.addingTimeInterval(70 * 60).formatted(.iso8601)
            let database = ["--database", "sqlite:\(path)", "--log-level", "error"]

            let ran = try await Self.admin(["run-jobs", "--now", later] + database)
            #expect(ran.status == 0, "\(ran.err)")
            #expect(ran.out.contains("auto-exit: Yoon at "), "\(ran.out)")
            #expect(ran.out.contains("(minutes_used_up, 60 min charged)"), "\(ran.out)")
            #expect(ran.out.hasSuffix("1 auto-exit(s), 0 time warning(s), 0 pass(es) archived\n"), "\(ran.out)")
            #expect(try await cafe.ticketState(hour.ticketID).inside == false)
            #expect(try await Self.admin(["run-jobs", "--now", later] + database).out == "0 auto-exit(s), 0 time warning(s), 0 pass(es) archived\n", "nothing twice")
            let bad = try await Self.admin(["run-jobs", "--now", "tomorrow"] + database)
            #expect(bad.status != 0)
            #expect(bad.err.contains("--now takes"), "\(bad.err)")

            let week = try await cafe.counterSale("period-7", holder: "Jang")
            let quote = try await Self.admin(["refund-quote", "--store", "1", week.ticketID.uuidString] + database)
            #expect(quote.status == 0, "\(quote.err)")
            #expect(quote.out.contains("not used yet: everything back"), "\(quote.out)")
            #expect(quote.out.contains("= ₩15,000 back"), "\(quote.out)")
            #expect(quote.out.contains("basis: 학원법 시행령 별표 4"), "\(quote.out)")
            #expect(try await cafe.ticketState(week.ticketID).status == "valid", "a quote changes nothing")
        }
    }
}
