import CafeProtocol
import Foundation

/// Which rule a store refunds by. Three follow Korean law; `custom` is the owner's numbers.
public enum RefundPreset: String, Codable, Sendable, CaseIterable {
    /// 독서실: 학원의 설립·운영 및 과외교습에 관한 법률 시행령 별표 4.
    case readingRoom = "reading_room"
    /// 학원·교습소 (1/3, 1/2 steps): the same 별표 4.
    case academySteps = "academy_steps"
    /// 계속거래 (방문판매 등에 관한 법률 제31조): used share and a cancellation fee.
    case continuousContract = "continuous_contract"
    /// The store's own fee, proration and limit.
    case custom

    /// The one sentence a customer is shown (at purchase, in the quote, in README).
    public var legalBasis: String {
        switch self {
        case .readingRoom:
            "학원법 시행령 별표 4 (독서실): before first use everything back; after it, the price minus the posted one-day price for each day from the first use to the day before the refund; of a pass longer than a month, the current month by that rule and the remaining months in full."
        case .academySteps:
            "학원법 시행령 별표 4 (교습비 반환기준): before first use everything back; before a third of the period has passed two thirds, before half of it one half, after that nothing; of a pass longer than a month, the current month by these steps and the remaining months in full."
        case .continuousContract:
            "방문판매법 제31조 (계속거래의 해지): the price minus the share already used and a cancellation fee the store sets (10 % of the price unless posted otherwise), never below zero."
        case .custom:
            "the store's own terms, posted at purchase: a fee, a share for what was used, and a limit after which nothing is refunded; they may never give back less than the law would."
        }
    }
}

/// How a custom policy charges for what was used.
public enum RefundProration: String, Codable, Sendable {
    /// By days of the pass's period (time passes: by minutes all the same).
    case days
    /// By minutes used (period passes: by days all the same).
    case minutes
    /// Nothing for use: only the fee and the limit.
    case none
}

/// A store's refund policy, as the owner sets it (`PUT /stores/{id}/refund-policy`).
public struct RefundPolicy: Codable, Sendable, Equatable {
    public var preset: RefundPreset
    /// The posted one-day price (won) the reading-room rule deducts per day; nil: the catalog's
    /// day pass price at the time of the quote.
    public var dayPrice: Int?
    /// Continuous contract and custom: the fee in percent of the price.
    public var feePercent: Int?
    /// Custom only.
    public var prorate: RefundProration?
    /// Custom only: nothing back once this share (percent) of the pass is used.
    public var noRefundAfterPercent: Int?
    /// Custom only: nothing back this many days after purchase.
    public var noRefundAfterDays: Int?
    /// Customers may refund their own pass in the app (`POST /me/tickets/{id}/refund`).
    public var selfRefund: Bool

    enum CodingKeys: String, CodingKey {
        case preset, dayPrice = "day_price", feePercent = "fee_percent", prorate
        case noRefundAfterPercent = "no_refund_after_percent", noRefundAfterDays = "no_refund_after_days", selfRefund = "self_refund"
    }

    public init(preset: RefundPreset, dayPrice: Int? = nil, feePercent: Int? = nil, prorate: RefundProration? = nil,
                noRefundAfterPercent: Int? = nil, noRefundAfterDays: Int? = nil, selfRefund: Bool = true) {
        self.preset = preset
        self.dayPrice = dayPrice
        self.feePercent = feePercent
        self.prorate = prorate
        self.noRefundAfterPercent = noRefundAfterPercent
        self.noRefundAfterDays = noRefundAfterDays
        self.selfRefund = selfRefund
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        preset = try c.decode(RefundPreset.self, forKey: .preset)
        dayPrice = try c.decodeIfPresent(Int.self, forKey: .dayPrice)
        feePercent = try c.decodeIfPresent(Int.self, forKey: .feePercent)
        prorate = try c.decodeIfPresent(RefundProration.self, forKey: .prorate)
        noRefundAfterPercent = try c.decodeIfPresent(Int.self, forKey: .noRefundAfterPercent)
        noRefundAfterDays = try c.decodeIfPresent(Int.self, forKey: .noRefundAfterDays)
        selfRefund = try c.decodeIfPresent(Bool.self, forKey: .selfRefund) ?? true
    }

