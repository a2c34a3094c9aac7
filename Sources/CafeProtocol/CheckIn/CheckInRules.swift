import Foundation

/// The study cafe's door rules, as a pure function of what was scanned, when, and what is
/// known (keys, store settings, the pass's last known state). No I/O and no clock: the same
/// inputs always give the same decision, so every rule is tested by a table. They live here,
/// beside the wire types, because both sides apply them: the kiosk offline, `cafe-server` for
/// the online verdict and to re-check offline decisions.
public struct CheckInRules: Sendable {
    /// How far ahead of the kiosk's clock a pass may start and still be accepted: the server
    /// that issued it a moment ago may run a little ahead of the box.
    public var clockSkewTolerance: TimeInterval = 300

    public init(clockSkewTolerance: TimeInterval = 300) {
        self.clockSkewTolerance = clockSkewTolerance
    }

    /// What the rules decided, and the pass's state after the decision.
    public struct Decision: Equatable, Sendable {
        public var verdict: Verdict
        /// The verified token, when the scan held one.
        public var token: PassToken?
        /// The pass's state after this scan, to store (nil when nothing changes).
        public var updatedTicket: TicketState?
        /// Time passes: minutes charged on this exit.
        public var minutesCharged: Int?
        /// A time-pass holder stayed longer than their minutes: charged to zero and flagged.
        public var overstayMinutes: Int?
        public var display: VerdictDisplay

        public init(verdict: Verdict, token: PassToken?, updatedTicket: TicketState?, minutesCharged: Int?,
                    overstayMinutes: Int?, display: VerdictDisplay) {
            self.verdict = verdict
            self.token = token
            self.updatedTicket = updatedTicket
            self.minutesCharged = minutesCharged
            self.overstayMinutes = overstayMinutes
            self.display = display
        }
    }

    public func decide(scanned text: String, at now: Date, direction: ScanDirection,
                       keys: PassVerifier, store: StoreSettings, ticket cached: TicketState?) -> Decision {
        let token: PassToken
        do {
            token = try keys.verify(text: text)
        } catch {
            return deny(error.denyReason, token: nil, ticket: nil)
        }
        guard token.storeID == store.storeID else { return deny(.wrongStore, token: token, ticket: cached) }

        // A pass not in the cache yet (sold since the last sync) is known by its signed token.
        var ticket = cached ?? TicketState(
            passID: token.passID, storeID: token.storeID, kind: token.kind,
            validFrom: token.validFrom, validUntil: token.validUntil,
            remainingMinutes: nil, status: .valid, inside: false, lastEnteredAt: nil,
            holderName: nil, seat: nil, revision: 0)

        let exiting = switch direction {
        case .auto: ticket.inside
        case .exit: true
        case .enter: false
        }
        if exiting { return exit(&ticket, token: token, at: now) }

        if let reason = entryDenial(ticket: ticket, at: now, store: store) {
            return deny(reason, token: token, ticket: ticket)
        }
        ticket.inside = true
        ticket.lastEnteredAt = now
        return Decision(verdict: .enter, token: token, updatedTicket: ticket, minutesCharged: nil, overstayMinutes: nil,
                        display: VerdictDisplay(title: "Welcome", holderName: ticket.holderName, seat: ticket.seat,
                                                remainingMinutes: ticket.remainingMinutes,
                                                validUntil: ticket.kind == .time ? nil : ticket.validUntil))
    }

    /// Why the holder of this pass may not enter now, judged on the pass's state alone (the
    /// token was verified already), or nil when they may. The server uses it to re-check a
    /// grant a kiosk made offline.
    public func entryDenial(ticket: TicketState, at now: Date, store: StoreSettings) -> DenyReason? {
        if ticket.inside { return .alreadyInside }
        switch ticket.status {
        case .refunded: return .refunded
        case .revoked: return .revoked
        case .valid: break
        }
        if now.addingTimeInterval(clockSkewTolerance) < ticket.validFrom { return .notYetValid }
        // Validity is [from, until): at valid-until exactly, the pass has ended.
        if now >= ticket.validUntil { return .expired }
        if let closed = store.closedHours, closed.contains(minuteOfDay: Self.minuteOfDay(now, timeZone: store.timeZone)) {
            return .storeClosed
        }
        if ticket.kind == .time, let remaining = ticket.remainingMinutes, remaining <= 0 { return .noTimeLeft }
        return nil
    }

