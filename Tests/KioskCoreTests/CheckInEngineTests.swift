import CafeProtocol
import Crypto
import Foundation
import Testing
@testable import KioskCore

@Suite struct CheckInEngineTests {
    let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    let settings = StoreSettings(storeID: 1, name: "Test", timeZone: "UTC", closedHours: nil, seats: 10)

    final class TestClock: @unchecked Sendable {
        // Safe: used by one test at a time, from the test's own task.
        var now = Date(timeIntervalSince1970: 1_795_575_600)
        func advance(_ seconds: TimeInterval) { now = now.addingTimeInterval(seconds) }
    }

    func pass(_ kind: PassKind = .time) throws -> (text: String, id: UUID) {
        let id = UUID()
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let token = PassToken(keyID: signer.keyID, passID: id, storeID: 1, kind: kind,
                              validFrom: start, validUntil: start.addingTimeInterval(86_400 * 30), issuedAt: start)
        return (try signer.signText(token), id)
    }

    func engine(_ store: InMemoryCheckInStore, _ clock: TestClock) -> CheckInEngine {
        CheckInEngine(store: store, repeatWindow: 5, now: { clock.now })
    }

    @Test func enterThenExitRecordsTwoEventsAndChargesTime() throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: settings)
        let (text, id) = try pass(.time)
        store.tickets[id] = TicketState(passID: id, storeID: 1, kind: .time, validFrom: .distantPast, validUntil: .distantFuture,
                                        remainingMinutes: 120, status: .valid, inside: false, lastEnteredAt: nil,
                                        holderName: nil, seat: nil, revision: 1)
        let clock = TestClock()
        let engine = engine(store, clock)
        #expect(try engine.scan(text).verdict == .enter)
        clock.advance(45 * 60)
        let exit = try engine.scan(text)
        #expect(exit.verdict == .exit)
        #expect(exit.event?.minutesCharged == 45)
        #expect(store.events.map(\.verdict) == [.enter, .exit])
        #expect(Set(store.events.map(\.eventID)).count == 2)
        #expect(store.events.allSatisfy { $0.decidedOffline && $0.passID == id })
        #expect(store.tickets[id]?.remainingMinutes == 75)
        #expect(store.tickets[id]?.inside == false)
    }

    @Test func anOfflineEntryGetsTheLowestSeatFreeInTheCache() throws {
        var small = settings
        small.seats = 3
        let store = InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: small)
        // Someone the last sync showed inside on seat 1 (they entered at another kiosk).
        let synced = UUID()
        store.tickets[synced] = TicketState(passID: synced, storeID: 1, kind: .period, validFrom: .distantPast, validUntil: .distantFuture,
                                            remainingMinutes: nil, status: .valid, inside: true, lastEnteredAt: nil,
                                            holderName: "Kim", seat: "1", revision: 1)
        let clock = TestClock()
        let engine = engine(store, clock)
        let (a, b, c, d) = (try pass(.period), try pass(.period), try pass(.period), try pass(.period))
        let first = try engine.scan(a.text)
        #expect(first.verdict == .enter)
        #expect(first.event?.seat == "2")
        #expect(first.decision.display.seat == "2", "the screen shows the seat the event carries")
        #expect(store.tickets[a.id]?.seat == "2")
        #expect(try engine.scan(b.text).event?.seat == "3")
        #expect(try engine.scan(c.text).event?.seat == nil, "the room is full: in, without a seat")
        clock.advance(60)
        let out = try engine.scan(a.text)
        #expect(out.verdict == .exit)
        #expect(out.event?.seat == nil, "only entries carry a seat")
        #expect(try engine.scan(d.text).event?.seat == "2", "the seat the exit freed")
        #expect(store.events.filter { $0.verdict == .enter }.compactMap(\.seat) == ["2", "3", "2"])
        #expect(store.tickets[a.id]?.seat == nil, "the exit freed it in the cache")
        // A seat left on a pass outside (an earlier visit) is not given again: the room is full.
        let stale = try pass(.period)
        store.tickets[stale.id] = TicketState(passID: stale.id, storeID: 1, kind: .period, validFrom: .distantPast,
                                              validUntil: .distantFuture, remainingMinutes: nil, status: .valid, inside: false,
                                              lastEnteredAt: nil, holderName: nil, seat: "2", revision: 1)
        #expect(try engine.scan(stale.text).event?.seat == nil)
        #expect(store.tickets[stale.id]?.seat == nil)
    }

    @Test func aCodeHeldUpIsOneScanNotEnterThenExit() throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: settings)
        let (text, _) = try pass(.period)
        let clock = TestClock()
        let engine = engine(store, clock)
        #expect(try engine.scan(text).verdict == .enter)
        for _ in 0..<4 {
            clock.advance(1)
            let again = try engine.scan(text)
            #expect(again.isRepeat && again.verdict == .enter && again.event == nil)
        }
        #expect(store.events.count == 1)
        clock.advance(10)  // the window has passed since the first scan: a real second scan
        #expect(try engine.scan(text).verdict == .exit)
        #expect(store.events.count == 2)
    }

    @Test func aDoorThatStayedShutAnnulsItsGrantOfflineAndTheCustomerScansAgain() throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: settings)
        let (text, id) = try pass(.time)
        store.tickets[id] = TicketState(passID: id, storeID: 1, kind: .time, validFrom: .distantPast, validUntil: .distantFuture,
                                        remainingMinutes: 120, status: .valid, inside: false, lastEnteredAt: nil,
                                        holderName: nil, seat: nil, revision: 1)
        let clock = TestClock()
        let engine = engine(store, clock)
        let entry = try engine.scan(text)
        #expect(entry.verdict == .enter && store.tickets[id]?.inside == true)
        clock.advance(2)
        let annul = try engine.annul(try #require(entry.event?.eventID))
        #expect(annul.event.annuls == entry.event?.eventID && annul.event.passID == id && annul.event.verdict == .enter)
        #expect(store.tickets[id]?.inside == false && store.tickets[id]?.lastEnteredAt == nil)
        #expect(store.events.last == annul.event, "the annul goes to the outbox like a decision")
        #expect(throws: AnnulError.alreadyAnnulled) { try engine.annul(entry.event!.eventID) }

        // Within the repeat window, the code is a new scan again — an entry, not a repeat.
        clock.advance(1)
        let again = try engine.scan(text)
        #expect(!again.isRepeat && again.verdict == .enter)

        // An exit whose door stayed shut: inside again, the minutes given back.
        clock.advance(40 * 60)
        let exit = try engine.scan(text)
        #expect(exit.verdict == .exit && store.tickets[id]?.remainingMinutes == 80)
        _ = try engine.annul(exit.event!.eventID)
        #expect(store.tickets[id]?.inside == true && store.tickets[id]?.remainingMinutes == 120)

        // A grant for a pass decided again since stands: reversing it would undo the newer one.
        clock.advance(10)
        let out = try engine.scan(text)
        clock.advance(10)
        let back = try engine.scan(text)
        #expect(out.verdict == .exit && back.verdict == .enter)
        #expect(throws: AnnulError.passScannedSince) { try engine.annul(out.event!.eventID) }
        #expect(throws: AnnulError.unknownGrant) { try engine.annul(UUID()) }
        let events = store.events
        #expect(events.filter(\.isAnnul).count == 2)
        #expect(Set(events.map(\.eventID)).count == events.count)
    }

    @Test func aDenyHasNothingToAnnul() throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: settings)
        let engine = engine(store, TestClock())
        let denied = try engine.scan("not a pass")
        #expect(denied.verdict == .deny(.unreadable))
        #expect(throws: AnnulError.unknownGrant) { try engine.annul(denied.event!.eventID) }
        #expect(store.events.count == 1)
    }

    @Test func aFullDiskDeniesNothingAndLosesNothing() throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: settings)
        let (a, idA) = try pass(.period)
        let (b, _) = try pass(.period)
        let clock = TestClock()
        let engine = engine(store, clock)
        store.failWrites = true
        let first = try engine.scan(a)
        #expect(first.verdict == .enter, "the rules allow it: the door opens")
        #expect(first.recordError?.contains("full") == true)
        clock.advance(60)
        // The state not yet written still counts: the same pass is now inside, so it exits.
        #expect(try engine.scan(a).verdict == .exit)
        #expect(engine.pendingUnrecorded == 2)
        store.failWrites = false
        clock.advance(60)
        #expect(try engine.scan(b).verdict == .enter)
        #expect(engine.pendingUnrecorded == 0)
        #expect(store.events.map(\.verdict) == [.enter, .exit, .enter], "written in the order decided")
        #expect(store.tickets[idA]?.inside == false)
    }

    @Test func anUnsyncedKioskRefusesToGuess() throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(), settings: nil)
        let engine = engine(store, TestClock())
        #expect(throws: CheckInError.notSynced) { try engine.scan(try pass().text) }
        #expect(store.events.isEmpty)
    }

    @Test func deniedScansAreRecordedToo() throws {
        let store = InMemoryCheckInStore(keys: PassVerifier(publicKeys: [signer.privateKey.publicKey]), settings: settings)
        let engine = engine(store, TestClock())
        let outcome = try engine.scan("garbage")
        #expect(outcome.verdict == .deny(.unreadable))
        #expect(store.events.count == 1)
        #expect(store.events[0].passID == nil)
    }
}
