import CafeProtocol
import Foundation
@testable import KioskCore

/// The check-in store's test double: dictionaries, and a switch that makes writes fail like a
/// full disk.
final class InMemoryCheckInStore: CheckInStore {
    var keys: PassVerifier
    var settings: StoreSettings?
    var tickets: [UUID: TicketState] = [:]
    var events: [KioskEvent] = []
    /// Events the "server" has (uploaded); the rest wait in the outbox.
    var delivered: Set<UUID> = []
    var failWrites = false

    struct DiskFull: Error, CustomStringConvertible {
        var description: String { "database or disk is full" }
    }

    init(keys: PassVerifier, settings: StoreSettings?) {
        self.keys = keys
        self.settings = settings
    }

    func verifier() throws -> PassVerifier { keys }
    func storeSettings() throws -> StoreSettings? { settings }
    func ticket(passID: UUID) throws -> TicketState? { tickets[passID] }

    func updateTicket(_ ticket: TicketState) throws {
        if failWrites { throw DiskFull() }
        if let existing = tickets[ticket.passID], existing.revision > ticket.revision { return }
        tickets[ticket.passID] = ticket
    }

    func hasUndeliveredEvents(passID: UUID) throws -> Bool {
        events.contains { $0.passID == passID && !delivered.contains($0.eventID) }
    }

    func occupiedSeats() throws -> Set<String> {
        Set(tickets.values.filter(\.inside).compactMap(\.seat))
    }

    func record(_ event: KioskEvent, ticket: TicketState?) throws {
        if failWrites { throw DiskFull() }
        events.append(event)
        if let ticket { tickets[ticket.passID] = ticket }
    }
}