    /// The pass's state after an exit at `now` (minutes charged, a day pass ended), for a
    /// recorded exit event.
    public func exiting(_ ticket: TicketState, at now: Date) -> Decision {
        var ticket = ticket
        return exit(&ticket, token: nil, at: now)
    }

    /// The pass's state with a grant reversed, because the door reported it stayed shut: after an
    /// entry the holder is outside again (and their last entry is the one before); after an exit
    /// they are inside again with the minutes that exit charged given back, and a day pass that
    /// the exit ended runs to its old end again. `current` is the state now (the grant applied,
    /// and anything since); `before` the state just before the grant, when known. Nil for a deny,
    /// which opened nothing.
    public func annulling(_ verdict: Verdict, of current: TicketState, minutesCharged: Int?, before: TicketState?) -> TicketState? {
        var ticket = current
        switch verdict {
        case .deny:
            return nil
        case .enter:
            ticket.inside = false
            ticket.lastEnteredAt = before?.lastEnteredAt
        case .exit:
            ticket.inside = true
            if ticket.kind == .time, let charged = minutesCharged, charged > 0, let remaining = ticket.remainingMinutes {
                ticket.remainingMinutes = remaining + charged
            }
            if ticket.kind == .day, let before, before.validUntil > ticket.validUntil {
                ticket.validUntil = before.validUntil
            }
        }
        return ticket
    }

    /// Leaving is always allowed — a refunded, expired or overstaying holder must get out; what
    /// they owe is charged and flagged, not enforced at the door.
    private func exit(_ ticket: inout TicketState, token: PassToken?, at now: Date) -> Decision {
        var charged: Int?
        var overstay: Int?
        if ticket.kind == .time, let entered = ticket.lastEnteredAt, ticket.inside {
            // Started minutes count: 61 seconds inside is 2 minutes.
            let minutes = max(0, Int((now.timeIntervalSince(entered) / 60).rounded(.up)))
            if let remaining = ticket.remainingMinutes {
                charged = min(minutes, max(remaining, 0))
                if minutes > remaining { overstay = minutes - remaining }
                ticket.remainingMinutes = max(remaining - minutes, 0)
            } else {
                // Not synced yet: charge what was used; the server knows the balance.
                charged = minutes
            }
        }
        if ticket.kind == .day, ticket.inside {
            // A day pass is single-entry: it ends on its exit.
            ticket.validUntil = min(ticket.validUntil, now)
        }
        ticket.inside = false
        return Decision(verdict: .exit, token: token, updatedTicket: ticket, minutesCharged: charged, overstayMinutes: overstay,
                        display: VerdictDisplay(title: overstay == nil ? "Goodbye" : "Goodbye — time used up",
                                                holderName: ticket.holderName, seat: nil,
                                                remainingMinutes: ticket.remainingMinutes,
                                                validUntil: ticket.kind == .time ? nil : ticket.validUntil))
    }

    private func deny(_ reason: DenyReason, token: PassToken?, ticket: TicketState?) -> Decision {
        Decision(verdict: .deny(reason), token: token, updatedTicket: nil, minutesCharged: nil, overstayMinutes: nil,
                 display: VerdictDisplay(title: Self.message(for: reason), holderName: ticket?.holderName,
                                         remainingMinutes: ticket?.remainingMinutes, validUntil: ticket?.validUntil))
    }

    /// What the screen says for each deny reason.
    public static func message(for reason: DenyReason) -> String {
        switch reason {
        case .invalidSignature: "This code is not a valid pass"
        case .unknownKey: "Pass not recognised here — ask the staff"
        case .wrongStore: "This pass is for another store"
        case .notYetValid: "This pass is not valid yet"
        case .expired: "This pass has expired"
        case .noTimeLeft: "No time left on this pass"
        case .refunded: "This pass was refunded"
        case .revoked: "This pass was cancelled"
        case .alreadyInside: "Already inside — scan out first"
        case .storeClosed: "Closed now — no entry"
        case .unreadable: "Code not readable — try again"
        }
    }

    static func minuteOfDay(_ date: Date, timeZone identifier: String) -> Int {
        ZoneClock.named(identifier).wallTime(at: date).minuteOfDay
    }
}
