import CafeProtocol
import CafeServerTesting
import Foundation
import Testing

/// The kiosk contract v1 seen from the wire, with the server's own JSON.
@Suite("Kiosk contract v1 on the server")
struct KioskContractTests {
    /// Enrols a device; returns its token.
    static func enroll(_ cafe: TestCafe, name: String = "entrance") async throws -> (token: String, id: String) {
        let code = try await cafe.enrollmentCode()
        let answer = try await cafe.call("POST", KioskAPI.enrollPath, json: ["code": code, "device_name": name])
        guard answer.status == 200, let token = answer.object["device_token"] as? String, let id = answer.object["device_id"] as? String else {
            throw TestCafeError("enrol failed: \(answer)")
        }
        return (token, id)
    }

    static func device(_ token: String) -> [String: String] { ["Authorization": "Device \(token)"] }

    static func decode<T: Decodable>(_ type: T.Type, _ answer: TestHTTP.Answer) throws -> T {
        try WireCoding.decoder().decode(T.self, from: answer.body)
    }

    @Test(arguments: TestBackend.available)
    func enrolmentCodesWorkOnce(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let code = try await cafe.enrollmentCode()
            let first = try await cafe.call("POST", KioskAPI.enrollPath, json: ["code": code.lowercased(), "device_name": "entrance"])
            #expect(first.status == 200, "codes are typed by hand: case does not matter")
            let response = try Self.decode(EnrollResponse.self, first)
            #expect(response.store.storeID == 1)
            #expect(response.store.timeZone == "Asia/Seoul")
            let second = try await cafe.call("POST", KioskAPI.enrollPath, json: ["code": code, "device_name": "again"])
            #expect(second.status == 401)
            #expect(second.code == APIError.enrollmentCodeInvalid)

            cafe.clock.advance(by: 25 * 3600)
            let stale = try await cafe.enrollmentCode()
            cafe.clock.advance(by: 25 * 3600)
            let expired = try await cafe.call("POST", KioskAPI.enrollPath, json: ["code": stale, "device_name": "late"])
            #expect(expired.code == APIError.enrollmentCodeInvalid)
        }
    }

    @Test(arguments: TestBackend.available)
    func syncPagesByCursorUntilDone(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await Self.enroll(cafe)
            var sold = Set<UUID>()
            for product in ["day", "period-7", "time-1h", "time-10h", "period-28"] { sold.insert(try await cafe.counterSale(product).ticketID) }

            var cursor: String?
            var seen: [UUID] = []
            var pages = 0
            repeat {
                let query = cursor.map { "&cursor=\($0)" } ?? ""
                let answer = try await cafe.call("GET", KioskAPI.syncPath + "?limit=2" + query, headers: Self.device(device.token))
                #expect(answer.status == 200)
                let page = try Self.decode(SyncPage.self, answer)
                seen += page.tickets.map(\.passID)
                #expect(page.keys.count == 1)
                #expect(page.printJobs.count == 5)
                cursor = page.cursor
                pages += 1
                if !page.hasMore { break }
            } while pages < 10
            #expect(pages == 3)
            #expect(Set(seen) == sold)
            #expect(seen.count == 5, "no ticket twice")

            // Nothing new: an empty page, same cursor.
            let idle = try Self.decode(SyncPage.self, try await cafe.call("GET", KioskAPI.syncPath + "?cursor=\(cursor!)", headers: Self.device(device.token)))
            #expect(idle.tickets.isEmpty)
            #expect(idle.cursor == cursor)

            let bad = try await cafe.call("GET", KioskAPI.syncPath + "?cursor=garbage", headers: Self.device(device.token))
            #expect(bad.status == 400)
            let tooMany = try await cafe.call("GET", KioskAPI.syncPath + "?limit=100000", headers: Self.device(device.token))
            #expect(tooMany.status == 400)
        }
    }

    @Test(arguments: TestBackend.available)
    func onlineCheckInAppliesTheRulesOnceByEventID(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("time-10h", holder: "Park")
            func scan(_ event: UUID, _ token: String = pass.token) async throws -> CheckInResponse {
                let request = CheckInRequest(eventID: event, token: token, direction: .auto, scannedAt: cafe.clock.now)
                let body = String(decoding: try WireCoding.encoder().encode(request), as: UTF8.self)
                let answer = try await cafe.call("POST", KioskAPI.checkInsPath, headers: Self.device(device.token), rawBody: body)
                guard answer.status == 200 else { throw TestCafeError("check-in: \(answer)") }
                return try Self.decode(CheckInResponse.self, answer)
            }
            let enter = UUID()
            let first = try await scan(enter)
            #expect(first.verdict == .enter)
            #expect(first.display.holderName == "Park")
            #expect(first.ticket?.inside == true)
            // A retry of the same event: the same answer, not an exit.
            let retry = try await scan(enter)
            #expect(retry == first)

            cafe.clock.advance(by: 90 * 60 + 1)
            let exit = try await scan(UUID())
            #expect(exit.verdict == .exit)
            #expect(exit.ticket?.remainingMinutes == 600 - 91)

            let forged = try await scan(UUID(), String(pass.token.dropLast(3)) + "AAA")
            #expect(forged.verdict == .deny(.invalidSignature) || forged.verdict == .deny(.unreadable))
            let garbage = try await scan(UUID(), "hello")
            #expect(garbage.verdict == .deny(.unreadable))

            let refund = try await cafe.call("POST", "/stores/1/tickets/\(pass.ticketID)/refund", bearer: cafe.ownerToken)
            #expect(refund.status == 200)
            #expect(try await scan(UUID()).verdict == .deny(.refunded))
        }
    }

    @Test(arguments: TestBackend.available)
    func aRevokedDeviceGets401Everywhere(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await Self.enroll(cafe)
            #expect(try await cafe.call("GET", KioskAPI.syncPath, headers: Self.device(device.token)).status == 200)
            let revoke = try await cafe.call("POST", "/stores/1/devices/\(device.id)/revoke", bearer: cafe.ownerToken)
            #expect(revoke.status == 204)
            let devices = try await cafe.call("GET", "/stores/1/devices", bearer: cafe.ownerToken)
            #expect(((devices.object["devices"] as? [[String: Any]])?.first?["revoked"] as? Bool) == true)
            for (method, path) in [("GET", KioskAPI.syncPath), ("POST", KioskAPI.checkInsPath), ("POST", KioskAPI.eventsPath),
                                   ("POST", KioskAPI.printJobAckPath(UUID().uuidString))] {
                let answer = try await cafe.call(method, path, headers: Self.device(device.token), rawBody: "{}")
                #expect(answer.status == 401, "\(method) \(path)")
                #expect(answer.code == APIError.unauthorized)
            }
            #expect(try await cafe.call("GET", KioskAPI.syncPath).status == 401)
            #expect(try await cafe.call("GET", KioskAPI.syncPath, headers: ["Authorization": "Device nonsense"]).status == 401)
        }
    }

    @Test(arguments: TestBackend.available)
    func uploadsAreIdempotentAndConflictsAreRecorded(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("time-1h")
            let refunded = try await cafe.counterSale("day")
            _ = try await cafe.call("POST", "/stores/1/tickets/\(refunded.ticketID)/refund", bearer: cafe.ownerToken)
            let t0 = cafe.clock.now
            let events = [
                KioskEvent(eventID: UUID(), passID: pass.ticketID, verdict: .enter, occurredAt: t0, decidedOffline: true, minutesCharged: nil),
                KioskEvent(eventID: UUID(), passID: pass.ticketID, verdict: .exit, occurredAt: t0.addingTimeInterval(30 * 60), decidedOffline: true, minutesCharged: 30),
                KioskEvent(eventID: UUID(), passID: refunded.ticketID, verdict: .enter, occurredAt: t0, decidedOffline: true, minutesCharged: nil),
                KioskEvent(eventID: UUID(), passID: nil, verdict: .deny(.unreadable), occurredAt: t0, decidedOffline: true, minutesCharged: nil),
            ]
            func upload(_ batch: [KioskEvent]) async throws -> EventBatchResult {
                let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: batch)), as: UTF8.self)
                let answer = try await cafe.call("POST", KioskAPI.eventsPath, headers: Self.device(device.token), rawBody: body)
                guard answer.status == 200 else { throw TestCafeError("upload: \(answer)") }
                return try Self.decode(EventBatchResult.self, answer)
            }
            let first = try await upload(events)
            #expect(first.accepted == events.map(\.eventID))
            #expect(first.duplicates.isEmpty)
            #expect(first.conflicts.map(\.eventID) == [events[2].eventID])
            #expect(first.conflicts.first?.serverVerdict == .deny(.refunded))

            let again = try await upload(events)
            #expect(again.accepted.isEmpty)
            #expect(again.duplicates == events.map(\.eventID))

            let page = try Self.decode(SyncPage.self, try await cafe.call("GET", KioskAPI.syncPath, headers: Self.device(device.token)))
            let state = try #require(page.tickets.first { $0.passID == pass.ticketID })
            #expect(state.remainingMinutes == 30)
            #expect(state.inside == false)

            let conflicts = try await cafe.call("GET", "/stores/1/conflicts", bearer: cafe.ownerToken)
            #expect((conflicts.object["conflicts"] as? [[String: Any]])?.first?["server_reason"] as? String == "refunded")

            let tooBig = (0...KioskAPI.maxEventsPerBatch).map { _ in events[3] }
            let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: tooBig)), as: UTF8.self)
            #expect(try await cafe.call("POST", KioskAPI.eventsPath, headers: Self.device(device.token), rawBody: body).status == 400)
        }
    }

    @Test(arguments: TestBackend.available)
    func annulsReverseGrantsDecidedOnlineAndOffline(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await Self.enroll(cafe)
            let pass = try await cafe.counterSale("time-10h")
            func scan(_ event: UUID) async throws -> CheckInResponse {
                let request = CheckInRequest(eventID: event, token: pass.token, direction: .auto, scannedAt: cafe.clock.now)
                let body = String(decoding: try WireCoding.encoder().encode(request), as: UTF8.self)
                let answer = try await cafe.call("POST", KioskAPI.checkInsPath, headers: Self.device(device.token), rawBody: body)
                guard answer.status == 200 else { throw TestCafeError("check-in: \(answer)") }
                return try Self.decode(CheckInResponse.self, answer)
            }
            func upload(_ batch: [KioskEvent]) async throws -> EventBatchResult {
                let body = String(decoding: try WireCoding.encoder().encode(EventBatch(events: batch)), as: UTF8.self)
                let answer = try await cafe.call("POST", KioskAPI.eventsPath, headers: Self.device(device.token), rawBody: body)
                guard answer.status == 200 else { throw TestCafeError("upload: \(answer)") }
                return try Self.decode(EventBatchResult.self, answer)
            }
            func annul(_ grant: UUID, _ verdict: Verdict, pass id: UUID = pass.ticketID, minutes: Int? = nil) -> KioskEvent {
                KioskEvent(eventID: UUID(), passID: id, verdict: verdict, occurredAt: cafe.clock.now, decidedOffline: true,
                           minutesCharged: minutes, annuls: grant)
            }
            func state(_ id: UUID = pass.ticketID) async throws -> TicketState {
                let page = try Self.decode(SyncPage.self, try await cafe.call("GET", KioskAPI.syncPath, headers: Self.device(device.token)))
                return try #require(page.tickets.first { $0.passID == id })
            }

            // An online entry whose door stayed shut: outside again, and the next scan is an entry.
            let entry = UUID()
            #expect(try await scan(entry).verdict == .enter)
            let annulEntry = annul(entry, .enter)
            let annulled = try await upload([annulEntry])
            #expect(annulled.accepted == [annulEntry.eventID] && annulled.conflicts.isEmpty)
            #expect(try await state().inside == false)
            #expect(try await scan(UUID()).verdict == .enter, "not 'already inside'")

            // An online exit whose door stayed shut: inside again, the 30 minutes given back.
            cafe.clock.advance(by: 30 * 60)
            let exit = UUID()
            let exited = try await scan(exit)
            #expect(exited.verdict == .exit && exited.minutesCharged == 30)
            #expect(try await upload([annul(exit, .exit, minutes: 30)]).conflicts.isEmpty)
            var now = try await state()
            #expect(now.inside && now.remainingMinutes == 600)

            // An offline exit and its annul in one upload: the server's own charge is given back.
            cafe.clock.advance(by: 30 * 60)
            let offlineExit = KioskEvent(eventID: UUID(), passID: pass.ticketID, verdict: .exit, occurredAt: cafe.clock.now,
                                         decidedOffline: true, minutesCharged: 60)
            #expect(try await upload([offlineExit, annul(offlineExit.eventID, .exit, minutes: 60)]).conflicts.isEmpty)
            now = try await state()
            #expect(now.inside && now.remainingMinutes == 600)

            // What cannot be annulled is accepted (it leaves the kiosk's outbox) with a conflict, and changes nothing.
            let deny = KioskEvent(eventID: UUID(), passID: pass.ticketID, verdict: .deny(.alreadyInside), occurredAt: cafe.clock.now,
                                  decidedOffline: true, minutesCharged: nil)
            let refused = [annul(entry, .enter), annul(UUID(), .enter), annul(deny.eventID, .enter), annul(annulEntry.eventID, .enter)]
            let result = try await upload([deny] + refused)
            #expect(result.accepted == [deny.eventID] + refused.map(\.eventID))
            #expect(result.conflicts.map(\.eventID) == refused.map(\.eventID))
            #expect(result.conflicts[0].message.contains("annulled already"))
            #expect(result.conflicts[1].message.contains("has no event"))
            #expect(result.conflicts[2].message.contains("deny"))
            #expect(result.conflicts[3].message.contains("itself an annul"), "an annul of an annul would undo the undo")
            now = try await state()
            #expect(now.inside && now.remainingMinutes == 600)

            // A day pass ends on its exit; an annulled exit gives it back its day.
            let day = try await cafe.counterSale("day")
            let until = try await state(day.ticketID).validUntil
            let dayEntry = KioskEvent(eventID: UUID(), passID: day.ticketID, verdict: .enter, occurredAt: cafe.clock.now,
                                      decidedOffline: true, minutesCharged: nil)
            cafe.clock.advance(by: 60)
            let dayExit = KioskEvent(eventID: UUID(), passID: day.ticketID, verdict: .exit, occurredAt: cafe.clock.now,
                                     decidedOffline: true, minutesCharged: nil)
            _ = try await upload([dayEntry, dayExit])
            #expect(try await state(day.ticketID).validUntil < until)
            #expect(try await upload([annul(dayExit.eventID, .exit, pass: day.ticketID)]).conflicts.isEmpty)
            let restored = try await state(day.ticketID)
            #expect(restored.inside && restored.validUntil == until)
        }
    }

    @Test(arguments: TestBackend.available)
    func printJobsAreAcknowledgedOnce(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await Self.enroll(cafe)
            _ = try await cafe.counterSale("day", holder: "Walk-in")
            let page = try Self.decode(SyncPage.self, try await cafe.call("GET", KioskAPI.syncPath, headers: Self.device(device.token)))
            let job = try #require(page.printJobs.first)
            #expect(job.label.contains("day pass"))
            let ack = #"{"printed_at":"2026-11-25T10:00:00.000Z"}"#
            #expect(try await cafe.call("POST", KioskAPI.printJobAckPath(job.jobID.uuidString), headers: Self.device(device.token), rawBody: ack).status == 204)
            #expect(try await cafe.call("POST", KioskAPI.printJobAckPath(job.jobID.uuidString), headers: Self.device(device.token), rawBody: ack).status == 409)
            #expect(try await cafe.call("POST", KioskAPI.printJobAckPath(UUID().uuidString), headers: Self.device(device.token), rawBody: ack).status == 404)
            let after = try Self.decode(SyncPage.self, try await cafe.call("GET", KioskAPI.syncPath, headers: Self.device(device.token)))
            #expect(after.printJobs.isEmpty)
        }
    }

    /// The cursor must never skip a change committed late: writers run concurrently while a
    /// kiosk pulls; every ticket written must reach it. With a plain sequence or timestamp
    /// cursor this fails on PostgreSQL (a reader passes a number whose transaction has not
    /// committed yet).
    @Test(arguments: TestBackend.available)
    func theCursorNeverSkipsALateCommit(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await Self.enroll(cafe)
            let writers = 6, salesPerWriter = 15
            async let written: Set<UUID> = withThrowingTaskGroup(of: [UUID].self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        var ids: [UUID] = []
                        for _ in 0..<salesPerWriter { ids.append(try await cafe.counterSale("time-1h").ticketID) }
                        return ids
                    }
                }
                return try await group.reduce(into: Set<UUID>()) { $0.formUnion($1) }
            }
            var cursor: String?
            var seen = Set<UUID>()
            var pulls = 0
            while seen.count < writers * salesPerWriter && pulls < 2_000 {
                let query = cursor.map { "?limit=7&cursor=\($0)" } ?? "?limit=7"
                let page = try Self.decode(SyncPage.self, try await cafe.call("GET", KioskAPI.syncPath + query, headers: Self.device(device.token)))
                seen.formUnion(page.tickets.map(\.passID))
                cursor = page.cursor
                pulls += 1
            }
            let all = try await written
            #expect(all.count == writers * salesPerWriter)
            #expect(seen == all, "missed \(all.subtracting(seen).count) tickets")
        }
    }
}

