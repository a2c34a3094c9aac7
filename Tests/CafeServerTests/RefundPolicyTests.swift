import CafeProtocol
@testable import CafeServer
import Foundation
import Testing

/// The refund presets on worked examples, in won, and the properties every quote keeps.
@Suite("Refund policies: the law's presets on worked examples")
struct RefundPolicyTests {
    static let seoul = TimeZone(identifier: "Asia/Seoul")!
    /// 2026-12-01 10:00 in Seoul.
    static let start = Date(timeIntervalSince1970: 1_796_086_800)

    static func day(_ n: Int, hour: Int = 10) -> Date { start.addingTimeInterval(TimeInterval(n) * 86_400 + TimeInterval(hour - 10) * 3600) }

    static func period(price: Int, days: Int, firstUse: Date?, now: Date) -> RefundCase {
        RefundCase(kind: days == 1 ? .day : .period, price: price, validFrom: start, validUntil: start.addingTimeInterval(TimeInterval(days) * 86_400),
                   totalMinutes: nil, minutesUsed: 0, firstUse: firstUse, now: now, timeZone: seoul)
    }

    static func time(price: Int, hours: Int, usedMinutes: Int, now: Date = day(3)) -> RefundCase {
        RefundCase(kind: .time, price: price, validFrom: start, validUntil: start.addingTimeInterval(60 * 86_400), totalMinutes: hours * 60,
                   minutesUsed: usedMinutes, firstUse: usedMinutes > 0 ? start : nil, now: now, timeZone: seoul)
    }

    static func amount(_ policy: RefundPolicy, _ refundCase: RefundCase, dayPrice: Int = 10_000) -> Int {
        RefundCalculator(policy: policy, catalogDayPrice: dayPrice).compute(refundCase).amount
    }

