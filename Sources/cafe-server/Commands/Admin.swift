import ArgumentParser
import CafeProtocol
import CafeServer
import Foundation

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up and run the cafe from the shell: owners, stores, kiosks, counter sales.",
        discussion: """
            Works straight on the database (the server may be running or not).

            Example, a fresh install:
              cafe-server admin create-owner --login owner --password-stdin < pw.txt
              cafe-server admin create-store --id 1 --name Gangnam --owner owner \\
                --closed 02:00-05:00 --seats 60
              cafe-server admin enrollment-code --store 1
            """,
        subcommands: [CreateOwner.self, CreateStore.self, AddOwner.self, Stores.self, EnrollmentCode.self, Devices.self,
                      RevokeDevice.self, CounterSale.self, RefundQuote.self, Refund.self, RunJobs.self, RotateKey.self, RetireKey.self, Catalog.self, SetPrice.self])

    struct CreateOwner: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an owner account (or make an account an owner, with a new password).")
        @OptionGroup var options: ServerOptions
        @Option(help: "The owner's login.") var login: String
        @Option(help: "The name shown in the app.") var name: String = "Owner"
        @Flag(help: "Read the password from standard input (recommended: it stays out of the shell history).") var passwordStdin = false
        @Option(help: "The password (prefer --password-stdin).") var password: String?

        func validate() throws {
            if passwordStdin == (password != nil) { throw ValidationError("give exactly one of --password-stdin or --password") }
        }

        func run() async throws {
            let secret = try password ?? {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
                return line
            }()
            let (login, name) = (self.login, self.name)
            let id = try await options.withAdmin { admin in
                try await admin.createOwner(login: login, password: secret, displayName: name)
            }
            print("owner \(login) (\(id))")
        }
    }

    struct CreateStore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a store and its first signing key.")
        @OptionGroup var options: ServerOptions
        @Option(help: "The store number printed in every pass (1 or more).") var id: UInt32
        @Option(help: "The store's name.") var name: String
        @Option(help: "IANA time zone of the store.") var timeZone = StoreSettings.defaultTimeZone
        @Option(help: ArgumentHelp("Hours with no entry, local time, as HH:MM-HH:MM (e.g. 02:00-05:00).", valueName: "range")) var closed: String?
        @Option(help: "Number of seats.") var seats = 50
        @Option(help: "Login of the owner who manages it.") var owner: String?

        func run() async throws {
            let closedHours = try closed.map(Self.parseRange)
            let input = StoreSettings(storeID: id, name: name, timeZone: timeZone, closedHours: closedHours, seats: seats)
            let owner = self.owner
            let store = try await options.withAdmin { admin in
                try await admin.createStore(input, ownerLogin: owner)
            }
            print("store \(store.storeID) \(store.name) (\(store.timeZone)), \(store.seats) seats")
        }

        static func parseRange(_ text: String) throws -> LocalTimeRange {
            let parts = text.split(separator: "-")
            func minute(_ part: Substring) -> Int? {
                let hm = part.split(separator: ":")
                guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0..<24).contains(h), (0..<60).contains(m) else { return nil }
                return h * 60 + m
            }
            guard parts.count == 2, let start = minute(parts[0]), let end = minute(parts[1]), start != end else {
                throw ValidationError("--closed must be HH:MM-HH:MM, as 02:00-05:00")
            }
            return LocalTimeRange(startMinute: start, endMinute: end)
        }
    }

    struct AddOwner: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let an existing account manage a store.")
        @OptionGroup var options: ServerOptions
        @Option(help: "The account's login.") var login: String
        @Option(help: "The store number.") var store: UInt32

        func run() async throws {
            let (login, store) = (self.login, self.store)
            try await options.withAdmin { admin in
                try await admin.addOwner(login: login, store: store)
            }
            print("\(login) now manages store \(store)")
        }
    }

    struct Stores: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stores.")
        @OptionGroup var options: ServerOptions

        func run() async throws {
            let stores = try await options.withAdmin { admin in
                try await admin.stores()
            }
            for store in stores {
                let closed = store.closedHours.map { " closed \(Self.hhmm($0.startMinute))-\(Self.hhmm($0.endMinute))" } ?? ""
                print("\(store.storeID)\t\(store.name)\t\(store.timeZone)\t\(store.seats) seats\(closed)")
            }
        }

        static func hhmm(_ minute: Int) -> String { String(format: "%02d:%02d", minute / 60, minute % 60) }
    }

    struct EnrollmentCode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a one-time code that enrols one kiosk with a store.",
            discussion: "On the kiosk: kioskd enroll --server https://cafe.example.com --code CODE")
        @OptionGroup var options: ServerOptions
        @Option(help: "The store number.") var store: UInt32
        @Option(help: "Hours the code stays valid.") var hours: Double = 24

        func run() async throws {
            let (store, lifetime) = (self.store, hours * 3600)
            let code = try await options.withAdmin { admin in
                try await admin.enrollmentCode(store: store, lifetime: lifetime)
            }
            print(code.code)
            FileHandle.standardError.write(Data("one-time code for store \(store), valid until \(code.expiresAt.formatted(.iso8601))\n".utf8))
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a store's kiosks.")
        @OptionGroup var options: ServerOptions
        @Option(help: "The store number.") var store: UInt32

        func run() async throws {
            let store = self.store
            let devices = try await options.withAdmin { admin in
                try await admin.devices(store: store)
            }
            for device in devices {
                let seen = device.lastSeenAt.map { $0.formatted(.iso8601) } ?? "never"
                print("\(device.deviceID)\t\(device.name)\t\(device.revoked ? "revoked" : "active")\tlast seen \(seen)")
            }
        }
    }

    struct RevokeDevice: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a kiosk: every call it makes gets 401 from now on.")
        @OptionGroup var options: ServerOptions
        @Option(help: "The store number.") var store: UInt32
        @Argument(help: "The device id (see 'admin devices').") var device: String

        func run() async throws {
            guard let id = UUID(uuidString: device) else { throw ValidationError("\(device) is not a device id") }
            let store = self.store
            try await options.withAdmin { admin in
                try await admin.revokeDevice(id, store: store)
            }
            print("device \(id) revoked")
        }
    }

    struct CounterSale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sell a pass at the counter: prints its token and queues it for the store's kiosk printer.")
        @OptionGroup var options: ServerOptions
        @Option(help: "The store number.") var store: UInt32
        @Option(help: "Product code (see 'admin catalog').") var product: String
        @Option(help: "The customer's name for the screen.") var holder: String?
        @Option(help: "A registered customer's login: the pass is theirs and shows in their app.") var customer: String?

        func run() async throws {
            let (store, product, holder, customer) = (self.store, self.product, self.holder, self.customer)
            let sale = try await options.withAdmin { admin in
                try await admin.counterSale(store: store, productCode: product, holderName: holder, customerLogin: customer)
            }
            print(sale.token)
            FileHandle.standardError.write(Data("ticket \(sale.ticketID), print job \(sale.job)\n".utf8))
        }
    }

    struct Refund: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Refund a ticket by the store's refund policy: the quoted amount is cancelled at the gateway, the pass denied at the door.",
            discussion: "The amount follows the store's policy (see GET /stores/{id}/refund-policy); a pass sold at the counter is paid back in cash by the staff.")
        @OptionGroup var options: ServerOptions
        @OptionGroup var which: StoreTicket

        func run() async throws {
            let (id, store) = try (which.ticketID(), which.store)
            let amount = try await options.withAdmin { admin in
                try await admin.refund(ticket: id, store: store)
            }
            print("ticket \(id) refunded: \(amount) won back")
        }
    }

    /// `--store N TICKET`, for the commands about one ticket.
    struct StoreTicket: ParsableArguments {
        @Option(help: "The store number.") var store: UInt32
        @Argument(help: "The ticket id.") var ticket: String

        func ticketID() throws -> UUID {
            guard let id = UUID(uuidString: ticket) else { throw ValidationError("\(ticket) is not a ticket id") }
            return id
        }
    }

    struct RefundQuote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what refunding a ticket would give back now, term by term, by the store's refund policy (nothing changes).")
        @OptionGroup var options: ServerOptions
        @OptionGroup var which: StoreTicket

        func run() async throws {
            let (id, store) = try (which.ticketID(), which.store)
            let quote = try await options.withAdmin { admin in try await admin.refundQuote(ticket: id, store: store) }
            print(quote.rendered())
        }
    }

    struct RunJobs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the scheduled jobs once now (auto-exit, time warnings, archive), and print what they did.",
            discussion: """
                `cafe-server serve` runs them every minute by itself; this is for a server started \
                with --jobs-interval 0, for cron, and for rehearsals: --now decides as if it were \
                another time (RFC 3339, or +DURATION such as +90m or +13h), exits recorded at the \
                moments they were due. The archive moves finished passes (nobody inside, token \
                ended over a week ago) out of the hot table in each store's 04:00 hour; \
                --archive does it now for every store.

                Example:
                  cafe-server admin run-jobs --now +13h
                  cafe-server admin run-jobs --archive
                """)
        @OptionGroup var options: ServerOptions
        @Option(help: ArgumentHelp("Decide as if it were this time: 2026-12-02T09:00:00+09:00, or +90m, +13h.", valueName: "time"))
        var now: String?
        @Flag(help: "Archive every store's finished passes now, whatever the hour.")
        var archive = false

        func run() async throws {
            let at = try now.map(Self.parse) ?? Date()
            let archiveNow = archive
            let report = try await options.withAdmin { admin in try await admin.runJobs(now: at, archiveNow: archiveNow) }
            let clock = Date.ISO8601FormatStyle(timeZone: .current).year().month().day().time(includingFractionalSeconds: false)
            for exit in report.exits {
                let charged = exit.minutesCharged.map { ", \($0) min charged" } ?? ""
                print("auto-exit: \(exit.holderName ?? "ticket " + exit.ticketID.uuidString.lowercased()) at \(exit.at.formatted(clock)) (\(exit.reason.rawValue)\(charged))")
            }
            print("\(report.autoExits) auto-exit(s), \(report.timeWarnings) time warning(s), \(report.archived) pass(es) archived")
        }

        static func parse(_ text: String) throws -> Date {
            if text.hasPrefix("+"), let unit = text.last, let value = Double(text.dropFirst().dropLast()), value >= 0 {
                switch unit {
                case "m": return Date().addingTimeInterval(value * 60)
                case "h": return Date().addingTimeInterval(value * 3600)
                case "d": return Date().addingTimeInterval(value * 86_400)
                default: break
                }
            }
            if let date = WireCoding.parseTimestamp(text) { return date }
            throw ValidationError("--now takes an RFC 3339 time (2026-12-02T09:00:00+09:00) or +DURATION (+90m, +13h, +2d)")
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start signing new passes with a new key; passes signed with the old key stay valid.")
        @OptionGroup var options: ServerOptions
        @Option(help: "The store number.") var store: UInt32

        func run() async throws {
            let store = self.store
            let key = try await options.withAdmin { admin in
                try await admin.rotateKey(store: store)
            }
            print("store \(store) now signs with key \(key)")
        }
    }

    struct RetireKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop accepting passes signed with an old key (rotate first; the active key cannot be retired).")
        @OptionGroup var options: ServerOptions
        @Option(help: "The store number.") var store: UInt32
        @Argument(help: "The key id, 8 hex digits (as 'kioskd status' shows).") var key: String

        func run() async throws {
            guard key.count == 8, let value = UInt32(key, radix: 16) else { throw ValidationError("\(key) is not a key id (8 hex digits)") }
            let store = self.store
            try await options.withAdmin { admin in try await admin.retireKey(store: store, key: KeyID(rawValue: value)) }
            print("key \(key) of store \(store) retired")
        }
    }

    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the pass catalog and prices.")
        @OptionGroup var options: ServerOptions

        func run() async throws {
            let products = try await options.withAdmin { admin in
                try await admin.catalog()
            }
            for product in products {
                print("\(product.code)\t\(product.label)\t₩\(product.price)\t\(product.days) days\(product.minutes.map { "\t\($0) min" } ?? "")\(product.active ? "" : "\tinactive")")
            }
        }
    }

    struct SetPrice: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a product's price (won).")
        @OptionGroup var options: ServerOptions
        @Argument(help: "Product code.") var code: String
        @Argument(help: "New price in won.") var price: Int

        func run() async throws {
            let (code, price) = (self.code, self.price)
            let product = try await options.withAdmin { admin in
                try await admin.setPrice(code: code, price: price)
            }
            print("\(product.code) now costs ₩\(product.price)")
        }
    }
}
