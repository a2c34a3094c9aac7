import ArgumentParser

@main
struct Kioskd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kioskd",
        abstract: "The study cafe entrance daemon: reads pass QR codes and decides who may enter.",
        discussion: """
            Decodes pass QR codes from a camera feed or image files, decides enter, exit or \
            deny (online first, offline from its SQLite cache), and renders pass codes for \
            screens and receipt printers.

            Examples:
              kioskd demo                          the door on a synthetic camera feed
              kioskd run --camera /dev/video0      the door on a USB camera
              kioskd cameras                       the cameras and the modes they give
              kioskd run --raw mjpeg -             the door on a camera stream from stdin
              kioskd enroll --server URL --code C  enrol this kiosk with cafe-server
              kioskd status                        enrolment, last sync, cache, outbox
              kioskd check --file photo.jpg        why would this pass be denied?
              kioskd scan --format tsv *.png       one line per code: FILE<TAB>PAYLOAD
              kioskd render "$TOKEN" --format text show a pass in this terminal
              kioskd config check                  validate /etc/kioskd/kioskd.toml
              kioskd print --output /dev/usb/lp0   print the passes sold at the counter
            """,
        subcommands: [Run.self, Demo.self, Scan.self, Render.self, Enroll.self, Sync.self, Status.self, Check.self, Config.self, Cameras.self, Print.self]
    )
}
