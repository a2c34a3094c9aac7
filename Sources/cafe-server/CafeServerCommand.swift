import ArgumentParser
import CafeServer
import Foundation
import Logging
import ServiceLogging

@main
struct CafeServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cafe-server",
        abstract: "The study cafe's central API: accounts, passes, payments, and the kiosks' sync and check-ins.",
        discussion: """
            Runs on SQLite by default (one file, created and migrated on start); give a \
            postgres:// URL for a chain of stores served by several instances.

            First start on a fresh box:
              cafe-server admin create-owner --login owner --password-stdin < pw.txt
              cafe-server admin create-store --id 1 --name Gangnam --owner owner
              cafe-server admin enrollment-code --store 1   # for: kioskd enroll
              cafe-server serve --port 8080

            Settings come from flags or the environment: CAFE_DATABASE, CAFE_HOST, CAFE_PORT, \
            CAFE_BCRYPT_COST, BOOTPAY_URL, BOOTPAY_APPLICATION_ID + BOOTPAY_PRIVATE_KEY (or \
            BOOTPAY_CLIENT_KEY + BOOTPAY_SECRET_KEY), BOOTPAY_WEB_APPLICATION_ID (BootPay's payment window \
            in the web app; BOOTPAY_JS_URL pins another SDK address), BOOTPAY_PAYMENT_PAGE (a payment page \
            of another origin instead of BootPay's window), \
            FCM_SERVICE_ACCOUNT_FILE (a Firebase service-account key: push notifications), FCM_URL (secrets \
            belong in the environment or a systemd credential, never on the command line).
            """,
        subcommands: [Serve.self, Migrate.self, Admin.self, Bench.self],
        defaultSubcommand: Serve.self
    )

    /// Logs go to stderr (stdout is for what a command prints), in journald's form under
    /// systemd (a priority prefix per line, no timestamp of our own); bootstrapped once, here.
    /// Each logger's level is the one `--log-level` sets on it.
    static func main() async {
        let form = ServiceLogHandler.form()
        LoggingSystem.bootstrap { label in ServiceLogHandler(label: label, level: { .info }, form: form) }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// The database and tuning flags every subcommand shares.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("sqlite:PATH, a bare path, or postgres://USER:PASSWORD@HOST:PORT/DB. Env: CAFE_DATABASE.", valueName: "location"))
    var database: String?

    @Option(name: .long, help: ArgumentHelp("bcrypt work factor, 4…31 (default 12). Env: CAFE_BCRYPT_COST.", valueName: "n"))
    var bcryptCost: UInt8?

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error.", valueName: "level"))
    var logLevel: String = "info"

    func validate() throws {
        if let cost = bcryptCost, !(4...31).contains(cost) { throw ValidationError("--bcrypt-cost must be 4 to 31") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func serverConfiguration() throws -> ServerConfiguration {
        let env = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration()
        configuration.database = try DatabaseLocation(parsing: database ?? env["CAFE_DATABASE"] ?? "cafe.sqlite")
        if let cost = bcryptCost ?? env["CAFE_BCRYPT_COST"].flatMap(UInt8.init) { configuration.bcryptCost = cost }
        let bootpayURL = env["BOOTPAY_URL"] ?? PaymentGatewayConfiguration.productionURL
        if let client = env["BOOTPAY_CLIENT_KEY"], let secret = env["BOOTPAY_SECRET_KEY"], !client.isEmpty, !secret.isEmpty {
            configuration.gateway = PaymentGatewayConfiguration(baseURL: bootpayURL, credentials: .clientSecret(clientKey: client, secretKey: secret))
        } else if let application = env["BOOTPAY_APPLICATION_ID"], let key = env["BOOTPAY_PRIVATE_KEY"] {
            configuration.gateway = PaymentGatewayConfiguration(baseURL: bootpayURL, applicationID: application, privateKey: key)
        }
        if let page = env["BOOTPAY_PAYMENT_PAGE"], !page.isEmpty {
            guard page.hasPrefix("http://") || page.hasPrefix("https://") else {
                throw ValidationError("BOOTPAY_PAYMENT_PAGE must be an http(s) URL, got \(page)")
            }
            configuration.paymentPage = page
        }
        if let application = env["BOOTPAY_WEB_APPLICATION_ID"], !application.isEmpty {
            var window = BootPayWindow(applicationID: application)
            if let script = env["BOOTPAY_JS_URL"], !script.isEmpty { window.scriptURL = script }
            guard window.scriptOrigin != nil else { throw ValidationError("BOOTPAY_JS_URL must be an http(s) URL, got \(window.scriptURL)") }
            configuration.paymentWindow = window
        }
        if let file = env["FCM_SERVICE_ACCOUNT_FILE"], !file.isEmpty {
            configuration.push = PushConfiguration(serviceAccount: try FCMServiceAccount.load(path: file), baseURL: env["FCM_URL"] ?? FCMClient.productionURL)
        }
        return configuration
    }

    func logger() -> Logger {
        var logger = Logger(label: "cafe-server")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }

    /// Opens and migrates the database, runs `body`, closes it.
    func withDatabase<T: Sendable>(_ body: @Sendable (ServerDatabase, ServerConfiguration, Logger) async throws -> T) async throws -> T {
        let configuration = try serverConfiguration()
        let logger = logger()
        let database: ServerDatabase
        do { database = try await ServerDatabase.open(configuration.database, logger: logger) } catch {
            throw DatabaseUnavailable(location: configuration.database, error: error)
        }
        do {
            let result = try await database.withService {
                let applied: [String]
                do { applied = try await CafeServerSetup.migrate(database) } catch {
                    throw DatabaseUnavailable(location: configuration.database, error: error)
                }
                if !applied.isEmpty { logger.info("database migrated", metadata: ["db.migrations": "\(applied.joined(separator: ","))", "db": "\(configuration.database)"]) }
                return try await body(database, configuration, logger)
            }
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }
}

extension ServerOptions {
    /// The admin tasks over the opened, migrated database.
    func withAdmin<T: Sendable>(_ body: @Sendable (AdminTasks) async throws -> T) async throws -> T {
        try await withDatabase { database, configuration, logger in
            try await body(AdminTasks(database: database, configuration: configuration, logger: logger))
        }
    }
}

/// The database cannot be opened or migrated: said with where it is, for the admin.
struct DatabaseUnavailable: Error, CustomStringConvertible {
    let location: DatabaseLocation
    let error: any Error
    var description: String { "cannot use the database \(location): \(error)" }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or upgrade the database schema, then exit (serve does it too).")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        try await options.withDatabase { database, configuration, _ in
            print("database \(configuration.database) is up to date")
        }
    }
}
