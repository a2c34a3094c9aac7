import Foundation
import Testing
@testable import KioskCore

/// The door's tones, generated: valid WAV, the right pitch and length, told apart; played by
/// ALSA's aplay (a fake one here: this machine has no sound card) without waiting.
@Suite(.timeLimit(.minutes(1))) struct SoundTests {
    let folder = Fixtures.temporaryDirectory()

    static func samples(_ wav: [UInt8]) -> [Int16] {
        stride(from: 44, to: wav.count - 1, by: 2).map { Int16(bitPattern: UInt16(wav[$0]) | UInt16(wav[$0 + 1]) << 8) }
    }

    static func uint32(_ bytes: [UInt8], at offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
    }

    @Test(arguments: Tones.Sound.allCases)
    func eachSoundIsAValidWAVOfItsLengthAndPitch(sound: Tones.Sound) {
        let wav = Tones.wav(sound)
        #expect(Array(wav[0..<4]) == Array("RIFF".utf8) && Array(wav[8..<16]) == Array("WAVEfmt ".utf8))
        #expect(Self.uint32(wav, at: 4) == wav.count - 8)
        #expect(Self.uint32(wav, at: 24) == Tones.sampleRate)
        #expect(Self.uint32(wav, at: 40) == wav.count - 44)
        let samples = Self.samples(wav)
        let steps = Tones.steps(sound)
        #expect(samples.count == steps.reduce(0) { $0 + Tones.sampleRate * $1.milliseconds / 1_000 })
        // The first step's pitch, from its zero crossings (the wave crosses zero twice a period).
        let first = Array(samples.prefix(Tones.sampleRate * steps[0].milliseconds / 1_000))
        let crossings = zip(first, first.dropFirst()).filter { ($0 < 0) != ($1 < 0) && $0 != 0 }.count
        let hertz = Double(crossings) / 2 / (Double(first.count) / Double(Tones.sampleRate))
        #expect(abs(hertz - steps[0].hertz) / steps[0].hertz < 0.05, "\(sound): \(hertz) Hz")
        #expect(samples.map { abs(Int($0)) }.max()! > 8_000, "audible")
    }

    @Test func aGrantRisesAnExitFallsADenialIsLow() {
        #expect(Tones.steps(.enter).first!.hertz < Tones.steps(.enter).last!.hertz)
        #expect(Tones.steps(.exit).first!.hertz > Tones.steps(.exit).last!.hertz)
        #expect(Tones.steps(.deny).allSatisfy { $0.hertz <= 220 })
        #expect(Set(Tones.Sound.allCases.map { Tones.wav($0) }).count == 3)
    }

    /// A stand-in for aplay: records its arguments; `-l` answers as `cardLine` says.
    func fakePlayer(cards: Bool) throws -> (path: String, log: String) {
        let log = folder.appendingPathComponent("plays").path
        let path = folder.appendingPathComponent(cards ? "aplay-cards" : "aplay-none").path
        let listing = cards ? "echo '**** List of PLAYBACK Hardware Devices ****'; echo 'card 0: PCH [HDA Intel PCH], device 0: ALC3246 Analog'"
                            : "echo 'aplay: device_list:274: no soundcards found...' >&2; exit 1"
        let script = Array("""
            #!/bin/sh
            if [ "$1" = "-l" ]; then \(listing); exit 0; fi
            echo "$@" >> '\(log)'
            """.utf8)
        // Written close-on-exec: a process forked meanwhile by another test must not keep it open
        // for writing, or running it fails with "text file busy".
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        #expect(fd >= 0)
        _ = script.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return (path, log)
    }

    @Test func withoutASoundCardTheProbeSaysSo() throws {
        let none = try fakePlayer(cards: false)
        #expect(SoundPlayer.probe(player: none.path)?.contains("no sound card") == true)
        #expect(SoundPlayer.probe(player: folder.appendingPathComponent("missing").path)?.contains("install alsa-utils") == true)
        let some = try fakePlayer(cards: true)
        #expect(SoundPlayer.probe(player: some.path) == nil)
    }

    @Test func playingStartsThePlayerWithTheVerdictsSound() async throws {
        let fake = try fakePlayer(cards: true)
        let files = try Tones.write(into: folder.appendingPathComponent("sounds").path)
        let player = SoundPlayer(files: files, player: fake.path, device: "plughw:1,0")
        player.play(.deny)
        // The player runs beside the caller: wait for its line (the time limit bounds it).
        while !(FileManager.default.contents(atPath: fake.log).map { !$0.isEmpty } ?? false) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try String(contentsOfFile: fake.log, encoding: .utf8) == "-q -D plughw:1,0 \(files[.deny]!)\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: files[.deny]!)) == Data(Tones.wav(.deny)))
    }
}
