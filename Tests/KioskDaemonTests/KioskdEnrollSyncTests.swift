import CafeProtocol
import Crypto
import Foundation
import GRDB
import KioskCore
import KioskTestSupport
import Testing

/// `kioskd enroll`, `sync`, `status` and `check` as an admin runs them, against a server on
/// loopback that speaks the kiosk contract (scripted here until cafe-server's integration
/// tests take over).
@Suite struct KioskdEnrollSyncTests {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    let store = StoreSettings(storeID: 7, name: "Sinchon", timeZone: "UTC", closedHours: nil, seats: 30)
    let passID = UUID()
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-state-\(UUID().uuidString)").path

    final class Switch: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        let lock = NSLock()
        var revoked = false
    }

    func startServer(_ revoked: Switch) throws -> LoopbackHTTPServer {
        let now = Date()
        let ticket = TicketState(passID: passID, storeID: 7, kind: .period, validFrom: now.addingTimeInterval(-3600),
                                 validUntil: now.addingTimeInterval(86_400), remainingMinutes: nil, status: .valid,
                                 inside: false, lastEnteredAt: nil, holderName: "Park", seat: nil, revision: 1)
        let page = SyncPage(cursor: "r1", hasMore: false, tickets: [ticket],
                            keys: [PublicKeyRecord(keyID: signer.keyID, publicKey: signer.privateKey.publicKey.rawRepresentation, retired: false)],
                            store: store, printJobs: [], serverTime: now)
        let enrolled = EnrollResponse(deviceID: UUID(), deviceToken: "tok-1", store: store, serverTime: now)
        return try LoopbackHTTPServer { request in
            let encoder = WireCoding.encoder()
            if request.path == KioskAPI.enrollPath {
                let body = try? WireCoding.decoder().decode(EnrollRequest.self, from: Data(request.body))
                guard body?.code == "GOOD-CODE" else {
                    return .respond(status: 400, body: Array(#"{"code":"enrollment_code_invalid","message":"unknown or used code"}"#.utf8))
                }
                return .respond(status: 200, body: Array(try! encoder.encode(enrolled)))
            }
            guard request.headers["authorization"] == "Device tok-1", !revoked.lock.withLock({ revoked.revoked }) else {
                return .respond(status: 401, body: Array(#"{"code":"unauthorized","message":"device revoked"}"#.utf8))
            }
            // Online verdicts and uploads: the server is failing (the door must decide offline).
            if request.path == KioskAPI.checkInsPath || request.path == KioskAPI.eventsPath {
                return .respond(status: 503, body: [])
            }
            return .respond(status: 200, body: Array(try! encoder.encode(page)))
        }
    }

    func token(signer: PassSigner, passID: UUID) throws -> String {
        let now = Date()
        return try signer.signText(PassToken(keyID: signer.keyID, passID: passID, storeID: 7, kind: .period,
                                             validFrom: now.addingTimeInterval(-3600), validUntil: now.addingTimeInterval(86_400), issuedAt: now))
    }

    @Test func enrollSyncStatusAndCheck() async throws {
        let revoked = Switch()
        let server = try startServer(revoked)
        defer { server.stop(); try? FileManager.default.removeItem(atPath: state) }

        let bad = try await Kioskd.run(["enroll", "--state-dir", state, "--server", server.baseURL, "--code", "WRONG"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("unknown or used code"))

        let enroll = try await Kioskd.run(["enroll", "--state-dir", state, "--server", server.baseURL, "--code", "GOOD-CODE", "--name", "front door"])
        #expect(enroll.status == 0, "\(enroll.stderr)")
        #expect(enroll.stdout.contains("enrolled as 'front door'"))
        #expect(enroll.stdout.contains("first sync: 1 tickets"))
        let attributes = try FileManager.default.attributesOfItem(atPath: state + "/device.json")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let status = try await Kioskd.run(["status", "--state-dir", state, "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any]
        #expect(report["enrolled"] as? Bool == true)
        #expect(report["tickets_cached"] as? Int == 1)
        #expect(report["keys"] as? [String] == [signer.keyID.description])
        #expect(report["store_name"] as? String == "Sinchon")
        #expect(report["device_token"] == nil, "the secret is never printed")
        let text = try await Kioskd.run(["status", "--state-dir", state])
        #expect(text.stdout.contains("last sync") && !text.stdout.contains("tok-1"))
        // A damaged last-sync time is shown as such, not as a kiosk that never synced.
        try await DatabaseQueue(path: StateDirectory(path: state).databasePath).write { db in
            try db.execute(sql: "UPDATE setting SET value = 'yesterday-ish' WHERE name = 'sync.last_success_at'")
        }
        let damaged = try await Kioskd.run(["status", "--state-dir", state])
        #expect(damaged.stdout.contains("last sync   unreadable in the cache (\"yesterday-ish\")"), "\(damaged.stdout)")
        #expect(!damaged.stdout.contains("never"))

        let allowed = try await Kioskd.run(["check", "--state-dir", state, try token(signer: signer, passID: passID)])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("verdict: ENTER"))
        #expect(allowed.stdout.contains("revision 1"))
        let terminated = try await Kioskd.run(["check", "--state-dir", state, "--", try token(signer: signer, passID: passID)])
        #expect(terminated.status == 0, "'--' ends the options, as usual: \(terminated.stderr)")
        let stranger = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
        let denied = try await Kioskd.run(["check", "--state-dir", state, try token(signer: stranger, passID: UUID())])
        #expect(denied.status == 3)
        #expect(denied.stdout.contains("DENY unknown_key"))
        #expect(denied.stdout.contains("not among this kiosk's keys"))
        // One token in 45 starts with "-": it is a token, not an option. (A "-" put in front, not
        // in place of the first character: a token that already began with "-" was left whole,
        // and let in, one run in 45.)
        let dashed = try await Kioskd.run(["check", "--state-dir", state, "-" + (try token(signer: signer, passID: passID))])
        #expect(dashed.status == 3, "judged as a (damaged) pass, not a usage error: \(dashed.stderr)")
        #expect(dashed.stdout.contains("DENY"))
        let typo = try await Kioskd.run(["check", "--state-dir", state, "--fille", "x.png"])
        #expect(typo.status == 64)
        #expect(typo.stderr.contains("unknown option --fille"), "\(typo.stderr)")

        let sync = try await Kioskd.run(["sync", "--state-dir", state])
        #expect(sync.status == 0, "\(sync.stderr)")
        #expect(sync.stdout.contains("pulled 1 ticket(s) in 1 page(s); cursor r1"))

        revoked.lock.withLock { revoked.revoked = true }
        let refused = try await Kioskd.run(["sync", "--state-dir", state])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("no longer authorised"))
    }

    @Test func runDecidesFromAStreamAndRecordsEveryVerdict() async throws {
        let server = try startServer(Switch())
        defer { server.stop(); try? FileManager.default.removeItem(atPath: state) }
        let enroll = try await Kioskd.run(["enroll", "--state-dir", state, "--server", server.baseURL, "--code", "GOOD-CODE"])
        #expect(enroll.status == 0, "\(enroll.stderr)")

        // Frames: the synced pass (3 frames), nothing (35), a forged pass (3).
        let stranger = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
        func frame(_ payload: String?) throws -> [UInt8] {
            var image = GrayImage(width: 400, height: 300, fill: 210)
            if let payload {
                let code = try QRMatrix(text: payload).image(moduleSize: 4)
                for y in 0..<code.height { for x in 0..<code.width { image[x + 80, y + 40] = code[x, y] } }
            }
            return image.pixels
        }
        let good = try frame(token(signer: signer, passID: passID))
        let forged = try frame(token(signer: stranger, passID: UUID()))
        let empty = try frame(nil)
        var stream = [UInt8]()
        for _ in 0..<3 { stream += good }
        for _ in 0..<35 { stream += empty }
        for _ in 0..<3 { stream += forged }
        let run = try await Kioskd.run(["run", "--state-dir", state, "--raw", "gray", "--size", "400x300", "--budget", "1000",
                                        "--deadline-ms", "200", "-"], stdin: Data(stream))
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.map { $0.count } == [7, 7])
        #expect(lines.first?[1] == "1" && lines.first?[2] == "enter" && lines.first?[3] == passID.uuidString.lowercased())
        #expect(lines.first?[4] == "offline", "the server answered 503: decided from the cache")
        #expect(lines.last?[1] == "39" && lines.last?[2] == "deny:unknown_key")
        #expect(run.stderr.contains("door stopped"))
        let status = try await Kioskd.run(["status", "--state-dir", state, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any]
        #expect(report["outbox_pending"] as? Int == 2, "both decisions wait for upload")
    }

    @Test func withoutEnrolmentTheCommandsSayWhatToDo() async throws {
        defer { try? FileManager.default.removeItem(atPath: state) }
        let sync = try await Kioskd.run(["sync", "--state-dir", state])
        #expect(sync.status == 1)
        #expect(sync.stderr.contains("not enrolled"))
        let status = try await Kioskd.run(["status", "--state-dir", state])
        #expect(status.status == 0)
        #expect(status.stdout.contains("not enrolled"))
        #expect(status.stdout.contains("never"))
        let check = try await Kioskd.run(["check", "--state-dir", state, "ANYTHING"])
        #expect(check.status == 1)
        #expect(check.stderr.contains("never synced"))
        let unreachable = try await Kioskd.run(["enroll", "--state-dir", state, "--server", "http://127.0.0.1:9", "--code", "X"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("unreachable"))
        let badURL = try await Kioskd.run(["enroll", "--state-dir", state, "--server", "cafe.example.com", "--code", "X"])
        #expect(badURL.status == 64)
    }
}
