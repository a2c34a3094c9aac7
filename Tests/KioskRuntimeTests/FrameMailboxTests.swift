import Foundation
import KioskCore
import KioskRuntime
import Testing

/// The hand-off between the camera thread and the door: a live camera never waits for a slow
/// decoder (the newest frame wins, the rest are counted); a recorded stream loses nothing.
@Suite struct FrameMailboxTests {
    static func frame(_ number: Int) -> FrameMailbox.Item {
        .frame(Frame(number: number, image: GrayImage(width: 4, height: 4, fill: UInt8(number % 256))))
    }

    static func number(_ take: FrameMailbox.Take) -> Int? {
        if case .item(.frame(let frame)) = take { return frame.number }
        return nil
    }

    /// The frame numbers the door takes until the camera finishes.
    static func drain(_ mailbox: FrameMailbox) -> [Int] {
        var seen = [Int]()
        while true {
            let take = mailbox.take(waitingAtMost: .seconds(5))
            if case .end = take { return seen }
            if let number = Self.number(take) { seen.append(number) }
        }
    }

    @Test func aSlowDecoderGetsTheNewestFrameAndTheOthersAreCounted() {
        let mailbox = FrameMailbox(policy: .latest)
        // Three frames arrive while the decoder is busy with an earlier one.
        for number in 1...3 { #expect(mailbox.put(Self.frame(number))) }
        #expect(Self.number(mailbox.take(waitingAtMost: .zero)) == 3)
        #expect(mailbox.dropped == 2)
        if case .idle = mailbox.take(waitingAtMost: .milliseconds(1)) {} else { Issue.record("nothing queued behind the newest") }
    }

    @Test func aCameraFasterThanTheDecoderNeverQueues() async {
        let mailbox = FrameMailbox(policy: .latest)
        let total = 2_000
        let producer = Thread {
            for number in 1...total { mailbox.put(Self.frame(number)) }
            mailbox.finish()
        }
        producer.start()
        let seen = Self.drain(mailbox)
        // Whatever the timing: in order, the last frame always seen, each frame seen or dropped once.
        #expect(seen == seen.sorted() && Set(seen).count == seen.count)
        #expect(seen.last == total)
        #expect(seen.count + mailbox.dropped == total)
    }

    @Test func aRecordedStreamLosesNoFrame() {
        let mailbox = FrameMailbox(policy: .everyFrame)
        let total = 500
        let producer = Thread {
            for number in 1...total { mailbox.put(Self.frame(number)) }
            mailbox.finish()
        }
        producer.start()
        let seen = Self.drain(mailbox)
        #expect(seen == Array(1...total))
        #expect(mailbox.dropped == 0)
    }
}
