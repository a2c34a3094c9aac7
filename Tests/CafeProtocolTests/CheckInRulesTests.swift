import Crypto
import Foundation
import Testing
@testable import CafeProtocol

/// Every rule and every reason code, as a table of (pass, state, time) → verdict.
@Suite struct CheckInRulesTests {
    static let signer = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
    static let keys = PassVerifier(publicKeys: [signer.privateKey.publicKey])
    /// 2026-11-25 12:00 in Seoul (03:00 UTC).
    static let noon = Date(timeIntervalSince1970: 1_795_575_600)
    static let store = StoreSettings(storeID: 1, name: "Gangnam", timeZone: "Asia/Seoul",
                                     closedHours: LocalTimeRange(startMinute: 120, endMinute: 300), seats: 40)
    static let passID = UUID()

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var kind: PassKind = .period
        var store: UInt32 = 1
        var validFrom: TimeInterval = -86_400      // relative to noon
        var validUntil: TimeInterval = 86_400 * 6
        var state: State? = State()
        var at: TimeInterval = 0
        var direction: ScanDirection = .auto
        var expected: Verdict
        var remainingAfter: Int?? = .none
        var charged: Int? = nil
        var overstay: Int? = nil

        struct State: Sendable {
            var status: TicketStatus = .valid
            var inside = false
            var enteredAgo: TimeInterval? = nil
            var remaining: Int? = nil
            var validUntil: TimeInterval? = nil
        }

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "period pass enters", expected: .enter),
        Case(name: "period pass exits when inside", state: .init(inside: true, enteredAgo: 3600), expected: .exit),
        Case(name: "second entry is already_inside", state: .init(inside: true, enteredAgo: 60), direction: .enter, expected: .deny(.alreadyInside)),
        Case(name: "wrong store", store: 2, expected: .deny(.wrongStore)),
        Case(name: "not yet valid", validFrom: 3600, validUntil: 86_400, expected: .deny(.notYetValid)),
        Case(name: "clock skew: starts in 2 minutes, accepted", validFrom: 120, validUntil: 86_400, expected: .enter),
        Case(name: "valid-until exactly now is expired", validFrom: -86_400, validUntil: 0, expected: .deny(.expired)),
        Case(name: "one second before valid-until enters", validFrom: -86_400, validUntil: 1, expected: .enter),
        Case(name: "expired while inside can still leave", validUntil: -3600, state: .init(inside: true, enteredAgo: 7200), expected: .exit),
        Case(name: "refunded", state: .init(status: .refunded), expected: .deny(.refunded)),
        Case(name: "revoked", state: .init(status: .revoked), expected: .deny(.revoked)),
        Case(name: "refunded while inside can still leave", state: .init(status: .refunded, inside: true, enteredAgo: 60), expected: .exit),
        Case(name: "store closed 03:00 local", at: 15 * 3600, expected: .deny(.storeClosed)),
        Case(name: "store reopens 05:00 local", at: 17 * 3600, expected: .enter),
        Case(name: "exit allowed while closed", state: .init(inside: true, enteredAgo: 3600), at: 15 * 3600, expected: .exit),
        Case(name: "time pass with minutes enters", kind: .time, state: .init(remaining: 600), expected: .enter, remainingAfter: 600),
        Case(name: "time pass at zero is no_time_left", kind: .time, state: .init(remaining: 0), expected: .deny(.noTimeLeft)),
        Case(name: "time pass charged started minutes on exit", kind: .time, state: .init(inside: true, enteredAgo: 61 * 60 + 1, remaining: 600),
             expected: .exit, remainingAfter: 538, charged: 62),
        Case(name: "overstay charged to zero and flagged", kind: .time, state: .init(inside: true, enteredAgo: 90 * 60, remaining: 60),
             expected: .exit, remainingAfter: 0, charged: 60, overstay: 30),
        Case(name: "unsynced time pass: charged, balance left to the server", kind: .time, state: .init(inside: true, enteredAgo: 600, remaining: nil),
             expected: .exit, remainingAfter: .some(nil), charged: 10),
        Case(name: "day pass enters once", kind: .day, validUntil: 12 * 3600, expected: .enter),
        Case(name: "day pass used (exited earlier) is expired", kind: .day, validUntil: 12 * 3600,
             state: .init(enteredAgo: 7200, validUntil: -60), expected: .deny(.expired)),
        Case(name: "pass not in the cache yet enters on its signature", state: nil, expected: .enter),
        Case(name: "exit-only gate lets an outside holder out", direction: .exit, expected: .exit),
        Case(name: "pass extended while inside exits and is still valid", validUntil: -60,
             state: .init(inside: true, enteredAgo: 600, validUntil: 86_400 * 7), expected: .exit),
    ]

    @Test(arguments: cases)
    func rule(_ c: Case) throws {
        let noon = Self.noon
        let token = PassToken(keyID: Self.signer.keyID, passID: Self.passID, storeID: c.store, kind: c.kind,
                              validFrom: noon.addingTimeInterval(c.validFrom), validUntil: noon.addingTimeInterval(c.validUntil),
                              issuedAt: noon.addingTimeInterval(c.validFrom))
        let text = try Self.signer.signText(token)
        let ticket = c.state.map { state in
            TicketState(passID: Self.passID, storeID: c.store, kind: c.kind, validFrom: token.validFrom,
                        validUntil: state.validUntil.map { noon.addingTimeInterval($0) } ?? token.validUntil,
                        remainingMinutes: state.remaining, status: state.status, inside: state.inside,
                        lastEnteredAt: state.enteredAgo.map { noon.addingTimeInterval(c.at - $0) },
                        holderName: "Kim", seat: nil, revision: 1)
        }
        let decision = CheckInRules().decide(scanned: text, at: noon.addingTimeInterval(c.at), direction: c.direction,
                                             keys: Self.keys, store: Self.store, ticket: ticket)
        #expect(decision.verdict == c.expected)
        #expect(decision.minutesCharged == c.charged)
        #expect(decision.overstayMinutes == c.overstay)
        if case .some(let remaining) = c.remainingAfter {
            #expect(decision.updatedTicket?.remainingMinutes == remaining)
        }
        switch c.expected {
        case .enter:
            #expect(decision.updatedTicket?.inside == true)
            #expect(decision.updatedTicket?.lastEnteredAt == noon.addingTimeInterval(c.at))
        case .exit:
            #expect(decision.updatedTicket?.inside == false)
            if c.kind == .day { #expect(decision.updatedTicket!.validUntil <= noon.addingTimeInterval(c.at)) }
        case .deny(let reason):
            #expect(decision.updatedTicket == nil, "a deny changes nothing")
            #expect(decision.display.title == CheckInRules.message(for: reason))
        }
    }

    @Test func badCodesAreDeniedWithTheirReason() throws {
        let noon = Self.noon
        let stranger = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
        let token = PassToken(keyID: stranger.keyID, passID: UUID(), storeID: 1, kind: .day,
                              validFrom: noon, validUntil: noon.addingTimeInterval(3600), issuedAt: noon)
        var tampered = try Base45.decode(Self.signer.signText(token))
        tampered[33] ^= 0x01  // the last byte of valid-until
        let cases: [(String, DenyReason)] = [
            ("https://example.com/not-a-pass", .unreadable),
            ("", .unreadable),
            (try stranger.signText(token), .unknownKey),
            (Base45.encode(tampered), .invalidSignature),
        ]
        for (text, reason) in cases {
            let decision = CheckInRules().decide(scanned: text, at: noon, direction: .auto, keys: Self.keys, store: Self.store, ticket: nil)
            #expect(decision.verdict == .deny(reason), "\(text)")
        }
    }

    @Test func keyRotatedWhileOfflineIsUnknownUntilSynced() throws {
        let newKey = PassSigner(privateKey: Curve25519.Signing.PrivateKey())
        let token = PassToken(keyID: newKey.keyID, passID: UUID(), storeID: 1, kind: .period,
                              validFrom: Self.noon, validUntil: Self.noon.addingTimeInterval(86_400), issuedAt: Self.noon)
        let text = try newKey.signText(token)
        let before = CheckInRules().decide(scanned: text, at: Self.noon, direction: .auto, keys: Self.keys, store: Self.store, ticket: nil)
        #expect(before.verdict == .deny(.unknownKey))
        var synced = Self.keys
        synced.add(newKey.privateKey.publicKey)
        let after = CheckInRules().decide(scanned: text, at: Self.noon, direction: .auto, keys: synced, store: Self.store, ticket: nil)
        #expect(after.verdict == .enter)
    }

    @Test func fuzzedTokensAreNeverAccepted() throws {
        let token = PassToken(keyID: Self.signer.keyID, passID: Self.passID, storeID: 1, kind: .period,
                              validFrom: Self.noon, validUntil: Self.noon.addingTimeInterval(86_400), issuedAt: Self.noon)
        let bytes = try Self.signer.sign(token)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<mutated.count, using: &generator)
                mutated[index] ^= UInt8.random(in: 1...255, using: &generator)
            }
            // Two flips of the same byte by the same value cancel out: that is the original.
            if mutated == bytes { continue }
            let decision = CheckInRules().decide(scanned: Base45.encode(mutated), at: Self.noon, direction: .auto,
                                                 keys: Self.keys, store: Self.store, ticket: nil)
            if case .deny = decision.verdict {} else { Issue.record("a mutated token was accepted") }
        }
    }
}

