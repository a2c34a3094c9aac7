import CafeProtocol
@testable import CafeServer
import CafeServerTesting
import Foundation
import Testing

/// What the web consoles read beyond the core API, on both databases: the owner's stores, the
/// pass search, a kiosk's outbox as it reported it, the store's sent notices, the price list with
/// products off sale; the customer's pass history and the alerts kept for the page.
@Suite("Console API: pass search, kiosk outbox, sent notices, pass history, alerts in the page")
struct ConsoleAPITests {
    @Test(arguments: TestBackend.available)
    func theOwnerFindsPassesAndSeesWhatEachKioskHeld(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let stores = try await cafe.call("GET", "/me/stores", bearer: cafe.ownerToken)
            #expect((stores.object["stores"] as? [[String: Any]])?.map { $0["name"] as? String } == ["Gangnam"], "\(stores)")
            let minji = try await cafe.customer("Minji-Lee")
            #expect((try await cafe.call("GET", "/me/stores", bearer: minji.access).object["stores"] as? [Any])?.isEmpty == true)

            let hers = try await cafe.call("POST", "/stores/1/counter-sales", json: ["product_code": "period-14", "customer_login": "Minji-Lee"],
                                           bearer: cafe.ownerToken)
            let herTicket = try #require((hers.object["ticket"] as? [String: Any])?["ticket_id"] as? String, "\(hers)")
            let walkIn = try await cafe.counterSale("day", holder: "Park 50%_off")
            _ = try await cafe.counterSale("time-1h", holder: "Choi")

            func search(_ query: String) async throws -> [[String: Any]] {
                let answer = try await cafe.call("GET", "/stores/1/tickets?q=" + (query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                                                 bearer: cafe.ownerToken)
                #expect(answer.status == 200, "\(query): \(answer)")
                return answer.object["tickets"] as? [[String: Any]] ?? []
            }
            let byLogin = try await search("minji")
            #expect(byLogin.map { $0["ticket_id"] as? String } == [herTicket], "any case, part of the login")
            #expect(byLogin.first?["customer_login"] as? String == "Minji-Lee")
            #expect(byLogin.first?["token"] == nil, "the console never gets the pass token")
            #expect(try await search("PARK").map { $0["holder_name"] as? String } == ["Park 50%_off"])
            #expect(try await search("%").map { $0["holder_name"] as? String } == ["Park 50%_off"], "% is a character, not a wildcard")
            #expect(try await search("_").count == 1, "_ too")
            #expect(try await search(walkIn.ticketID.uuidString.lowercased()).map { $0["holder_name"] as? String } == ["Park 50%_off"], "by pass id")
            #expect(try await search("").count == 3, "no query: the latest passes")
            #expect(try await search("nobody").isEmpty)
            #expect(try await cafe.call("GET", "/stores/1/tickets?q=" + String(repeating: "a", count: 65), bearer: cafe.ownerToken).status == 400)
            #expect(try await cafe.call("GET", "/stores/1/tickets?q=minji", bearer: minji.access).status == 403, "customers do not search")

            // A kiosk says what its outbox held when it synced; the device list shows it.
            let device = try await KioskContractTests.enroll(cafe, name: "front door")
            let sync = try await cafe.call("GET", KioskAPI.syncPath + "?limit=10&outbox=3&outbox_oldest=2026-11-25T08:00:00Z",
                                           headers: KioskContractTests.device(device.token))
            #expect(sync.status == 200, "\(sync)")
            let listed = try #require((try await cafe.call("GET", "/stores/1/devices", bearer: cafe.ownerToken)).object["devices"] as? [[String: Any]])
            #expect(listed.first?["outbox_pending"] as? Int == 3)
            #expect(listed.first?["outbox_oldest_at"] as? String == "2026-11-25T08:00:00.000Z")
            #expect(listed.first?["last_seen_at"] is String)
            for bad in ["outbox=-1", "outbox=many", "outbox=1&outbox_oldest=yesterday"] {
                let refused = try await cafe.call("GET", KioskAPI.syncPath + "?" + bad, headers: KioskContractTests.device(device.token))
                #expect(refused.status == 400, "\(bad): \(refused)")
            }

            // The store's sent notices, newest first.
            for title in ["Closed on Sunday", "Wi-Fi password changed"] {
                #expect(try await cafe.call("POST", "/stores/1/notices", json: ["title": title, "body": "see the counter"], bearer: cafe.ownerToken).status == 201)
                cafe.clock.advance(by: 60)
            }
            let notices = try await cafe.call("GET", "/stores/1/notices", bearer: cafe.ownerToken)
            #expect((notices.object["notices"] as? [[String: Any]])?.map { $0["title"] as? String } == ["Wi-Fi password changed", "Closed on Sunday"])
            #expect((notices.object["notices"] as? [[String: Any]])?.first?["recipients"] as? Int == 1, "Minji has a valid pass")
            #expect(try await cafe.call("GET", "/stores/1/notices", bearer: minji.access).status == 403)

            // A product taken off sale leaves the catalog and stays in the owner's price list.
            #expect(try await cafe.call("PUT", "/catalog/time-100h", json: ["active": false], bearer: cafe.ownerToken).status == 200)
            let onSale = try await cafe.call("GET", "/catalog")
            #expect((onSale.object["products"] as? [[String: Any]])?.contains { $0["code"] as? String == "time-100h" } == false)
            let all = try await cafe.call("GET", "/catalog?all=true", bearer: cafe.ownerToken)
            #expect((all.object["products"] as? [[String: Any]])?.first { $0["code"] as? String == "time-100h" }?["active"] as? Bool == false)
            #expect(try await cafe.call("GET", "/catalog?all=true", bearer: minji.access).status == 403)
            #expect(try await cafe.call("GET", "/catalog?all=true").status == 401)
        }
    }

