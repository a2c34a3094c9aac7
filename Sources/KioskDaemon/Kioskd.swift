import ArgumentParser

@main
struct Kioskd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd",
        abstract: "The study cafe entrance daemon: reads pass QR codes and decides who may enter.",
        discussion: """
            Decodes QR codes from a camera feed or image files, and renders pass codes for \
            screens and receipt printers.

            Examples:
              kioskd scan photo.jpg               decode the QR codes in an image
              kioskd scan --format tsv *.png      one line per code: FILE<TAB>PAYLOAD
              kioskd scan --raw yuyv --size 640x480 - < /dev/video-dump
              kioskd render "HELLO" --format text show a code in this terminal
              kioskd demo                         decode a synthetic camera feed of signed passes
              kioskd bench decode                 measure the decoder on camera-like frames
            """,
        subcommands: [Demo.self, Scan.self, Render.self, Enroll.self, Sync.self, Status.self, Check.self, Bench.self]
    )
}
