import ArgumentParser
import KioskCLI
import KioskRuntime

extension Kioskd {
    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the configuration file.",
            subcommands: [Check.self])

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
    }
}
