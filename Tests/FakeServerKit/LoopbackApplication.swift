import Hummingbird
import Logging
import ServiceLifecycle

/// What every local fake of a remote service (BootPay, FCM) does to serve: its router on
/// 127.0.0.1, any free port by default, for as long as the test's body runs.
public enum LoopbackApplication {
    /// Runs `router` until `body` returns; `body` gets the bound port.
    public static func run<T: Sendable>(_ router: Router<BasicRequestContext>, name: String, port: Int = 0,
                                        _ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: name)
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: name),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
            group.addTask { try await serviceGroup.run(); return nil }
            var iterator = ports.makeAsyncIterator()
            guard let boundPort = await iterator.next() else { throw CancellationError() }
            defer { group.cancelAll() }
            let result = try await body(boundPort)
            await serviceGroup.triggerGracefulShutdown()
            return result
        }
    }
}
