import CafeProtocol
import Crypto
import Foundation
import GRDB

/// The kiosk's local cache and outbox, in one SQLite file (WAL): what lets the door decide
/// without the network, and what keeps every decision until the server has it.
public struct KioskDatabase: Sendable {
    let writer: any DatabaseWriter

    /// Opens (creating and migrating) the database at `path`: a `DatabasePool` in WAL mode with
    /// `synchronous = FULL`, so a committed event survives a power cut, not only a crash.
    ///
    /// A file that is not a database, or fails SQLite's integrity check, is moved aside to
    /// `<path>.corrupt-<unix time>` and a new, empty database is made: `OpenResult.movedAside`
    /// says so, and the caller must resync before deciding anything (an empty cache never
    /// silently grants or denies: the engine refuses to decide without store settings).
    public static func open(path: String) throws -> OpenResult {
        do {
            let database = try openChecked(path: path)
            return OpenResult(database: database, movedAside: nil)
        } catch let error as DatabaseError where Self.isCorruption(error) {
            let aside = "\(path).corrupt-\(Int(Date().timeIntervalSince1970))"
            let files = FileManager.default
            try files.moveItem(atPath: path, toPath: aside)
            for suffix in ["-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
                try? files.moveItem(atPath: path + suffix, toPath: aside + suffix)
            }
            let database = try openChecked(path: path)
            let salvaged = database.salvageOutbox(from: aside)
            return OpenResult(database: database, movedAside: (aside, "\(error)"), salvagedEvents: salvaged)
        }
    }

    public struct OpenResult: Sendable {
        public let database: KioskDatabase
        /// Where a damaged file went, and SQLite's reason, when it had to be replaced.
        public let movedAside: (path: String, reason: String)?
        /// Events still readable in the damaged file's outbox, copied into the new cache so
        /// that they are uploaded all the same.
        public var salvagedEvents = 0
    }

