import CafeServerTesting
import Foundation
import Testing

/// What `scripts/demo` runs, with the debug binaries: passes sold at a real server's counter,
/// `kioskd enroll`, then `kioskd demo --script` — the synthetic camera through the door with
/// online verdicts.
@Suite("The live demo against a real server")
struct LiveDemoTests {
    @Test func theScriptedDoorGetsTheServersVerdicts() async throws {
        try await TestCafe.run(realClock: true) { cafe in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-livedemo-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let state = folder.appendingPathComponent("kiosk").path
            let kim = try await cafe.counterSale("period-14", holder: "Kim")
            let park = try await cafe.counterSale("day", holder: "Park")
            let choi = try await cafe.counterSale("period-7", holder: "Choi")
            _ = try await cafe.call("POST", "/stores/1/tickets/\(choi.ticketID)/refund", bearer: cafe.ownerToken)
            let code = try await cafe.enrollmentCode()
            let enrolled = try await Kioskd.run(["enroll", "--server", cafe.baseURL, "--code", code, "--state-dir", state])
            #expect(enrolled.status == 0, "\(enrolled.stderr)")

            let script = [
                "Kim\tpaper\t\(kim.token)", "Park\ttilted-phone\t\(park.token)", "Kim leaving\tpaper\t\(kim.token)",
                "Choi\tphone\t\(choi.token)", "forged\tpaper\tforged", "tampered\tphone\ttampered:\(park.token)",
                "Park leaving\ttilted-phone\t\(park.token)", "Park back\ttilted-phone\t\(park.token)",
            ].joined(separator: "\n")
            let scriptPath = folder.appendingPathComponent("customers.tsv").path
            try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            let demo = try await Kioskd.run(["demo", "--script", scriptPath, "--state-dir", state, "--size", "480x360",
                                             "--shot-frames", "4", "--gap-frames", "3", "--budget", "1000"])
            #expect(demo.status == 0, "\(demo.stderr)")
            let verdicts = demo.stdout.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: #"frame \d+: "#, options: .regularExpression) else { return nil }
                return line[range.upperBound...].split(separator: " ").first.map(String.init)
            }
            #expect(verdicts == ["ENTER", "ENTER", "EXIT", "DENY", "DENY", "DENY", "EXIT", "DENY"], "\(demo.stdout)")
            for reason in ["refunded", "unknown_key", "invalid_signature", "expired", "(server)"] {
                #expect(demo.stdout.contains(reason), "\(reason) missing: \(demo.stdout)")
            }
            // The server recorded every decision as it made it.
            #expect(try await cafe.recordedEvents().count == 8)
        }
    }
}
