import CafeProtocol
import Foundation
import KioskCore
import KioskTestSupport
import Testing

/// A kiosk whose server has a certificate from a private CA: `kioskd enroll --ca-file` pins that
/// CA, and every later command and the running service use it. Real TLS on loopback: certificates
/// made by `openssl` here, a TLS front (Tests/Fakes/tls_proxy.py, Python's ssl) before the
/// scripted kiosk contract, the kiosk's real libcurl.
@Suite("Pinned CA: enrolment, sync and the service trust the CA given at enrolment, and no other")
struct PinnedCATests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-tls-\(UUID().uuidString)")

    /// `openssl` with these arguments in the test's folder; throws with its output when it fails.
    func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSTestError("openssl \(arguments.joined(separator: " ")): \(text)") }
    }

    /// A CA (NAME.pem, NAME.key), made fresh.
    func makeCA(_ name: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                     "-subj", "/CN=kioskd test \(name)", "-keyout", "\(name).key", "-out", "\(name).pem"])
    }

    /// server.pem / server.key for 127.0.0.1, signed by the CA `ca`.
    func makeServerCertificate(signedBy ca: String) throws {
        try "subjectAltName = IP:127.0.0.1\n".write(to: folder.appendingPathComponent("san.cnf"), atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
                     "-keyout", "server.key", "-out", "server.csr"])
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial",
                     "-days", "2", "-extfile", "san.cnf", "-out", "server.pem"])
    }

    /// The TLS front, started before `upstream`; stopped by `stop()` (or when the test process ends).
    final class TLSFront: @unchecked Sendable {   // set up once, then only signalled
        let process = Process()
        private let input = Pipe()
        let port: Int

        init(certificate: String, key: String, upstream: Int) throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fakes/tls_proxy.py")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, certificate, key, "\(upstream)"]
            let output = Pipe()
            process.standardOutput = output
            process.standardInput = input
            try process.run()
            var line = ""
            while !line.contains("\n") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += String(decoding: chunk, as: UTF8.self)
            }
            guard let port = Int(line.replacingOccurrences(of: "listening on ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TLSTestError("the TLS front did not start: \(line)")
            }
            self.port = port
        }

        var url: String { "https://127.0.0.1:\(port)" }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func theCAGivenAtEnrolmentIsTheOneEveryCommandTrusts() async throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try makeCA("cafe-ca")
        try makeCA("other-ca")
        try makeServerCertificate(signedBy: "cafe-ca")
        let contract = KioskdEnrollSyncTests()
        let upstream = try contract.startServer(KioskdEnrollSyncTests.Switch())
        defer { upstream.stop() }
        let front = try TLSFront(certificate: folder.appendingPathComponent("server.pem").path,
                                 key: folder.appendingPathComponent("server.key").path, upstream: upstream.port)
        defer { front.stop() }
        let state = folder.appendingPathComponent("state").path
        let ca = folder.appendingPathComponent("cafe-ca.pem").path

        // The system's trust store does not know the cafe's CA, and another CA is not it.
        let unpinned = try await Kioskd.run(["enroll", "--state-dir", state, "--server", front.url, "--code", "GOOD-CODE"])
        #expect(unpinned.status == 1)
        #expect(unpinned.stderr.lowercased().contains("certificate"), "\(unpinned.stderr)")
        let wrong = try await Kioskd.run(["enroll", "--state-dir", state, "--server", front.url, "--code", "GOOD-CODE",
                                          "--ca-file", folder.appendingPathComponent("other-ca.pem").path])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.lowercased().contains("certificate"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: StateDirectory(path: state).pinnedCAPath), "nothing pinned by a failed enrolment")
        // A file that is no CA is refused before anything is sent.
        let notPEM = try await Kioskd.run(["enroll", "--state-dir", state, "--server", front.url, "--code", "GOOD-CODE",
                                           "--ca-file", folder.appendingPathComponent("san.cnf").path])
        #expect(notPEM.status == 1)
        #expect(notPEM.stderr.contains("holds no PEM certificate"), "\(notPEM.stderr)")
        for (path, reason) in [("/dev/zero", "not a regular file"), (folder.path, "not a regular file"),
                               (folder.appendingPathComponent("huge.pem").path, "over 1 MiB, too large")] {
            if path.hasSuffix("huge.pem") {
                FileManager.default.createFile(atPath: path, contents: Data(count: StateDirectory.maximumCASize + 1))
            }
            let refused = try await Kioskd.run(["enroll", "--state-dir", state, "--server", front.url, "--code", "GOOD-CODE", "--ca-file", path])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("cannot read the CA file \(path): \(reason)"), "\(refused.stderr)")
        }
        #expect(upstream.requests.isEmpty, "no request reached the server through a refused handshake")

        // Pinned: enrolled, with the first sync, and the CA kept in the state directory.
        let enrolled = try await Kioskd.run(["enroll", "--state-dir", state, "--server", front.url, "--code", "GOOD-CODE", "--ca-file", ca])
        #expect(enrolled.status == 0, "\(enrolled.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state + "/server-ca.pem.tmp"), "no temporary file left")
        #expect(enrolled.stdout.contains("first sync: 1 tickets"), "\(enrolled.stdout)")
        let directory = StateDirectory(path: state)
        let device = try #require(try directory.loadDevice())
        #expect(device.caFile == directory.pinnedCAPath)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.pinnedCAPath)) == Data(contentsOf: URL(fileURLWithPath: ca)))
        let status = try await Kioskd.run(["status", "--state-dir", state])
        #expect(status.stdout.contains("server      \(front.url) (trusting only the CA in \(directory.pinnedCAPath))"), "\(status.stdout)")
        // The admin's file may go; the kiosk keeps its copy.
        try FileManager.default.removeItem(atPath: ca)

        // A later sync trusts the pinned CA (it trusted the system's store before, and failed).
        let sync = try await Kioskd.run(["sync", "--state-dir", state])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains("pulled 1 ticket(s)"), "\(sync.stdout)")

        // And so does the service: its check-in reaches the server over TLS (the scripted server
        // answers 503, so the door then decides offline).
        var image = GrayImage(width: 400, height: 300, fill: 210)
        let code = try QRMatrix(text: try contract.token(signer: contract.signer, passID: contract.passID)).image(moduleSize: 4)
        for y in 0..<code.height { for x in 0..<code.width { image[x + 80, y + 40] = code[x, y] } }
        let before = upstream.requests.filter { $0.path == KioskAPI.checkInsPath }.count
        let run = try await Kioskd.run(["run", "--state-dir", state, "--raw", "gray", "--size", "400x300", "--budget", "1000",
                                        "--deadline-ms", "2000", "-"], stdin: Data(image.pixels + image.pixels + image.pixels))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("\tenter\t"), "\(run.stdout)")
        #expect(upstream.requests.filter { $0.path == KioskAPI.checkInsPath }.count == before + 1, "the online try went through TLS: \(run.stderr)")
    }
}

struct TLSTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