/// An annul reverses exactly what its grant changed, for every kind, whatever else changed since.
@Suite struct AnnulRulesTests {
    let rules = CheckInRules()
    let noon = CheckInRulesTests.noon

    func ticket(_ kind: PassKind, inside: Bool, remaining: Int? = nil, until: TimeInterval = 86_400, entered: TimeInterval? = nil) -> TicketState {
        TicketState(passID: CheckInRulesTests.passID, storeID: 1, kind: kind, validFrom: noon.addingTimeInterval(-86_400),
                    validUntil: noon.addingTimeInterval(until), remainingMinutes: remaining, status: .valid, inside: inside,
                    lastEnteredAt: entered.map { noon.addingTimeInterval($0) }, holderName: nil, seat: nil, revision: 3)
    }

    @Test(arguments: [PassKind.day, .period, .time])
    func annullingAGrantGivesBackTheStateBeforeIt(kind: PassKind) throws {
        let before = ticket(kind, inside: false, remaining: kind == .time ? 120 : nil, entered: -86_400)
        let scan = try CheckInRulesTests.signer.signText(PassToken(
            keyID: CheckInRulesTests.signer.keyID, passID: before.passID, storeID: 1, kind: kind,
            validFrom: before.validFrom, validUntil: before.validUntil, issuedAt: before.validFrom))
        let store = CheckInRulesTests.store
        let entry = rules.decide(scanned: scan, at: noon, direction: .auto, keys: CheckInRulesTests.keys, store: store, ticket: before)
        #expect(entry.verdict == .enter)
        let afterEntry = try #require(entry.updatedTicket)
        #expect(rules.annulling(.enter, of: afterEntry, minutesCharged: nil, before: before) == before)

        let exit = rules.decide(scanned: scan, at: noon.addingTimeInterval(45 * 60), direction: .auto, keys: CheckInRulesTests.keys,
                                store: store, ticket: afterEntry)
        #expect(exit.verdict == .exit)
        let reversed = rules.annulling(.exit, of: try #require(exit.updatedTicket), minutesCharged: exit.minutesCharged, before: afterEntry)
        #expect(reversed == afterEntry, "inside again, minutes and the day given back")
        #expect(rules.annulling(.deny(.expired), of: afterEntry, minutesCharged: nil, before: before) == nil)
    }

    @Test func anExtensionBoughtSinceIsKept() {
        // Inside with 60 minutes; the exit charged 30; 600 more were bought before the annul came.
        var now = ticket(.time, inside: false, remaining: 630, entered: -1800)
        now.revision = 9
        let reversed = rules.annulling(.exit, of: now, minutesCharged: 30, before: ticket(.time, inside: true, remaining: 60, entered: -1800))
        #expect(reversed?.remainingMinutes == 660 && reversed?.inside == true && reversed?.revision == 9)
    }
}
