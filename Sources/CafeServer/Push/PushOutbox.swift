import CafeProtocol
import Foundation
import Logging
import Metrics
import SQLKit
import ServiceLifecycle

/// Push messages are written to the outbox in the transaction that causes them (a notice, an
/// entry, a warning) and delivered later by `PushDelivery`: a request never waits for the push
/// service. Each message has a dedupe key, so the same alert written twice (an upload retried,
/// a job run twice) is one message.
enum PushOutbox {
    /// An unsent message older than this is dropped: "10 minutes left" an hour late helps no one.
    static let staleAfter: TimeInterval = 3600
    /// Sent and dropped messages are deleted after this long (the outbox never grows for months).
    static let keepFor: TimeInterval = 7 * 86_400

    /// Returns whether the message is new (false: its dedupe key was written before).
    @discardableResult
    static func enqueue(key: String, account: String?, token: String, kind: String, title: String, body: String,
                        data: [String: String], now: Date, in db: any SQLDatabase) async throws -> Bool {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: data, options: [.sortedKeys]), as: UTF8.self)
        return try await db.raw("""
            INSERT INTO push_outbox (id, dedupe_key, account_id, token, kind, title, body, data, created_at, attempts, next_attempt_at)
            VALUES (\(bind: UUID().uuidString), \(bind: key), \(bind: account), \(bind: token), \(bind: kind), \(bind: title), \(bind: body),
                    \(bind: json), \(bind: DBTime.millis(now)), 0, \(bind: DBTime.millis(now)))
            ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
            """).first() != nil
    }

    /// The account's device tokens; `alertsOnly`: those that opted in to entry and exit alerts.
    static func tokens(account: String, alertsOnly: Bool, in db: any SQLDatabase) async throws -> [String] {
        try await db.raw("""
            SELECT token FROM push_tokens WHERE account_id = \(bind: account) \(unsafeRaw: alertsOnly ? "AND entry_exit_alerts = 1" : "")
            ORDER BY created_at
            """).all().map { try $0.decode(column: "token", as: String.self) }
    }

    /// "Entered at 14:02" / "Left at 18:40" for the holder's opted-in devices (a student's
    /// guardian) and, when the account opted in, its web app — once per door event: online,
    /// offline and server exits alike.
    static func entryExitAlert(ticket: TicketRow, verdict: Verdict, at time: Date, eventID: UUID, storeName: String, timeZone: String,
                               now: Date, in db: any SQLDatabase) async throws {
        guard let account = ticket.accountId, verdict == .enter || verdict == .exit else { return }
        let tokens = try await tokens(account: account, alertsOnly: true, in: db)
        let inPage = try await AccountAlerts.settings(account: account, in: db).entryExit
        guard !tokens.isEmpty || inPage else { return }
        let clock = localTime(time, timeZone: timeZone)
        let who = ticket.holderName ?? "Your pass"
        let (title, body) = verdict == .enter
            ? ("입장 · Entered", "\(who) entered \(storeName) at \(clock)")
            : ("퇴장 · Left", "\(who) left \(storeName) at \(clock)")
        for token in tokens {
            try await enqueue(key: "alert|\(eventID.uuidString)|\(token)", account: account, token: token, kind: verdict == .enter ? "entered" : "left",
                              title: title, body: body, data: ["kind": verdict == .enter ? "entered" : "left", "ticket_id": ticket.id],
                              now: now, in: db)
        }
        if inPage {
            try await AccountAlerts.record(key: "alert|\(eventID.uuidString)", account: account, kind: verdict == .enter ? "entered" : "left",
                                           title: title, body: body, ticketID: ticket.id, now: now, in: db)
        }
    }

    /// 14:02 in the store's zone.
    static func localTime(_ date: Date, timeZone identifier: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: identifier) ?? .gmt
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        return String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
    }
}

/// Delivers the outbox: claims due messages (one instance each: a lease, `SKIP LOCKED` on
/// PostgreSQL), sends them outside any transaction, then records the outcome — sent; retried
/// with backoff (5 s doubling to an hour) when the service is down or slow; dropped with its
/// token when FCM says the token is gone; dropped when stale or after 12 tries.
public struct PushDelivery: Service {
    let database: ServerDatabase
    let sender: any PushSender
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger
    private let sent = Counter(label: "cafe_push_sent_total")
    private let retried = Counter(label: "cafe_push_retried_total")
    private let dropped = Counter(label: "cafe_push_dropped_total")

    static let batch = 50
    static let parallelSends = 8
    static let maxAttempts = 12
    static let leaseSeconds: TimeInterval = 120

