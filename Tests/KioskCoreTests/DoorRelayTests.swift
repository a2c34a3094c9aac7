import Foundation
import KioskTestSupport
import Synchronization
import Testing
@testable import KioskCore

/// The door relay on a fake GPIO chip (this machine has none), and the real libgpiod path's
/// errors when the chip is not there.
@Suite(.timeLimit(.minutes(1))) struct DoorRelayTests {
    func settings(sensor: Bool) -> DoorRelay.Settings {
        var settings = DoorRelay.Settings(chip: "fakechip0", relayLine: 17)
        settings.pulse = .milliseconds(60)
        settings.sensorLine = sensor ? 27 : nil
        settings.sensorWindow = .milliseconds(400)
        return settings
    }

    /// Starts a pulse and waits for its answer (the suite's time limit bounds the wait).
    func pulse(_ relay: DoorRelay) async -> DoorRelay.Result? {
        await withCheckedContinuation { continuation in
            let started = relay.open { continuation.resume(returning: $0) }
            if !started { continuation.resume(returning: nil) }
        }
    }

    @Test func aDoorThatOpensIsReportedOpenedAndTheRelayIsReleased() async throws {
        let chip = FakeGPIOChip(doorOpensAfter: .milliseconds(30))
        let relay = try DoorRelay(settings: settings(sensor: true), chip: chip)
        #expect(await pulse(relay) == .opened)
        #expect(chip.relayValues == [true, false])
        #expect(try #require(chip.pulses.first) >= .milliseconds(60), "energised for the whole pulse")
    }

    @Test func aDoorThatNeverOpensStayedShut() async throws {
        let chip = FakeGPIOChip(doorOpensAfter: nil)
        let relay = try DoorRelay(settings: settings(sensor: true), chip: chip)
        #expect(await pulse(relay) == .stayedShut)
        #expect(chip.relayValues == [true, false], "released after the pulse, not held for the window")
    }

    @Test func withoutASensorThePulseIsAllThereIs() async throws {
        let chip = FakeGPIOChip(doorOpensAfter: nil)
        let relay = try DoorRelay(settings: settings(sensor: false), chip: chip)
        #expect(await pulse(relay) == .pulsed)
        #expect(chip.relayValues == [true, false])
    }

    @Test func aGrantDuringAPulseFindsTheDoorOpenAlready() throws {
        let chip = FakeGPIOChip(doorOpensAfter: nil)
        let relay = try DoorRelay(settings: settings(sensor: true), chip: chip)
        let done = Mutex(0)
        #expect(relay.open { _ in done.withLock { $0 += 1 } })
        #expect(!relay.open { _ in done.withLock { $0 += 1 } }, "the second grant comes while the first pulse runs")
    }

    @Test func aLineSomebodyElseHoldsIsReportedAtStart() {
        var settings = settings(sensor: true)
        settings.sensorLine = settings.relayLine
        #expect(throws: GPIOError.lineUnavailable(chip: "fakechip0", line: 17, reason: "Device or resource busy")) {
            try DoorRelay(settings: settings, chip: FakeGPIOChip(doorOpensAfter: nil))
        }
    }

    @Test func theRealChipThatIsNotThereSaysWhatToCheck() {
        do {
            _ = try LibgpiodChip("gpiochip-that-is-not-here")
            Issue.record("a missing chip opened")
        } catch {
            guard case .chipUnavailable(let chip, _) = error else { Issue.record("\(error)"); return }
            #expect(chip == "gpiochip-that-is-not-here")
            #expect(error.description.contains("gpiodetect"), "\(error)")
        }
    }

    /// On a box with GPIO: the first chip opens and a line is requested through libgpiod.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/gpiochip0"), "no /dev/gpiochip0 on this machine"))
    func aRealChipOpens() throws {
        let chip = try LibgpiodChip("gpiochip0")
        #expect(chip.name == "gpiochip0")
    }
}