    /// A store that set nothing refunds as a reading room (the law most study cafes fall under).
    public static let standard = RefundPolicy(preset: .readingRoom)

    /// The continuous-contract fee unless the store posts another.
    public static let defaultFeePercent = 10

    func validated() throws -> RefundPolicy {
        if let dayPrice, !(0...1_000_000).contains(dayPrice) { throw APIFailure.invalid("day_price must be 0 to 1000000 won") }
        if let feePercent, !(0...100).contains(feePercent) { throw APIFailure.invalid("fee_percent must be 0 to 100") }
        if let limit = noRefundAfterPercent, !(1...100).contains(limit) { throw APIFailure.invalid("no_refund_after_percent must be 1 to 100") }
        if let days = noRefundAfterDays, !(0...3650).contains(days) { throw APIFailure.invalid("no_refund_after_days must be 0 to 3650") }
        if preset != .custom, prorate != nil || noRefundAfterPercent != nil || noRefundAfterDays != nil {
            throw APIFailure.invalid("prorate, no_refund_after_percent and no_refund_after_days are for the custom preset only")
        }
        if preset == .readingRoom || preset == .academySteps, feePercent != nil {
            throw APIFailure.invalid("the \(preset.rawValue) preset takes no fee (the law allows none)")
        }
        return self
    }

    /// What a customer is told at purchase, in one line.
    public var summary: String {
        switch preset {
        case .readingRoom:
            let day = dayPrice.map { "₩\(Won.format($0))" } ?? "the day pass price"
            return "Refund before first use: all of it. After: the price minus \(day) for each day used."
        case .academySteps:
            return "Refund before first use: all of it; before a third of the period: two thirds; before half: one half; after that: nothing."
        case .continuousContract:
            return "Refund: the price minus what was used and a \(feePercent ?? Self.defaultFeePercent) % fee."
        case .custom:
            var parts = ["a \(feePercent ?? 0) % fee"]
            switch prorate ?? .days {
            case .days: parts.append("the days used")
            case .minutes: parts.append("the minutes used")
            case .none: break
            }
            var text = "Refund: the price minus " + parts.joined(separator: " and ") + "."
            if let limit = noRefundAfterPercent { text += " Nothing once \(limit) % is used." }
            if let days = noRefundAfterDays { text += " Nothing \(days) days after purchase." }
            return text
        }
    }
}

/// The terms a customer sees at purchase (in the order's response).
public struct RefundTermsView: Codable, Sendable, Equatable {
    public var preset: RefundPreset
    public var summary: String
    public var legalBasis: String
    public var selfRefund: Bool
    enum CodingKeys: String, CodingKey { case preset, summary, legalBasis = "legal_basis", selfRefund = "self_refund" }

    init(_ policy: RefundPolicy) {
        preset = policy.preset
        summary = policy.summary
        legalBasis = policy.preset.legalBasis
        selfRefund = policy.selfRefund
    }
}

/// What a refund is computed from: the pass, what was paid for it, and how much of it was used.
struct RefundCase: Sendable {
    var kind: PassKind
    /// Won paid for the pass (every sale of it, extensions included).
    var price: Int
    var validFrom: Date
    var validUntil: Date
    var totalMinutes: Int?
    /// Time passes: minutes charged so far plus the visit running now.
    var minutesUsed: Int
    /// The first entry (an annulled one does not count); nil: never used.
    var firstUse: Date?
    var now: Date
    /// Days are the store's calendar days.
    var timeZone: TimeZone
}

