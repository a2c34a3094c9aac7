import Foundation
import Synchronization

/// Opens the door through a relay on a GPIO line: a pulse on each grant. With a door sensor on
/// another line, it also knows whether the door really opened: a sensor that never reads "open"
/// within the window after the pulse began means the door stayed shut (the grant is annulled).
/// It works beside the door, never in its way: `open` starts the pulse on a thread of its own and
/// returns; the answer arrives later.
public final class DoorRelay: Sendable {
    public struct Settings: Sendable, Equatable {
        public var chip: String
        public var relayLine: Int
        public var pulse: Duration = .milliseconds(300)
        public var relayActiveLow = false
        /// The door contact (active = open); nil without one.
        public var sensorLine: Int?
        public var sensorActiveLow = false
        /// How long after the pulse began the door has to open.
        public var sensorWindow: Duration = .seconds(3)

        public init(chip: String, relayLine: Int) {
            self.chip = chip
            self.relayLine = relayLine
        }
    }

    public enum Result: Sendable, Equatable {
        /// The sensor saw the door open.
        case opened
        /// The sensor never saw it open within the window.
        case stayedShut
        /// Pulsed; there is no sensor to say more.
        case pulsed
        case failed(GPIOError)
    }

    public let settings: Settings
    private let relay: any GPIOLine
    private let sensor: (any GPIOLine)?
    private let busy = Mutex(false)
    /// How often the sensor is read while the window is open.
    static let sensorPoll = Duration.milliseconds(10)

    /// Requests the lines now, so a wrong chip or line is reported at start, not at the first grant.
    public init(settings: Settings, chip: any GPIOChip) throws(GPIOError) {
        self.settings = settings
        relay = try chip.output(settings.relayLine, activeLow: settings.relayActiveLow)
        sensor = try settings.sensorLine.map { line throws(GPIOError) in try chip.input(line, activeLow: settings.sensorActiveLow) }
    }

    /// Pulses the relay and watches the sensor; false (nothing done) while the previous pulse
    /// and its window are still running — the door is open already.
    @discardableResult
    public func open(completion: @escaping @Sendable (Result) -> Void) -> Bool {
        let admitted = busy.withLock { busy in
            if busy { return false }
            busy = true
            return true
        }
        guard admitted else { return false }
        let thread = Thread { [self] in
            let result = Self.pulse(relay: relay, sensor: sensor, settings: settings)
            busy.withLock { $0 = false }
            completion(result)
        }
        thread.name = "kioskd.relay"
        thread.start()
        return true
    }

    static func pulse(relay: any GPIOLine, sensor: (any GPIOLine)?, settings: Settings) -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        var opened = false
        do throws(GPIOError) {
            try relay.set(true)
            // The relay stays energised for the pulse, whatever the sensor says; the sensor is
            // watched from the pulse's start to the end of its window.
            let end = start + max(settings.pulse, sensor == nil ? .zero : settings.sensorWindow)
            var released = false
            while clock.now < end {
                if !released, clock.now >= start + settings.pulse {
                    try relay.set(false)
                    released = true
                }
                if let sensor, !opened, try sensor.read() { opened = true }
                if released, sensor == nil || opened { break }
                Thread.sleep(forTimeInterval: sensorPoll.inSeconds)
            }
            if !released { try relay.set(false) }
        } catch {
            // Leave the relay released whatever failed.
            try? relay.set(false)
            return .failed(error)
        }
        guard sensor != nil else { return .pulsed }
        return opened ? .opened : .stayedShut
    }
}
