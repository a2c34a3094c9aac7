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

            // The door sticks once, on Kim's first entry: that grant is annulled and Kim scans again.
            let stuck = folder.appendingPathComponent("door-stuck").path
            let hook = "[ \"$KIOSK_PASS\" = \(kim.ticketID.uuidString.lowercased()) ] && [ ! -e \(stuck) ] && : >\(stuck) && exit 1; exit 0"
            let script = [
                "Kim\tpaper\t\(kim.token)", "Kim again\tpaper\t\(kim.token)", "Park\ttilted-phone\t\(park.token)", "Kim leaving\tpaper\t\(kim.token)",
                "Choi\tphone\t\(choi.token)", "forged\tpaper\tforged", "tampered\tphone\ttampered:\(park.token)",
                "Park leaving\ttilted-phone\t\(park.token)", "Park back\ttilted-phone\t\(park.token)",
            ].joined(separator: "\n")
            let scriptPath = folder.appendingPathComponent("customers.tsv").path
            try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            let demo = try await Kioskd.run(["demo", "--script", scriptPath, "--state-dir", state, "--size", "480x360",
                                             "--shot-frames", "4", "--gap-frames", "3", "--budget", "1000", "--door-hook", hook,
                                             "--screen", "127.0.0.1:0"])
            #expect(demo.status == 0, "\(demo.stderr)")
            let verdicts = demo.stdout.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: #"frame \d+: "#, options: .regularExpression) else { return nil }
                return line[range.upperBound...].split(separator: " ").first.map(String.init)
            }
            #expect(verdicts == ["ENTER", "ENTER", "ENTER", "EXIT", "DENY", "DENY", "DENY", "EXIT", "DENY"], "\(demo.stdout)")
            #expect(demo.lines.filter { $0.contains("the door stayed shut (door hook exit 1): enter annulled") }.count == 1, "\(demo.stdout)")
            #expect(demo.stdout.contains("the customer's screen is on http://127.0.0.1:"), "\(demo.stdout)")
            #expect(demo.lines.filter { $0.contains("door opened (door hook exit 0)") }.count == 4, "Kim again, Park, Kim leaving, Park leaving")
            for reason in ["refunded", "unknown_key", "invalid_signature", "expired", "(server)"] {
                #expect(demo.stdout.contains(reason), "\(reason) missing: \(demo.stdout)")
            }
            // The server recorded every decision, and the annul (uploaded by the demo's last sync).
            #expect(try await cafe.recordedEvents().count == 10)

            // The counter sales came down as print jobs: printed once to a file, each receipt's QR
            // reads back as its pass, and the next sync acknowledges them to the server.
            let receipts = folder.appendingPathComponent("receipts.escpos").path
            let printed = try await Kioskd.run(["print", "--state-dir", state, "--config", "/nonexistent/kioskd.toml",
                                                "--output", receipts, "--verify"])
            #expect(printed.status == 0, "\(printed.stderr)")
            let printedLines = printed.lines.filter { $0.hasPrefix("printed ") }
            #expect(printedLines.count == 2, "Kim's and Park's; Choi's pass was refunded: \(printed.stdout)")
            #expect(printed.stdout.contains("not printed: "), "\(printed.stdout)")
            let readBack = printed.lines.filter { $0.contains("its QR code reads back as pass ") }
            #expect(readBack.count == printedLines.count, "\(printed.stdout)")
            for sale in [kim, park] { #expect(printed.stdout.contains(sale.token) == false, "the token itself is not printed as text") }
            let again = try await Kioskd.run(["print", "--state-dir", state, "--config", "/nonexistent/kioskd.toml", "--output", receipts])
            #expect(again.stdout.contains("nothing to print"), "printed once: \(again.stdout)")
            let synced = try await Kioskd.run(["sync", "--state-dir", state])
            #expect(synced.status == 0, "\(synced.stderr)")
            let status = try await Kioskd.run(["status", "--state-dir", state])
            #expect(status.stdout.contains("print jobs  0 waiting"), "\(status.stdout)")
        }
    }
}

