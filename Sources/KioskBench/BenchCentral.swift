import ArgumentParser
import CafeProtocol
import Foundation
import KioskCLI
import KioskCore
import KioskRuntime
import Logging
import Synchronization

extension KioskdBench {
    struct Online: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure online verdicts against the enrolled server, at a fixed rate.",
            discussion: """
                Open loop: requests start on a fixed schedule (--rate a second for --seconds) \
                whatever the answers do, and each latency counts from its scheduled start, so a \
                slow server cannot hide its queueing. Tokens come from --tokens (one a line, \
                e.g. from 'cafe-server bench seed'); each request is a new event.

                --door instead runs the door's own path, one scan at a time as a real entrance \
                does (the check-in service: online first within --deadline-ms, else offline), \
                and reports each verdict's latency and how many were decided online.
                """)

        @OptionGroup var state: StateOptions
        @Option(help: "A file of pass tokens, one a line.") var tokens: String
        @Option(help: "Requests a second.") var rate = 200
        @Option(help: "How long to run, seconds.") var seconds = 10
        @Option(help: "Connections (one request at a time each).") var connections = 16
        @Flag(help: "One scan at a time through the door's check-in service.") var door = false
        @Option(help: "The door's deadline for the online verdict, ms (with --door).") var deadlineMs = 300
        @Flag(help: "With --door: full re-syncs (every ticket again) run back to back meanwhile, as the daemon's sync service runs them.")
        var duringFullSync = false
        @Flag(help: "With --door: a decode thread is busy meanwhile with 1280x720 frames at 30 fps.")
        var busyDecoder = false

        func validate() throws {
            guard (1...5_000).contains(rate), (1...600).contains(seconds), (1...256).contains(connections) else {
                throw ValidationError("--rate 1…5000, --seconds 1…600, --connections 1…256")
            }
        }

        func run() async throws {
            let device = try state.requireDevice()
            let texts = try String(contentsOfFile: tokens, encoding: .utf8).split(separator: "\n").map(String.init)
            guard !texts.isEmpty else { throw ValidationError("\(tokens) holds no tokens") }
            let total = rate * seconds
            let interval = Duration.seconds(1) / rate
            if door {
                try await runDoor(device: device, texts: texts, total: total, interval: interval)
            } else {
                try await runLoad(device: device, texts: texts, total: total, interval: interval)
            }
        }

        private func runLoad(device: DeviceCredentials, texts: [String], total: Int, interval: Duration) async throws {
            let clients = (0..<connections).map { _ in
                CentralClient(baseURL: device.serverURL, deviceToken: device.deviceToken, transport: device.transport())
            }
            let free = AsyncStream<Int>.makeStream()
            for index in clients.indices { free.continuation.yield(index) }
            let clock = ContinuousClock()
            let start = clock.now
            let results = LoadResults()
            try await withThrowingTaskGroup(of: Void.self) { group in
                var available = free.stream.makeAsyncIterator()
                for index in 0..<total {
                    let scheduled = start + interval * index
                    try await clock.sleep(until: scheduled)
                    // A request waits for a free connection: that wait is part of its latency.
                    guard let slot = await available.next() else { break }
                    let client = clients[slot]
                    let text = texts[index % texts.count]
                    group.addTask {
                        let request = CheckInRequest(eventID: UUID(), token: text, direction: .auto, scannedAt: Date())
                        do {
                            _ = try await client.checkIn(request, deadline: .seconds(10))
                            let latency = clock.now - scheduled
                            results.state.withLock { $0.latencies.append(latency) }
                        } catch {
                            results.state.withLock { $0.errors["\(error)".prefix(60).description, default: 0] += 1 }
                        }
                        free.continuation.yield(slot)
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = clock.now - start
            let (latencies, errors) = results.state.withLock { ($0.latencies, $0.errors) }
            Output.line("online check-ins: \(latencies.count) answered, \(errors.values.reduce(0, +)) failed, \(total) sent at \(rate)/s over \(String(format: "%.1f", elapsed.inMilliseconds / 1000)) s")
            Output.line(Self.summary(latencies))
            for (error, count) in errors { Output.line("  error ×\(count): \(error)") }
        }

        /// The door's scans on an executor of their own, a sync service and a decoder beside
        /// them when asked: the daemon's arrangement (KioskRuntime), measured.
        private func runDoor(device: DeviceCredentials, texts: [String], total: Int, interval: Duration) async throws {
            let database = try state.openDatabase()
            let doorExecutor = ThreadExecutor(name: "bench.checkin"), syncExecutor = ThreadExecutor(name: "bench.db")
            defer { doorExecutor.shutdown(); syncExecutor.shutdown() }
            let stop = StopSignal()
            let decoded = Mutex(0)
            if busyDecoder {
                Thread.detachNewThread {
                    var generator = SystemRandomNumberGenerator()
                    let frame = try! GrayImage(width: 1280, height: 720, pixels: (0..<(1280 * 720)).map { _ in UInt8.random(in: 114...126, using: &generator) })
                    let decoder = CascadeDecoder()
                    var due = ContinuousClock.now
                    while !stop.isStopped {
                        _ = decoder.decode(frame)
                        decoded.withLock { $0 += 1 }
                        due += .milliseconds(33)
                        let wait = due - ContinuousClock.now
                        if wait > .zero { Thread.sleep(forTimeInterval: wait.inSeconds) }
                    }
                }
            }
            let syncClient = CentralClient(baseURL: device.serverURL, deviceToken: device.deviceToken, transport: device.transport())
            let syncTask = Task(executorPreference: syncExecutor) { [duringFullSync] () -> (rounds: Int, tickets: Int) in
                guard duringFullSync else { return (0, 0) }
                var rounds = 0, tickets = 0
                while !stop.isStopped {
                    guard let report = try? await SyncEngine(database: database, client: syncClient).runOnce(full: true) else { break }
                    rounds += 1
                    tickets += report.pulledTickets
                }
                return (rounds, tickets)
            }
            let deadline = deadlineMs
            let (latencies, online) = try await Task(executorPreference: doorExecutor) {
                try await Self.scanAtTheDoor(database: database, device: device, texts: texts, total: total, interval: interval,
                                             deadlineMs: deadline)
            }.value
            stop.stop()
            let synced = await syncTask.value
            var context = [String]()
            if duringFullSync { context.append("\(synced.rounds) full re-sync(s) of \(synced.tickets / max(1, synced.rounds)) tickets meanwhile") }
            if busyDecoder { context.append("\(decoded.withLock { $0 }) frames of 1280x720 decoded meanwhile") }
            Output.line("door verdicts: \(total), \(online) online, \(total - online) offline (deadline \(deadlineMs) ms)" +
                        (context.isEmpty ? "" : "; " + context.joined(separator: ", ")))
            Output.line(Self.summary(latencies))
        }

        private static func scanAtTheDoor(database: KioskDatabase, device: DeviceCredentials, texts: [String], total: Int,
                                          interval: Duration, deadlineMs: Int) async throws -> ([Duration], Int) {
            let client = CentralClient(baseURL: device.serverURL, deviceToken: device.deviceToken, transport: device.transport())
            let engine = CheckInEngine(store: DatabaseCheckInStore(database: database), repeatWindow: 0)
            // A breaker that never opens: every scan pays the online attempt (the worst case).
            let service = CheckInService(engine: engine, client: client, deadline: .milliseconds(deadlineMs),
                                         breaker: SharedCircuitBreaker(CircuitBreaker(failureThreshold: .max, openDuration: 1)),
                                         logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
            let clock = ContinuousClock()
            var latencies: [Duration] = []
            var online = 0
            let start = clock.now
            for index in 0..<total {
                try await clock.sleep(until: start + interval * index)
                let began = clock.now
                let outcome = try await service.scan(texts[index % texts.count])
                latencies.append(clock.now - began)
                if outcome.event?.decidedOffline == false { online += 1 }
            }
            return (latencies, online)
        }

        /// What the concurrent requests report back.
        final class LoadResults: Sendable {
            let state = Mutex<(latencies: [Duration], errors: [String: Int])>(([], [:]))
        }

        static func summary(_ latencies: [Duration]) -> String {
            let ms = latencies.map(\.inMilliseconds).sorted()
            guard !ms.isEmpty else { return "latency: no answers" }
            func at(_ q: Double) -> Double { ms[min(ms.count - 1, Int(Double(ms.count) * q))] }
            return String(format: "latency ms: median %.2f  p90 %.2f  p99 %.2f  max %.2f", at(0.5), at(0.9), at(0.99), ms.last!)
        }
    }

    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure how fast a backlog of offline check-ins reaches the server.",
            discussion: """
                Decides --scans scans offline (tokens from --tokens; the cache must be synced), \
                each event committed to the outbox, then times one sync pushing them all.
                """)

        @OptionGroup var state: StateOptions
        @Option(help: "A file of pass tokens, one a line.") var tokens: String
        @Option(help: "Offline scans to queue.") var scans = 1_000

        func run() async throws {
            let device = try state.requireDevice()
            let database = try state.openDatabase()
            let texts = try String(contentsOfFile: tokens, encoding: .utf8).split(separator: "\n").map(String.init)
            let engine = CheckInEngine(store: DatabaseCheckInStore(database: database), repeatWindow: 0)
            for index in 0..<scans { _ = try engine.scan(texts[index % texts.count]) }
            let queued = try database.status().outboxPending
            let client = CentralClient(baseURL: device.serverURL, deviceToken: device.deviceToken, transport: device.transport())
            let clock = ContinuousClock()
            let start = clock.now
            let report = try await SyncEngine(database: database, client: client).runOnce()
            let elapsed = clock.now - start
            Output.line("backlog: \(queued) event(s) queued; pushed \(report.pushed) (+\(report.duplicates) duplicates), \(report.conflicts.count) conflict(s), in \(elapsed.milliseconds) ms (whole sync, pull included)")
            Output.line("left in the outbox: \(try database.status().outboxPending)")
        }
    }
}