/// One line of a quote's computation, in won (deductions negative).
public struct RefundTerm: Codable, Sendable, Equatable {
    /// `paid`, `not_used`, `days_used`, `minutes_used`, `step`, `fee`, `month_current`,
    /// `months_remaining`, `months_past`, `floor`, `limit`.
    public var code: String
    public var description: String
    public var amount: Int
}

/// The result of a policy applied to a case.
struct RefundComputation: Sendable, Equatable {
    var amount: Int
    var terms: [RefundTerm]
}

/// Won amounts in integer arithmetic. Every share of a price is rounded in the customer's
/// favour: a deduction down, an amount given back up (so ₩50,000 × 2/3 gives back ₩33,334).
enum Won {
    /// price × numerator / denominator, rounded down (a deduction).
    static func deduction(_ price: Int, _ numerator: Int, _ denominator: Int) -> Int {
        guard denominator > 0 else { return 0 }
        return price * numerator / denominator
    }

    /// price × numerator / denominator, rounded up (an amount given back).
    static func refund(_ price: Int, _ numerator: Int, _ denominator: Int) -> Int {
        guard denominator > 0 else { return 0 }
        return (price * numerator + denominator - 1) / denominator
    }

    /// 120000 → "120,000".
    static func format(_ amount: Int) -> String {
        let digits = String(abs(amount))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (amount < 0 ? "-" : "") + out
    }
}

/// The refund rules, pure: a policy and a case in, the amount and each term of it out. The
/// server quotes with it and refunds exactly what it quoted.
struct RefundCalculator: Sendable {
    /// A "month" of a longer pass, as the law's per-month rule counts it.
    static let monthDays = 30

    let policy: RefundPolicy
    /// The posted one-day price when the policy names none (the catalog's day pass).
    let catalogDayPrice: Int

    func compute(_ c: RefundCase) -> RefundComputation {
        var terms = [RefundTerm(code: "paid", description: "paid for the pass", amount: c.price)]
        guard c.price > 0 else { return RefundComputation(amount: 0, terms: terms) }
        let refund: Int
        switch policy.preset {
        case .readingRoom: refund = readingRoom(c, &terms)
        case .academySteps: refund = academySteps(c, &terms)
        case .continuousContract: refund = continuousContract(c, &terms)
        case .custom: refund = custom(c, &terms)
        }
        return RefundComputation(amount: max(0, min(c.price, refund)), terms: terms)
    }

    // MARK: The presets

    private func readingRoom(_ c: RefundCase, _ terms: inout [RefundTerm]) -> Int {
        guard let firstUse = c.firstUse else { return notUsed(c, &terms) }
        if c.kind == .time { return minutesProRata(c, &terms) }
        let dayPrice = policy.dayPrice ?? catalogDayPrice
        return perMonth(c, &terms) { monthPrice, monthStart, terms in
            let from = max(firstUse, monthStart)
            let days = max(1, Self.calendarDays(from: from, to: c.now, in: c.timeZone))
            let deducted = min(monthPrice, days * dayPrice)
            terms.append(RefundTerm(code: "days_used", description: "\(days) day\(days == 1 ? "" : "s") used × ₩\(Won.format(dayPrice)) posted day price" + (deducted < days * dayPrice ? " (at most what the month cost)" : ""),
                                    amount: -deducted))
            return monthPrice - deducted
        }
    }

    private func academySteps(_ c: RefundCase, _ terms: inout [RefundTerm]) -> Int {
        guard c.firstUse != nil else { return notUsed(c, &terms) }
        if c.kind == .time, let total = c.totalMinutes, total > 0 {
            return step(c.price, used: c.minutesUsed, of: total, unit: "minutes", &terms)
        }
        return perMonth(c, &terms) { monthPrice, monthStart, terms in
            let monthEnd = min(c.validUntil, monthStart.addingTimeInterval(TimeInterval(Self.monthDays) * 86_400))
            let elapsed = Int(max(0, c.now.timeIntervalSince(monthStart)) / 60)
            let length = Int(max(60, monthEnd.timeIntervalSince(monthStart)) / 60)
            return step(monthPrice, used: elapsed, of: length, unit: "minutes of the period", &terms)
        }
    }