    @Test func readingRoomMonthWithAPostedDayPrice() {
        let policy = RefundPolicy(preset: .readingRoom, dayPrice: 5_000)
        // The example: ₩120,000 a month, ₩5,000 a day, used from the 1st, refunded on the 11th.
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 30, firstUse: Self.start, now: Self.day(10))) == 70_000)
        // Before first use: everything, even days after purchase.
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 30, firstUse: nil, now: Self.day(10))) == 120_000)
        // Used today and refunded today: the day of first use counts.
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 30, firstUse: Self.start, now: Self.day(0, hour: 18))) == 115_000)
        // Days are the store's calendar days: 23:30 and 00:30 the next day are two days apart by one.
        let lateUse = Self.day(0, hour: 23)
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 30, firstUse: lateUse, now: Self.day(1, hour: 1))) == 115_000)
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 30, firstUse: lateUse, now: Self.day(2, hour: 1))) == 110_000)
        // Never below zero.
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 30, firstUse: Self.start, now: Self.day(29))) == 0)
    }

    @Test func readingRoomLongerThanAMonth() {
        let policy = RefundPolicy(preset: .readingRoom, dayPrice: 5_000)
        // 90 days for ₩300,000: three months of ₩100,000. Refunded on day 40: month 2 has had 10
        // days (days 30…39), so 100,000 − 50,000 for it, and month 3 back in full.
        let quote = RefundCalculator(policy: policy, catalogDayPrice: 10_000)
            .compute(Self.period(price: 300_000, days: 90, firstUse: Self.start, now: Self.day(40)))
        #expect(quote.amount == 150_000)
        #expect(quote.terms.map(\.code) == ["paid", "months_past", "month_current", "days_used", "months_remaining"])
        // First used in month 2: its days count from that use, month 1 is gone all the same.
        #expect(Self.amount(policy, Self.period(price: 300_000, days: 90, firstUse: Self.day(35), now: Self.day(40))) == 175_000)
        // Uneven split: 45 days for ₩100,000 are months of 30 and 15 days, ₩66,666 and ₩33,334.
        #expect(Self.amount(policy, Self.period(price: 100_000, days: 45, firstUse: Self.start, now: Self.day(0))) == 66_666 - 5_000 + 33_334)
    }

    @Test func readingRoomDayAndTimePasses() {
        let policy = RefundPolicy.standard
        // A day pass once entered is used up: its day costs the posted day price (the day pass's own price).
        #expect(Self.amount(policy, Self.period(price: 10_000, days: 1, firstUse: Self.start, now: Self.day(0, hour: 12))) == 0)
        #expect(Self.amount(policy, Self.period(price: 10_000, days: 1, firstUse: nil, now: Self.day(0, hour: 12))) == 10_000)
        // Time passes by minutes used: 10 h for ₩10,000, 150 minutes used.
        #expect(Self.amount(policy, Self.time(price: 10_000, hours: 10, usedMinutes: 150)) == 7_500)
        // Rounded in the customer's favour: 7 minutes of 60 for ₩1,000 deducts ₩116 (116.67 down).
        #expect(Self.amount(policy, Self.time(price: 1_000, hours: 1, usedMinutes: 7)) == 884)
    }

    @Test func academySteps() {
        let policy = RefundPolicy(preset: .academySteps)
        // 28 days for ₩50,000: a third is 9⅓ days, half is 14.
        #expect(Self.amount(policy, Self.period(price: 50_000, days: 28, firstUse: Self.start, now: Self.day(5))) == 33_334)
        #expect(Self.amount(policy, Self.period(price: 50_000, days: 28, firstUse: Self.start, now: Self.day(12))) == 25_000)
        #expect(Self.amount(policy, Self.period(price: 50_000, days: 28, firstUse: Self.start, now: Self.day(14))) == 0)
        #expect(Self.amount(policy, Self.period(price: 50_000, days: 28, firstUse: nil, now: Self.day(20))) == 50_000)
        // 60 days for ₩120,000, refunded on day 35 (month 2, 5 of 30 days: two thirds of ₩60,000).
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 60, firstUse: Self.start, now: Self.day(35))) == 40_000)
        // Time passes by the share of minutes used.
        #expect(Self.amount(policy, Self.time(price: 35_000, hours: 50, usedMinutes: 20 * 60)) == 17_500)
    }

    @Test func continuousContract() {
        let policy = RefundPolicy(preset: .continuousContract)
        // 30 days for ₩120,000, 10 days used, 10 % fee: 120,000 − 40,000 − 12,000.
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 30, firstUse: Self.start, now: Self.day(10))) == 68_000)
        // 100 h for ₩50,000, 30 h used: 50,000 − 15,000 − 5,000.
        #expect(Self.amount(policy, Self.time(price: 50_000, hours: 100, usedMinutes: 30 * 60)) == 30_000)
        // The store's own fee.
        var five = policy
        five.feePercent = 5
        #expect(Self.amount(five, Self.period(price: 120_000, days: 30, firstUse: nil, now: Self.day(0))) == 114_000)
        // Never below zero.
        #expect(Self.amount(policy, Self.period(price: 120_000, days: 30, firstUse: Self.start, now: Self.day(29))) == 0)
    }

    @Test func customFeeProrationAndLimit() {
        let policy = RefundPolicy(preset: .custom, feePercent: 5, prorate: .minutes, noRefundAfterPercent: 50)
        #expect(Self.amount(policy, Self.time(price: 10_000, hours: 10, usedMinutes: 120)) == 10_000 - 2_000 - 500)
        #expect(Self.amount(policy, Self.time(price: 10_000, hours: 10, usedMinutes: 300)) == 0, "50 % used: the limit")
        let flat = RefundPolicy(preset: .custom, feePercent: 20, prorate: RefundProration.none, noRefundAfterDays: 7)
        #expect(Self.amount(flat, Self.period(price: 50_000, days: 28, firstUse: Self.start, now: Self.day(7))) == 40_000)
        #expect(Self.amount(flat, Self.period(price: 50_000, days: 28, firstUse: Self.start, now: Self.day(8))) == 0)
    }

    @Test func everyQuoteAddsUpAndStaysWithinThePrice() {
        var generator = SystemRandomNumberGenerator()
        let policies: [RefundPolicy] = [
            .standard, RefundPolicy(preset: .readingRoom, dayPrice: 3_000), RefundPolicy(preset: .academySteps),
            RefundPolicy(preset: .continuousContract), RefundPolicy(preset: .continuousContract, feePercent: 0),
            RefundPolicy(preset: .custom, feePercent: 7, prorate: .days, noRefundAfterPercent: 80),
            RefundPolicy(preset: .custom, prorate: .minutes), RefundPolicy(preset: .custom, feePercent: 100, prorate: RefundProration.none),
        ]
        for _ in 0..<2_000 {
            let policy = policies.randomElement(using: &generator)!
            let price = Int.random(in: 0...1_000_000, using: &generator)
            let refundCase: RefundCase
            if Bool.random(using: &generator) {
                let days = [1, 7, 14, 28, 30, 31, 45, 60, 90, 365].randomElement(using: &generator)!
                let used = Bool.random(using: &generator) ? Self.day(Int.random(in: 0..<days, using: &generator)) : nil
                refundCase = Self.period(price: price, days: days, firstUse: used.map { _ in Self.start }, now: used ?? Self.day(Int.random(in: 0..<days, using: &generator)))
            } else {
                let hours = [1, 4, 10, 50, 100].randomElement(using: &generator)!
                refundCase = Self.time(price: price, hours: hours, usedMinutes: Int.random(in: 0...(hours * 60), using: &generator))
            }
            let quote = RefundCalculator(policy: policy, catalogDayPrice: 10_000).compute(refundCase)
            #expect((0...price).contains(quote.amount), "\(policy) \(refundCase)")
            #expect(quote.terms.reduce(0) { $0 + $1.amount } == quote.amount, "terms must add up: \(quote.terms) for \(policy)")
        }
    }

    @Test func presetsRefuseNumbersTheLawDoesNotAllow() throws {
        #expect(throws: APIFailure.self) { try RefundPolicy(preset: .readingRoom, feePercent: 10).validated() }
        #expect(throws: APIFailure.self) { try RefundPolicy(preset: .continuousContract, noRefundAfterPercent: 50).validated() }
        #expect(throws: APIFailure.self) { try RefundPolicy(preset: .custom, feePercent: 150).validated() }
        #expect(throws: APIFailure.self) { try RefundPolicy(preset: .readingRoom, dayPrice: -1).validated() }
        #expect(try RefundPolicy(preset: .custom, feePercent: 10, prorate: .days, noRefundAfterPercent: 50).validated().feePercent == 10)
        #expect(Won.format(1_234_567) == "1,234,567")
        #expect(Won.format(500) == "500")
    }
}
