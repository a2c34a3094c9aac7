import CafeProtocol
import Foundation
import KioskCore
import Logging

/// The door's speaker: a rising tone for a grant, a falling one for an exit, a low double buzz
/// for a denial (`Tones`), played beside the door through ALSA. Without a sound card the daemon
/// says so once at start and stays silent.
public struct SoundSink: VerdictSink {
    let player: SoundPlayer

    /// The sink, or nil (logged once) when there is nothing to play on or the sounds cannot be written.
    public static func make(player: String, device: String?, logger: Logger) -> SoundSink? {
        if let problem = SoundPlayer.probe(player: player) {
            logger.notice("no sound: \(problem); the door is silent")
            return nil
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-sounds-\(getpid())").path
        do {
            return SoundSink(player: SoundPlayer(files: try Tones.write(into: directory), player: player, device: device))
        } catch {
            logger.warning("no sound: the sounds could not be written to \(directory): \(error)")
            return nil
        }
    }

    public func show(_ shown: ShownVerdict) async {
        switch shown.outcome.verdict {
        case .enter: player.play(.enter)
        case .exit: player.play(.exit)
        case .deny: player.play(.deny)
        }
    }
}
