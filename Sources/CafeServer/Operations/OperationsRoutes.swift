import CafeProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus

/// Health for load balancers and systemd, readiness that checks the database.
struct OperationsRoutes {
    let database: ServerDatabase

    var collection: RouteCollection<CafeRequestContext> {
        let router = RouteCollection(context: CafeRequestContext.self)
        router.get("health") { _, _ -> Response in
            try WireResponse.json(["status": "ok"])
        }
        router.get("ready") { _, _ -> Response in
            guard await database.ping() else {
                return try WireResponse.json(APIError(code: "not_ready", message: "the database does not answer"), status: .serviceUnavailable)
            }
            return try WireResponse.json(["status": "ready"])
        }
        return router
    }
}

/// Prometheus text on a listener of its own (`--metrics-listen`, loopback or the private
/// network the scraper is on): request counts and durations say too much about a business to
/// hand to anyone who can reach the API.
public func buildMetricsApplication(registry: PrometheusCollectorRegistry, host: String, port: Int, logger: Logger,
                                    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    let router = Router()
    router.get("metrics") { _, _ -> Response in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
    return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "cafe-server-metrics"),
                       onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) }, logger: logger)
}
