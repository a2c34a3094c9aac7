import ArgumentParser
import CafeServer
import Foundation

extension CafeServerCommand {
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make benchmark data: many signed tickets, or a batch of changes (Benchmarks/central.sh uses them).",
            subcommands: [Seed.self, Touch.self, Enter.self])

        struct Seed: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Sell N passes in bulk; print their tokens, one a line.")
            @OptionGroup var options: ServerOptions
            @Option(help: "The store number.") var store: UInt32 = 1
            @Option(help: "How many tickets.") var tickets = 100_000

            func run() async throws {
                let (store, count) = (self.store, tickets)
                let clock = ContinuousClock()
                let start = clock.now
                let tokens = try await options.withDatabase { database, _, _ in
                    try await BenchmarkData(database: database).seedTickets(store: store, count: count)
                }
                FileHandle.standardOutput.write(Data((tokens.joined(separator: "\n") + "\n").utf8))
                FileHandle.standardError.write(Data("seeded \(tokens.count) tickets in \(clock.now - start)\n".utf8))
            }
        }

        struct Enter: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Put N tickets inside, entered 13 hours ago: work for the auto-exit job (then time `admin run-jobs`).")
            @OptionGroup var options: ServerOptions
            @Option(help: "The store number.") var store: UInt32 = 1
            @Option(help: "How many tickets.") var count = 1_000

            func run() async throws {
                let (store, count) = (self.store, self.count)
                let entered = try await options.withDatabase { database, _, _ in
                    try await BenchmarkData(database: database).enterTickets(store: store, count: count)
                }
                print("\(entered) tickets inside")
            }
        }

        struct Touch: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change N tickets, each with a new revision (a delta for kiosks to pull).")
            @OptionGroup var options: ServerOptions
            @Option(help: "The store number.") var store: UInt32 = 1
            @Option(help: "How many tickets.") var count = 1_000

            func run() async throws {
                let (store, count) = (self.store, self.count)
                let changed = try await options.withDatabase { database, _, _ in
                    try await BenchmarkData(database: database).touchTickets(store: store, count: count)
                }
                print("changed \(changed) tickets")
            }
        }
    }
}
