internal import CGPIOD
import Foundation
import Synchronization

/// Why a GPIO line could not be used, said so an installer knows what to check.
public enum GPIOError: Error, Equatable, Sendable, CustomStringConvertible {
    case chipUnavailable(chip: String, reason: String)
    case lineUnavailable(chip: String, line: Int, reason: String)
    case io(chip: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .chipUnavailable(let chip, let reason):
            "cannot open GPIO chip \(chip): \(reason) (gpiodetect lists the chips; the kioskd user needs access to /dev/gpiochip*)"
        case .lineUnavailable(let chip, let line, let reason):
            "cannot request line \(line) of GPIO chip \(chip): \(reason) (gpioinfo \(chip) shows the lines and who holds them)"
        case .io(let chip, let line, let reason):
            "GPIO chip \(chip) line \(line): \(reason)"
        }
    }
}

/// One requested GPIO line, in logical values: active is "relay energised" or "door open",
/// whatever the wiring's polarity (active-low is taken care of by the request).
public protocol GPIOLine: AnyObject, Sendable {
    func set(_ active: Bool) throws(GPIOError)
    func read() throws(GPIOError) -> Bool
}

/// A GPIO chip: the real one through libgpiod; tests use a fake with lines they script.
public protocol GPIOChip: Sendable {
    var name: String { get }
    func output(_ line: Int, activeLow: Bool) throws(GPIOError) -> any GPIOLine
    func input(_ line: Int, activeLow: Bool) throws(GPIOError) -> any GPIOLine
}

/// A GPIO chip through libgpiod (v1 API): `gpiochip0`, `/dev/gpiochip0`, a label or a number.
/// Lines are requested for kioskd ("kioskd" as the consumer in `gpioinfo`) and released when the
/// chip goes.
public final class LibgpiodChip: GPIOChip, @unchecked Sendable {
    // @unchecked: the chip handle is only used under `lock`, and lines are requested through it.
    public let name: String
    private let chip: OpaquePointer
    private let lock = Mutex(())
    private static let consumer = "kioskd"

    public init(_ name: String) throws(GPIOError) {
        self.name = name
        guard let chip = gpiod_chip_open_lookup(name) else {
            throw .chipUnavailable(chip: name, reason: String(cString: strerror(errno)))
        }
        self.chip = chip
    }

    deinit { gpiod_chip_close(chip) }

    public func output(_ line: Int, activeLow: Bool) throws(GPIOError) -> any GPIOLine {
        try request(line, activeLow: activeLow, output: true)
    }

    public func input(_ line: Int, activeLow: Bool) throws(GPIOError) -> any GPIOLine {
        try request(line, activeLow: activeLow, output: false)
    }

    private func request(_ offset: Int, activeLow: Bool, output: Bool) throws(GPIOError) -> any GPIOLine {
        let result: Result<OpaquePointer, GPIOError> = lock.withLock { _ in
            guard offset >= 0, let line = gpiod_chip_get_line(chip, UInt32(offset)) else {
                return .failure(.lineUnavailable(chip: name, line: offset, reason: String(cString: strerror(errno))))
            }
            let flags = activeLow ? cgpiod_flag_active_low() : 0
            let status = output
                ? gpiod_line_request_output_flags(line, Self.consumer, flags, 0)
                : gpiod_line_request_input_flags(line, Self.consumer, flags)
            guard status == 0 else {
                return .failure(.lineUnavailable(chip: name, line: offset, reason: String(cString: strerror(errno))))
            }
            return .success(line)
        }
        return Line(chip: self, handle: try result.get(), offset: offset)
    }

    final class Line: GPIOLine, @unchecked Sendable {
        // @unchecked: the line handle belongs to the chip (kept alive here) and is used under its lock.
        let chip: LibgpiodChip
        let handle: OpaquePointer
        let offset: Int

        init(chip: LibgpiodChip, handle: OpaquePointer, offset: Int) {
            self.chip = chip
            self.handle = handle
            self.offset = offset
        }

        deinit {
            let handle = self.handle
            chip.lock.withLock { _ in gpiod_line_release(handle) }
        }

        func set(_ active: Bool) throws(GPIOError) {
            let status = chip.lock.withLock { _ in gpiod_line_set_value(handle, active ? 1 : 0) }
            guard status == 0 else { throw .io(chip: chip.name, line: offset, reason: String(cString: strerror(errno))) }
        }

        func read() throws(GPIOError) -> Bool {
            let value = chip.lock.withLock { _ in gpiod_line_get_value(handle) }
            guard value >= 0 else { throw .io(chip: chip.name, line: offset, reason: String(cString: strerror(errno))) }
            return value == 1
        }
    }
}
