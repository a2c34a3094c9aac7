import CafeProtocol
import CafeServerTesting
import Foundation
import Testing

/// The owner's day over HTTP on both databases: who is inside, the day's door events, sales by
/// day as JSON and CSV with refunds netted.
@Suite("The owner's day: inside now, the day's doors, sales by period")
struct OwnerDayTests {
    @Test(arguments: TestBackend.available)
    func insideNowAndTheDaysDoorEvents(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            let kim = try await cafe.counterSale("period-7", holder: "Kim")
            let lee = try await cafe.counterSale("time-1h", holder: "Lee")
            try await AutoExitTests.enter(cafe, device: device.token, token: kim.token)
            try await AutoExitTests.enter(cafe, device: device.token, token: lee.token)
            #expect(try await RefundTests.enter(cafe, device: device.token, token: "hello").verdict == .deny(.unreadable))
            cafe.clock.advance(by: 20 * 60)
            let inside = try await cafe.call("GET", "/stores/1/inside", bearer: cafe.ownerToken)
            let people = try #require(inside.object["inside"] as? [[String: Any]], "\(inside)")
            #expect(people.map { $0["holder_name"] as? String } == ["Kim", "Lee"])
            #expect(people.last?["minutes_left"] as? Int == 40)

            cafe.clock.advance(by: 50 * 60)
            #expect(try await cafe.runJobs() == 1)
            let day = try await cafe.call("GET", "/stores/1/day", bearer: cafe.ownerToken)
            #expect(day.status == 200, "\(day)")
            #expect(day.object["date"] as? String == "2026-11-25")
            #expect(day.object["entries"] as? Int == 2)
            #expect(day.object["exits"] as? Int == 1)
            #expect(day.object["denials"] as? Int == 1)
            #expect((day.object["inside"] as? [[String: Any]])?.map { $0["holder_name"] as? String } == ["Kim"])
            let events = try #require(day.object["events"] as? [[String: Any]])
            let exit = try #require(events.first { $0["verdict"] as? String == "exit" })
            #expect(exit["by_server"] as? Bool == true)
            #expect(exit["reason"] as? String == "minutes_used_up")
            #expect(exit["holder_name"] as? String == "Lee")
            let yesterday = try await cafe.call("GET", "/stores/1/day?date=2026-11-24", bearer: cafe.ownerToken)
            #expect((yesterday.object["events"] as? [Any])?.isEmpty == true)
            #expect(try await cafe.call("GET", "/stores/1/day?date=yesterday", bearer: cafe.ownerToken).status == 400)
            for impossible in ["2026-13-45", "2026-02-30", "2026-11-25-1"] {
                #expect(try await cafe.call("GET", "/stores/1/day?date=\(impossible)", bearer: cafe.ownerToken).status == 400, "\(impossible)")
            }
            let kimsCustomer = try await cafe.customer()
            #expect(try await cafe.call("GET", "/stores/1/inside", bearer: kimsCustomer.access).status == 403)
        }
    }

    @Test(arguments: TestBackend.available)
    func salesByDayWithRefundsNettedAsJSONAndCSV(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            _ = try await cafe.counterSale("period-7")         // 15,000
            let refunded = try await cafe.counterSale("day")   // 10,000, refunded before use
            cafe.clock.advance(by: 86_400)
            _ = try await cafe.counterSale("time-10h")         // 10,000 the next day
            _ = try await cafe.call("POST", "/stores/1/tickets/\(refunded.ticketID)/refund", bearer: cafe.ownerToken)

            let range = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z"
            let report = try await cafe.call("GET", "/stores/1/sales?\(range)&by=day", bearer: cafe.ownerToken)
            #expect(report.object["revenue"] as? Int == 25_000, "\(report)")
            #expect(report.object["refunded_amount"] as? Int == 10_000)
            let periods = try #require(report.object["periods"] as? [[String: Any]])
            #expect(periods.map { $0["revenue"] as? Int } == [15_000, 10_000])
            #expect(periods.map { $0["start"] as? String } == ["2026-11-24T15:00:00.000Z", "2026-11-25T15:00:00.000Z"], "Seoul's days")
            let monthly = try await cafe.call("GET", "/stores/1/sales?\(range)&by=month", bearer: cafe.ownerToken)
            #expect((monthly.object["periods"] as? [Any])?.count == 1)
            #expect(try await cafe.call("GET", "/stores/1/sales?\(range)&by=year", bearer: cafe.ownerToken).status == 400)

            let csv = try await cafe.call("GET", "/stores/1/sales?\(range)&by=day", bearer: cafe.ownerToken, headers: ["Accept": "text/csv"])
            #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
            let lines = String(decoding: csv.body, as: UTF8.self).split(separator: "\r\n").map(String.init)
            #expect(lines.first == "period_start,product_code,sold,revenue")
            #expect(lines.contains("2026-11-24T15:00:00Z,period-7,1,15000"), "\(lines)")
            #expect(lines.contains("2026-11-25T15:00:00Z,time-10h,1,10000"), "\(lines)")
            #expect(lines.last == "total,,2,25000")
        }
    }
}
