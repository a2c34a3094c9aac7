import ArgumentParser
import KioskCLI
import KioskRuntime

extension Kioskd {
    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the configuration file, and narrow the service's devices to it.",
            subcommands: [Check.self, Devices.self])

        struct Check: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Validate a kioskd.toml without starting anything.",
                discussion: """
                    Reads the file as 'kioskd run' would and prints the settings it gives, or the \
                    first mistake with its line and key. Exit status 0 when valid, 78 (EX_CONFIG) \
                    when not — the same status the service exits with.

                    Example:
                      kioskd config check /etc/kioskd/kioskd.toml.new && mv /etc/kioskd/kioskd.toml.new /etc/kioskd/kioskd.toml
                    """)

            @Argument(help: "The file to check.")
            var file = ConfigurationFile.defaultPath

            func run() async throws {
                let configuration: KioskConfiguration
                do { configuration = try ConfigurationFile.load(path: file, mustExist: true) } catch {
                    Output.error("kioskd config check: \(error)")
                    throw ExitCode(ConfigurationError.exitStatus)
                }
                Output.line("\(file): valid")
                for (key, value) in configuration.summary { Output.line("  \(key) = \(value)") }
            }
        }
        struct Devices: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print a systemd drop-in that lets kioskd open exactly the devices its configuration names.",
                discussion: """
                    The packaged unit allows every camera, printer, sound and GPIO device, so any \
                    configuration works out of the box. Once the box is set up, narrow it: this \
                    prints a drop-in for kioskd.service that replaces that list with the camera \
                    (camera.device), the printer device (printer.output), the GPIO chip of the door \
                    relay (door.gpio_chip) and, with sound on, the sound devices — nothing else.

                    Example:
                      mkdir -p /etc/systemd/system/kioskd.service.d
                      kioskd config devices > /etc/systemd/system/kioskd.service.d/devices.conf
                      systemctl daemon-reload && systemctl restart kioskd
                    Run it again after changing those keys.
                    """)

            @Argument(help: "The configuration file.")
            var file = ConfigurationFile.defaultPath

            func run() async throws {
                let configuration: KioskConfiguration
                do { configuration = try ConfigurationFile.load(path: file, mustExist: true) } catch {
                    Output.error("kioskd config devices: \(error)")
                    throw ExitCode(ConfigurationError.exitStatus)
                }
                Output.line("# kioskd.service: the devices \(file) names (kioskd config devices).")
                Output.line("[Service]")
                Output.line("# The empty assignment clears the packaged list.")
                Output.line("DeviceAllow=")
                for (device, why) in configuration.devices {
                    Output.line("# \(why)")
                    Output.line("DeviceAllow=\(device) rw")
                }
            }
        }
    }
}