    @Test(arguments: TestBackend.available)
    func aCustomerSeesTheirDoorsAndTheAlertsTheyChose(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let minji = try await cafe.customer("minji")
            let inbox = try await cafe.call("GET", "/me/alerts", bearer: minji.access)
            #expect(inbox.object["settings"] as? [String: Bool] == ["time_warnings": true, "entry_exit": false], "the defaults")
            let chosen = try await cafe.call("PUT", "/me/alert-settings", json: ["time_warnings": true, "entry_exit": true], bearer: minji.access)
            #expect(chosen.status == 200, "\(chosen)")
            #expect(try await cafe.call("PUT", "/me/alert-settings", json: ["time_warnings": "yes"], bearer: minji.access).status == 400)

            let sale = try await cafe.call("POST", "/stores/1/counter-sales", json: ["product_code": "time-1h", "customer_login": "minji"], bearer: cafe.ownerToken)
            let ticket = try RefundTests.ticket(of: sale)
            let device = try await KioskContractTests.enroll(cafe)
            try await AutoExitTests.enter(cafe, device: device.token, token: ticket.token)
            cafe.clock.advance(by: 30 * 60)
            #expect(try await RefundTests.enter(cafe, device: device.token, token: ticket.token).verdict == .exit)
            cafe.clock.advance(by: 60)
            try await AutoExitTests.enter(cafe, device: device.token, token: ticket.token)

            let history = try await cafe.call("GET", "/me/tickets/\(ticket.id)/history", bearer: minji.access)
            let events = try #require(history.object["events"] as? [[String: Any]], "\(history)")
            #expect(events.map { $0["verdict"] as? String } == ["enter", "exit", "enter"], "newest first")
            #expect(events[1]["minutes_charged"] as? Int == 30)
            #expect(events.allSatisfy { $0["decided_offline"] as? Bool == false && $0["annulled"] as? Bool == false })
            let other = try await cafe.customer()
            #expect(try await cafe.call("GET", "/me/tickets/\(ticket.id)/history", bearer: other.access).status == 404, "not theirs")
            #expect(try await cafe.call("GET", "/me/tickets/\(ticket.id)/history").status == 401)

            // 30 minutes left; 21 minutes later 9 are: the job's warning is kept once for the page.
            cafe.clock.advance(by: 21 * 60)
            _ = try await cafe.runJobs()
            _ = try await cafe.runJobs()
            let alerts = try #require((try await cafe.call("GET", "/me/alerts", bearer: minji.access)).object["alerts"] as? [[String: Any]])
            #expect(alerts.map { $0["kind"] as? String } == ["time_warning", "entered", "left", "entered"], "\(alerts)")
            #expect((alerts.first?["title"] as? String)?.contains("9 minutes left") == true)
            #expect(alerts.allSatisfy { $0["ticket_id"] as? String == ticket.id })
            #expect((try await cafe.call("GET", "/me/alerts", bearer: other.access).object["alerts"] as? [Any])?.isEmpty == true)

            // Kept for 30 days, then gone with the push outbox's own pruning.
            cafe.clock.advance(by: 31 * 86_400)
            _ = try await cafe.deliverPush()
            #expect((try await cafe.call("GET", "/me/alerts", bearer: minji.access).object["alerts"] as? [Any])?.isEmpty == true)
        }
    }

    /// Every error code the server can answer with has words in the web app's error page.
    @Test func everyAPIErrorCodeHasWordsInTheWebApp() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        var codes: Set<String> = [APIError.unauthorized, APIError.invalidRequest, APIError.enrollmentCodeInvalid, APIError.notFound,
                                  APIError.rateLimited, APIError.internalError, "not_ready"]
        let thrown = try NSRegularExpression(pattern: #"APIFailure(?:\.conflict\(|\(\s*\.[A-Za-z]+,\s*)"([a-z_]+)""#)
        let files = FileManager.default.enumerator(at: sources.appendingPathComponent("CafeServer"), includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in thrown.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                codes.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        #expect(codes.count > 25, "the scan found the codes: \(codes.sorted())")
        let script = WebAssets.script
        let missing = codes.filter { !script.contains("\n  \($0): \"") }.sorted()
        #expect(missing.isEmpty, "codes the web app has no words for: \(missing)")
    }
}
