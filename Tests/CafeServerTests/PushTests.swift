import CafeProtocol
import CafeServer
import CafeServerTesting
import FakeFCM
import Foundation
import Logging
import Testing

/// The push outbox and its delivery to a local FCM (OAuth2 assertion checked, HTTP v1 JSON), on
/// both databases: entry/exit alerts once per door event, "10 minutes left" once per visit,
/// notices to their audience, a service that is down or slow, tokens FCM no longer knows.
@Suite("Push: notices, alerts and time warnings through the outbox to FCM")
struct PushTests {
    static func register(_ cafe: TestCafe, _ token: String, alerts: Bool, as access: String) async throws {
        let answer = try await cafe.call("POST", "/me/push-tokens", json: ["token": token, "entry_exit_alerts": alerts, "label": "phone"], bearer: access)
        #expect(answer.status == 201, "\(answer)")
    }

    @Test(arguments: TestBackend.available)
    func entryAndExitAlertsGoOncePerDoorEventToOptedInDevices(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            try await Self.register(cafe, "guardian-phone", alerts: true, as: kim.access)
            try await Self.register(cafe, "kim-phone", alerts: false, as: kim.access)
            let pass = try RefundTests.ticket(of: try await cafe.buy("time-10h", as: kim.access))
            let device = try await KioskContractTests.enroll(cafe)
            try await AutoExitTests.enter(cafe, device: device.token, token: pass.token)

            // Kim leaves two hours later while the kiosk is offline; the upload is retried.
            let exit = KioskEvent(eventID: UUID(), passID: UUID(uuidString: pass.id)!, verdict: .exit,
                                  occurredAt: cafe.clock.now.addingTimeInterval(2 * 3600), decidedOffline: true, minutesCharged: 120)
            let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: [exit])), as: UTF8.self)
            for _ in 0..<2 {
                let upload = try await cafe.call("POST", KioskAPI.eventsPath, headers: KioskContractTests.device(device.token), rawBody: body)
                #expect(upload.status == 200)
            }
            let round = try await cafe.deliverPush()
            #expect(round.sent == 2, "\(round)")
            let delivered = cafe.fcm.delivered
            #expect(delivered.map(\.token) == ["guardian-phone", "guardian-phone"], "only the device that opted in")
            #expect(delivered.first?.title.contains("Entered") == true, "one device's messages in the order written")
            #expect(delivered.first?.body.hasSuffix("entered Gangnam at 10:00") == true, "\(delivered)")
            #expect(delivered.last?.body.hasSuffix("left Gangnam at 12:00") == true, "\(delivered)")
            #expect(delivered.first?.data["ticket_id"] == pass.id)
            #expect(delivered.first?.collapseKey != nil && delivered.first?.collapseKey != delivered.last?.collapseKey)
            #expect(try await cafe.deliverPush().attempted == 0, "sent once")
            #expect(cafe.fcm.tokenRequests == 1, "the access token is cached")
        }
    }

    @Test(arguments: TestBackend.available)
    func tenMinutesLeftIsSentOncePerVisit(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let lee = try await cafe.customer()
            try await Self.register(cafe, "lee-phone", alerts: false, as: lee.access)
            let pass = try RefundTests.ticket(of: try await cafe.buy("time-1h", as: lee.access))
            let device = try await KioskContractTests.enroll(cafe)
            try await AutoExitTests.enter(cafe, device: device.token, token: pass.token)
            cafe.clock.advance(by: 45 * 60)
            #expect(try await cafe.jobs.runOnce().timeWarnings == 0, "15 minutes left")
            cafe.clock.advance(by: 7 * 60)
            #expect(try await cafe.jobs.runOnce().timeWarnings == 1)
            cafe.clock.advance(by: 60)
            #expect(try await cafe.jobs.runOnce().timeWarnings == 0, "once per visit")
            #expect(try await cafe.deliverPush().sent == 1)
            let warning = try #require(cafe.fcm.delivered.first)
            #expect(warning.title.contains("8 minutes left"), "\(warning)")
            #expect(warning.data["kind"] == "time_warning")
            cafe.clock.advance(by: 10 * 60)
            #expect(try await cafe.jobs.runOnce().autoExits == 1)
            #expect(try await cafe.deliverPush().attempted == 0, "no exit alert: Lee did not opt in")
        }
    }

    @Test(arguments: TestBackend.available)
    func noticesGoToTheirAudienceAndAreListed(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer(), lee = try await cafe.customer()
            try await Self.register(cafe, "kim-phone", alerts: false, as: kim.access)
            try await Self.register(cafe, "lee-phone", alerts: false, as: lee.access)
            let kimPass = try RefundTests.ticket(of: try await cafe.buy("period-7", as: kim.access))
            _ = try await cafe.buy("period-7", as: lee.access)
            let device = try await KioskContractTests.enroll(cafe)
            try await AutoExitTests.enter(cafe, device: device.token, token: kimPass.token)

            let inside = try await cafe.call("POST", "/stores/1/notices", json: ["title": "Fire drill", "body": "Please leave by the stairs.", "audience": "inside"], bearer: cafe.ownerToken)
            #expect(inside.status == 201, "\(inside)")
            #expect(inside.object["recipients"] as? Int == 1)
            let all = try await cafe.call("POST", "/stores/1/notices", json: ["title": "휴무 안내", "body": "12월 25일은 쉽니다."], bearer: cafe.ownerToken)
            #expect(all.object["recipients"] as? Int == 2)
            #expect(all.object["audience"] as? String == "all")
            #expect(try await cafe.call("POST", "/stores/1/notices", json: ["title": "", "body": "x"], bearer: cafe.ownerToken).status == 400)
            #expect(try await cafe.call("POST", "/stores/1/notices", json: ["title": "Hi", "body": "x"], bearer: kim.access).status == 403)

            let kimNotices = try await cafe.call("GET", "/me/notices", bearer: kim.access)
            #expect((kimNotices.object["notices"] as? [[String: Any]])?.count == 2)
            let leeNotices = try await cafe.call("GET", "/me/notices", bearer: lee.access)
            #expect((leeNotices.object["notices"] as? [[String: Any]])?.map { $0["title"] as? String } == ["휴무 안내"])
            #expect(try await cafe.deliverPush().sent == 3)
            #expect(cafe.fcm.delivered.filter { $0.token == "kim-phone" }.count == 2)
            #expect(cafe.fcm.tokenRequests == 1, "two devices sent to at once share one access-token fetch")
        }
    }

    @Test(arguments: TestBackend.available)
    func aPushServiceThatFailsIsRetriedAndGoneTokensAreDropped(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            try await Self.register(cafe, "kim-old-phone", alerts: false, as: kim.access)
            try await Self.register(cafe, "kim-new-phone", alerts: false, as: kim.access)
            _ = try await cafe.buy("period-7", as: kim.access)

            cafe.fcm.setFault(.delay(.seconds(4)))   // past the client's 2 s timeout
            let notice = try await cafe.call("POST", "/stores/1/notices", json: ["title": "Wi-Fi", "body": "New password at the desk."], bearer: cafe.ownerToken)
            #expect(notice.status == 201, "a request never waits for the push service")
            let slow = try await cafe.deliverPush()
            #expect(slow.retried == 2, "\(slow)")
            cafe.fcm.setFault(.unavailable)
            #expect(try await cafe.deliverPush().attempted == 0, "not before the backoff")
            cafe.clock.advance(by: 6)
            #expect(try await cafe.deliverPush().retried == 2)
            #expect(cafe.fcm.delivered.isEmpty)

            cafe.fcm.setFault(.none)
            cafe.fcm.unregister("kim-old-phone")
            cafe.clock.advance(by: 11)
            let round = try await cafe.deliverPush()
            #expect(round.sent == 1 && round.dropped == 1, "\(round)")
            #expect(cafe.fcm.delivered.map(\.token) == ["kim-new-phone"])
            let tokens = try await cafe.call("GET", "/me/push-tokens", bearer: kim.access)
            #expect((tokens.object["push_tokens"] as? [[String: Any]])?.map { $0["token"] as? String } == ["kim-new-phone"], "FCM said it is gone")
            #expect(try await cafe.deliverPush().attempted == 0)

            // An hour later an undelivered message is stale, not sent.
            _ = try await cafe.call("POST", "/stores/1/notices", json: ["title": "Late", "body": "x"], bearer: cafe.ownerToken)
            cafe.clock.advance(by: 3700)
            #expect(try await cafe.deliverPush().attempted == 0)
            #expect(cafe.fcm.delivered.count == 1)
        }
    }

    @Test func aServiceAccountKeyTheTokenEndpointDoesNotKnowIsRefused() async throws {
        let fcm = try await FakeFCM()
        let stranger = try await FakeFCM(freshKey: true)
        try await fcm.run { url in
            let account = FCMServiceAccount(projectID: fcm.projectID, clientEmail: fcm.clientEmail, privateKey: stranger.privateKeyPEM, tokenURI: url + "/token")
            let client = try await FCMClient(account: account, baseURL: url, timeout: 2, logger: .init(label: "test"))
            await #expect(throws: PushError.self) { try await client.send(PushMessage(token: "t", title: "a", body: "b")) }
            do { try await client.send(PushMessage(token: "t", title: "a", body: "b")) } catch {
                #expect("\(error)".contains("Invalid JWT Signature"), "\(error)")
            }
            #expect(fcm.delivered.isEmpty)
            let good = try await FCMClient(account: FCMServiceAccount(projectID: fcm.projectID, clientEmail: fcm.clientEmail, privateKey: fcm.privateKeyPEM,
                                                                      tokenURI: url + "/token"), baseURL: url, timeout: 2, logger: .init(label: "test"))
            try await good.send(PushMessage(token: "t", title: "a", body: "b", data: ["kind": "test"]))
            #expect(fcm.delivered == [FakeFCM.Delivered(token: "t", title: "a", body: "b", data: ["kind": "test"])], "no collapse key unless given")
        }
        #expect(throws: ServerConfigurationError.self) {
            try FCMServiceAccount.load(path: "/nonexistent/service-account.json")
        }
    }
}
