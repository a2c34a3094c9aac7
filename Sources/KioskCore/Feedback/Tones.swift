import Foundation
import Synchronization

/// The door's sounds, synthesised: short, distinct, and the same on every box. A grant rises,
/// an exit falls, a denial is a low double buzz — told apart without looking at the screen.
/// 16-bit PCM mono WAV, 22,050 samples a second, with 5 ms fades so no tone clicks.
public enum Tones {
    public enum Sound: String, Sendable, CaseIterable {
        case enter, exit, deny
    }

    public static let sampleRate = 22_050

    /// (frequency in Hz, milliseconds) steps; a frequency of 0 is silence.
    public static func steps(_ sound: Sound) -> [(hertz: Double, milliseconds: Int)] {
        switch sound {
        case .enter: [(880, 90), (1_320, 140)]
        case .exit: [(1_320, 90), (880, 140)]
        case .deny: [(220, 160), (0, 60), (220, 160)]
        }
    }

    /// The sound as a WAV file's bytes.
    public static func wav(_ sound: Sound, amplitude: Double = 0.45) -> [UInt8] {
        var samples = [Int16]()
        let fade = sampleRate * 5 / 1_000
        for step in steps(sound) {
            let count = sampleRate * step.milliseconds / 1_000
            for index in 0..<count {
                guard step.hertz > 0 else { samples.append(0); continue }
                let envelope = min(1, Double(min(index, count - 1 - index)) / Double(fade))
                // A square-ish wave (sine plus its third harmonic) carries on small speakers.
                let phase = 2 * Double.pi * step.hertz * Double(index) / Double(sampleRate)
                let value = (sin(phase) + sin(3 * phase) / 3) * 0.75 * amplitude * envelope
                samples.append(Int16(clamping: Int(value * Double(Int16.max))))
            }
        }
        var bytes = [UInt8]()
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        let dataSize = UInt32(samples.count * 2)
        bytes += Array("RIFF".utf8); append32(36 + dataSize); bytes += Array("WAVE".utf8)
        bytes += Array("fmt ".utf8); append32(16); append16(1); append16(1)           // PCM, mono
        append32(UInt32(sampleRate)); append32(UInt32(sampleRate * 2)); append16(2); append16(16)
        bytes += Array("data".utf8); append32(dataSize)
        for sample in samples { withUnsafeBytes(of: sample.littleEndian) { bytes += $0 } }
        return bytes
    }

    /// Writes the three sounds into `directory` (made if missing): `enter.wav`, `exit.wav`, `deny.wav`.
    public static func write(into directory: String) throws -> [Sound: String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var paths = [Sound: String]()
        for sound in Sound.allCases {
            let path = "\(directory)/\(sound.rawValue).wav"
            try Data(wav(sound)).write(to: URL(fileURLWithPath: path), options: .atomic)
            paths[sound] = path
        }
        return paths
    }
}

/// Plays the door's sounds through ALSA's `aplay`, one at a time: a new verdict's sound replaces
/// the one still playing, and playing never waits (the next scan is not held up by a speaker).
/// With no sound card it says so once at start and stays silent.
public final class SoundPlayer: Sendable {
    public let player: String
    public let device: String?
    let files: [Tones.Sound: String]
    private let playing = Mutex<Process?>(nil)

    /// Nil when there is nothing to play on: `aplay -l` finds no card (or `aplay` is missing).
    public static func probe(player: String = "/usr/bin/aplay") -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: player)
        process.arguments = ["-l"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return "\(player) cannot run (\(error)): install alsa-utils" }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 || !text.contains("card ") {
            return "no sound card (aplay -l: \(text.split(separator: "\n").first.map(String.init) ?? "nothing"))"
        }
        return nil
    }

    public init(files: [Tones.Sound: String], player: String = "/usr/bin/aplay", device: String? = nil) {
        self.files = files
        self.player = player
        self.device = device
    }

    /// Starts the sound for a verdict and returns at once.
    public func play(_ sound: Tones.Sound) {
        guard let file = files[sound] else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: player)
        process.arguments = ["-q"] + (device.map { ["-D", $0] } ?? []) + [file]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.standardError
        playing.withLock { current in
            if let current, current.isRunning { current.terminate() }
            current = (try? process.run()) != nil ? process : nil
        }
    }
}
