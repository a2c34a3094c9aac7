import ArgumentParser

/// The kiosk's benchmarks, apart from the shipped `kioskd`: they link the synthetic camera and
/// generate their own data. Each prints figures; none is a pass/fail test.
@main
struct KioskdBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd-bench",
        abstract: "Measure the kiosk's hot paths and print figures.",
        discussion: """
            Examples:
              kioskd-bench decode --out /tmp/frames       detection and cost on camera-like frames
              kioskd-bench checkin --tickets 100000       offline verdicts over a large cache
              kioskd-bench soak --frames 1000000          memory of the door loop over many frames
              kioskd-bench online --state-dir S           online check-ins against a server
              kioskd-bench door-frames --out F            frames of passes for Benchmarks/daemon.py
            """,
        subcommands: [Decode.self, CheckIn.self, Online.self, Drain.self, Soak.self, Idle.self, Filters.self, DoorFrames.self])
}