@Suite("Signing keys: rotation and retirement")
struct SigningKeyTests {
    @Test(arguments: TestBackend.available)
    func oldPassesWorkAfterARotationUntilTheKeyIsRetired(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let device = try await KioskContractTests.enroll(cafe)
            let old = try await cafe.counterSale("period-28")
            let oldKey = try PassToken.parse(text: old.token).token.keyID
            let rotated = try await cafe.call("POST", "/stores/1/keys/rotate", bearer: cafe.ownerToken)
            #expect(rotated.status == 201)
            let fresh = try await cafe.counterSale("period-28")
            #expect(try PassToken.parse(text: fresh.token).token.keyID != oldKey, "new passes use the new key")

            func verdict(_ token: String) async throws -> Verdict {
                let request = CheckInRequest(eventID: UUID(), token: token, direction: .enter, scannedAt: cafe.clock.now)
                let body = String(decoding: try WireCoding.encoder().encode(request), as: UTF8.self)
                let answer = try await cafe.call("POST", KioskAPI.checkInsPath, headers: KioskContractTests.device(device.token), rawBody: body)
                return try KioskContractTests.decode(CheckInResponse.self, answer).verdict
            }
            #expect(try await verdict(old.token) == .enter)
            let page = try KioskContractTests.decode(SyncPage.self, try await cafe.call("GET", KioskAPI.syncPath, headers: KioskContractTests.device(device.token)))
            #expect(page.keys.count == 2)

            // The active key cannot be retired; the old one can.
            let newKey = try PassToken.parse(text: fresh.token).token.keyID
            #expect(try await cafe.call("POST", "/stores/1/keys/\(newKey)/retire", bearer: cafe.ownerToken).status == 409)
            #expect(try await cafe.call("POST", "/stores/1/keys/\(oldKey)/retire", bearer: cafe.ownerToken).status == 204)
            #expect(try await verdict(fresh.token) == .enter)
            #expect(try await verdict(old.token) == .deny(.unknownKey))
            let after = try KioskContractTests.decode(SyncPage.self, try await cafe.call("GET", KioskAPI.syncPath, headers: KioskContractTests.device(device.token)))
            #expect(after.keys.first { $0.keyID == oldKey }?.retired == true)
        }
    }
}
