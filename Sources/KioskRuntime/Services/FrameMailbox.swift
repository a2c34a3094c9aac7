import Foundation
import KioskCore

/// The hand-off from the capture thread to the decode thread.
///
/// A live camera (`.latest`) never waits for the decoder: a frame not yet taken is replaced by
/// the next one and counted as dropped, so the door always looks at the newest picture and
/// nothing queues without bound. A recorded stream (`.everyFrame`) makes the capture wait, so
/// every frame of a file is decoded.
public final class FrameMailbox: @unchecked Sendable {
    // @unchecked: every field is touched under `condition`.
    public enum Policy: Sendable { case latest, everyFrame }

    public enum Item: Sendable {
        case frame(Frame)
        case unusable(FrameSourceError)
    }

    public enum Take: Sendable {
        case item(Item)
        case idle
        /// The camera ended for good (the recorded stream is over).
        case end
    }

    public let policy: Policy
    private let condition = NSCondition()
    private var slot: Item?
    private var finished = false
    private var closed = false
    private var droppedCount = 0

    public init(policy: Policy) { self.policy = policy }

    /// Frames replaced before the decoder took them.
    public var dropped: Int { condition.withLock { droppedCount } }

    /// Hands over one item; false when the consumer has closed the mailbox (stop capturing).
    @discardableResult
    public func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if policy == .everyFrame {
            while slot != nil && !closed { condition.wait() }
        }
        if closed { return false }
        if slot != nil { droppedCount += 1 }
        slot = item
        condition.broadcast()
        return true
    }

    /// The next item, or `.idle` after `timeout` without one, or `.end` once finished and empty.
    public func take(waitingAtMost timeout: Duration) -> Take {
        let deadline = Date().addingTimeInterval(timeout.inSeconds)
        condition.lock()
        defer { condition.unlock() }
        while slot == nil && !finished && !closed {
            if !condition.wait(until: deadline) { break }
        }
        if let item = slot {
            slot = nil
            condition.broadcast()
            return .item(item)
        }
        return finished || closed ? .end : .idle
    }

    /// No more frames will come (the recorded stream ended); what is in the slot is still taken.
    public func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer is gone, or the daemon is stopping: a waiting capture returns.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The door's view of the mailbox: a frame source that waits at most the given time.
public struct MailboxFrames: FrameSource {
    private let mailbox: FrameMailbox

    public init(_ mailbox: FrameMailbox) { self.mailbox = mailbox }

    public mutating func nextFrame() throws(FrameSourceError) -> Frame? {
        while true {
            switch try nextFrame(waitingAtMost: .seconds(3_600)) {
            case .frame(let frame): return frame
            case .end: return nil
            case .idle: continue
            }
        }
    }

    public mutating func nextFrame(waitingAtMost timeout: Duration) throws(FrameSourceError) -> FrameWait {
        switch mailbox.take(waitingAtMost: timeout) {
        case .item(.frame(let frame)):
            return .frame(frame)
        case .item(.unusable(let error)):
            throw error
        case .idle: return .idle
        case .end: return .end
        }
    }
}
