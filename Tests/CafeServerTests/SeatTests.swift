import CafeProtocol
@testable import CafeServer
import CafeServerTesting
import Foundation
import Testing

/// Seats over HTTP on both databases: a hold from the app, the lowest free seat at entry (online
/// and for an upload decided offline), released at exit, one holder per seat under concurrency.
@Suite("Seats: held in the app, given at entry, released at exit")
struct SeatTests {
    static func checkIn(_ cafe: TestCafe, device: String, token: String) async throws -> CheckInResponse {
        try await RefundTests.enter(cafe, device: device, token: token)
    }

    @Test(arguments: TestBackend.available)
    func aHeldSeatIsGivenAtEntryAndTheRestInOrder(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            let kim = try await cafe.customer(), lee = try await cafe.customer()
            let kimPass = try RefundTests.ticket(of: try await cafe.buy("period-7", as: kim.access))
            let leePass = try RefundTests.ticket(of: try await cafe.buy("period-7", as: lee.access))
            let held = try await cafe.call("PUT", "/me/tickets/\(kimPass.id)/seat", json: ["seat": "5"], bearer: kim.access)
            #expect(held.status == 200, "\(held)")
            #expect(held.object["seat"] as? String == "5")
            let clash = try await cafe.call("PUT", "/me/tickets/\(leePass.id)/seat", json: ["seat": "5"], bearer: lee.access)
            #expect(clash.status == 409)
            #expect(clash.code == "seat_taken")
            #expect(try await cafe.call("PUT", "/me/tickets/\(leePass.id)/seat", json: ["seat": "41"], bearer: lee.access).status == 400)
            #expect(try await cafe.call("PUT", "/me/tickets/\(kimPass.id)/seat", json: ["seat": "6"], bearer: lee.access).status == 404, "not Lee's pass")

            let park = try await cafe.counterSale("day", holder: "Park")
            #expect(try await Self.checkIn(cafe, device: device.token, token: park.token).display.seat == "1")
            let kimIn = try await Self.checkIn(cafe, device: device.token, token: kimPass.token)
            #expect(kimIn.display.seat == "5", "the seat Kim held")
            #expect(kimIn.ticket?.seat == "5", "the kiosk's cache learns it too")

            let map = try await cafe.call("GET", "/stores/1/seats", bearer: cafe.ownerToken)
            let seats = try #require(map.object["seats"] as? [[String: Any]])
            #expect(seats.count == 40)
            #expect(seats.filter { $0["state"] as? String == "occupied" }.map { $0["holder_name"] as? String } == ["Park", "Kim"])
            #expect(seats.first { $0["seat"] as? String == "5" }?["until"] != nil)

            // Lee holds seat 2 but does not come; after the hold lapses it is anyone's.
            _ = try await cafe.call("PUT", "/me/tickets/\(leePass.id)/seat", json: ["seat": "2"], bearer: lee.access)
            let choi = try await cafe.counterSale("day", holder: "Choi")
            #expect(try await Self.checkIn(cafe, device: device.token, token: choi.token).display.seat == "3", "2 is held")
            cafe.clock.advance(by: 11 * 60)
            let yoon = try await cafe.counterSale("day", holder: "Yoon")
            #expect(try await Self.checkIn(cafe, device: device.token, token: yoon.token).display.seat == "2", "the hold lapsed")

            // Kim leaves: seat 5 is free again.
            #expect(try await Self.checkIn(cafe, device: device.token, token: kimPass.token).verdict == .exit)
            let after = try await cafe.call("GET", "/stores/1/seats", bearer: cafe.ownerToken)
            #expect((after.object["seats"] as? [[String: Any]])?.first { $0["seat"] as? String == "5" }?["state"] as? String == "free")
        }
    }

    @Test(arguments: TestBackend.available)
    func anOfflineEntryGetsASeatWhenUploadedAndConcurrentEntriesNeverShare(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            let choi = try await cafe.counterSale("period-7", holder: "Choi")
            let event = KioskEvent(eventID: UUID(), passID: choi.ticketID, verdict: .enter, occurredAt: cafe.clock.now, decidedOffline: true, minutesCharged: nil)
            let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: [event])), as: UTF8.self)
            #expect(try await cafe.call("POST", KioskAPI.eventsPath, headers: KioskContractTests.device(device.token), rawBody: body).status == 200)
            let page = try await cafe.call("GET", KioskAPI.syncPath, headers: KioskContractTests.device(device.token))
            let sync = try WireCoding.decoder().decode(SyncPage.self, from: page.body)
            #expect(sync.tickets.first { $0.passID == choi.ticketID }?.seat == "1")

            var tokens: [String] = []
            for _ in 0..<24 { tokens.append(try await cafe.counterSale("day").token) }
            let seats = try await withThrowingTaskGroup(of: String?.self) { group in
                for token in tokens {
                    group.addTask { try await Self.checkIn(cafe, device: device.token, token: token).display.seat }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(seats.allSatisfy { $0 != nil })
            #expect(Set(seats.compactMap { $0 }).count == 24, "one holder per seat: \(seats)")
            #expect(!seats.contains("1"), "Choi's")
        }
    }
    static func upload(_ cafe: TestCafe, device: String, _ events: [KioskEvent]) async throws -> EventBatchResult {
        let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: events)), as: UTF8.self)
        let answer = try await cafe.call("POST", KioskAPI.eventsPath, headers: KioskContractTests.device(device), rawBody: body)
        guard answer.status == 200 else { throw TestCafeError("upload: \(answer)") }
        return try WireCoding.decoder().decode(EventBatchResult.self, from: answer.body)
    }

    static func seat(of ticket: UUID, _ cafe: TestCafe) async throws -> String? {
        try await cafe.database.read { db in try await Tickets.find(ticket, in: db)?.seat }
    }

    @Test(arguments: TestBackend.available)
    func theKiosksOfflineSeatIsKeptWhenFreeAndAClashIsSettledAndReported(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            func offlineEnter(_ pass: UUID, seat: String?) -> KioskEvent {
                KioskEvent(eventID: UUID(), passID: pass, verdict: .enter, occurredAt: cafe.clock.now, decidedOffline: true,
                           minutesCharged: nil, seat: seat)
            }
            // The kiosk gave Baek seat 7 offline: free, kept.
            let baek = try await cafe.counterSale("day", holder: "Baek")
            let kept = try await Self.upload(cafe, device: device.token, [offlineEnter(baek.ticketID, seat: "7")])
            #expect(kept.conflicts.isEmpty)
            #expect(try await Self.seat(of: baek.ticketID, cafe) == "7")

            // Meanwhile Nam entered online at another kiosk and was given seat 1; the offline
            // kiosk, not knowing, gave Ahn seat 1 too: Ahn is moved and the owner told.
            let nam = try await cafe.counterSale("day", holder: "Nam")
            #expect(try await Self.checkIn(cafe, device: device.token, token: nam.token).display.seat == "1")
            let ahn = try await cafe.counterSale("day", holder: "Ahn")
            let clash = try await Self.upload(cafe, device: device.token, [offlineEnter(ahn.ticketID, seat: "1")])
            #expect(clash.accepted.count == 1)
            #expect(clash.conflicts.count == 1)
            #expect(clash.conflicts.first?.serverVerdict == .enter, "the entry itself stands")
            #expect(clash.conflicts.first?.message.contains("seat 1 given offline clashed (Nam sits there): given seat 2 instead") == true,
                    "\(clash.conflicts)")
            #expect(try await Self.seat(of: ahn.ticketID, cafe) == "2")
            #expect(try await Self.seat(of: nam.ticketID, cafe) == "1", "the one who sat first keeps it")

            // A seat held in the app for someone else, and a seat the store does not have.
            let jin = try await cafe.customer()
            let jinPass = try RefundTests.ticket(of: try await cafe.buy("period-7", as: jin.access))
            #expect(try await cafe.call("PUT", "/me/tickets/\(jinPass.id)/seat", json: ["seat": "3"], bearer: jin.access).status == 200)
            let oh = try await cafe.counterSale("day", holder: "Oh")
            let ko = try await cafe.counterSale("day", holder: "Ko")
            let more = try await Self.upload(cafe, device: device.token, [offlineEnter(oh.ticketID, seat: "3"), offlineEnter(ko.ticketID, seat: "99")])
            #expect(more.conflicts.map(\.message) == [
                "seat 3 given offline clashed (it is held in the app for another pass): given seat 4 instead",
                "seat 99 given offline clashed (the store has no seat 99): given seat 5 instead",
            ])
            // A kiosk's garbage seat is not repeated whole into the owner's list.
            let yu = try await cafe.counterSale("day", holder: "Yu")
            let garbage = try await Self.upload(cafe, device: device.token, [offlineEnter(yu.ticketID, seat: String(repeating: "9", count: 5_000))])
            #expect(garbage.conflicts.first?.message == "seat 9999999999999999… given offline clashed (the store has no seat 9999999999999999…): given seat 6 instead")
            // The clashes are in the owner's conflicts list; the map shows where everyone sits.
            let conflicts = try await cafe.call("GET", "/stores/1/conflicts", bearer: cafe.ownerToken)
            #expect((conflicts.object["conflicts"] as? [[String: Any]])?.count == 4, "\(conflicts)")
            let map = try await cafe.call("GET", "/stores/1/seats", bearer: cafe.ownerToken)
            let occupied = (map.object["seats"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "occupied" }
            #expect(occupied.compactMap { $0["holder_name"] as? String } == ["Nam", "Ahn", "Oh", "Ko", "Yu", "Baek"])
        }
    }
}