    /// Copies every outbox row that can still be read from a damaged file. Rows that cannot be
    /// read are lost with the damage; the count of those that could is returned.
    func salvageOutbox(from damagedPath: String) -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        guard let damaged = try? DatabaseQueue(path: damagedPath, configuration: configuration) else { return 0 }
        let rows: [OutboxRecord] = (try? damaged.read { db in
            var rows = [OutboxRecord]()
            let cursor = try OutboxRecord.order(OutboxRecord.CodingKeys.seq).fetchCursor(db)
            // Read row by row: a damaged page stops the scan, but what was read before it counts.
            while true {
                do {
                    guard let row = try cursor.next() else { break }
                    rows.append(row)
                } catch {
                    break
                }
            }
            return rows
        }) ?? []
        var copied = 0
        for row in rows {
            guard let event = try? WireCoding.decoder().decode(KioskEvent.self, from: Data(row.payload.utf8)) else { continue }
            if (try? record(event, ticket: nil)) != nil { copied += 1 }
        }
        return copied
    }

    /// An in-memory database, for tests.
    public static func inMemory() throws -> KioskDatabase {
        try KioskDatabase(writer: DatabaseQueue())
    }

    private static func openChecked(path: String) throws -> KioskDatabase {
        var configuration = Configuration()
        // Resident memory on a small box: two readers (the door's lookup and one more: status,
        // print queue) and 1 MiB of page cache a connection instead of SQLite's 2 MiB. A scan
        // reads a few pages by key; the kernel's page cache holds the rest of the file.
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -1024")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.read { db in
            let result = try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
            if result != "ok" { throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "quick_check: \(result)") }
        }
        // The check read every page of the file into that reader's cache: give it back.
        pool.releaseMemory()
        return try KioskDatabase(writer: pool)
    }

    static func isCorruption(_ error: DatabaseError) -> Bool {
        [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode)
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "ticket") { t in
                t.primaryKey("pass_id", .text)
                t.column("store_id", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("valid_from", .datetime).notNull()
                t.column("valid_until", .datetime).notNull()
                t.column("remaining_minutes", .integer)
                t.column("status", .text).notNull()
                t.column("inside", .boolean).notNull()
                t.column("last_entered_at", .datetime)
                t.column("holder_name", .text)
                t.column("seat", .text)
                t.column("revision", .integer).notNull()
            }
            try db.create(table: "signing_key") { t in
                t.primaryKey("public_key", .blob)
                t.column("key_id", .integer).notNull()
                t.column("retired", .boolean).notNull()
            }
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("event_id", .text).notNull().unique()
                t.column("pass_id", .text).indexed()
                t.column("payload", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("last_error", .text)
            }
            try db.create(table: "print_job") { t in
                t.primaryKey("job_id", .text)
                t.column("pass_id", .text).notNull()
                t.column("token", .text).notNull()
                t.column("label", .text).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("printed_at", .datetime)
                t.column("acknowledged", .boolean).notNull().defaults(to: false)
            }
            try db.create(table: "setting") { t in
                t.primaryKey("name", .text)
                t.column("value", .text).notNull()
            }
        }
        migrator.registerMigration("v2") { db in
            // Set just before a job's bytes go to the printer, so a kill between the write and
            // `printed_at` leaves the job uncertain (ask staff) instead of printed twice or lost.
            try db.alter(table: "print_job") { t in t.add(column: "attempted_at", .datetime) }
        }
        migrator.registerMigration("v3") { db in
            // The seats taken, read at every offline entry: the few inside, not 100,000 rows.
            try db.execute(sql: "CREATE INDEX ticket_inside_seat ON ticket(seat) WHERE inside = 1 AND seat IS NOT NULL")
        }
        return migrator
    }

    // MARK: Check-in

    /// The public keys that verify passes now (retired keys excluded).
    public func verifier() throws -> PassVerifier {
        let records = try writer.read { db in
            try SigningKeyRecord.filter(SigningKeyRecord.CodingKeys.retired == false).fetchAll(db)
        }
        return PassVerifier(publicKeys: records.compactMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0.publicKey) })
    }

    public func storeSettings() throws -> StoreSettings? {
        try writer.read { db in
            guard let json = try SettingRecord.fetchOne(db, key: SettingRecord.Names.storeSettings)?.value else { return nil }
            return try WireCoding.decoder().decode(StoreSettings.self, from: Data(json.utf8))
        }
    }

    public func ticket(passID: UUID) throws -> TicketState? {
        try writer.read { db in try TicketRecord.fetchOne(db, key: passID.uuidString)?.state }
    }

    /// The seats of holders inside, as far as this kiosk knows (its decisions and the last sync).
    public func occupiedSeats() throws -> Set<String> {
        try writer.read { db in
            Set(try String.fetchAll(db, sql: "SELECT seat FROM ticket WHERE inside = 1 AND seat IS NOT NULL"))
        }
    }

    /// The event into the outbox and the ticket's new state, in one transaction.
    public func record(_ event: KioskEvent, ticket: TicketState?) throws {
        let payload = String(decoding: try WireCoding.encoder().encode(event), as: UTF8.self)
        try writer.write { db in
            var row = OutboxRecord(seq: nil, eventID: event.eventID.uuidString, passID: event.passID?.uuidString, payload: payload,
                                   createdAt: event.occurredAt, attempts: 0, lastError: nil)
            try row.insert(db, onConflict: .ignore)
            if let ticket { try TicketRecord(ticket).save(db) }
            try db.execute(sql: """
                INSERT INTO setting (name, value) VALUES (?, ?)
                ON CONFLICT (name) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))
                """, arguments: [SettingRecord.Names.lastDecisionAt, String(Int64(event.occurredAt.timeIntervalSince1970 * 1_000))])
        }
    }

    /// The earliest "now" this kiosk may decide at: the later of its last committed decision
    /// and the server's time at the last sync. A box whose clock went back (no battery, NTP not
    /// answering yet) must not decide before it: the rules would re-grant passes that expired.
    public func clockFloor() throws -> Date? {
        try writer.read { db in
            let decided = try SettingRecord.fetchOne(db, key: SettingRecord.Names.lastDecisionAt)
                .flatMap { Int64($0.value) }.map { Date(timeIntervalSince1970: Double($0) / 1_000) }
            let synced = try SettingRecord.fetchOne(db, key: SettingRecord.Names.lastSyncAt).flatMap { WireCoding.parseTimestamp($0.value) }
            return [decided, synced].compactMap { $0 }.max()
        }
    }

    /// Stores a ticket from the server unless the cache holds a newer revision.
    public func updateTicket(_ ticket: TicketState) throws {
        try writer.write { db in
            let incoming = TicketRecord(ticket)
            if let existing = try TicketRecord.fetchOne(db, key: incoming.passID), existing.revision > incoming.revision { return }
            try incoming.save(db)
        }
    }

    // MARK: Sync

    /// Applies one page from the server in one transaction, cursor included: a crash leaves
    /// either the whole page or none of it. A ticket older than the cached one (the same page
    /// twice, or pages out of order) is ignored, so nothing rolls back — except that the local
    /// inside/outside and remaining minutes of a pass with unsent events stay as decided here.
    /// Tickets written per transaction while a page is applied. The door commits every verdict
    /// through the same single writer, so a scan during a full re-sync waits at most for one
    /// chunk (a few ms), not for a whole page of 1,000 tickets.
    public static let applyChunk = 200

    public func apply(_ page: SyncPage) throws {
        let settings = String(decoding: try WireCoding.encoder().encode(page.store), as: UTF8.self)
        // The tickets go in chunks, each committed on its own; the rest of the page (archived
        // passes, keys, print jobs, settings) and the cursor go with the last chunk. A crash
        // between chunks leaves the cursor where it was: the page is pulled again, and the
        // tickets already written are skipped by their revision.
        var start = page.tickets.startIndex
        repeat {
            let end = min(start + Self.applyChunk, page.tickets.endIndex)
            let chunk = page.tickets[start..<end]
            let last = end == page.tickets.endIndex
            guard last else {
                // Not fsync'd on its own (`synchronous = NORMAL` for this commit only): the WAL is
                // written in order, so the last chunk's FULL commit, which carries the cursor,
                // makes the earlier ones durable too; a power cut before it re-pulls the page.
                try writer.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                    defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
                    try db.inTransaction {
                        try Self.upsert(chunk, in: db)
                        return .commit
                    }
                }
                start = end
                continue
            }
            try writer.write { db in
                try Self.upsert(chunk, in: db)
                // Finished passes the server archived: a later scan is judged by its token (expired).
                for passID in page.archived {
                    _ = try TicketRecord.deleteOne(db, key: passID.uuidString)
                }
                try SigningKeyRecord.deleteAll(db)
                for key in page.keys {
                    try SigningKeyRecord(publicKey: key.publicKey, keyID: Int64(key.keyID.rawValue), retired: key.retired).insert(db)
                }
                for job in page.printJobs {
                    try PrintJobRecord(jobID: job.jobID.uuidString, passID: job.passID.uuidString, token: job.token,
                                       label: job.label, createdAt: job.createdAt, printedAt: nil, acknowledged: false)
                        .insert(db, onConflict: .ignore)
                }
                try SettingRecord(name: SettingRecord.Names.storeSettings, value: settings).save(db)
                try SettingRecord(name: SettingRecord.Names.syncCursor, value: page.cursor).save(db)
                try SettingRecord(name: SettingRecord.Names.lastSyncAt, value: WireCoding.timestamp(page.serverTime)).save(db)
            }
            start = end
        } while start < page.tickets.endIndex
    }

    /// One prepared upsert per ticket. Older revisions are skipped by the WHERE; a pass with
    /// events still in the outbox keeps its local inside/outside and the lower of the two
    /// balances until the server has those events.
    private static func upsert(_ tickets: ArraySlice<TicketState>, in db: Database) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO ticket (pass_id, store_id, kind, valid_from, valid_until, remaining_minutes, status,
                                inside, last_entered_at, holder_name, seat, revision)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (pass_id) DO UPDATE SET
                store_id = excluded.store_id, kind = excluded.kind, valid_from = excluded.valid_from,
                valid_until = excluded.valid_until, status = excluded.status, holder_name = excluded.holder_name,
                seat = excluded.seat, revision = excluded.revision,
                inside = CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE outbox.pass_id = ticket.pass_id)
                    THEN ticket.inside ELSE excluded.inside END,
                last_entered_at = CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE outbox.pass_id = ticket.pass_id)
                    THEN ticket.last_entered_at ELSE excluded.last_entered_at END,
                remaining_minutes = CASE
                    WHEN NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.pass_id = ticket.pass_id) THEN excluded.remaining_minutes
                    WHEN ticket.remaining_minutes IS NULL THEN excluded.remaining_minutes
                    ELSE MIN(ticket.remaining_minutes, COALESCE(excluded.remaining_minutes, ticket.remaining_minutes)) END
            WHERE excluded.revision > ticket.revision
            """)
        for state in tickets {
            let row = TicketRecord(state)
            try upsert.execute(arguments: [row.passID, row.storeID, row.kind, StoredDate.text(row.validFrom), StoredDate.text(row.validUntil), row.remainingMinutes,
                                           row.status, row.inside, StoredDate.text(row.lastEnteredAt), row.holderName, row.seat, row.revision])
        }
    }

    /// The server's time at the last page applied: when the cache was last known current.
    public func lastSyncAt() throws -> Date? {
        try writer.read { db in
            try SettingRecord.fetchOne(db, key: SettingRecord.Names.lastSyncAt).flatMap { WireCoding.parseTimestamp($0.value) }
        }
    }

    /// The last sync's time as stored, when it is there but is not a time (a damaged or
    /// hand-edited cache): `kioskd status` says so instead of "never". The next page applied
    /// writes it again.
    public func unreadableLastSync() throws -> String? {
        try writer.read { db in
            try SettingRecord.fetchOne(db, key: SettingRecord.Names.lastSyncAt)
                .flatMap { WireCoding.parseTimestamp($0.value) == nil ? $0.value : nil }
        }
    }

    /// Where the next pull starts; nil before the first sync (or after a reset).
    public func syncCursor() throws -> String? {
        try writer.read { db in try SettingRecord.fetchOne(db, key: SettingRecord.Names.syncCursor)?.value }
    }

    // MARK: Outbox

    /// The oldest events not yet accepted by the server, in decision order.
    public func pendingEvents(limit: Int) throws -> [KioskEvent] {
        try writer.read { db in
            try OutboxRecord.order(OutboxRecord.CodingKeys.seq).limit(limit).fetchAll(db).map { record in
                try WireCoding.decoder().decode(KioskEvent.self, from: Data(record.payload.utf8))
            }
        }
    }

    /// How many events wait to be uploaded and since when (told to the server at each sync).
    public func outboxReport() throws -> OutboxReport {
        try writer.read { db in try Self.outboxReport(db) }
    }

    private static func outboxReport(_ db: Database) throws -> OutboxReport {
        OutboxReport(pending: try OutboxRecord.fetchCount(db), oldest: try StoredDate.fetchOne(db, sql: "SELECT MIN(created_at) FROM outbox"))
    }

    /// Whether any event about this pass waits to be uploaded.
    public func hasUndeliveredEvents(passID: UUID) throws -> Bool {
        try writer.read { db in
            try OutboxRecord.filter(OutboxRecord.CodingKeys.passID == passID.uuidString).fetchCount(db) > 0
        }
    }

    /// Removes events the server has (accepted now, or before).
    public func markDelivered(_ eventIDs: [UUID]) throws {
        try writer.write { db in
            _ = try OutboxRecord.filter(eventIDs.map(\.uuidString).contains(OutboxRecord.CodingKeys.eventID)).deleteAll(db)
        }
    }

    /// Notes a failed upload attempt on the given events.
    public func markAttemptFailed(_ eventIDs: [UUID], error: String) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE event_id IN (SELECT value FROM json_each(?))",
                           arguments: [error, String(decoding: try JSONEncoder().encode(eventIDs.map(\.uuidString)), as: UTF8.self)])
        }
    }

    // MARK: Print jobs

    /// Passes sold at the counter waiting to be printed, oldest first.
    public func pendingPrintJobs() throws -> [PrintJob] {
        try writer.read { db in
            try PrintJobRecord.filter(PrintJobRecord.CodingKeys.acknowledged == false && PrintJobRecord.CodingKeys.printedAt == nil
                                      && PrintJobRecord.CodingKeys.attemptedAt == nil)
                .order(PrintJobRecord.CodingKeys.createdAt).fetchAll(db)
                .compactMap { record in
                    guard let jobID = UUID(uuidString: record.jobID), let passID = UUID(uuidString: record.passID) else { return nil }
                    return PrintJob(jobID: jobID, passID: passID, token: record.token, label: record.label, createdAt: record.createdAt)
                }
        }
    }

    /// About to send the job's bytes: from here until `markPrinted`, a crash leaves it uncertain.
    public func beginPrinting(_ jobID: UUID, at time: Date) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE print_job SET attempted_at = ? WHERE job_id = ? AND printed_at IS NULL",
                           arguments: [StoredDate.text(time), jobID.uuidString])
        }
    }

    /// The printer refused the job before any byte reached it: back in the queue.
    public func abandonPrinting(_ jobID: UUID) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE print_job SET attempted_at = NULL WHERE job_id = ? AND printed_at IS NULL", arguments: [jobID.uuidString])
        }
    }

    /// Jobs whose bytes may or may not have reached paper (the daemon was killed, or the printer
    /// went silent, between the write and the confirmation): staff decide to reprint or not.
    public func uncertainPrintJobs() throws -> [PrintJob] {
        try writer.read { db in
            try PrintJobRecord.filter(PrintJobRecord.CodingKeys.printedAt == nil && PrintJobRecord.CodingKeys.attemptedAt != nil
                                      && PrintJobRecord.CodingKeys.acknowledged == false)
                .order(PrintJobRecord.CodingKeys.createdAt).fetchAll(db)
                .compactMap { record in
                    guard let jobID = UUID(uuidString: record.jobID), let passID = UUID(uuidString: record.passID) else { return nil }
                    return PrintJob(jobID: jobID, passID: passID, token: record.token, label: record.label, createdAt: record.createdAt)
                }
        }
    }

    /// A job not to print (its pass was refunded or revoked before it came out): out of the
    /// queue, and not reported to the server as printed.
    public func dropPrintJob(_ jobID: UUID) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE print_job SET acknowledged = 1 WHERE job_id = ? AND printed_at IS NULL", arguments: [jobID.uuidString])
        }
    }

    /// The printer has it: never print it twice, even if the acknowledgement fails.
    public func markPrinted(_ jobID: UUID, at time: Date) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE print_job SET printed_at = COALESCE(printed_at, ?) WHERE job_id = ?",
                           arguments: [StoredDate.text(time), jobID.uuidString])
        }
    }

    /// Jobs printed but whose acknowledgement has not reached the server yet.
    public func printedUnacknowledged() throws -> [(jobID: UUID, printedAt: Date)] {
        try writer.read { db in
            try PrintJobRecord.filter(PrintJobRecord.CodingKeys.acknowledged == false && PrintJobRecord.CodingKeys.printedAt != nil)
                .fetchAll(db).compactMap { record in
                    guard let id = UUID(uuidString: record.jobID), let printed = record.printedAt else { return nil }
                    return (id, printed)
                }
        }
    }

    public func markAcknowledged(_ jobID: UUID) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE print_job SET acknowledged = 1 WHERE job_id = ?", arguments: [jobID.uuidString])
        }
    }

    // MARK: Status

    public struct Status: Equatable, Sendable {
        public var ticketsCached: Int
        public var outboxPending: Int
        public var oldestPendingAt: Date?
        public var keys: [KeyID]
        public var cursor: String?
        public var printJobsWaiting: Int
    }

    public func status() throws -> Status {
        try writer.read { db in
            let outbox = try Self.outboxReport(db)
            return Status(
                ticketsCached: try TicketRecord.fetchCount(db),
                outboxPending: outbox.pending,
                oldestPendingAt: outbox.oldest,
                keys: try SigningKeyRecord.filter(SigningKeyRecord.CodingKeys.retired == false).fetchAll(db)
                    .map { KeyID(rawValue: UInt32(truncatingIfNeeded: $0.keyID)) },
                cursor: try SettingRecord.fetchOne(db, key: SettingRecord.Names.syncCursor)?.value,
                printJobsWaiting: try PrintJobRecord.filter(PrintJobRecord.CodingKeys.printedAt == nil && PrintJobRecord.CodingKeys.acknowledged == false).fetchCount(db))
        }
    }
}

/// The database is the engine's store.
public final class DatabaseCheckInStore: CheckInStore {
    public let database: KioskDatabase
    public init(database: KioskDatabase) { self.database = database }

    public func verifier() throws -> PassVerifier { try database.verifier() }
    public func storeSettings() throws -> StoreSettings? { try database.storeSettings() }
    public func ticket(passID: UUID) throws -> TicketState? { try database.ticket(passID: passID) }
    public func record(_ event: KioskEvent, ticket: TicketState?) throws { try database.record(event, ticket: ticket) }
    public func updateTicket(_ ticket: TicketState) throws { try database.updateTicket(ticket) }
    public func hasUndeliveredEvents(passID: UUID) throws -> Bool { try database.hasUndeliveredEvents(passID: passID) }
    public func occupiedSeats() throws -> Set<String> { try database.occupiedSeats() }
}
