import Foundation
import KioskCore

/// The customer's screen as a feedback device: each verdict, in the store's language, to every
/// open page. It is the first sink, so the screen has the verdict before the door opens.
struct ScreenSink: VerdictSink {
    let screen: ScreenService

    func show(_ shown: ShownVerdict) async {
        screen.show(shown.outcome, committedAt: shown.committedAt)
    }

    func annulled(_ annul: AnnulOutcome, committedAt: Date) async {
        screen.show(annul, committedAt: committedAt)
    }
}
