import ArgumentParser
import CafeProtocol
import Foundation
import KioskCLI
import KioskCore

extension Kioskd {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain what the door would decide for a pass, from the local cache.",
            discussion: """
                The admin's way to answer "why was this person denied?": runs the check-in \
                rules on a pass token (or the QR codes in an image) against the cache, records \
                nothing, and prints the verdict with what it was based on.

                Exit status: 0 the pass would be let through, 3 it would be denied, 1 the check \
                could not run (not synced, unreadable image).

                Examples:
                  kioskd check 'NCFOXN%TS3DH…'
                  kioskd check --file photo-of-phone.jpg
                """)

        @OptionGroup var state: StateOptions

        @Option(help: "Read the pass from the QR code(s) in this image instead.")
        var file: String?

        // Collected unparsed: a base45 token may start with "-" (one in 45 does), which the
        // parser would otherwise take for an option.
        @Argument(parsing: .allUnrecognized, help: "The pass token text (base45; one that starts with '-' is fine).")
        var arguments: [String] = []

        /// The arguments without a leading `--` (the usual end of options; no pass token is that short).
        var tokens: [String] { arguments.first == "--" ? Array(arguments.dropFirst()) : arguments }
        var token: String? { tokens.first }

        func validate() throws {
            // Base45 has no lowercase letters: a word with one is an option we do not know.
            if let unknown = tokens.first(where: { $0.contains(where: \.isLowercase) }) {
                throw ValidationError("unknown option \(unknown) (a pass token is base45: capitals, digits, space and $%*+-./:)")
            }
            guard tokens.count <= 1 else { throw ValidationError("give one TOKEN at a time (quote it: base45 may contain spaces)") }
            guard (token == nil) != (file == nil) else { throw ValidationError("give a TOKEN or --file IMAGE (one of them)") }
        }

        func run() async throws {
            var texts = [String]()
            if let token { texts = [token] }
            if let file {
                do {
                    texts = CascadeDecoder().decodeThoroughly(try ImageFile.read(path: file)).map(\.text)
                } catch {
                    Output.error("kioskd check: \(file): \(error)")
                    throw ExitCode(1)
                }
                if texts.isEmpty {
                    Output.error("kioskd check: no QR code found in \(file)")
                    throw ExitCode(1)
                }
            }
            let database = try state.openDatabase()
            guard let settings = try database.storeSettings() else {
                Output.error("kioskd check: the cache is empty (never synced): run 'kioskd sync' first")
                throw ExitCode(1)
            }
            let keys = try database.verifier()
            var denied = false
            let now = Date()
            for text in texts {
                let parsed = try? PassToken.parse(text: text)
                let cached = try parsed.flatMap { try database.ticket(passID: $0.token.passID) }
                let decision = CheckInRules().decide(scanned: text, at: now, direction: .auto, keys: keys, store: settings, ticket: cached)
                if case .deny = decision.verdict { denied = true }
                explain(decision, parsed: parsed?.token, cached: cached, settings: settings, keys: keys)
            }
            if denied { throw ExitCode(3) }
        }

        private func explain(_ decision: CheckInRules.Decision, parsed: PassToken?, cached: TicketState?,
                             settings: StoreSettings, keys: PassVerifier) {
            func row(_ label: String, _ value: String) { Output.line("  " + label.padding(toLength: 13, withPad: " ", startingAt: 0) + value) }
            switch decision.verdict {
            case .enter: Output.line("verdict: ENTER — \(decision.display.title)")
            case .exit: Output.line("verdict: EXIT — \(decision.display.title)")
            case .deny(let reason): Output.line("verdict: DENY \(reason.rawValue) — \(decision.display.title)")
            }
            guard let token = parsed else {
                row("token", "not a pass token")
                return
            }
            row("pass", "\(token.passID.uuidString.lowercased()) (\(token.kind.wireName))")
            row("store", "#\(token.storeID)" + (token.storeID == settings.storeID ? "" : " — this kiosk is #\(settings.storeID)"))
            row("valid", "\(CivilTime.rfc3339(token.validFrom, milliseconds: false)) → \(CivilTime.rfc3339(token.validUntil, milliseconds: false))")
            row("signed by", "key \(token.keyID)" + (keys.keyIDs.contains(token.keyID) ? "" : " (not among this kiosk's keys: \(keys.keyIDs.map(\.description).joined(separator: ", ")))"))
            if let cached {
                var state = "\(cached.status.rawValue), \(cached.inside ? "inside" : "outside")"
                if let minutes = cached.remainingMinutes { state += ", \(minutes) min left" }
                if cached.validUntil != token.validUntil { state += ", valid until \(CivilTime.rfc3339(cached.validUntil, milliseconds: false)) (changed since issue)" }
                row("cached", state + " (revision \(cached.revision))")
            } else {
                row("cached", "not in the cache (sold since the last sync?): decided on the token alone")
            }
        }
    }
}
