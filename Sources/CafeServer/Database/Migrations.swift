import Foundation
import SQLKit

/// The schema, as versioned steps applied in order and recorded in `schema_migrations`. A step
/// is never edited once shipped: change the schema with a new one. Every column type is one that
/// SQLite and PostgreSQL spell alike (BIGINT, TEXT), times are Unix milliseconds, ids are text
/// UUIDs, flags are 0/1 — so one SQL text serves both.
enum Migrations {
    struct Step: Sendable {
        let version: String
        let statements: [String]
    }

    static let steps: [Step] = [
        Step(version: "001_initial", statements: [
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                login TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                display_name TEXT NOT NULL,
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                family_id TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                revoked_at BIGINT,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id)",
            """
            CREATE TABLE server_settings (
                name TEXT PRIMARY KEY,
                value TEXT NOT NULL)
            """,
            """
            CREATE TABLE stores (
                id BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                time_zone TEXT NOT NULL,
                closed_start BIGINT,
                closed_end BIGINT,
                seats BIGINT NOT NULL,
                revision BIGINT NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE store_owners (
                store_id BIGINT NOT NULL REFERENCES stores(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                PRIMARY KEY (store_id, account_id))
            """,
            """
            CREATE TABLE signing_keys (
                store_id BIGINT NOT NULL REFERENCES stores(id),
                key_id BIGINT NOT NULL,
                public_key TEXT NOT NULL,
                private_key TEXT NOT NULL,
                active BIGINT NOT NULL,
                retired BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (store_id, key_id))
            """,
            """
            CREATE TABLE products (
                code TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                label TEXT NOT NULL,
                price BIGINT NOT NULL,
                days BIGINT,
                minutes BIGINT,
                active BIGINT NOT NULL,
                sort_order BIGINT NOT NULL)
            """,
            """
            CREATE TABLE tickets (
                id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                account_id TEXT REFERENCES accounts(id),
                kind TEXT NOT NULL,
                label TEXT NOT NULL,
                valid_from BIGINT NOT NULL,
                valid_until BIGINT NOT NULL,
                total_minutes BIGINT,
                remaining_minutes BIGINT,
                status TEXT NOT NULL,
                status_changed_at BIGINT,
                inside BIGINT NOT NULL,
                last_entered_at BIGINT,
                holder_name TEXT,
                seat TEXT,
                token TEXT NOT NULL,
                revision BIGINT NOT NULL,
                wire_state TEXT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX tickets_store_revision ON tickets(store_id, revision)",
            "CREATE INDEX tickets_account ON tickets(account_id, store_id, kind, status)",
            """
            CREATE TABLE orders (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                store_id BIGINT NOT NULL REFERENCES stores(id),
                product_code TEXT NOT NULL REFERENCES products(code),
                price BIGINT NOT NULL,
                status TEXT NOT NULL,
                receipt_id TEXT UNIQUE,
                ticket_id TEXT REFERENCES tickets(id),
                failure TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE sales (
                id TEXT PRIMARY KEY,
                order_id TEXT UNIQUE REFERENCES orders(id),
                store_id BIGINT NOT NULL REFERENCES stores(id),
                ticket_id TEXT NOT NULL REFERENCES tickets(id),
                product_code TEXT NOT NULL,
                price BIGINT NOT NULL,
                channel TEXT NOT NULL,
                state TEXT NOT NULL,
                paid_at BIGINT NOT NULL,
                refunded_at BIGINT)
            """,
            """
            CREATE TABLE devices (
                id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                name TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                enrolled_at BIGINT NOT NULL,
                revoked_at BIGINT,
                last_seen_at BIGINT)
            """,
            """
            CREATE TABLE enrollment_codes (
                code_hash TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE check_in_events (
                event_id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                device_id TEXT NOT NULL REFERENCES devices(id),
                ticket_id TEXT,
                verdict TEXT NOT NULL,
                reason TEXT,
                occurred_at BIGINT NOT NULL,
                received_at BIGINT NOT NULL,
                decided_offline BIGINT NOT NULL,
                minutes_charged BIGINT,
                conflict_verdict TEXT,
                conflict_reason TEXT,
                conflict_message TEXT,
                response TEXT)
            """,
            "CREATE INDEX check_in_events_conflicts ON check_in_events(store_id, conflict_verdict)",
            """
            CREATE TABLE print_jobs (
                id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                ticket_id TEXT NOT NULL REFERENCES tickets(id),
                token TEXT NOT NULL,
                label TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                printed_at BIGINT,
                printed_by TEXT)
            """,
            "CREATE INDEX print_jobs_pending ON print_jobs(store_id, printed_at)",
        ]),
        // The seed app's price list (₩), frozen as it shipped: a migration never reads
        // application values, which change (owners edit prices with PUT /catalog/{code}).
        Step(version: "002_seed_catalog", statements: [
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('day', 'day', '1일권 (day pass)', 10000, 1, NULL, 1, 0)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('period-7', 'period', '7일권 (7-day pass)', 15000, 7, NULL, 1, 1)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('period-14', 'period', '14일권 (14-day pass)', 30000, 14, NULL, 1, 2)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('period-21', 'period', '21일권 (21-day pass)', 40000, 21, NULL, 1, 3)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('period-28', 'period', '28일권 (28-day pass)', 50000, 28, NULL, 1, 4)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('time-1h', 'time', '1시간권 (1 hour)', 1000, 30, 60, 1, 5)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('time-4h', 'time', '4시간권 (4 hours)', 7000, 30, 240, 1, 6)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('time-10h', 'time', '10시간권 (10 hours)', 10000, 60, 600, 1, 7)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('time-50h', 'time', '50시간권 (50 hours)', 35000, 180, 3000, 1, 8)",
            "INSERT INTO products (code, kind, label, price, days, minutes, active, sort_order) VALUES ('time-100h', 'time', '100시간권 (100 hours)', 50000, 365, 6000, 1, 9)",
        ]),
        // Annul: a grant reversed because the door stayed shut. `annuls` on the annul event names
        // the grant; `annulled_by` on the grant names its annul (one annul per grant);
        // `ticket_before` is the pass's state before the grant (JSON), what an annul restores.
        Step(version: "003_annul", statements: [
            "ALTER TABLE check_in_events ADD COLUMN annuls TEXT",
            "ALTER TABLE check_in_events ADD COLUMN annulled_by TEXT",
            "ALTER TABLE check_in_events ADD COLUMN ticket_before TEXT",
        ]),
        // Refunds by the store's policy: the policy (JSON), one refund per ticket with the amount
        // quoted and frozen, and its payouts — one per sale, a gateway receipt's partial cancel
        // or cash at the counter — each done once (`cancelled_before`: what the receipt had
        // cancelled before ours, so a retry after a lost answer sees it went through).
        Step(version: "004_refunds", statements: [
            """
            CREATE TABLE refund_policies (
                store_id BIGINT PRIMARY KEY REFERENCES stores(id),
                policy TEXT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE refunds (
                id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),
                amount BIGINT NOT NULL,
                quote TEXT NOT NULL,
                state TEXT NOT NULL,
                requested_by TEXT NOT NULL,
                account_id TEXT,
                claimed_until BIGINT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                completed_at BIGINT)
            """,
            "CREATE INDEX refunds_state ON refunds(store_id, state)",
            """
            CREATE TABLE refund_payouts (
                refund_id TEXT NOT NULL REFERENCES refunds(id),
                sale_id TEXT NOT NULL REFERENCES sales(id),
                receipt_id TEXT,
                amount BIGINT NOT NULL,
                cancelled_before BIGINT,
                done_at BIGINT,
                PRIMARY KEY (refund_id, sale_id))
            """,
            "ALTER TABLE sales ADD COLUMN refund_amount BIGINT",
        ]),
        // Scheduled jobs: the longest visit before a forgotten exit is closed by the server
        // (NULL: the default), the server's own "device" per store that records those exits
        // (kind 'server', never authenticates), and the index the every-minute scan reads.
        Step(version: "005_jobs", statements: [
            "ALTER TABLE stores ADD COLUMN max_visit_minutes BIGINT",
            "ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'kiosk'",
            "CREATE INDEX tickets_inside ON tickets(inside, store_id)",
        ]),
        // Push: customers' device tokens (entry/exit alerts opted in per device — a guardian's
        // phone), the outbox written in the causing transaction (a dedupe key makes an alert
        // written twice one message), owners' notices and who they went to.
        Step(version: "006_push", statements: [
            """
            CREATE TABLE push_tokens (
                token TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                label TEXT,
                entry_exit_alerts BIGINT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX push_tokens_account ON push_tokens(account_id)",
            """
            CREATE TABLE push_outbox (
                id TEXT PRIMARY KEY,
                dedupe_key TEXT NOT NULL UNIQUE,
                account_id TEXT,
                token TEXT NOT NULL,
                kind TEXT NOT NULL,
                title TEXT NOT NULL,
                body TEXT NOT NULL,
                data TEXT,
                created_at BIGINT NOT NULL,
                attempts BIGINT NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                claimed_until BIGINT,
                sent_at BIGINT,
                dropped_at BIGINT,
                last_error TEXT)
            """,
            "CREATE INDEX push_outbox_due ON push_outbox(sent_at, dropped_at, next_attempt_at)",
            """
            CREATE TABLE notices (
                id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                title TEXT NOT NULL,
                body TEXT NOT NULL,
                audience TEXT NOT NULL,
                recipients BIGINT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE notice_recipients (
                notice_id TEXT NOT NULL REFERENCES notices(id),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                PRIMARY KEY (notice_id, account_id))
            """,
            "CREATE INDEX notice_recipients_account ON notice_recipients(account_id)",
        ]),
        // Seats: a hold made in the app before arriving, and one holder per seat among those
        // inside (a partial unique index, so concurrent entries on several instances cannot
        // share a seat).
        Step(version: "007_seats", statements: [
            """
            CREATE TABLE seat_holds (
                store_id BIGINT NOT NULL REFERENCES stores(id),
                seat TEXT NOT NULL,
                ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (store_id, seat))
            """,
            "UPDATE tickets SET seat = NULL WHERE inside = 0",
            "CREATE UNIQUE INDEX tickets_seat_inside ON tickets(store_id, seat) WHERE inside = 1 AND seat IS NOT NULL",
        ]),
        // The archive (the seed's ExpiredTicket): finished passes leave the hot `tickets` table
        // for `ticket_archive`, and the rows that name a ticket (orders, sales, print jobs,
        // refunds, holds) must keep pointing at it. So those references move to `ticket_ids`, a
        // slim registry of every ticket ever issued: the old table renamed (both databases carry
        // the foreign keys along with a rename) and stripped to its id, store and account, while
        // a copy of it becomes the new hot table. `ticket_tombstones` tell kiosks, by the same
        // revision cursor as tickets, which passes to drop from their caches; `ticket_history`
        // reads both tables for a customer's history and the owner's day.
        Step(version: "008_archive", statements: [
            """
            CREATE TABLE tickets_hot (
                id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                account_id TEXT REFERENCES accounts(id),
                kind TEXT NOT NULL,
                label TEXT NOT NULL,
                valid_from BIGINT NOT NULL,
                valid_until BIGINT NOT NULL,
                total_minutes BIGINT,
                remaining_minutes BIGINT,
                status TEXT NOT NULL,
                status_changed_at BIGINT,
                inside BIGINT NOT NULL,
                last_entered_at BIGINT,
                holder_name TEXT,
                seat TEXT,
                token TEXT NOT NULL,
                revision BIGINT NOT NULL,
                wire_state TEXT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "INSERT INTO tickets_hot (id, store_id, account_id, kind, label, valid_from, valid_until, total_minutes, remaining_minutes, status, status_changed_at, inside, last_entered_at, holder_name, seat, token, revision, wire_state, updated_at) SELECT id, store_id, account_id, kind, label, valid_from, valid_until, total_minutes, remaining_minutes, status, status_changed_at, inside, last_entered_at, holder_name, seat, token, revision, wire_state, updated_at FROM tickets",
            "DROP INDEX tickets_store_revision",
            "DROP INDEX tickets_account",
            "DROP INDEX tickets_inside",
            "DROP INDEX tickets_seat_inside",
            "ALTER TABLE tickets RENAME TO ticket_ids",
            "ALTER TABLE ticket_ids DROP COLUMN kind",
            "ALTER TABLE ticket_ids DROP COLUMN label",
            "ALTER TABLE ticket_ids DROP COLUMN valid_from",
            "ALTER TABLE ticket_ids DROP COLUMN valid_until",
            "ALTER TABLE ticket_ids DROP COLUMN total_minutes",
            "ALTER TABLE ticket_ids DROP COLUMN remaining_minutes",
            "ALTER TABLE ticket_ids DROP COLUMN status",
            "ALTER TABLE ticket_ids DROP COLUMN status_changed_at",
            "ALTER TABLE ticket_ids DROP COLUMN inside",
            "ALTER TABLE ticket_ids DROP COLUMN last_entered_at",
            "ALTER TABLE ticket_ids DROP COLUMN holder_name",
            "ALTER TABLE ticket_ids DROP COLUMN seat",
            "ALTER TABLE ticket_ids DROP COLUMN token",
            "ALTER TABLE ticket_ids DROP COLUMN revision",
            "ALTER TABLE ticket_ids DROP COLUMN wire_state",
            "ALTER TABLE ticket_ids DROP COLUMN updated_at",
            "ALTER TABLE ticket_ids ADD COLUMN archived_at BIGINT",
            "ALTER TABLE tickets_hot RENAME TO tickets",
            "CREATE UNIQUE INDEX tickets_store_revision ON tickets(store_id, revision)",
            "CREATE INDEX tickets_account ON tickets(account_id, store_id, kind, status)",
            "CREATE INDEX tickets_inside ON tickets(inside, store_id)",
            "CREATE UNIQUE INDEX tickets_seat_inside ON tickets(store_id, seat) WHERE inside = 1 AND seat IS NOT NULL",
            "CREATE INDEX tickets_finished ON tickets(store_id, valid_until) WHERE inside = 0",
            """
            CREATE TABLE ticket_archive (
                id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL,
                account_id TEXT,
                kind TEXT NOT NULL,
                label TEXT NOT NULL,
                valid_from BIGINT NOT NULL,
                valid_until BIGINT NOT NULL,
                total_minutes BIGINT,
                remaining_minutes BIGINT,
                status TEXT NOT NULL,
                status_changed_at BIGINT,
                inside BIGINT NOT NULL,
                last_entered_at BIGINT,
                holder_name TEXT,
                seat TEXT,
                token TEXT NOT NULL,
                revision BIGINT NOT NULL,
                wire_state TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                archived_at BIGINT NOT NULL)
            """,
            "CREATE INDEX ticket_archive_account ON ticket_archive(account_id)",
            """
            CREATE TABLE ticket_tombstones (
                ticket_id TEXT PRIMARY KEY,
                store_id BIGINT NOT NULL REFERENCES stores(id),
                revision BIGINT NOT NULL,
                archived_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX ticket_tombstones_store_revision ON ticket_tombstones(store_id, revision)",
            """
            CREATE VIEW ticket_history AS
                SELECT id, store_id, account_id, kind, label, valid_from, valid_until, total_minutes, remaining_minutes, status, status_changed_at, inside, last_entered_at, holder_name, seat, token, revision, wire_state, updated_at FROM tickets
                UNION ALL SELECT id, store_id, account_id, kind, label, valid_from, valid_until, total_minutes, remaining_minutes, status, status_changed_at, inside, last_entered_at, holder_name, seat, token, revision, wire_state, updated_at FROM ticket_archive
            """,
        ]),
        // The web consoles: a pass's door history (events by ticket), the store's sent notices,
        // a kiosk's outbox as it reported it, and the alerts a customer sees in the page (an
        // inbox per account, with its settings).
        Step(version: "009_web", statements: [
            "CREATE INDEX check_in_events_ticket ON check_in_events(ticket_id, occurred_at)",
            // The owner's day reads one store's events of one day (not all of them since opening);
            // the pass search lists a store's latest passes without sorting the table.
            "CREATE INDEX check_in_events_store_time ON check_in_events(store_id, occurred_at)",
            "CREATE INDEX tickets_store_until ON tickets(store_id, valid_until, id)",
            // What a kiosk still held when it last synced (it reports it), for the device list.
            "ALTER TABLE devices ADD COLUMN outbox_pending BIGINT",
            "ALTER TABLE devices ADD COLUMN outbox_oldest_at BIGINT",
            "CREATE INDEX notices_store ON notices(store_id, created_at)",
            """
            CREATE TABLE alert_settings (
                account_id TEXT PRIMARY KEY REFERENCES accounts(id),
                time_warnings BIGINT NOT NULL,
                entry_exit BIGINT NOT NULL)
            """,
            """
            CREATE TABLE account_alerts (
                id TEXT PRIMARY KEY,
                dedupe_key TEXT NOT NULL UNIQUE,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                kind TEXT NOT NULL,
                title TEXT NOT NULL,
                body TEXT NOT NULL,
                ticket_id TEXT,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX account_alerts_account ON account_alerts(account_id, created_at)",
            "CREATE INDEX account_alerts_created ON account_alerts(created_at)",
        ]),
    ]

    /// Applies the steps not yet recorded, each in its own transaction. Safe to run by several
    /// instances at once on PostgreSQL: the recording insert of a step conflicts for the loser.
    /// `through` stops after that version (tests of a step on data the earlier schema held).
    static func apply(to database: ServerDatabase, through last: String? = nil) async throws -> [String] {
        try await database.transaction { db in
            try await db.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)").run()
        }
        var applied: [String] = []
        for step in steps {
            let done = try await database.transaction { db -> Bool in
                if try await db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: step.version)").first() != nil {
                    return false
                }
                try await db.raw("INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: step.version), \(bind: DBTime.millis(Date())))").run()
                for statement in step.statements {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                return true
            }
            if done { applied.append(step.version) }
            if step.version == last { break }
        }
        return applied
    }
}

/// Times in the database are Unix milliseconds.
enum DBTime {
    static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}
