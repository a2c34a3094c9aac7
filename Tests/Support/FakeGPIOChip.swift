import Foundation
import KioskCore
import Synchronization

/// A GPIO chip with a door behind it: the relay line records what it was set to and when, and
/// the door sensor reads "open" from `doorOpensAfter` after the relay was energised (never, when
/// nil) for as long as the door takes to swing shut again.
public final class FakeGPIOChip: GPIOChip, Sendable {
    public let name = "fakechip0"
    public let doorOpensAfter: Duration?
    public let doorOpenFor: Duration
    private struct State {
        var requested: Set<Int> = []
        var relaySets: [(active: Bool, at: ContinuousClock.Instant)] = []
    }
    private let state = Mutex(State())

    public init(doorOpensAfter: Duration?, doorOpenFor: Duration = .seconds(2)) {
        self.doorOpensAfter = doorOpensAfter
        self.doorOpenFor = doorOpenFor
    }

    /// What the relay was set to, in order.
    public var relayValues: [Bool] { state.withLock { $0.relaySets.map(\.active) } }
    /// How long the relay was energised, for each pulse.
    public var pulses: [Duration] {
        state.withLock { state in
            var pulses: [Duration] = [], since: ContinuousClock.Instant?
            for set in state.relaySets {
                if set.active { since = since ?? set.at } else if let start = since { pulses.append(set.at - start); since = nil }
            }
            return pulses
        }
    }

    public func output(_ line: Int, activeLow: Bool) throws(GPIOError) -> any GPIOLine {
        try claim(line)
        return Line(chip: self, relay: true)
    }

    public func input(_ line: Int, activeLow: Bool) throws(GPIOError) -> any GPIOLine {
        try claim(line)
        return Line(chip: self, relay: false)
    }

    private func claim(_ line: Int) throws(GPIOError) {
        let taken = state.withLock { !$0.requested.insert(line).inserted }
        if taken { throw .lineUnavailable(chip: name, line: line, reason: "Device or resource busy") }
    }

    fileprivate func set(_ active: Bool) { state.withLock { $0.relaySets.append((active, .now)) } }

    fileprivate var doorOpen: Bool {
        guard let after = doorOpensAfter else { return false }
        let last = state.withLock { $0.relaySets.last(where: \.active)?.at }
        guard let energised = last else { return false }
        let since = ContinuousClock.now - energised
        return since >= after && since < after + doorOpenFor
    }

    final class Line: GPIOLine, Sendable {
        let chip: FakeGPIOChip
        let relay: Bool
        init(chip: FakeGPIOChip, relay: Bool) {
            self.chip = chip
            self.relay = relay
        }
        func set(_ active: Bool) throws(GPIOError) { if relay { chip.set(active) } }
        func read() throws(GPIOError) -> Bool { relay ? false : chip.doorOpen }
    }
}
