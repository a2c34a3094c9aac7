import ArgumentParser
import CafeServer
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

extension CafeServerCommand {
    struct Serve: AsyncParsableCommand {
        /// `127.0.0.1:9465` → ("127.0.0.1", 9465).
        static func hostPort(_ text: String) throws -> (String, Int) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
                  colon > text.startIndex else {
                throw ValidationError("--metrics-listen takes HOST:PORT, as 127.0.0.1:9465")
            }
            return (String(text[..<colon]), port)
        }

        static let configuration = CommandConfiguration(
            abstract: "Serve the API (the default command).",
            discussion: """
                Creates and migrates the database if needed, then serves HTTP until SIGTERM or \
                SIGINT, finishing requests in flight. Put it behind a TLS proxy (nginx, caddy) on \
                the public side.

                Example:
                  cafe-server serve --database /var/lib/cafe-server/cafe.sqlite --port 8080
                """)

        @OptionGroup var options: ServerOptions

        @Option(name: .long, help: "Address to listen on. Env: CAFE_HOST.")
        var host: String?

        @Option(name: .long, help: "Port to listen on (0: any free port, printed at start). Env: CAFE_PORT.")
        var port: Int?

        @Option(name: .long, help: ArgumentHelp(
            "Serve Prometheus /metrics on this HOST:PORT, apart from the API (loopback or a private network). Env: CAFE_METRICS_LISTEN. Default: not served.",
            valueName: "host:port"))
        var metricsListen: String?

        @Option(name: .long, help: ArgumentHelp(
            "Seconds between runs of the scheduled jobs (auto-exit); 0 turns them off on this instance. Env: CAFE_JOBS_INTERVAL. Default 60.",
            discussion: "Several instances on one PostgreSQL may all run them: each exit is done by one instance."))
        var jobsInterval: Double?

        func validate() throws {
            if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0 to 65535") }
            if let metricsListen { _ = try Self.hostPort(metricsListen) }
            if let jobsInterval, !(jobsInterval == 0 || (0.1...3600).contains(jobsInterval)) {
                throw ValidationError("--jobs-interval must be 0 (off) or 0.1 to 3600 seconds")
            }
        }

        func run() async throws {
            let env = ProcessInfo.processInfo.environment
            var configuration = try options.serverConfiguration()
            configuration.host = host ?? env["CAFE_HOST"] ?? "127.0.0.1"
            configuration.port = port ?? env["CAFE_PORT"].flatMap(Int.init) ?? 8080
            let logger = options.logger()
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

            let database: ServerDatabase
            do { database = try await ServerDatabase.open(configuration.database, logger: logger) } catch {
                throw DatabaseUnavailable(location: configuration.database, error: error)
            }
            let gateway = CafeServerSetup.gateway(configuration, logger: logger)
            if gateway == nil {
                logger.notice("no payment gateway configured (BOOTPAY_APPLICATION_ID, BOOTPAY_PRIVATE_KEY): online purchases are refused, counter sales work")
            }
            let dependencies = CafeServerDependencies(database: database, gateway: gateway, metrics: registry)
            let frozen = configuration
            try await database.withService {
                let applied: [String]
                do { applied = try await CafeServerSetup.migrate(database) } catch {
                    throw DatabaseUnavailable(location: frozen.database, error: error)
                }
                logger.info("database ready", metadata: ["db": "\(frozen.database)", "db.migrations.applied": "\(applied.count)"])
                let app = try await buildApplication(configuration: frozen, dependencies: dependencies, logger: logger) { port in
                    // One line on stdout that scripts (and the demo) wait for.
                    FileHandle.standardOutput.write(Data("cafe-server listening on http://\(frozen.host):\(port)\n".utf8))
                }
                let interval = jobsInterval ?? env["CAFE_JOBS_INTERVAL"].flatMap(Double.init) ?? 60
                var services: [any Service] = [app]
                if let listen = metricsListen ?? env["CAFE_METRICS_LISTEN"].flatMap({ $0.isEmpty ? nil : $0 }) {
                    let (metricsHost, metricsPort) = try Self.hostPort(listen)
                    services.append(buildMetricsApplication(registry: registry, host: metricsHost, port: metricsPort, logger: logger) { port in
                        logger.info("metrics on http://\(metricsHost):\(port)/metrics")
                    })
                }
                if interval > 0 {
                    services.append(CafeJobs(database: database, interval: .milliseconds(Int64(interval * 1000)), logger: logger))
                } else {
                    logger.notice("scheduled jobs are off on this instance (--jobs-interval 0)")
                }
                if let sender = try await CafeServerSetup.pushSender(frozen, logger: logger) {
                    services.append(PushDelivery(database: database, sender: sender, logger: logger))
                } else {
                    logger.notice("no push service configured (FCM_SERVICE_ACCOUNT_FILE): notices and alerts wait in the outbox and go stale after an hour")
                }
                let group = ServiceGroup(configuration: .init(
                    services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
            }
            await database.close()
        }
    }
}