    private func continuousContract(_ c: RefundCase, _ terms: inout [RefundTerm]) -> Int {
        let used = usedShare(c, byMinutes: c.kind == .time, &terms)
        let fee = Won.deduction(c.price, policy.feePercent ?? RefundPolicy.defaultFeePercent, 100)
        terms.append(RefundTerm(code: "fee", description: "cancellation fee \(policy.feePercent ?? RefundPolicy.defaultFeePercent) % of the price", amount: -fee))
        return floorAtZero(c.price - used - fee, &terms)
    }

    private func custom(_ c: RefundCase, _ terms: inout [RefundTerm]) -> Int {
        let byMinutes: Bool
        switch policy.prorate ?? .days {
        case .none: byMinutes = false
        case .minutes: byMinutes = c.totalMinutes != nil
        case .days: byMinutes = c.kind == .time
        }
        let (usedNumerator, usedDenominator) = usedFraction(c, byMinutes: byMinutes)
        if let limit = policy.noRefundAfterPercent, usedDenominator > 0, usedNumerator * 100 >= limit * usedDenominator {
            terms.append(RefundTerm(code: "limit", description: "\(limit) % or more of the pass is used: no refund", amount: -c.price))
            return 0
        }
        if let days = policy.noRefundAfterDays, Self.calendarDays(from: c.validFrom, to: c.now, in: c.timeZone) > days {
            terms.append(RefundTerm(code: "limit", description: "more than \(days) days since purchase: no refund", amount: -c.price))
            return 0
        }
        let used = policy.prorate == RefundProration.none ? 0 : usedShare(c, byMinutes: byMinutes, &terms)
        let fee = Won.deduction(c.price, policy.feePercent ?? 0, 100)
        if fee > 0 { terms.append(RefundTerm(code: "fee", description: "fee \(policy.feePercent ?? 0) % of the price", amount: -fee)) }
        return floorAtZero(c.price - used - fee, &terms)
    }

    // MARK: Pieces

    private func notUsed(_ c: RefundCase, _ terms: inout [RefundTerm]) -> Int {
        terms.append(RefundTerm(code: "not_used", description: "not used yet: everything back", amount: 0))
        return c.price
    }

    private func minutesProRata(_ c: RefundCase, _ terms: inout [RefundTerm]) -> Int {
        guard let total = c.totalMinutes, total > 0 else { return c.price }
        let used = min(total, c.minutesUsed)
        let deducted = Won.deduction(c.price, used, total)
        terms.append(RefundTerm(code: "minutes_used", description: "\(used) of \(total) minutes used", amount: -deducted))
        return c.price - deducted
    }

    /// The academy steps on one price: before a third two thirds back, before half one half.
    private func step(_ price: Int, used: Int, of total: Int, unit: String, _ terms: inout [RefundTerm]) -> Int {
        if used * 3 < total {
            let back = Won.refund(price, 2, 3)
            terms.append(RefundTerm(code: "step", description: "less than a third used (\(used) of \(total) \(unit)): two thirds back", amount: back - price))
            return back
        }
        if used * 2 < total {
            let back = Won.refund(price, 1, 2)
            terms.append(RefundTerm(code: "step", description: "less than half used (\(used) of \(total) \(unit)): one half back", amount: back - price))
            return back
        }
        terms.append(RefundTerm(code: "step", description: "half or more used (\(used) of \(total) \(unit)): nothing back", amount: -price))
        return 0
    }