/// `scripts/demo`'s offline half: a real `cafe-server` process frozen with SIGSTOP in the middle
/// of the customers and thawed again. The frozen part is decided offline within the deadline,
/// the thaw uploads it, and nothing is left behind.
@Suite("The demo's offline path against a cafe-server process")
struct DemoOfflinePathTests {
    static let cafeServer = Kioskd.executable.deletingLastPathComponent().appendingPathComponent("cafe-server")

    /// Runs a `cafe-server` command with the demo's environment and returns its stdout and stderr.
    static func admin(_ arguments: [String], environment: [String: String], stdin: String? = nil) throws -> (out: String, err: String) {
        let process = Process()
        process.executableURL = cafeServer
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let output = out.fileHandleForReading.readDataToEndOfFile(), errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(3))) func customersWhileTheServerIsFrozenAreDecidedOfflineAndUploadedAfter() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-offdemo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = ["CAFE_DATABASE": folder.appendingPathComponent("cafe.sqlite").path, "CAFE_BCRYPT_COST": "4"]
        _ = try Self.admin(["admin", "create-owner", "--login", "owner", "--password-stdin"], environment: environment, stdin: "correct horse battery")
        _ = try Self.admin(["admin", "create-store", "--id", "1", "--name", "Demo", "--owner", "owner", "--seats", "10"], environment: environment)
        let kim = try Self.admin(["admin", "counter-sale", "--store", "1", "--product", "period-14", "--holder", "Kim"], environment: environment).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let lee = try Self.admin(["admin", "counter-sale", "--store", "1", "--product", "time-10h", "--holder", "Lee"], environment: environment).out
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let code = try Self.admin(["admin", "enrollment-code", "--store", "1"], environment: environment).out.trimmingCharacters(in: .whitespacesAndNewlines)

        let server = Process()
        server.executableURL = Self.cafeServer
        server.arguments = ["serve", "--port", "0", "--log-level", "warning"]
        server.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let serverOut = Pipe()
        server.standardOutput = serverOut
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            kill(server.processIdentifier, SIGCONT)
            server.terminate()
            server.waitUntilExit()
        }
        // "cafe-server listening on http://127.0.0.1:PORT"
        let url: String = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var text = ""
                while !text.contains("\n") {
                    let chunk = serverOut.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    text += String(decoding: chunk, as: UTF8.self)
                }
                continuation.resume(returning: text.components(separatedBy: "listening on ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
            }
        }
        let state = folder.appendingPathComponent("kiosk").path
        let enrolled = try await Kioskd.run(["enroll", "--server", url, "--code", code, "--state-dir", state])
        #expect(enrolled.status == 0, "\(enrolled.stderr)")

        let script = [
            "Kim\tpaper\t\(kim)", "#server\tstop", "Lee\tdark-phone\t\(lee)", "Kim leaving\tpaper\t\(kim)",
            "#server\tstart", "Lee leaving\tdark-phone\t\(lee)",
        ].joined(separator: "\n")
        let scriptPath = folder.appendingPathComponent("customers.tsv").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let demo = try await Kioskd.run(["demo", "--script", scriptPath, "--server-pid", "\(server.processIdentifier)", "--state-dir", state,
                                         "--size", "480x360", "--shot-frames", "4", "--gap-frames", "3", "--budget", "1000",
                                         // A thawed server answers in milliseconds; the full suite can starve it past 300.
                                         "--deadline", "1500"])
        #expect(demo.status == 0, "\(demo.stderr)")
        let verdicts = demo.stdout.split(separator: "\n").filter { $0.contains(" frame ") }.map(String.init)
        #expect(verdicts.count == 4, "\(demo.stdout)")
        #expect(verdicts.map { $0.hasSuffix("(server)") } == [true, false, false, true], "frozen: offline; thawed: online again\n\(demo.stdout)")
        #expect(verdicts.map { $0.contains("ENTER") } == [true, true, false, false], "\(demo.stdout)")
        #expect(demo.stdout.contains("it has all 2 offline decision(s) after one sync"), "\(demo.stdout)")
        #expect(demo.stdout.contains("outbox now 0"), "\(demo.stdout)")
    }
}
