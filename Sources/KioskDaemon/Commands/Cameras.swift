import ArgumentParser
import Foundation
import KioskCLI
import KioskCore

extension Kioskd {
    struct Cameras: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the cameras (V4L2 devices) with their formats, sizes and frame rates.",
            discussion: """
                What `v4l2-ctl --list-formats-ext` shows, for picking camera.format, camera.size \
                and camera.fps. kioskd captures GREY, YUYV and MJPG; the line under each mode it \
                can use says what to put in /etc/kioskd/kioskd.toml. A UVC camera has two \
                nodes: the second carries metadata and is listed as such.

                Examples:
                  kioskd cameras                       every /dev/video* device
                  kioskd cameras /dev/video2           one device
                  kioskd cameras --format json         for scripts
                Exit status: 0 listed (even none), 1 a named device cannot be opened.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

        @Option(help: "text or json.")
        var format: Format = .text

        @Argument(help: "Devices to describe. Default: every /dev/video*.")
        var devices: [String] = []

        func run() throws {
            let paths = devices.isEmpty ? V4L2Devices.paths() : devices
            var described = [CameraDescription]()
            var failed = false
            let stableNames = V4L2Devices.stableNames()
            for path in paths {
                do {
                    if var camera = try V4L2Devices.describe(path) {
                        camera.stableNames = stableNames[path] ?? []
                        described.append(camera)
                    } else if format == .text {
                        Output.line("\(path): not a capture device (metadata or output node)")
                    }
                } catch {
                    failed = failed || !devices.isEmpty
                    Output.error("kioskd cameras: \(path): \(error)\(error.errno == EACCES ? " (run as root, or join the video group)" : "")")
                }
            }
            switch format {
            case .json:
                Output.line(try Output.json(described))
            case .text:
                if paths.isEmpty { Output.line("no cameras: no /dev/video* device (is the camera plugged in? dmesg says what the kernel saw)") }
                for camera in described { print(camera) }
            }
            if failed { throw ExitCode(1) }
        }

        private func print(_ camera: CameraDescription) {
            Output.line("\(camera.path): \(camera.card) (\(camera.driver), \(camera.bus))")
            for name in camera.stableNames { Output.line("  also \(name)  (the same camera after replugging)") }
            for format in camera.formats {
                Output.line("  \(format.fourcc)  \(format.name)\(format.kioskFormat == nil ? "  (kioskd cannot capture this)" : "")")
                for size in format.sizes {
                    if let stepwise = size.stepwise {
                        Output.line("    \(stepwise)")
                        continue
                    }
                    let rates = size.fps.map { $0.rounded() == $0 ? "\(Int($0))" : String(format: "%.1f", $0) }
                    Output.line("    \(size.width)x\(size.height)  \(rates.isEmpty ? "?" : rates.joined(separator: ", ")) fps")
                    if let kiosk = format.kioskFormat, let fastest = size.fps.first {
                        Output.line("      camera.format = \"\(kiosk)\", size = \"\(size.width)x\(size.height)\", fps = \(Int(fastest.rounded()))")
                    }
                }
            }
        }
    }
}