    public init(database: ServerDatabase, sender: any PushSender, interval: Duration = .seconds(2),
                now: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        self.database = database
        self.sender = sender
        self.interval = interval
        self.now = now
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Keep going while there is a full batch; then wait.
                while try await runOnce().attempted == Self.batch, !Task.isShuttingDownGracefully {}
            } catch {
                logger.error("push delivery failed; trying again", metadata: ["error": "\(error)"])
            }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
        }
    }

    public struct Round: Sendable, Equatable {
        public var attempted = 0
        public var sent = 0
        public var retried = 0
        public var dropped = 0
    }

    struct Claimed: Decodable, Sendable { var id: String; var token: String; var title: String; var body: String; var data: String?; var attempts: Int64 }

    /// One round: claim, send, record.
    @discardableResult
    public func runOnce() async throws -> Round {
        let now = now()
        let claimed = try await database.transaction { db -> [Claimed] in
            try await db.raw("""
                UPDATE push_outbox SET dropped_at = \(bind: DBTime.millis(now)), last_error = 'stale: not delivered within an hour'
                WHERE sent_at IS NULL AND dropped_at IS NULL AND created_at < \(bind: DBTime.millis(now.addingTimeInterval(-PushOutbox.staleAfter)))
                """).run()
            try await db.raw("""
                DELETE FROM push_outbox WHERE (sent_at IS NOT NULL OR dropped_at IS NOT NULL)
                  AND created_at < \(bind: DBTime.millis(now.addingTimeInterval(-PushOutbox.keepFor)))
                """).run()
            try await AccountAlerts.prune(now: now, in: db)
            let lock = db.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
            let rows = try await db.raw("""
                SELECT id, token, title, body, data, attempts FROM push_outbox
                WHERE sent_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= \(bind: DBTime.millis(now))
                  AND (claimed_until IS NULL OR claimed_until < \(bind: DBTime.millis(now)))
                ORDER BY next_attempt_at LIMIT \(literal: Self.batch)\(unsafeRaw: lock)
                """).all(decoding: Claimed.self)
            if !rows.isEmpty {
                try await db.raw("""
                    UPDATE push_outbox SET claimed_until = \(bind: DBTime.millis(now.addingTimeInterval(Self.leaseSeconds)))
                    WHERE id IN (\(binds: rows.map(\.id)))
                    """).run()
            }
            return rows
        }
        var round = Round(attempted: claimed.count)
        for (message, outcome) in zip(claimed, await send(claimed)) {
            switch outcome {
            case .success:
                try await record { db in
                    try await db.raw("UPDATE push_outbox SET sent_at = \(bind: DBTime.millis(now)), claimed_until = NULL WHERE id = \(bind: message.id)").run()
                }
                round.sent += 1
                sent.increment()
            case .failure(.invalidToken(let detail)):
                try await record { db in
                    try await db.raw("UPDATE push_outbox SET dropped_at = \(bind: DBTime.millis(now)), last_error = \(bind: detail), claimed_until = NULL WHERE id = \(bind: message.id)").run()
                    try await db.raw("DELETE FROM push_tokens WHERE token = \(bind: message.token)").run()
                }
                logger.notice("push token dropped: the push service no longer knows it", metadata: ["push.id": "\(message.id)"])
                round.dropped += 1
                dropped.increment()
            case .failure(.retryable(let detail)) where message.attempts + 1 < Self.maxAttempts:
                let delay = min(3600, 5 * pow(2, Double(message.attempts)))
                try await record { db in
                    try await db.raw("""
                        UPDATE push_outbox SET attempts = attempts + 1, last_error = \(bind: detail), claimed_until = NULL,
                            next_attempt_at = \(bind: DBTime.millis(now.addingTimeInterval(delay)))
                        WHERE id = \(bind: message.id)
                        """).run()
                }
                round.retried += 1
                retried.increment()
            case .failure(let error):
                let detail = "\(error)"
                try await record { db in
                    try await db.raw("UPDATE push_outbox SET dropped_at = \(bind: DBTime.millis(now)), attempts = attempts + 1, last_error = \(bind: detail), claimed_until = NULL WHERE id = \(bind: message.id)").run()
                }
                logger.warning("push message dropped", metadata: ["push.id": "\(message.id)", "error": "\(detail)"])
                round.dropped += 1
                dropped.increment()
            }
        }
        if round.retried > 0 { logger.warning("push service did not take every message; retrying later", metadata: ["push.retried": "\(round.retried)"]) }
        return round
    }

    /// Sends the claimed messages: one device's in the order they were written (an "entered"
    /// before its "left"), up to `parallelSends` devices at a time (a notice to a whole store is
    /// thousands of messages at ~100 ms each). Outcomes come back in the claimed order.
    private func send(_ claimed: [Claimed]) async -> [Result<Void, PushError>] {
        var byDevice: [String: [Int]] = [:]
        var devices: [String] = []
        for (index, message) in claimed.enumerated() {
            if byDevice[message.token] == nil { devices.append(message.token) }
            byDevice[message.token, default: []].append(index)
        }
        let queues = devices.map { byDevice[$0]! }
        return await withTaskGroup(of: [(Int, Result<Void, PushError>)].self) { group in
            var outcomes = [Result<Void, PushError>](repeating: .failure(.retryable("not sent")), count: claimed.count)
            var next = 0
            func start(_ queue: [Int]) {
                let messages = queue.map { index -> (Int, PushMessage) in
                    let message = claimed[index]
                    let data = message.data.flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String] } ?? [:]
                    return (index, PushMessage(token: message.token, title: message.title, body: message.body, data: data, collapseKey: message.id))
                }
                group.addTask { [sender] in
                    var results: [(Int, Result<Void, PushError>)] = []
                    for (index, push) in messages {
                        do throws(PushError) { try await sender.send(push); results.append((index, .success(()))) } catch { results.append((index, .failure(error))) }
                    }
                    return results
                }
            }
            while next < min(Self.parallelSends, queues.count) { start(queues[next]); next += 1 }
            for await results in group {
                for (index, outcome) in results { outcomes[index] = outcome }
                if next < queues.count { start(queues[next]); next += 1 }
            }
            return outcomes
        }
    }

    private func record(_ body: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws {
        try await database.transaction { db in try await body(db) }
    }
}