    /// A pass of a month or less: `rule` on the whole price. Longer: the price split into
    /// 30-day months (the last takes the remainder of the won), past months kept, the current
    /// month by `rule`, the remaining months back in full.
    private func perMonth(_ c: RefundCase, _ terms: inout [RefundTerm], rule: (_ monthPrice: Int, _ monthStart: Date, _ terms: inout [RefundTerm]) -> Int) -> Int {
        let totalDays = max(1, Int((c.validUntil.timeIntervalSince(c.validFrom) / 86_400).rounded()))
        guard totalDays > Self.monthDays else {
            let back = rule(c.price, c.validFrom, &terms)
            return floorAtZero(back, &terms)
        }
        let months = (totalDays + Self.monthDays - 1) / Self.monthDays
        let elapsedDays = max(0, Self.calendarDays(from: c.validFrom, to: c.now, in: c.timeZone))
        let current = min(months - 1, elapsedDays / Self.monthDays)
        var prices: [Int] = []
        var assigned = 0
        for month in 0..<months {
            let days = min(Self.monthDays, totalDays - month * Self.monthDays)
            let share = month == months - 1 ? c.price - assigned : Won.deduction(c.price, days, totalDays)
            prices.append(share)
            assigned += share
        }
        let past = prices[..<current].reduce(0, +)
        if past > 0 { terms.append(RefundTerm(code: "months_past", description: "\(current) month\(current == 1 ? "" : "s") past", amount: -past)) }
        let monthStart = c.validFrom.addingTimeInterval(TimeInterval(current * Self.monthDays) * 86_400)
        terms.append(RefundTerm(code: "month_current", description: "month \(current + 1) of \(months): ₩\(Won.format(prices[current]))", amount: 0))
        var currentBack = rule(prices[current], monthStart, &terms)
        if currentBack < 0 { currentBack = 0 }
        let remaining = prices[(current + 1)...].reduce(0, +)
        if remaining > 0 {
            terms.append(RefundTerm(code: "months_remaining", description: "\(months - current - 1) remaining month\(months - current - 1 == 1 ? "" : "s") back in full", amount: 0))
        }
        return currentBack + remaining
    }

    /// The used share of the price, as a deduction term.
    private func usedShare(_ c: RefundCase, byMinutes: Bool, _ terms: inout [RefundTerm]) -> Int {
        let (numerator, denominator) = usedFraction(c, byMinutes: byMinutes)
        let deducted = Won.deduction(c.price, numerator, denominator)
        if byMinutes {
            terms.append(RefundTerm(code: "minutes_used", description: "\(numerator) of \(denominator) minutes used", amount: -deducted))
        } else {
            terms.append(RefundTerm(code: "days_used", description: "\(numerator) of \(denominator) days used", amount: -deducted))
        }
        return deducted
    }

    /// Used over total: minutes of a time pass, or days of the period (from its start to the
    /// day before the refund; at least one once the pass was used).
    private func usedFraction(_ c: RefundCase, byMinutes: Bool) -> (Int, Int) {
        if byMinutes, let total = c.totalMinutes, total > 0 { return (min(total, c.minutesUsed), total) }
        let totalDays = max(1, Int((c.validUntil.timeIntervalSince(c.validFrom) / 86_400).rounded()))
        var days = max(0, Self.calendarDays(from: c.validFrom, to: c.now, in: c.timeZone))
        if c.firstUse != nil { days = max(1, days) }
        return (min(days, totalDays), totalDays)
    }

    private func floorAtZero(_ amount: Int, _ terms: inout [RefundTerm]) -> Int {
        guard amount < 0 else { return amount }
        terms.append(RefundTerm(code: "floor", description: "never below zero", amount: -amount))
        return 0
    }

    /// Calendar days from `from`'s date to `to`'s date in the store's zone (0 on the same day).
    static func calendarDays(from: Date, to: Date, in timeZone: TimeZone) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.startOfDay(for: from)
        let end = calendar.startOfDay(for: to)
        return calendar.dateComponents([.day], from: start, to: end).day ?? 0
    }
}
